//! Revocation publication: the stored CRL of each CA, its number counter, the snapshot a CRL is
//! built from, and the status flips that may only follow a publication.
//!
//! The stored CRL's number is the version of the published revocation state: OCSP answers are
//! computed from the CRL stored under the version they read, and a worker flips a status only while
//! the CRL it published (or found) is still the stored one.

use sqlx::FromRow;

use crate::db::{db_run, Db, DbResult};
use crate::model::CertStatus;

/// The stored CRL of a CA, without its DER.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct CrlMeta {
    /// Its CRL number.
    pub crl_number: i64,
    /// Hex SHA-256 of its sorted (serial, revocation time) list.
    pub content_hash: String,
    /// How many certificates it lists.
    pub entries: i64,
    /// thisUpdate, unix seconds.
    pub this_update: i64,
    /// nextUpdate, unix seconds.
    pub next_update: i64,
    /// When its list last differed from the one before, unix seconds.
    pub content_changed_at: i64,
}

/// The stored CRL of a CA.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct StoredCrl {
    /// Its CRL number.
    pub crl_number: i64,
    /// thisUpdate, unix seconds.
    pub this_update: i64,
    /// nextUpdate, unix seconds.
    pub next_update: i64,
    /// The signed CRL.
    pub der: Vec<u8>,
}

/// A CRL to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCrl {
    /// Its CRL number, from [`reserve_number`].
    pub crl_number: i64,
    /// The signed CRL.
    pub der: Vec<u8>,
    /// See [`CrlMeta::content_hash`].
    pub content_hash: String,
    /// How many certificates it lists.
    pub entries: i64,
    /// thisUpdate, unix seconds.
    pub this_update: i64,
    /// nextUpdate, unix seconds.
    pub next_update: i64,
}

/// A certificate that is, or is about to be, revoked or reinstated.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct RevocationRow {
    /// Certificate id.
    pub id: String,
    /// Serial, lowercase hex.
    pub serial_number: String,
    /// `revoked`, `pending_revocation` or `pending_reactivation`.
    #[sqlx(try_from = "String")]
    pub status: CertStatus,
    /// When the current status was requested or reached.
    pub status_changed_at: i64,
    /// When the last revocation was requested.
    pub revocation_requested_at: Option<i64>,
}

/// The CA's stored CRL, if one was stored.
pub async fn current(db: &Db, ca_id: &str) -> DbResult<Option<StoredCrl>> {
    db_run!(db, |pool| {
        Ok(sqlx::query_as::<_, StoredCrl>(
        "SELECT crl_number, this_update, next_update, der FROM crls WHERE ca_id = $1 AND crl_number IS NOT NULL"
    )
    .bind(ca_id)
    .fetch_optional(pool)
    .await?)
    })
}

/// What the CA's stored CRL says, if one was stored.
pub async fn meta(db: &Db, ca_id: &str) -> DbResult<Option<CrlMeta>> {
    db_run!(db, |pool| Ok(sqlx::query_as::<_, CrlMeta>(
        "SELECT crl_number, content_hash, entries, this_update, next_update, content_changed_at \
         FROM crls WHERE ca_id = $1 AND crl_number IS NOT NULL"
    )
    .bind(ca_id)
    .fetch_optional(pool)
    .await?))
}

/// Hands out the CA's next CRL number: one atomic increment, so no number is ever given twice,
/// whatever the replicas and restarts. A number whose CRL is never stored is simply skipped.
pub async fn reserve_number(db: &Db, ca_id: &str) -> DbResult<i64> {
    db_run!(db, |pool| {
        sqlx::query(
            "INSERT INTO crls (ca_id, last_number) VALUES ($1, 0) ON CONFLICT (ca_id) DO NOTHING",
        )
        .bind(ca_id)
        .execute(pool)
        .await?;
        Ok(sqlx::query_scalar::<_, i64>(
            "UPDATE crls SET last_number = last_number + 1 WHERE ca_id = $1 RETURNING last_number",
        )
        .bind(ca_id)
        .fetch_one(pool)
        .await?)
    })
}

/// Compare-and-set: stores `crl` only if the stored CRL is still number `expected` (0: none), so a
/// publisher working from an older snapshot never replaces a newer CRL. Returns whether it stored.
pub async fn store(db: &Db, ca_id: &str, expected: i64, crl: &NewCrl) -> DbResult<bool> {
    db_run!(db, |pool| Ok(sqlx::query(
        "UPDATE crls SET crl_number = $1, der = $2, content_hash = $3, entries = $4, \
         this_update = $5, next_update = $6, \
         content_changed_at = CASE WHEN content_hash = $3 THEN content_changed_at ELSE $5 END \
         WHERE ca_id = $7 AND COALESCE(crl_number, 0) = $8"
    )
    .bind(crl.crl_number)
    .bind(&crl.der)
    .bind(&crl.content_hash)
    .bind(crl.entries)
    .bind(crl.this_update)
    .bind(crl.next_update)
    .bind(ca_id)
    .bind(expected)
    .execute(pool)
    .await?
    .rows_affected()
        == 1))
}

