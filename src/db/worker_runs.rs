//! The last completed run of each background job, for the console's overview.

use sqlx::FromRow;

use super::{db_run, Db, DbResult};

/// A job's last completed run.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct WorkerRun {
    /// The job (`worker`).
    pub name: String,
    /// The instance id of the replica that ran it.
    pub holder: String,
    /// Unix seconds.
    pub finished_at: i64,
    /// How long it took.
    pub duration_ms: i64,
    /// Certificates it moved to `revoked`.
    pub revoked: i64,
    /// Certificates it moved to `active`.
    pub reactivated: i64,
}

/// Records a run, replacing the last one.
pub async fn record(db: &Db, run: &WorkerRun) -> DbResult<()> {
    db_run!(db, |pool| {
        sqlx::query(
            "INSERT INTO worker_runs (name, holder, finished_at, duration_ms, revoked, reactivated) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (name) DO UPDATE SET \
             holder = excluded.holder, finished_at = excluded.finished_at, \
             duration_ms = excluded.duration_ms, revoked = excluded.revoked, \
             reactivated = excluded.reactivated",
        )
        .bind(&run.name)
        .bind(&run.holder)
        .bind(run.finished_at)
        .bind(run.duration_ms)
        .bind(run.revoked)
        .bind(run.reactivated)
        .execute(pool)
        .await?;
        Ok(())
    })
}

/// The last run of `name`, if any.
pub async fn last(db: &Db, name: &str) -> DbResult<Option<WorkerRun>> {
    db_run!(db, |pool| Ok(sqlx::query_as::<_, WorkerRun>(
        "SELECT name, holder, finished_at, duration_ms, revoked, reactivated FROM worker_runs \
         WHERE name = $1"
    )
    .bind(name)
    .fetch_optional(pool)
    .await?))
}
