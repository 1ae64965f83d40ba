//! The console overview's figures, mostly read from what the triggers keep rather than counted:
//! counts by status from the block counts of migration 0010 (`client_certificate_counts`), and
//! certificates by issuance day and by expiry day from the day counts of 0013
//! (`client_certificate_days`, plus the deltas in `client_certificate_day_deltas` the worker has
//! not folded yet); each adds up a few hundred rows on any number of certificates. What a
//! revocation changes is counted from an index instead, so no status change writes a day count:
//! revocation requests per day (the partial `revocation_requested_at` index) and the certificates
//! not active by expiry day (the `(status, expires_on)` index), both ranges over the few
//! certificates revoked lately. [`counted`] gives the kept figures by counting the certificates.

use super::{db_run, Db, DbResult};

/// Seconds per day, the unit of `client_certificate_days.day`.
pub const DAY: i64 = 86_400;

/// What a day count of `client_certificate_days` counts: every certificate, whatever its status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayKind {
    /// By the day of its notBefore (`issued_on`).
    Issued,
    /// By the day of its notAfter (`expires_on`).
    Expiry,
}

impl DayKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Issued => "issued",
            Self::Expiry => "expiry",
        }
    }

    fn column(self) -> &'static str {
        match self {
            Self::Issued => "issued_on",
            Self::Expiry => "expires_on",
        }
    }
}

/// Which certificates a direct count of expiries covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// `active` ones.
    Active,
    /// Every other status (revoked, or on the way to or from it).
    NotActive,
}

