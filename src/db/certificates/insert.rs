//! Batched inserts of client certificates: every row of a batch, and its audit entries, in one
//! transaction, and only into zones that are still live.

use super::{CertRow, COLUMNS};
use crate::db::audit::{insert_audit, AuditRow};
use crate::db::zones::LOCK_LIVE_ZONE;
use crate::db::{db_run, Db, DbError, DbResult};

/// Inserts every row, and every audit entry, in one transaction: all are committed, or none.
pub async fn insert_batch(db: &Db, rows: &[CertRow], audits: &[AuditRow]) -> DbResult<()> {
    let sql = format!(
        "INSERT INTO client_certificates ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, \
         $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)"
    );
    let mut zones: Vec<&str> = rows.iter().map(|r| r.zone_id.as_str()).collect();
    zones.sort_unstable();
    zones.dedup();
    db_run!(db, |pool| {
        let mut tx = pool.begin().await?;
        for zone in &zones {
            let live = sqlx::query(LOCK_LIVE_ZONE)
                .bind(zone)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if live != 1 {
                // Deleted while the certificate was being signed: as if the row had gone.
                return Err(DbError::ForeignKeyViolation);
            }
        }
        for r in rows {
            sqlx::query(&sql)
                .bind(&r.id)
                .bind(&r.zone_id)
                .bind(&r.ca_id)
                .bind(&r.serial_number)
                .bind(&r.certificate)
                .bind(&r.csr)
                .bind(&r.common_name)
                .bind(&r.country)
                .bind(&r.state)
                .bind(&r.location)
                .bind(&r.organization)
                .bind(&r.organizational_unit)
                .bind(&r.fingerprint_sha256)
                .bind(&r.ski)
                .bind(&r.signature)
                .bind(r.status.as_str())
                .bind(r.validity_days)
                .bind(r.issued_on)
                .bind(r.expires_on)
                .bind(r.status_changed_at)
                .bind(r.revocation_requested_at)
                .execute(&mut *tx)
                .await?;
        }
        for audit in audits {
            insert_audit!(&mut *tx, audit);
        }
        tx.commit().await?;
        Ok(())
    })
}
