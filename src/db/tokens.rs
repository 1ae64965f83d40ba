//! API tokens in Cloudflare's model. Only the secret's hash is stored; policies and the condition
//! are JSON in the wire form. Every change writes its audit entry in the same transaction.

use sqlx::FromRow;

use super::audit::{insert_audit, AuditRow};
use super::{db_run, Db, DbResult};

/// A stored API token.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct TokenRow {
    /// 32 hex digits.
    pub id: String,
    /// The owning account.
    pub account_id: String,
    /// Chosen by whoever made it.
    pub name: String,
    /// Hex SHA-256 of the secret.
    pub secret_hash: String,
    /// Cloudflare's policies, JSON.
    pub policies: String,
    /// `{"request_ip": ...}`, JSON, or NULL.
    pub condition: Option<String>,
    /// Unix seconds before which the token does not work.
    pub not_before: Option<i64>,
    /// Unix seconds from which the token no longer works.
    pub expires_on: Option<i64>,
    /// A disabled token authenticates nothing.
    pub disabled: bool,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds of the last change.
    pub modified_at: i64,
    /// Unix seconds of the last use, kept to the minute.
    pub last_used_at: Option<i64>,
    /// The user who made it; `None` for a token the CLI made.
    pub owner_user_id: Option<String>,
}

/// A token found by its secret, with its owner's state.
#[derive(Debug, Clone, FromRow)]
pub struct TokenAuthRow {
    /// The token.
    #[sqlx(flatten)]
    pub token: TokenRow,
    /// The owner's email.
    pub owner_email: Option<String>,
    /// Whether the owner is disabled (which disables the token too).
    pub owner_disabled: Option<bool>,
}

const COLUMNS: &str = "t.id, t.account_id, t.name, t.secret_hash, t.policies, t.condition, \
    t.not_before, t.expires_on, t.disabled, t.created_at, t.modified_at, t.last_used_at, \
    t.owner_user_id";

/// Inserts a token with its audit entry.
pub async fn insert(db: &Db, row: &TokenRow, audit: &AuditRow) -> DbResult<()> {
    db_run!(db, |pool| {
        let mut tx = pool.begin().await?;
        sqlx::query(
            "INSERT INTO api_tokens (id, account_id, name, secret_hash, policies, condition, \
             not_before, expires_on, disabled, created_at, modified_at, last_used_at, owner_user_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(&row.id)
        .bind(&row.account_id)
        .bind(&row.name)
        .bind(&row.secret_hash)
        .bind(&row.policies)
        .bind(&row.condition)
        .bind(row.not_before)
        .bind(row.expires_on)
        .bind(row.disabled)
        .bind(row.created_at)
        .bind(row.modified_at)
        .bind(row.last_used_at)
        .bind(&row.owner_user_id)
        .execute(&mut *tx)
        .await?;
        insert_audit!(&mut *tx, audit);
        tx.commit().await?;
        Ok(())
    })
}

/// A token with its owner's state, selected by a condition on `t.` with one parameter.
fn with_owner(condition: &str) -> String {
    format!(
        "SELECT {COLUMNS}, u.email AS owner_email, u.disabled AS owner_disabled \
         FROM api_tokens t LEFT JOIN users u ON u.id = t.owner_user_id WHERE {condition}"
    )
}

/// The token whose secret hashes to `secret_hash`, with its owner's state.
pub async fn find_by_hash(db: &Db, secret_hash: &str) -> DbResult<Option<TokenAuthRow>> {
    let sql = with_owner("t.secret_hash = $1");
    db_run!(db, |pool| Ok(sqlx::query_as::<_, TokenAuthRow>(&sql)
        .bind(secret_hash)
        .fetch_optional(pool)
        .await?))
}

/// The token with this id, with its owner's state (authentication by a bound certificate).
pub async fn find_with_owner(db: &Db, id: &str) -> DbResult<Option<TokenAuthRow>> {
    let sql = with_owner("t.id = $1");
    db_run!(db, |pool| Ok(sqlx::query_as::<_, TokenAuthRow>(&sql)
        .bind(id)
        .fetch_optional(pool)
        .await?))
}

/// The account's token with this id.
pub async fn get(db: &Db, account_id: &str, id: &str) -> DbResult<Option<TokenRow>> {
    let sql = format!("SELECT {COLUMNS} FROM api_tokens t WHERE t.account_id = $1 AND t.id = $2");
    db_run!(db, |pool| Ok(sqlx::query_as::<_, TokenRow>(&sql)
        .bind(account_id)
        .bind(id)
        .fetch_optional(pool)
        .await?))
}

/// The account's tokens, oldest first.
pub async fn list(db: &Db, account_id: &str) -> DbResult<Vec<TokenRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM api_tokens t WHERE t.account_id = $1 ORDER BY t.created_at, t.id"
    );
    db_run!(db, |pool| Ok(sqlx::query_as::<_, TokenRow>(&sql)
        .bind(account_id)
        .fetch_all(pool)
        .await?))
}