impl Standing {
    fn clause(self) -> &'static str {
        match self {
            Self::Active => "status = 'active'",
            Self::NotActive => {
                "status IN ('pending_revocation', 'revoked', 'pending_reactivation')"
            }
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
/// `until_day` (days are unix seconds / [`DAY`]), over `zones`: the folded counts plus the deltas
/// not folded yet.
pub async fn per_day(
    db: &Db,
    kind: DayKind,
    from_day: i64,
    until_day: i64,
    zones: Option<&[String]>,
) -> DbResult<Vec<(i64, i64)>> {
    let rows = |table: &str| {
        format!(
            "SELECT day, zone_id, n FROM {table} WHERE kind = '{}' AND day >= $1 AND day < $2",
            kind.as_str()
        )
    };
    let sql = format!(
        "SELECT day, CAST(SUM(n) AS BIGINT) FROM ({} UNION ALL {}) AS d WHERE n <> 0{} GROUP BY day",
        rows("client_certificate_days"),
        rows("client_certificate_day_deltas"),
        zone_clause(zones, 3)
    );
    grouped(db, &sql, &[from_day, until_day], zones).await
}

/// `(day, count)` of the certificates matching `clause` (`""`, or conditions ending in ` AND `)
/// whose `column` (an instant) is in `[from, until)`, over `zones`, counted from the certificates.
async fn count_per_day(
    db: &Db,
    column: &str,
    clause: &str,
    from: i64,
    until: i64,
    zones: Option<&[String]>,
) -> DbResult<Vec<(i64, i64)>> {
    let sql = format!(
        "SELECT {column} / {DAY} AS d, COUNT(*) FROM client_certificates \
         WHERE {clause}{column} >= $1 AND {column} < $2{} GROUP BY d",
        zone_clause(zones, 3)
    );
    grouped(db, &sql, &[from, until], zones).await
}

/// `(day, count)` of the certificates of `standing` whose notAfter is in `[from, until)`
/// (instants), counted from the `(status, expires_on)` index.
pub async fn expiring_per_day(
    db: &Db,
    standing: Standing,
    from: i64,
    until: i64,
    zones: Option<&[String]>,
) -> DbResult<Vec<(i64, i64)>> {
    let clause = format!("{} AND ", standing.clause());
    count_per_day(db, "expires_on", &clause, from, until, zones).await
}

/// `(day, count)` of the revocations last requested on each day from `from_day` to before
/// `until_day`, counted from the partial `revocation_requested_at` index.
pub async fn revocations_per_day(
    db: &Db,
    from_day: i64,
    until_day: i64,
    zones: Option<&[String]>,
) -> DbResult<Vec<(i64, i64)>> {
    let (column, clause) = (
        "revocation_requested_at",
        "revocation_requested_at IS NOT NULL AND ",
    );
    count_per_day(db, column, clause, from_day * DAY, until_day * DAY, zones).await
}

/// Deleted delta rows after which Postgres vacuums the deltas at once.
const VACUUM_AFTER: u64 = 10_000;

/// Moves the day deltas into the day counts, one row per (kind, day, zone) (the worker calls it);
/// how many delta rows it moved.
pub async fn fold(db: &Db) -> DbResult<u64> {
    const KEYS: &str = "kind, day, zone_id";
    const UPSERT: &str = "ON CONFLICT (kind, day, zone_id) DO UPDATE \
                          SET n = client_certificate_days.n + excluded.n";
    match db {
        // One statement: it deletes the deltas its snapshot sees and adds exactly those; one
        // committed meanwhile stays for the next fold.
        Db::Postgres(pool) => {
            let done = sqlx::query(&format!(
                "WITH moved AS (DELETE FROM client_certificate_day_deltas RETURNING {KEYS}, n) \
                 INSERT INTO client_certificate_days ({KEYS}, n) \
                 SELECT {KEYS}, SUM(n) FROM moved GROUP BY {KEYS} {UPSERT}"
            ))
            .execute(pool)
            .await?;
            sqlx::query("DELETE FROM client_certificate_days WHERE n = 0")
                .execute(pool)
                .await?;
            // The deleted deltas stay in the heap that every read scans until a vacuum.
            if done.rows_affected() >= VACUUM_AFTER {
                sqlx::raw_sql("VACUUM client_certificate_day_deltas")
                    .execute(pool)
                    .await?;
            }
            Ok(done.rows_affected())
        }
        // SQLite has one writer: the transaction's first statement takes the write lock, so no
        // delta lands between the sums and the deletion.
        Db::Sqlite(pool) => {
            let mut tx = pool.begin().await?;
            sqlx::query(&format!(
                "INSERT INTO client_certificate_days ({KEYS}, n) \
                 SELECT {KEYS}, SUM(n) FROM client_certificate_day_deltas WHERE TRUE \
                 GROUP BY {KEYS} {UPSERT}"
            ))
            .execute(&mut *tx)
            .await?;
            let done = sqlx::query("DELETE FROM client_certificate_day_deltas")
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM client_certificate_days WHERE n = 0")
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(done.rows_affected())
        }
    }
}

/// The statements that recount every day from the certificates themselves (a restore runs them
/// after copying the tables, in the same transaction).
pub(super) fn recount_statements() -> [String; 4] {
    let insert = "INSERT INTO client_certificate_days (kind, day, zone_id, n)";
    let by = |kind: DayKind| {
        format!(
            "{insert} SELECT '{}', {} / {DAY}, zone_id, count(*) FROM client_certificates \
             GROUP BY 2, 3",
            kind.as_str(),
            kind.column()
        )
    };
    [
        "DELETE FROM client_certificate_day_deltas".to_owned(),
        "DELETE FROM client_certificate_days".to_owned(),
        by(DayKind::Issued),
        by(DayKind::Expiry),
    ]
}

/// The kept figures counted from `client_certificates` (an aggregate over up to every row), for
/// the checks that they are true: the tests and `cargo bench --bench console`.
pub mod counted {
    use super::{count_per_day, grouped, zone_clause, DayKind, Db, DbResult, DAY};

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
        let (from, until) = (from_day * DAY, until_day * DAY);
        count_per_day(db, kind.column(), "", from, until, zones).await
    }
}

#[cfg(test)]
#[path = "console_stats_tests.rs"]
mod tests;
