//! Users with a Global API Key (only its hash is stored). Emails compare case-insensitively.

use sqlx::FromRow;

use super::audit::{insert_audit, AuditRow};
use super::{db_run, Db, DbResult};

/// A stored user.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct UserRow {
    /// 32 hex digits.
    pub id: String,
    /// The owning account.
    pub account_id: String,
    /// Unique (case-insensitively); sent as `X-Auth-Email`.
    pub email: String,
    /// Hex SHA-256 of the key.
    pub key_hash: String,
    /// A disabled user authenticates nothing, and neither do its tokens.
    pub disabled: bool,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds of the last change.
    pub modified_at: i64,
}

const COLUMNS: &str = "id, account_id, email, key_hash, disabled, created_at, modified_at";

/// Inserts a user with its audit entry; an email taken (in any case) is `DbError::UniqueViolation`.
pub async fn insert(db: &Db, row: &UserRow, audit: &AuditRow) -> DbResult<()> {
    db_run!(db, |pool| {
        // One statement that writes first: a read-then-write transaction could not upgrade its
        // lock while another process writes (SQLite answers SQLITE_BUSY at once).
        let mut tx = pool.begin().await?;
        let n = sqlx::query(
            "INSERT INTO users (id, account_id, email, key_hash, disabled, created_at, modified_at) \
             SELECT $1, $2, $3, $4, $5, $6, $7 \
             WHERE NOT EXISTS (SELECT 1 FROM users WHERE lower(email) = lower($3))",
        )
        .bind(&row.id)
        .bind(&row.account_id)
        .bind(&row.email)
        .bind(&row.key_hash)
        .bind(row.disabled)
        .bind(row.created_at)
        .bind(row.modified_at)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n != 1 {
            return Err(super::DbError::UniqueViolation);
        }
        insert_audit!(&mut *tx, audit);
        tx.commit().await?;
        Ok(())
    })
}

/// The user with this email (case-insensitive).
pub async fn find_by_email(db: &Db, email: &str) -> DbResult<Option<UserRow>> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE lower(email) = lower($1)");
    db_run!(db, |pool| Ok(sqlx::query_as::<_, UserRow>(&sql)
        .bind(email)
        .fetch_optional(pool)
        .await?))
}

/// The account's users, oldest first.
pub async fn list(db: &Db, account_id: &str) -> DbResult<Vec<UserRow>> {
    let sql =
        format!("SELECT {COLUMNS} FROM users WHERE account_id = $1 ORDER BY created_at, email");
    db_run!(db, |pool| Ok(sqlx::query_as::<_, UserRow>(&sql)
        .bind(account_id)
        .fetch_all(pool)
        .await?))
}

/// Sets `disabled`; false when the user already was in that state (nothing written).
pub async fn set_disabled(
    db: &Db,
    id: &str,
    disabled: bool,
    now: i64,
    audit: &AuditRow,
) -> DbResult<bool> {
    db_run!(db, |pool| {
        let mut tx = pool.begin().await?;
        let n = sqlx::query(
            "UPDATE users SET disabled = $1, modified_at = $2 WHERE id = $3 AND disabled <> $1",
        )
        .bind(disabled)
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n != 1 {
            return Ok(false);
        }
        insert_audit!(&mut *tx, audit);
        tx.commit().await?;
        Ok(true)
    })
}
