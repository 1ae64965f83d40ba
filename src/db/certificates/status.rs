//! Compare-and-set status changes of a client certificate (revocation and reactivation requests),
//! each one statement with its audit entry in the same transaction.

use super::{CertRow, COLUMNS};
use crate::db::audit::{insert_audit, AuditRow};
use crate::db::zones::LOCK_LIVE_ZONE;
use crate::db::{db_run, Db, DbResult};

/// Moves an `active` or `pending_reactivation` certificate to `pending_revocation`, in one statement.
/// `None` when it was in neither state (or does not exist).
pub async fn request_revocation(
    db: &Db,
    zone_id: &str,
    id: &str,
    now: i64,
    audit: &AuditRow,
) -> DbResult<Option<CertRow>> {
    let sql = format!(
        "UPDATE client_certificates SET status = 'pending_revocation', status_changed_at = $1, \
         revocation_requested_at = $1 WHERE id = $2 AND zone_id = $3 \
         AND status IN ('active', 'pending_reactivation') RETURNING {COLUMNS}"
    );
    move_status(db, &sql, zone_id, id, now, audit, false).await
}

/// Moves a `revoked` or `pending_revocation` certificate to `pending_reactivation`, in one statement.
/// `None` when it was in neither state (or does not exist), or its zone is deleted.
pub async fn request_reactivation(
    db: &Db,
    zone_id: &str,
    id: &str,
    now: i64,
    audit: &AuditRow,
) -> DbResult<Option<CertRow>> {
    let sql = format!(
        "UPDATE client_certificates SET status = 'pending_reactivation', status_changed_at = $1 \
         WHERE id = $2 AND zone_id = $3 AND status IN ('revoked', 'pending_revocation') \
         RETURNING {COLUMNS}"
    );
    move_status(db, &sql, zone_id, id, now, audit, true).await
}

/// Runs a status `UPDATE ... RETURNING` (`$1` now, `$2` id, `$3` zone) and, when it moved a row,
/// writes `audit` in the same transaction. With `live_zone`, only while the zone is not deleted.
async fn move_status(
    db: &Db,
    sql: &str,
    zone_id: &str,
    id: &str,
    now: i64,
    audit: &AuditRow,
    live_zone: bool,
) -> DbResult<Option<CertRow>> {
    db_run!(db, |pool| {
        let mut tx = pool.begin().await?;
        if live_zone {
            let n = sqlx::query(LOCK_LIVE_ZONE)
                .bind(zone_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if n != 1 {
                return Ok(None);
            }
        }
        let row = sqlx::query_as::<_, CertRow>(sql)
            .bind(now)
            .bind(id)
            .bind(zone_id)
            .fetch_optional(&mut *tx)
            .await?;
        if row.is_some() {
            insert_audit!(&mut *tx, audit);
            tx.commit().await?;
        }
        Ok(row)
    })
}
