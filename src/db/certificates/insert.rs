//! Batched inserts of client certificates: every row of a batch, and its audit entries, in one
//! transaction, and only into zones that are still live.

use super::{CertRow, COLUMNS};
use sqlx::QueryBuilder;

use crate::db::audit::{insert_audits, AuditRow};
use crate::db::zones::LOCK_LIVE_ZONE;
use crate::db::{db_run, Db, DbError, DbResult};

/// Rows per INSERT statement: 21 bound values each, well under SQLite's 32,766 and Postgres's
/// 65,535 parameters.
const ROWS_PER_STATEMENT: usize = 256;

/// Inserts every row, and every audit entry, in one transaction: all are committed, or none.
/// One multi-row INSERT per table (per 256 rows), so a batch costs a few statements whatever its
/// size: each statement is a round trip to SQLite's connection thread or to the Postgres server.
pub async fn insert_batch(db: &Db, rows: &[CertRow], audits: &[AuditRow]) -> DbResult<()> {
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
        for chunk in rows.chunks(ROWS_PER_STATEMENT) {
            let mut insert =
                QueryBuilder::new(format!("INSERT INTO client_certificates ({COLUMNS}) "));
            insert.push_values(chunk, |mut b, r| {
                b.push_bind(&r.id)
                    .push_bind(&r.zone_id)
                    .push_bind(&r.ca_id)
                    .push_bind(&r.serial_number)
                    .push_bind(&r.certificate)
                    .push_bind(&r.csr)
                    .push_bind(&r.common_name)
                    .push_bind(&r.country)
                    .push_bind(&r.state)
                    .push_bind(&r.location)
                    .push_bind(&r.organization)
                    .push_bind(&r.organizational_unit)
                    .push_bind(&r.fingerprint_sha256)
                    .push_bind(&r.ski)
                    .push_bind(&r.signature)
                    .push_bind(r.status.as_str())
                    .push_bind(r.validity_days)
                    .push_bind(r.issued_on)
                    .push_bind(r.expires_on)
                    .push_bind(r.status_changed_at)
                    .push_bind(r.revocation_requested_at);
            });
            // Not kept prepared: every batch size would be a statement of its own in the cache.
            insert.build().persistent(false).execute(&mut *tx).await?;
        }
        for chunk in audits.chunks(ROWS_PER_STATEMENT) {
            insert_audits!(&mut *tx, chunk);
        }
        tx.commit().await?;
        Ok(())
    })
}
