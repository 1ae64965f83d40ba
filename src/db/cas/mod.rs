//! The CA registry of each account: every CA it ever had, with its role, in creation order (`seq`).
//! Exactly one is `issuing` (a partial unique index); every change first bumps
//! `accounts.ca_generation` in its transaction, which serialises changes and lets other processes
//! notice them by polling one number.

use sqlx::FromRow;

mod changes;

pub use changes::{insert_first, insert_issuing, insert_pending, install};

use super::{db_run, Db, DbError, DbResult};
use crate::model::{CaRole, Custody, KeyAlgorithm};

/// A stored CA without its key.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct CaRecord {
    /// UUID, `certificate_authority.id`.
    pub id: String,
    /// Display name, `certificate_authority.name`.
    pub name: String,
    /// Its role.
    #[sqlx(try_from = "String")]
    pub role: CaRole,
    /// The key's algorithm.
    #[sqlx(try_from = "String")]
    pub key_algorithm: KeyAlgorithm,
    /// The CA certificate; `None` while pending.
    pub certificate_der: Option<Vec<u8>>,
    /// The certificates above it, issuer first, PEM; empty for a root.
    pub chain_pem: String,
    /// The CSR of a requested CA.
    pub request_pem: Option<String>,
    /// Whether its stored key is encrypted.
    pub key_encrypted: bool,
    /// Who holds its key.
    #[sqlx(try_from = "String")]
    pub key_custody: Custody,
    /// Unix seconds.
    pub created_at: i64,
    /// When it became the issuing CA.
    pub activated_at: Option<i64>,
    /// When another CA replaced it.
    pub retired_at: Option<i64>,
}

/// Where a CA's key is: sealed in the row (`local`), or named by `key_ref` (held elsewhere).
#[derive(Clone, PartialEq, Eq, FromRow)]
pub struct KeyColumns {
    /// Who holds the key.
    #[sqlx(rename = "key_custody", try_from = "String")]
    pub custody: Custody,
    /// `local`: the sealed key, PKCS#8 or EncryptedPrivateKeyInfo DER; otherwise `None`.
    pub private_key: Option<Vec<u8>>,
    /// Whether `private_key` is encrypted.
    #[sqlx(rename = "key_encrypted")]
    pub encrypted: bool,
    /// `pkcs11` and `remote`: the key's reference; `local`: `None`.
    pub key_ref: Option<String>,
}

impl KeyColumns {
    /// A key sealed in the row.
    pub fn local(private_key: Vec<u8>, encrypted: bool) -> KeyColumns {
        KeyColumns {
            custody: Custody::Local,
            private_key: Some(private_key),
            encrypted,
            key_ref: None,
        }
    }
}

impl std::fmt::Debug for KeyColumns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyColumns")
            .field("custody", &self.custody)
            .field("encrypted", &self.encrypted)
            .field("key_ref", &self.key_ref)
            .finish_non_exhaustive()
    }
}

/// A CA to store. Its key is sealed by the signer (possibly encrypted) or held elsewhere.
#[derive(Clone)]
pub struct NewCaRecord {
    /// UUID.
    pub id: String,
    /// Display name.
    pub name: String,
    /// The key's algorithm.
    pub key_algorithm: KeyAlgorithm,
    /// The CA certificate; `None` for a pending CA.
    pub certificate_der: Option<Vec<u8>>,
    /// The certificates above it, PEM.
    pub chain_pem: String,
    /// A pending CA's CSR.
    pub request_pem: Option<String>,
    /// Its key.
    pub key: KeyColumns,
    /// The certificate's validity, unix seconds; `None` while pending.
    pub validity: Option<(i64, i64)>,
}

impl std::fmt::Debug for NewCaRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewCaRecord")
            .field("id", &self.id)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// A pending CA's certificate, for [`install`].
#[derive(Debug, Clone)]
pub struct Installed {
    /// The signed CA certificate.
    pub certificate_der: Vec<u8>,
    /// Its chain, PEM.
    pub chain_pem: String,
    /// Its display name.
    pub name: String,
    /// notBefore, notAfter.
    pub validity: (i64, i64),
}

const COLUMNS: &str = "id, name, role, key_algorithm, certificate_der, chain_pem, request_pem, \
    key_encrypted, key_custody, created_at, activated_at, retired_at";

/// The account's CA generation: it changes with every change of the account's CAs.
pub async fn generation(db: &Db, account_id: &str) -> DbResult<i64> {
    db_run!(db, |pool| Ok(sqlx::query_scalar::<_, i64>(
        "SELECT ca_generation FROM accounts WHERE id = $1"
    )
    .bind(account_id)
    .fetch_optional(pool)
    .await?
    .unwrap_or(0)))
}

/// Every CA of the account, oldest first.
pub async fn list(db: &Db, account_id: &str) -> DbResult<Vec<CaRecord>> {
    let sql =
        format!("SELECT {COLUMNS} FROM certificate_authorities WHERE account_id = $1 ORDER BY seq");
    db_run!(db, |pool| Ok(sqlx::query_as::<_, CaRecord>(&sql)
        .bind(account_id)
        .fetch_all(pool)
        .await?))
}

/// Where a CA's key is.
pub async fn key_of(db: &Db, ca_id: &str) -> DbResult<Option<KeyColumns>> {
    db_run!(db, |pool| Ok(sqlx::query_as::<_, KeyColumns>(
        "SELECT key_custody, private_key, key_encrypted, key_ref FROM certificate_authorities \
         WHERE id = $1"
    )
    .bind(ca_id)
    .fetch_optional(pool)
    .await?))
}

/// Replaces an unencrypted CA key by its encrypted form; false when it was encrypted meanwhile.
pub async fn encrypt_key(db: &Db, ca_id: &str, encrypted_key: &[u8]) -> DbResult<bool> {
    db_run!(db, |pool| Ok(sqlx::query(
        "UPDATE certificate_authorities SET private_key = $1, key_encrypted = TRUE \
         WHERE id = $2 AND key_custody = 'local' AND key_encrypted = FALSE"
    )
    .bind(encrypted_key)
    .bind(ca_id)
    .execute(pool)
    .await?
    .rows_affected()
        == 1))
}

/// The latest notAfter of the certificates the CA issued (`None` when it issued none).
pub async fn latest_expiry(db: &Db, ca_id: &str) -> DbResult<Option<i64>> {
    db_run!(db, |pool| Ok(sqlx::query_scalar::<_, Option<i64>>(
        "SELECT MAX(expires_on) FROM client_certificates WHERE ca_id = $1"
    )
    .bind(ca_id)
    .fetch_one(pool)
    .await?))
}

impl From<crate::model::ParseError> for DbError {
    fn from(e: crate::model::ParseError) -> Self {
        DbError::Corrupt(e.0)
    }
}

#[cfg(test)]
mod tests;
