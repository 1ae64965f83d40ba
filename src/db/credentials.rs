//! API tokens (with their zone scope) and users with a Global API Key. Only hashes are stored.

use sqlx::FromRow;

use super::{db_run, Db, DbResult};

/// A stored API token.
#[derive(Debug, Clone, FromRow)]
pub struct TokenRow {
    /// 32 hex digits.
    pub id: String,
    /// The owning account.
    pub account_id: String,
    /// Chosen by the operator.
    pub name: String,
    /// Hex SHA-256 of the secret.
    pub secret_hash: String,
    /// `read` or `write`.
    pub permission: String,
    /// True when the token is not limited to listed zones.
    pub all_zones: bool,
    /// A disabled token authenticates nothing.
    pub disabled: bool,
    /// Unix seconds.
    pub created_at: i64,
}

/// A stored user with a Global API Key.
#[derive(Debug, Clone, FromRow)]
pub struct UserRow {
    /// 32 hex digits.
    pub id: String,
    /// The owning account.
    pub account_id: String,
    /// Unique; sent as `X-Auth-Email`.
    pub email: String,
    /// Hex SHA-256 of the key.
    pub key_hash: String,
    /// A disabled user authenticates nothing.
    pub disabled: bool,
    /// Unix seconds.
    pub created_at: i64,
}

/// Inserts a token and its zone scope in one transaction.
pub async fn insert_token(db: &Db, row: &TokenRow, zone_ids: &[String]) -> DbResult<()> {
    db_run!(db, |pool| {
        let mut tx = pool.begin().await?;
        sqlx::query(
            "INSERT INTO api_tokens (id, account_id, name, secret_hash, permission, all_zones, \
             disabled, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&row.id)
        .bind(&row.account_id)
        .bind(&row.name)
        .bind(&row.secret_hash)
        .bind(&row.permission)
        .bind(row.all_zones)
        .bind(row.disabled)
        .bind(row.created_at)
        .execute(&mut *tx)
        .await?;
        for zone_id in zone_ids {
            sqlx::query("INSERT INTO api_token_zones (token_id, zone_id) VALUES ($1, $2)")
                .bind(&row.id)
                .bind(zone_id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    })
}

/// The token whose secret hashes to `secret_hash`, if any.
pub async fn find_token_by_hash(db: &Db, secret_hash: &str) -> DbResult<Option<TokenRow>> {
    db_run!(db, |pool| Ok(sqlx::query_as::<_, TokenRow>(
        "SELECT id, account_id, name, secret_hash, permission, all_zones, disabled, created_at \
         FROM api_tokens WHERE secret_hash = $1"
    )
    .bind(secret_hash)
    .fetch_optional(pool)
    .await?))
}

/// True when the token's scope lists the zone.
pub async fn token_has_zone(db: &Db, token_id: &str, zone_id: &str) -> DbResult<bool> {
    db_run!(db, |pool| Ok(sqlx::query(
        "SELECT 1 FROM api_token_zones WHERE token_id = $1 AND zone_id = $2"
    )
    .bind(token_id)
    .bind(zone_id)
    .fetch_optional(pool)
    .await?
    .is_some()))
}

/// Inserts a user; a duplicate email is `DbError::UniqueViolation`.
pub async fn insert_user(db: &Db, row: &UserRow) -> DbResult<()> {
    db_run!(db, |pool| {
        sqlx::query(
            "INSERT INTO users (id, account_id, email, key_hash, disabled, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&row.id)
        .bind(&row.account_id)
        .bind(&row.email)
        .bind(&row.key_hash)
        .bind(row.disabled)
        .bind(row.created_at)
        .execute(pool)
        .await?;
        Ok(())
    })
}

/// The user with this email, if any.
pub async fn find_user_by_email(db: &Db, email: &str) -> DbResult<Option<UserRow>> {
    db_run!(db, |pool| Ok(sqlx::query_as::<_, UserRow>(
        "SELECT id, account_id, email, key_hash, disabled, created_at FROM users WHERE email = $1"
    )
    .bind(email)
    .fetch_optional(pool)
    .await?))
}