/// Every certificate of the CA that a CRL lists or is about to stop listing, in one statement (one
/// consistent snapshot): `revoked`, `pending_revocation` and `pending_reactivation`; except the
/// `revoked` ones whose notAfter is before `expired_before`, which leave the CRL (RFC 5280 §3.3:
/// after one regularly scheduled CRL issued beyond the certificate's validity period listed them).
pub async fn snapshot(db: &Db, ca_id: &str, expired_before: i64) -> DbResult<Vec<RevocationRow>> {
    db_run!(db, |pool| Ok(sqlx::query_as::<_, RevocationRow>(
        "SELECT id, serial_number, status, status_changed_at, revocation_requested_at \
         FROM client_certificates WHERE ca_id = $1 \
         AND status IN ('revoked', 'pending_revocation', 'pending_reactivation') \
         AND NOT (status = 'revoked' AND expires_on < $2)"
    )
    .bind(ca_id)
    .bind(expired_before)
    .fetch_all(pool)
    .await?))
}

/// Whether any certificate of the CA waits for the worker.
pub async fn has_pending(db: &Db, ca_id: &str) -> DbResult<bool> {
    db_run!(db, |pool| Ok(sqlx::query_scalar::<_, bool>(
        // The IN list is the one of the partial index client_certificates_revocation (ca_id,
        // status), so SQLite's planner picks it rather than scanning every certificate of the CA.
        "SELECT EXISTS (SELECT 1 FROM client_certificates WHERE ca_id = $1 \
         AND status IN ('revoked', 'pending_revocation', 'pending_reactivation') \
         AND status <> 'revoked')"
    )
    .bind(ca_id)
    .fetch_one(pool)
    .await?))
}

/// Compare-and-set of a status, allowed only while the CA's stored CRL is number `published`: the
/// CRL that already says what the new status means. A revocation keeps its request time (filled
/// from `status_changed_at` after a hand-made update, as the CRL entry was). Returns whether it moved.
pub async fn complete_published(
    db: &Db,
    id: &str,
    from: CertStatus,
    to: CertStatus,
    now: i64,
    published: i64,
) -> DbResult<bool> {
    db_run!(db, |pool| Ok(sqlx::query(
        "UPDATE client_certificates SET status = $1, status_changed_at = $2, \
         revocation_requested_at = COALESCE(revocation_requested_at, status_changed_at) \
         WHERE id = $3 AND status = $4 AND EXISTS (SELECT 1 FROM crls \
         WHERE crls.ca_id = client_certificates.ca_id AND crls.crl_number = $5)"
    )
    .bind(to.as_str())
    .bind(now)
    .bind(id)
    .bind(from.as_str())
    .bind(published)
    .execute(pool)
    .await?
    .rows_affected()
        == 1))
}

/// What OCSP needs to know about one serial, read in one statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromRow)]
pub struct OcspFacts {
    /// The number of the CA's stored CRL (`None` before the first).
    pub crl_number: Option<i64>,
    /// Whether the CA issued a certificate with this serial.
    pub issued: bool,
    /// For a `revoked` certificate past its notAfter (whose entry may have left the CRL), its
    /// revocation time.
    pub expired_revoked_at: Option<i64>,
}

/// For OCSP, in one statement: see [`OcspFacts`], as of `now`.
pub async fn ocsp_lookup(db: &Db, ca_id: &str, serial: &str, now: i64) -> DbResult<OcspFacts> {
    db_run!(db, |pool| Ok(sqlx::query_as::<_, OcspFacts>(
        "SELECT (SELECT crl_number FROM crls WHERE ca_id = $1) AS crl_number, \
         EXISTS (SELECT 1 FROM client_certificates WHERE serial_number = $2 AND ca_id = $1) \
         AS issued, \
         (SELECT COALESCE(revocation_requested_at, status_changed_at) FROM client_certificates \
         WHERE serial_number = $2 AND ca_id = $1 AND status = 'revoked' AND expires_on < $3) \
         AS expired_revoked_at"
    )
    .bind(ca_id)
    .bind(serial)
    .bind(now)
    .fetch_one(pool)
    .await?))
}

#[cfg(test)]
#[path = "crl_tests.rs"]
mod tests;
