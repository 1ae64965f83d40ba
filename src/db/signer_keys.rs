//! The keys of a signer process (`mtls-ca signer` with the local backend), in its own database.

use sqlx::FromRow;

use super::{db_run, Db, DbResult};
use crate::model::KeyAlgorithm;

/// A sealed key. `Debug` hides it.
#[derive(Clone, PartialEq, Eq, FromRow)]
pub struct SignerKeyRow {
    /// The reference handed out: the CA id it was made for.
    pub id: String,
    /// Its algorithm.
    #[sqlx(try_from = "String")]
    pub key_algorithm: KeyAlgorithm,
    /// subjectPublicKey bits.
    pub public_key: Vec<u8>,
    /// PKCS#8 DER, or EncryptedPrivateKeyInfo DER when `key_encrypted`.
    pub private_key: Vec<u8>,
    /// Whether `private_key` is encrypted.
    pub key_encrypted: bool,
    /// Unix seconds.
    pub created_at: i64,
}

impl std::fmt::Debug for SignerKeyRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignerKeyRow")
            .field("id", &self.id)
            .field("key_algorithm", &self.key_algorithm)
            .finish_non_exhaustive()
    }
}

/// Stores a new key; false when a key with its id exists.
pub async fn insert(db: &Db, row: &SignerKeyRow) -> DbResult<bool> {
    db_run!(db, |pool| Ok(sqlx::query(
        "INSERT INTO signer_keys (id, key_algorithm, public_key, private_key, key_encrypted, \
         created_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING"
    )
    .bind(&row.id)
    .bind(row.key_algorithm.as_str())
    .bind(&row.public_key)
    .bind(&row.private_key)
    .bind(row.key_encrypted)
    .bind(row.created_at)
    .execute(pool)
    .await?
    .rows_affected()
        == 1))
}

/// The key `id`.
pub async fn get(db: &Db, id: &str) -> DbResult<Option<SignerKeyRow>> {
    db_run!(db, |pool| Ok(sqlx::query_as::<_, SignerKeyRow>(
        "SELECT id, key_algorithm, public_key, private_key, key_encrypted, created_at \
         FROM signer_keys WHERE id = $1"
    )
    .bind(id)
    .fetch_optional(pool)
    .await?))
}

/// How many CAs the database holds: a signer refuses a CA service's database as its key store.
pub async fn ca_count(db: &Db) -> DbResult<i64> {
    db_run!(db, |pool| Ok(sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM certificate_authorities"
    )
    .fetch_one(pool)
    .await?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::test_db::{databases, drop_all};

    #[tokio::test]
    async fn a_key_is_stored_once_and_read_back() {
        let dbs = databases("signer_keys").await;
        for (db, _) in &dbs {
            let row = SignerKeyRow {
                id: "ca-1".into(),
                key_algorithm: KeyAlgorithm::EcdsaP384,
                public_key: vec![4, 1],
                private_key: vec![0x30, 0],
                key_encrypted: true,
                created_at: 5,
            };
            assert!(insert(db, &row).await.unwrap());
            assert!(!insert(db, &row).await.unwrap());
            assert_eq!(get(db, "ca-1").await.unwrap(), Some(row));
            assert_eq!(get(db, "ca-2").await.unwrap(), None);
        }
        drop_all(dbs).await;
    }
}
