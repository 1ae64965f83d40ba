//! Which client certificate authenticates as which API token (`api_token_certificates`), and what
//! authentication by certificate reads first: the certificate's state by fingerprint, with its token.

use sqlx::FromRow;

use super::audit::{insert_audit, AuditRow};
use super::{db_run, Db, DbResult};
use crate::model::CertStatus;

/// The state of a presented certificate, as this CA recorded it.
#[derive(Debug, Clone, FromRow)]
pub struct PresentedCert {
    /// The certificate's id.
    pub id: String,
    /// Its status.
    #[sqlx(try_from = "String")]
    pub status: CertStatus,
    /// notBefore, unix seconds.
    pub issued_on: i64,
    /// notAfter, unix seconds.
    pub expires_on: i64,
    /// The token it is bound to, if any.
    pub token_id: Option<String>,
}

/// The certificate with this SHA-256 fingerprint (lowercase hex), with its binding.
pub async fn presented(db: &Db, fingerprint: &str) -> DbResult<Option<PresentedCert>> {
    db_run!(db, |pool| Ok(sqlx::query_as::<_, PresentedCert>(
        "SELECT c.id, c.status, c.issued_on, c.expires_on, b.token_id \
         FROM client_certificates c LEFT JOIN api_token_certificates b ON b.certificate_id = c.id \
         WHERE c.fingerprint_sha256 = $1"
    )
    .bind(fingerprint)
    .fetch_optional(pool)
    .await?))
}

/// The certificates bound to the token, oldest binding first.
pub async fn bound_to(db: &Db, token_id: &str) -> DbResult<Vec<String>> {
    db_run!(db, |pool| Ok(sqlx::query_scalar::<_, String>(
        "SELECT certificate_id FROM api_token_certificates WHERE token_id = $1 \
         ORDER BY created_at, certificate_id"
    )
    .bind(token_id)
    .fetch_all(pool)
    .await?))
}

/// Binds the certificate to the token with its audit entry; a certificate bound already (to any
/// token) is `DbError::UniqueViolation`.
pub async fn bind(
    db: &Db,
    token_id: &str,
    certificate_id: &str,
    now: i64,
    audit: &AuditRow,
) -> DbResult<()> {
    db_run!(db, |pool| {
        let mut tx = pool.begin().await?;
        sqlx::query(
            "INSERT INTO api_token_certificates (certificate_id, token_id, created_at) \
             VALUES ($1, $2, $3)",
        )
        .bind(certificate_id)
        .bind(token_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        insert_audit!(&mut *tx, audit);
        tx.commit().await?;
        Ok(())
    })
}

/// Unbinds the certificate from the token; false when it was not bound to it.
pub async fn unbind(
    db: &Db,
    token_id: &str,
    certificate_id: &str,
    audit: &AuditRow,
) -> DbResult<bool> {
    db_run!(db, |pool| {
        let mut tx = pool.begin().await?;
        let n = sqlx::query(
            "DELETE FROM api_token_certificates WHERE certificate_id = $1 AND token_id = $2",
        )
        .bind(certificate_id)
        .bind(token_id)
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
