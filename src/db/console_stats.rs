//! The console overview's figures, each one indexed aggregate: counts by status (the
//! `(status, seq)` index alone), issuances and revocation requests per day, active certificates
//! expiring per week.

use super::{db_run, Db, DbResult};

/// `zone_id IN ($n, ...)` from placeholder `$first`, or nothing for every zone.
fn zone_clause(zones: Option<&[String]>, first: usize) -> String {
    match zones {
        None => String::new(),
        Some([]) => " AND zone_id IS NULL".to_owned(),
        Some(z) => {
            let list: Vec<String> = (0..z.len()).map(|i| format!("${}", first + i)).collect();
            format!(" AND zone_id IN ({})", list.join(", "))
        }
    }
}

/// Runs `SELECT key, COUNT(*) ...` with the integer binds `ints`, then the zones; `(key, count)` rows.
async fn grouped_ints(
    db: &Db,
    sql: &str,
    ints: &[i64],
    zones: Option<&[String]>,
) -> DbResult<Vec<(i64, i64)>> {
    db_run!(db, |pool| {
        let mut q = sqlx::query_as::<_, (i64, i64)>(sql);
        for i in ints {
            q = q.bind(*i);
        }
        for z in zones.unwrap_or_default() {
            q = q.bind(z.clone());
        }
        Ok(q.fetch_all(pool).await?)
    })
}

/// `(status, count)` of every status present, over `zones` (`None`: every zone).
pub async fn counts_by_status(db: &Db, zones: Option<&[String]>) -> DbResult<Vec<(String, i64)>> {
    let sql = format!(
        "SELECT status, COUNT(*) FROM client_certificates WHERE status IS NOT NULL{} \
         GROUP BY status",
        zone_clause(zones, 1)
    );
    db_run!(db, |pool| {
        let mut q = sqlx::query_as::<_, (String, i64)>(&sql);
        for z in zones.unwrap_or_default() {
            q = q.bind(z.clone());
        }
        Ok(q.fetch_all(pool).await?)
    })
}

/// Certificates issued (notBefore) on each day from `from` on: `(day index, count)`.
pub async fn issued_per_day(
    db: &Db,
    from: i64,
    zones: Option<&[String]>,
) -> DbResult<Vec<(i64, i64)>> {
    let sql = format!(
        "SELECT (issued_on - $1) / 86400 AS d, COUNT(*) FROM client_certificates \
         WHERE issued_on >= $1{} GROUP BY d",
        zone_clause(zones, 2)
    );
    grouped_ints(db, &sql, &[from], zones).await
}

/// Revocations requested on each day from `from` on: `(day index, count)`.
pub async fn revocations_per_day(
    db: &Db,
    from: i64,
    zones: Option<&[String]>,
) -> DbResult<Vec<(i64, i64)>> {
    let sql = format!(
        "SELECT (revocation_requested_at - $1) / 86400 AS d, COUNT(*) FROM client_certificates \
         WHERE revocation_requested_at IS NOT NULL AND revocation_requested_at >= $1{} GROUP BY d",
        zone_clause(zones, 2)
    );
    grouped_ints(db, &sql, &[from], zones).await
}

/// Active certificates whose notAfter falls in each week from `from` to `until`: `(week, count)`.
pub async fn expiring_per_week(
    db: &Db,
    from: i64,
    until: i64,
    zones: Option<&[String]>,
) -> DbResult<Vec<(i64, i64)>> {
    let sql = format!(
        "SELECT (expires_on - $1) / 604800 AS w, COUNT(*) FROM client_certificates \
         WHERE status = 'active' AND expires_on >= $1 AND expires_on < $2{} GROUP BY w",
        zone_clause(zones, 3)
    );
    grouped_ints(db, &sql, &[from, until], zones).await
}
