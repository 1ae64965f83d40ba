//! The console overview's figures, read from what the triggers keep rather than counted: counts by
//! status from the block counts of migration 0010 (`client_certificate_counts`), issuances,
//! revocation requests and active certificates by expiry day from the day counts of 0013
//! (`client_certificate_days`). Each read adds up a few hundred rows, on any number of
//! certificates. [`counted`] gives the same figures by counting the certificates themselves.

use super::{db_run, Db, DbResult};

/// Seconds per day, the unit of `client_certificate_days.day`.
pub const DAY: i64 = 86_400;

/// What a day count counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayKind {
    /// Certificates by the day of their notBefore (`issued_on`).
    Issued,
    /// Certificates by the day of their last revocation request (`revocation_requested_at`).
    Revocation,
    /// Active certificates by the day of their notAfter (`expires_on`).
    Expiry,
}

impl DayKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Issued => "issued",
            Self::Revocation => "revocation",
            Self::Expiry => "expiry",
        }
    }
}

/// `zone_id IN ($n, ...)` from placeholder `$first`, or nothing for every zone.
pub(super) fn zone_clause(zones: Option<&[String]>, first: usize) -> String {
    match zones {
        None => String::new(),
        Some([]) => " AND zone_id IS NULL".to_owned(),
        Some(z) => {
            let list: Vec<String> = (0..z.len()).map(|i| format!("${}", first + i)).collect();
            format!(" AND zone_id IN ({})", list.join(", "))
        }
    }
}

/// Runs `sql` returning `(key, count)` rows with the integer binds `ints`, then the zones.
pub(super) async fn grouped<K>(
    db: &Db,
    sql: &str,
    ints: &[i64],
    zones: Option<&[String]>,
) -> DbResult<Vec<(K, i64)>>
where
    K: Send + Unpin,
    for<'r> (K, i64):
        sqlx::FromRow<'r, sqlx::sqlite::SqliteRow> + sqlx::FromRow<'r, sqlx::postgres::PgRow>,
{
    db_run!(db, |pool| {
        let mut q = sqlx::query_as::<_, (K, i64)>(sql);
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
        "SELECT status, CAST(SUM(n) AS BIGINT) FROM client_certificate_counts WHERE n <> 0{} \
         GROUP BY status",
        zone_clause(zones, 1)
    );
    grouped(db, &sql, &[], zones).await
}

/// `(day, count)` of the certificates `kind` counts on each day from `from_day` to before
/// `until_day` (days are unix seconds / [`DAY`]), over `zones`.
pub async fn per_day(
    db: &Db,
    kind: DayKind,
    from_day: i64,
    until_day: i64,
    zones: Option<&[String]>,
) -> DbResult<Vec<(i64, i64)>> {
    let sql = format!(
        "SELECT day, CAST(SUM(n) AS BIGINT) FROM client_certificate_days \
         WHERE kind = '{}' AND day >= $1 AND day < $2{} GROUP BY day",
        kind.as_str(),
        zone_clause(zones, 3)
    );
    grouped(db, &sql, &[from_day, until_day], zones).await
}

/// How many active certificates have their notAfter in `[from, until)`, counted (one index range:
/// the overview asks for what is left of today).
pub async fn active_expiring(
    db: &Db,
    from: i64,
    until: i64,
    zones: Option<&[String]>,
) -> DbResult<i64> {
    let sql = format!(
        "SELECT CAST(0 AS BIGINT), COUNT(*) FROM client_certificates \
         WHERE status = 'active' AND expires_on >= $1 AND expires_on < $2{}",
        zone_clause(zones, 3)
    );
    let rows: Vec<(i64, i64)> = grouped(db, &sql, &[from, until], zones).await?;
    Ok(rows.first().map_or(0, |r| r.1))
}

/// Folds the day counts' delta rows (the worker calls it); how many rows it folded.
pub async fn fold(db: &Db) -> DbResult<u64> {
    super::deltas::fold(db, "client_certificate_days", "kind, day, zone_id").await
}

/// The statements that recount every day from the certificates themselves (a restore runs them
/// after copying the tables, in the same transaction).
pub(super) fn recount_statements() -> [String; 4] {
    let insert = "INSERT INTO client_certificate_days (kind, day, zone_id, n)";
    [
        "DELETE FROM client_certificate_days".to_owned(),
        format!(
            "{insert} SELECT 'issued', issued_on / {DAY}, zone_id, count(*) \
             FROM client_certificates GROUP BY 2, 3"
        ),
        format!(
            "{insert} SELECT 'revocation', revocation_requested_at / {DAY}, zone_id, count(*) \
             FROM client_certificates WHERE revocation_requested_at IS NOT NULL GROUP BY 2, 3"
        ),
        format!(
            "{insert} SELECT 'expiry', expires_on / {DAY}, zone_id, count(*) \
             FROM client_certificates WHERE status = 'active' GROUP BY 2, 3"
        ),
    ]
}

/// The same figures counted from `client_certificates` (an aggregate over up to every row), for
/// the checks that the kept ones are true: the tests and `cargo bench --bench console`.
pub mod counted {
    use super::{grouped, zone_clause, DayKind, Db, DbResult, DAY};

    /// `(status, count)` of every status present.
    pub async fn counts_by_status(
        db: &Db,
        zones: Option<&[String]>,
    ) -> DbResult<Vec<(String, i64)>> {
        let sql = format!(
            "SELECT status, COUNT(*) FROM client_certificates WHERE status IS NOT NULL{} \
             GROUP BY status",
            zone_clause(zones, 1)
        );
        grouped(db, &sql, &[], zones).await
    }

    /// `(day, count)` as [`super::per_day`] gives it.
    pub async fn per_day(
        db: &Db,
        kind: DayKind,
        from_day: i64,
        until_day: i64,
        zones: Option<&[String]>,
    ) -> DbResult<Vec<(i64, i64)>> {
        let (column, active) = match kind {
            DayKind::Issued => ("issued_on", ""),
            DayKind::Revocation => ("revocation_requested_at", ""),
            DayKind::Expiry => ("expires_on", " AND status = 'active'"),
        };
        let sql = format!(
            "SELECT {column} / {DAY} AS d, COUNT(*) FROM client_certificates \
             WHERE {column} >= $1 AND {column} < $2{active}{} GROUP BY d",
            zone_clause(zones, 3)
        );
        grouped(db, &sql, &[from_day * DAY, until_day * DAY], zones).await
    }
}

#[cfg(test)]
#[path = "console_stats_tests.rs"]
mod tests;
