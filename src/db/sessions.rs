//! Console sessions: one row per signed-in browser, keyed by the SHA-256 of its cookie's id.

use sqlx::FromRow;

use super::audit::{insert_audit, AuditRow};
use super::{db_run, Db, DbResult};

/// A stored console session.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct SessionRow {
    /// Hex SHA-256 of the session id.
    pub id_hash: String,
    /// The account signed in to.
    pub account_id: String,
    /// `token` or `key`.
    pub credential: String,
    /// The token's `secret_hash`, or the user's `key_hash`.
    pub credential_hash: String,
    /// The user's email (`key`), `""` for a token.
    pub email: String,
    /// The per-session CSRF token.
    pub csrf_token: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds from which the session no longer works.
    pub expires_at: i64,
}

const COLUMNS: &str =
    "id_hash, account_id, credential, credential_hash, email, csrf_token, created_at, expires_at";

/// Stores a new session, and its sign-in's audit entry in the same transaction.
pub async fn insert(db: &Db, row: &SessionRow, audit: &AuditRow) -> DbResult<()> {
    let sql =
        format!("INSERT INTO console_sessions ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)");
    db_run!(db, |pool| {
        let mut tx = pool.begin().await?;
        sqlx::query(&sql)
            .bind(&row.id_hash)
            .bind(&row.account_id)
            .bind(&row.credential)
            .bind(&row.credential_hash)
            .bind(&row.email)
            .bind(&row.csrf_token)
            .bind(row.created_at)
            .bind(row.expires_at)
            .execute(&mut *tx)
            .await?;
        insert_audit!(&mut *tx, audit);
        tx.commit().await?;
        Ok(())
    })
}

/// The session with this id hash that is still valid at `now`.
pub async fn find(db: &Db, id_hash: &str, now: i64) -> DbResult<Option<SessionRow>> {
    let sql =
        format!("SELECT {COLUMNS} FROM console_sessions WHERE id_hash = $1 AND expires_at > $2");
    db_run!(db, |pool| Ok(sqlx::query_as::<_, SessionRow>(&sql)
        .bind(id_hash)
        .bind(now)
        .fetch_optional(pool)
        .await?))
}

/// Ends a session (sign-out), writing `audit` in the same transaction when there was one to end;
/// whether there was.
pub async fn delete(db: &Db, id_hash: &str, audit: &AuditRow) -> DbResult<bool> {
    db_run!(db, |pool| {
        let mut tx = pool.begin().await?;
        let gone = sqlx::query("DELETE FROM console_sessions WHERE id_hash = $1")
            .bind(id_hash)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if gone == 0 {
            return Ok(false);
        }
        insert_audit!(&mut *tx, audit);
        tx.commit().await?;
        Ok(true)
    })
}

/// Forgets the sessions that ended before `now`; returns how many.
pub async fn delete_expired(db: &Db, now: i64) -> DbResult<u64> {
    db_run!(db, |pool| Ok(sqlx::query(
        "DELETE FROM console_sessions WHERE expires_at <= $1"
    )
    .bind(now)
    .execute(pool)
    .await?
    .rows_affected()))
}
