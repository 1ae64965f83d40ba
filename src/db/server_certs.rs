//! The API's self-issued TLS server certificates, one per set of names, shared by the replicas.

use sqlx::FromRow;

use super::{db_run, Db, DbResult};

/// A stored server certificate. `Debug` hides the key.
#[derive(Clone, PartialEq, Eq, FromRow)]
pub struct ServerCertRow {
    /// The names it is for, sorted, comma-separated.
    pub names: String,
    /// The CA that issued it.
    pub ca_id: String,
    /// The certificate, then its CA and the CA's chain, PEM.
    pub certificate_pem: String,
    /// PKCS#8 DER, or EncryptedPrivateKeyInfo DER when `key_encrypted`.
    pub private_key: Vec<u8>,
    /// Whether `private_key` is encrypted.
    pub key_encrypted: bool,
    /// Lowercase hex.
    pub serial_number: String,
    /// Unix seconds.
    pub not_before: i64,
    /// Unix seconds.
    pub not_after: i64,
    /// Unix seconds.
    pub created_at: i64,
}

impl std::fmt::Debug for ServerCertRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerCertRow")
            .field("names", &self.names)
            .field("serial_number", &self.serial_number)
            .field("not_after", &self.not_after)
            .finish_non_exhaustive()
    }
}

/// The certificate for `names`.
pub async fn get(db: &Db, names: &str) -> DbResult<Option<ServerCertRow>> {
    db_run!(db, |pool| Ok(sqlx::query_as::<_, ServerCertRow>(
        "SELECT names, ca_id, certificate_pem, private_key, key_encrypted, serial_number, \
         not_before, not_after, created_at FROM server_certificates WHERE names = $1"
    )
    .bind(names)
    .fetch_optional(pool)
    .await?))
}

/// Stores `row` unless a certificate for its names that lasts longer is stored already (another
/// replica renewed first); whether it was stored.
pub async fn store(db: &Db, row: &ServerCertRow) -> DbResult<bool> {
    db_run!(db, |pool| Ok(sqlx::query(
        "INSERT INTO server_certificates (names, ca_id, certificate_pem, private_key, \
         key_encrypted, serial_number, not_before, not_after, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         ON CONFLICT (names) DO UPDATE SET ca_id = excluded.ca_id, \
         certificate_pem = excluded.certificate_pem, private_key = excluded.private_key, \
         key_encrypted = excluded.key_encrypted, serial_number = excluded.serial_number, \
         not_before = excluded.not_before, not_after = excluded.not_after, \
         created_at = excluded.created_at \
         WHERE server_certificates.not_after < excluded.not_after"
    )
    .bind(&row.names)
    .bind(&row.ca_id)
    .bind(&row.certificate_pem)
    .bind(&row.private_key)
    .bind(row.key_encrypted)
    .bind(&row.serial_number)
    .bind(row.not_before)
    .bind(row.not_after)
    .bind(row.created_at)
    .execute(pool)
    .await?
    .rows_affected()
        == 1))
}
