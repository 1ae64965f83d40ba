//! Accounts and their certificate authorities.

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

/// A stored certificate authority. `private_key` is sealed by the signer (possibly encrypted).
#[derive(Clone, FromRow)]
pub struct CaRow {
    /// UUID.
    pub id: String,
    /// The owning account.
    pub account_id: String,
    /// Display name, `certificate_authority.name` on the wire.
    pub name: String,
    /// `KeyAlgorithm` spelling.
    pub key_algorithm: String,
    /// The self-signed CA certificate.
    pub certificate_der: Vec<u8>,
    /// PKCS#8 DER, or EncryptedPrivateKeyInfo DER when `key_encrypted`.
    pub private_key: Vec<u8>,
    /// Whether `private_key` is encrypted with the passphrase.
    pub key_encrypted: bool,
    /// Unix seconds.
    pub not_before: i64,
    /// Unix seconds.
    pub not_after: i64,
    /// Unix seconds.
    pub created_at: i64,
}

impl std::fmt::Debug for CaRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CaRow")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("key_algorithm", &self.key_algorithm)
            .finish_non_exhaustive()
    }
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

const CA_COLUMNS: &str = "id, account_id, name, key_algorithm, certificate_der, private_key, \
    key_encrypted, not_before, not_after, created_at";

/// Inserts the CA unless its account has one already; returns the account's CA.
/// Two processes racing on an empty database both end up with the same CA.
pub async fn ensure_ca(db: &Db, row: &CaRow) -> DbResult<CaRow> {
    let insert = format!(
        "INSERT INTO certificate_authorities ({CA_COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (account_id) DO NOTHING"
    );
    db_run!(db, |pool| {
        sqlx::query(&insert)
            .bind(&row.id)
            .bind(&row.account_id)
            .bind(&row.name)
            .bind(&row.key_algorithm)
            .bind(&row.certificate_der)
            .bind(&row.private_key)
            .bind(row.key_encrypted)
            .bind(row.not_before)
            .bind(row.not_after)
            .bind(row.created_at)
            .execute(pool)
            .await?;
        Ok::<_, super::DbError>(())
    })?;
    find_ca_by_account(db, &row.account_id)
        .await?
        .ok_or_else(|| super::DbError::Corrupt("CA vanished after insert".into()))
}

/// Replaces an unencrypted CA key by its encrypted form; false when it was encrypted meanwhile.
pub async fn encrypt_ca_key(db: &Db, ca_id: &str, encrypted_key: &[u8]) -> DbResult<bool> {
    db_run!(db, |pool| Ok(sqlx::query(
        "UPDATE certificate_authorities SET private_key = $1, key_encrypted = TRUE \
         WHERE id = $2 AND key_encrypted = FALSE"
    )
    .bind(encrypted_key)
    .bind(ca_id)
    .execute(pool)
    .await?
    .rows_affected()
        == 1))
}

/// The account's CA, if it has one.
pub async fn find_ca_by_account(db: &Db, account_id: &str) -> DbResult<Option<CaRow>> {
    let sql = format!("SELECT {CA_COLUMNS} FROM certificate_authorities WHERE account_id = $1");
    db_run!(db, |pool| Ok(sqlx::query_as::<_, CaRow>(&sql)
        .bind(account_id)
        .fetch_optional(pool)
        .await?))
}

/// The CA with this id, if any.
pub async fn find_ca(db: &Db, ca_id: &str) -> DbResult<Option<CaRow>> {
    let sql = format!("SELECT {CA_COLUMNS} FROM certificate_authorities WHERE id = $1");
    db_run!(db, |pool| Ok(sqlx::query_as::<_, CaRow>(&sql)
        .bind(ca_id)
        .fetch_optional(pool)
        .await?))
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
