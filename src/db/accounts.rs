//! Accounts (their CAs are in [`super::cas`]).

use sqlx::FromRow;

use super::{db_run, Db, DbResult};

/// A stored account.
#[derive(Debug, Clone, FromRow)]
pub struct AccountRow {
    /// 32 hex digits.
    pub id: String,
    /// Unique name; the default account is `default`.
    pub name: String,
    /// Unix seconds.
    pub created_at: i64,
}

/// Inserts the account unless one of that name exists; returns the one stored under the name.
pub async fn ensure_account(db: &Db, row: &AccountRow) -> DbResult<AccountRow> {
    db_run!(db, |pool| {
        sqlx::query(
            "INSERT INTO accounts (id, name, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(&row.id)
        .bind(&row.name)
        .bind(row.created_at)
        .execute(pool)
        .await?;
        let stored = sqlx::query_as::<_, AccountRow>(
            "SELECT id, name, created_at FROM accounts WHERE name = $1",
        )
        .bind(&row.name)
        .fetch_one(pool)
        .await?;
        Ok(stored)
    })
}

/// The account of this name, if any.
pub async fn find_account_by_name(db: &Db, name: &str) -> DbResult<Option<AccountRow>> {
    db_run!(db, |pool| Ok(sqlx::query_as::<_, AccountRow>(
        "SELECT id, name, created_at FROM accounts WHERE name = $1"
    )
    .bind(name)
    .fetch_optional(pool)
    .await?))
}

/// The account with this id, if any.
pub async fn find_account(db: &Db, id: &str) -> DbResult<Option<AccountRow>> {
    db_run!(db, |pool| Ok(sqlx::query_as::<_, AccountRow>(
        "SELECT id, name, created_at FROM accounts WHERE id = $1"
    )
    .bind(id)
    .fetch_optional(pool)
    .await?))
}
