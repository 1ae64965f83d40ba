//! Zones: the unit a client certificate and a scoped token belong to.

use sqlx::FromRow;

use super::{db_run, Db, DbResult};

/// A stored zone.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct ZoneRow {
    /// 32 hex digits.
    pub id: String,
    /// The owning account.
    pub account_id: String,
    /// Unique within the account.
    pub name: String,
    /// Unix seconds.
    pub created_at: i64,
}

/// Inserts a zone; a duplicate name in the account is `DbError::UniqueViolation`.
pub async fn insert_zone(db: &Db, row: &ZoneRow) -> DbResult<()> {
    db_run!(db, |pool| {
        sqlx::query("INSERT INTO zones (id, account_id, name, created_at) VALUES ($1, $2, $3, $4)")
            .bind(&row.id)
            .bind(&row.account_id)
            .bind(&row.name)
            .bind(row.created_at)
            .execute(pool)
            .await?;
        Ok(())
    })
}

/// The account's zones, oldest first.
pub async fn list_zones(db: &Db, account_id: &str) -> DbResult<Vec<ZoneRow>> {
    db_run!(db, |pool| Ok(sqlx::query_as::<_, ZoneRow>(
        "SELECT id, account_id, name, created_at FROM zones WHERE account_id = $1 \
         ORDER BY created_at, name"
    )
    .bind(account_id)
    .fetch_all(pool)
    .await?))
}

/// The zone with this id, if any.
pub async fn find_zone(db: &Db, zone_id: &str) -> DbResult<Option<ZoneRow>> {
    db_run!(db, |pool| Ok(sqlx::query_as::<_, ZoneRow>(
        "SELECT id, account_id, name, created_at FROM zones WHERE id = $1"
    )
    .bind(zone_id)
    .fetch_optional(pool)
    .await?))
}
