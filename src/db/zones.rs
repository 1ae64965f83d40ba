//! Zones: the unit a client certificate and a scoped token belong to.

use sqlx::FromRow;

use super::audit::{insert_audit, AuditRow};
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
    /// Unix seconds of the last change.
    pub modified_at: i64,
}

const COLUMNS: &str = "id, account_id, name, created_at, modified_at";

/// Inserts a zone with its audit entry; a duplicate name in the account is
/// `DbError::UniqueViolation`.
pub async fn insert_zone(db: &Db, row: &ZoneRow, audit: &AuditRow) -> DbResult<()> {
    db_run!(db, |pool| {
        let mut tx = pool.begin().await?;
        sqlx::query(
            "INSERT INTO zones (id, account_id, name, created_at, modified_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&row.id)
        .bind(&row.account_id)
        .bind(&row.name)
        .bind(row.created_at)
        .bind(row.modified_at)
        .execute(&mut *tx)
        .await?;
        insert_audit!(&mut *tx, audit);
        tx.commit().await?;
        Ok(())
    })
}

/// The account's zones (only the one named `name`, when given), oldest first; deleted ones are
/// left out.
pub async fn list_zones(db: &Db, account_id: &str, name: Option<&str>) -> DbResult<Vec<ZoneRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM zones WHERE account_id = $1 AND deleted_at IS NULL \
         AND ($2 IS NULL OR lower(name) = lower($2)) ORDER BY created_at, name"
    );
    db_run!(db, |pool| Ok(sqlx::query_as::<_, ZoneRow>(&sql)
        .bind(account_id)
        .bind(name)
        .fetch_all(pool)
        .await?))
}

/// The account's zone with this id, if any and not deleted.
pub async fn find_zone(db: &Db, account_id: &str, zone_id: &str) -> DbResult<Option<ZoneRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM zones WHERE id = $1 AND account_id = $2 AND deleted_at IS NULL"
    );
    db_run!(db, |pool| Ok(sqlx::query_as::<_, ZoneRow>(&sql)
        .bind(zone_id)
        .bind(account_id)
        .fetch_optional(pool)
        .await?))
}

/// What [`delete_zone`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ZoneDeletion {
    /// Gone, with its audit entry: it had no certificates.
    Deleted,
    /// Deleted, with its audit entry, but kept as a row for its certificates (this many, every
    /// one revoked or pending revocation) to point at.
    Retired(i64),
    /// Not there.
    Missing,
    /// Refused: it still has this many certificates that are active or pending reactivation.
    HasLiveCertificates(i64),
}

/// Deletes a zone of the account. One without certificates goes; one whose certificates are all
/// revoked or pending revocation is marked deleted and kept for them (certificates are never
/// deleted); one with an active or reactivating certificate stays.
pub async fn delete_zone(
    db: &Db,
    account_id: &str,
    zone_id: &str,
    now: i64,
    audit: &AuditRow,
) -> DbResult<ZoneDeletion> {
    db_run!(db, |pool| {
        // Write first (SQLite cannot upgrade a read transaction while another process writes).
        let mut tx = pool.begin().await?;
        let n = sqlx::query(
            "DELETE FROM zones WHERE id = $1 AND account_id = $2 AND deleted_at IS NULL \
             AND NOT EXISTS (SELECT 1 FROM client_certificates WHERE zone_id = $1)",
        )
        .bind(zone_id)
        .bind(account_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 1 {
            insert_audit!(&mut *tx, audit);
            tx.commit().await?;
            return Ok(ZoneDeletion::Deleted);
        }
        // The zone row first: an issuance or a reactivation in the zone writes it too (see
        // `LOCK_LIVE_ZONE`), so the two serialise and the count below sees whichever came first.
        let n = sqlx::query(
            "UPDATE zones SET deleted_at = $3, modified_at = $3, name = id || ' ' || name \
             WHERE id = $1 AND account_id = $2 AND deleted_at IS NULL",
        )
        .bind(zone_id)
        .bind(account_id)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n != 1 {
            return Ok(ZoneDeletion::Missing);
        }
        let live: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM client_certificates WHERE zone_id = $1 \
             AND status IN ('active', 'pending_reactivation')",
        )
        .bind(zone_id)
        .fetch_one(&mut *tx)
        .await?;
        if live > 0 {
            return Ok(ZoneDeletion::HasLiveCertificates(live));
        }
        let kept: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM client_certificates WHERE zone_id = $1")
                .bind(zone_id)
                .fetch_one(&mut *tx)
                .await?;
        insert_audit!(&mut *tx, audit);
        tx.commit().await?;
        Ok(ZoneDeletion::Retired(kept))
    })
}

/// Writes a live zone's row without changing it (`$1` the zone id): run first in a transaction that
/// adds or reactivates a certificate of the zone, so that a concurrent [`delete_zone`] either waits
/// for it or has already marked the zone deleted (then no row is affected).
pub(super) const LOCK_LIVE_ZONE: &str =
    "UPDATE zones SET modified_at = modified_at WHERE id = $1 AND deleted_at IS NULL";

#[cfg(test)]
#[path = "zones_tests.rs"]
mod tests;