/// True when the account has a token of this name (case-insensitive).
pub async fn name_taken(db: &Db, account_id: &str, name: &str) -> DbResult<bool> {
    db_run!(db, |pool| Ok(sqlx::query(
        "SELECT 1 FROM api_tokens WHERE account_id = $1 AND lower(name) = lower($2)"
    )
    .bind(account_id)
    .bind(name)
    .fetch_optional(pool)
    .await?
    .is_some()))
}

/// Writes the changeable fields of `row` (name, policies, condition, validity, disabled, secret,
/// modified_at) if the stored token still has `expected_modified_at`; false when it changed meanwhile
/// or is gone.
pub async fn update(
    db: &Db,
    row: &TokenRow,
    expected_modified_at: i64,
    audit: &AuditRow,
) -> DbResult<bool> {
    db_run!(db, |pool| {
        let mut tx = pool.begin().await?;
        let n = sqlx::query(
            "UPDATE api_tokens SET name = $1, policies = $2, condition = $3, not_before = $4, \
             expires_on = $5, disabled = $6, secret_hash = $7, modified_at = $8 \
             WHERE id = $9 AND account_id = $10 AND modified_at = $11",
        )
        .bind(&row.name)
        .bind(&row.policies)
        .bind(&row.condition)
        .bind(row.not_before)
        .bind(row.expires_on)
        .bind(row.disabled)
        .bind(&row.secret_hash)
        .bind(row.modified_at)
        .bind(&row.id)
        .bind(&row.account_id)
        .bind(expected_modified_at)
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

/// Deletes the token; false when it was not there.
pub async fn delete(db: &Db, account_id: &str, id: &str, audit: &AuditRow) -> DbResult<bool> {
    db_run!(db, |pool| {
        let mut tx = pool.begin().await?;
        // Its certificate bindings go with it (they authenticate as nothing else).
        sqlx::query(
            "DELETE FROM api_token_certificates WHERE token_id IN \
             (SELECT id FROM api_tokens WHERE id = $1 AND account_id = $2)",
        )
        .bind(id)
        .bind(account_id)
        .execute(&mut *tx)
        .await?;
        let n = sqlx::query("DELETE FROM api_tokens WHERE id = $1 AND account_id = $2")
            .bind(id)
            .bind(account_id)
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

/// Records a use at `now` unless one was recorded in the last minute.
pub async fn touch(db: &Db, id: &str, now: i64) -> DbResult<()> {
    db_run!(db, |pool| {
        sqlx::query(
            "UPDATE api_tokens SET last_used_at = $1 WHERE id = $2 \
             AND (last_used_at IS NULL OR last_used_at <= $1 - 60)",
        )
        .bind(now)
        .bind(id)
        .execute(pool)
        .await?;
        Ok(())
    })
}
