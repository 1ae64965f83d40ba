//! Tables of delta rows kept by triggers (`client_certificate_counts` of migration 0010,
//! `client_certificate_days` of 0013): every write appends rows of `n` (never updates one in place,
//! so concurrent writers never wait on one another), readers add them up, and [`fold`] now and then
//! replaces the rows of each key with their sum.

use super::{Db, DbResult};

/// Folded rows after which Postgres vacuums the table at once.
const VACUUM_AFTER: u64 = 10_000;

/// Folds the delta rows of each key (`keys`: the comma-separated key columns) of `table` into one
/// row; how many rows it folded.
pub(super) async fn fold(db: &Db, table: &str, keys: &str) -> DbResult<u64> {
    let groups = format!("SELECT {keys} FROM {table} GROUP BY {keys} HAVING count(*) > 1");
    match db {
        // One statement, so the rows deleted are exactly the rows summed, whatever commits beside.
        Db::Postgres(pool) => {
            let done = sqlx::query(&format!(
                "WITH folded AS (DELETE FROM {table} WHERE ({keys}) IN ({groups}) \
                 RETURNING {keys}, n) \
                 INSERT INTO {table} ({keys}, n) SELECT {keys}, SUM(n) FROM folded GROUP BY {keys}"
            ))
            .execute(pool)
            .await?;
            // The folded rows leave dead index entries that every index-only read steps over
            // until a vacuum (a million after a bulk load: 20 ms instead of 1 ms); autovacuum may
            // wait a minute, so a large fold vacuums the small table at once.
            if done.rows_affected() >= VACUUM_AFTER {
                sqlx::raw_sql(&format!("VACUUM {table}"))
                    .execute(pool)
                    .await?;
            }
            Ok(done.rows_affected())
        }
        // SQLite has one writer: the transaction's first statement takes the write lock, so
        // nothing lands between the sums and the deletion.
        Db::Sqlite(pool) => {
            let mut tx = pool.begin().await?;
            let first: Option<i64> = sqlx::query_scalar(&format!(
                "INSERT INTO {table} ({keys}, n) SELECT {keys}, SUM(n) FROM {table} \
                 WHERE ({keys}) IN ({groups}) GROUP BY {keys} RETURNING seq"
            ))
            .fetch_all(&mut *tx)
            .await?
            .into_iter()
            .min();
            let Some(first) = first else {
                return Ok(0);
            };
            let done = sqlx::query(&format!(
                "DELETE FROM {table} WHERE seq < $1 AND ({keys}) \
                 IN (SELECT {keys} FROM {table} WHERE seq >= $1)"
            ))
            .bind(first)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(done.rows_affected())
        }
    }
}
