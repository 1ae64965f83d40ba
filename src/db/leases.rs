//! Leases: a job runs on exactly one replica at a time; a dead holder's lease expires.

use super::{db_run, Db, DbResult};

/// Takes or renews the lease `name` for `holder` until `expires_at`, unless another holder's
/// lease is still running at `now`. Returns whether `holder` holds it now.
pub async fn acquire(
    db: &Db,
    name: &str,
    holder: &str,
    now: i64,
    expires_at: i64,
) -> DbResult<bool> {
    db_run!(db, |pool| {
        Ok(sqlx::query(
        "INSERT INTO worker_leases (name, holder, expires_at) VALUES ($1, $2, $3) \
         ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at \
         WHERE worker_leases.holder = excluded.holder OR worker_leases.expires_at < $4"
    )
    .bind(name)
    .bind(holder)
    .bind(expires_at)
    .bind(now)
    .execute(pool)
    .await?
    .rows_affected()
        == 1)
    })
}

/// Gives the lease up (on shutdown), so another replica need not wait for it to expire.
pub async fn release(db: &Db, name: &str, holder: &str) -> DbResult<()> {
    db_run!(db, |pool| {
        sqlx::query("DELETE FROM worker_leases WHERE name = $1 AND holder = $2")
            .bind(name)
            .bind(holder)
            .execute(pool)
            .await?;
        Ok(())
    })
}
