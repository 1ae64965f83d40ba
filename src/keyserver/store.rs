//! The signer process's keys: made, imported and found again through its custody (`local` keeps
//! them sealed in the signer's own database, `pkcs11` in the token), and kept open once used.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use crate::db::signer_keys::{self, SignerKeyRow};
use crate::db::{Db, DbError};
use crate::model::{Custody, KeyAlgorithm};
use crate::signer::{CaKey, KeyCustody, NewKey, SealedKey, SignerError, StoredKey};

/// Why a key request failed, as the protocol reports it.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A request the signer will not carry out (400).
    #[error("{0}")]
    Refused(String),
    /// A key it does not hold (404).
    #[error("{0}")]
    UnknownKey(String),
    /// Its token or database cannot be reached now (503).
    #[error("{0}")]
    Unavailable(String),
    /// Anything else (500).
    #[error("{0}")]
    Failed(String),
}

impl From<SignerError> for StoreError {
    fn from(e: SignerError) -> Self {
        match e {
            SignerError::Unavailable(m) => Self::Unavailable(m),
            e @ (SignerError::KeyMismatch
            | SignerError::Unsupported(_)
            | SignerError::WrongCustody(_)
            | SignerError::CorruptKey(_)) => Self::Refused(e.to_string()),
            other => Self::Failed(other.to_string()),
        }
    }
}

impl From<DbError> for StoreError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::Unavailable(m) => Self::Unavailable(m),
            other => Self::Failed(other.to_string()),
        }
    }
}

/// The keys this signer holds.
pub struct KeyStore {
    custody: Arc<dyn KeyCustody>,
    /// The signer's own database; only the `local` backend keeps keys in it.
    db: Option<Db>,
    open: RwLock<HashMap<String, Arc<dyn CaKey>>>,
}

/// A label names a key for life: the CA id it was made for.
fn check_label(label: &str) -> Result<(), StoreError> {
    let ok = (1..=128).contains(&label.len())
        && label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
    if !ok {
        return Err(StoreError::Refused(format!(
            "the label {label:?} is not 1 to 128 letters, digits, '-', '_' or '.'"
        )));
    }
    Ok(())
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, SignerError> + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| StoreError::Failed(format!("signer task failed: {e}")))?
        .map_err(StoreError::from)
}

impl KeyStore {
    /// Keys in `custody`; `db` is required for the `local` backend.
    pub fn new(custody: Arc<dyn KeyCustody>, db: Option<Db>) -> KeyStore {
        KeyStore {
            custody,
            db,
            open: RwLock::new(HashMap::new()),
        }
    }

    fn remember(&self, key_ref: &str, key: Arc<dyn CaKey>) {
        self.open
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key_ref.to_owned(), key);
    }

    fn local_db(&self) -> Result<&Db, StoreError> {
        self.db
            .as_ref()
            .ok_or_else(|| StoreError::Failed("the local backend has no database".into()))
    }

    /// Stores a new or imported key; its reference.
    async fn keep(&self, label: &str, new: NewKey, now: i64) -> Result<String, StoreError> {
        let key_ref = match new.stored {
            StoredKey::Reference(r) => r,
            StoredKey::Sealed(sealed) => {
                let row = SignerKeyRow {
                    id: label.to_owned(),
                    key_algorithm: new.key.algorithm(),
                    public_key: new.key.public_key().to_vec(),
                    private_key: sealed.der,
                    key_encrypted: sealed.encrypted,
                    created_at: now,
                };
                if !signer_keys::insert(self.local_db()?, &row).await? {
                    return Err(StoreError::Refused(format!(
                        "a key labelled {label:?} exists already"
                    )));
                }
                label.to_owned()
            }
        };
        self.remember(&key_ref, Arc::clone(&new.key));
        Ok(key_ref)
    }

    /// A new key of `alg` labelled `label`: its reference and the key.
    pub async fn generate(
        &self,
        alg: KeyAlgorithm,
        label: &str,
        now: i64,
    ) -> Result<(String, Arc<dyn CaKey>), StoreError> {
        check_label(label)?;
        if self.custody.kind() == Custody::Local
            && signer_keys::get(self.local_db()?, label).await?.is_some()
        {
            return Err(StoreError::Refused(format!(
                "a key labelled {label:?} exists already"
            )));
        }
        let (custody, l) = (Arc::clone(&self.custody), label.to_owned());
        let new = blocking(move || custody.generate(alg, &l)).await?;
        let key = Arc::clone(&new.key);
        Ok((self.keep(label, new, now).await?, key))
    }

    /// An existing plaintext PKCS#8 key taken in under `label`.
    pub async fn import(
        &self,
        pkcs8: Vec<u8>,
        label: &str,
        now: i64,
    ) -> Result<(String, Arc<dyn CaKey>), StoreError> {
        check_label(label)?;
        let (custody, l) = (Arc::clone(&self.custody), label.to_owned());
        let new = blocking(move || {
            let pkcs8 = secrecy::SecretSlice::from(pkcs8);
            custody.import(secrecy::ExposeSecret::expose_secret(&pkcs8), &l)
        })
        .await?;
        let key = Arc::clone(&new.key);
        Ok((self.keep(label, new, now).await?, key))
    }

    /// The key `key_ref`, which must be of `alg` when given.
    pub async fn key(
        &self,
        key_ref: &str,
        alg: Option<KeyAlgorithm>,
    ) -> Result<Arc<dyn CaKey>, StoreError> {
        let cached = self
            .open
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(key_ref)
            .cloned();
        let key = match cached {
            Some(k) => k,
            None => {
                let (stored, alg) = self.stored(key_ref, alg).await?;
                let custody = Arc::clone(&self.custody);
                let key = blocking(move || custody.open(&stored, alg)).await?;
                self.remember(key_ref, Arc::clone(&key));
                key
            }
        };
        match alg {
            Some(a) if a != key.algorithm() => Err(StoreError::Refused(format!(
                "the key {key_ref:?} is {}, not {}",
                key.algorithm().as_str(),
                a.as_str()
            ))),
            _ => Ok(key),
        }
    }

    async fn stored(
        &self,
        key_ref: &str,
        alg: Option<KeyAlgorithm>,
    ) -> Result<(StoredKey, KeyAlgorithm), StoreError> {
        let unknown = || StoreError::UnknownKey(format!("this signer holds no key {key_ref:?}"));
        if self.custody.kind() != Custody::Local {
            let alg = alg.ok_or_else(unknown)?;
            return Ok((StoredKey::Reference(key_ref.to_owned()), alg));
        }
        let row = signer_keys::get(self.local_db()?, key_ref)
            .await?
            .ok_or_else(unknown)?;
        let sealed = SealedKey {
            der: row.private_key,
            encrypted: row.key_encrypted,
        };
        Ok((StoredKey::Sealed(sealed), row.key_algorithm))
    }
}
