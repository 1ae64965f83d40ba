//! Who holds CA keys ([`KeyCustody`]): `local` seals them into the database row of the CA and uses
//! them in-process, `pkcs11` keeps them in a token, `remote` asks a separate signer process. Each
//! hands out [`CaKey`]s; the rest of the signer never knows which.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use secrecy::SecretString;

use super::key::CaKey;
use super::sealed::SealedKey;
use super::{local, pkcs11, remote, SignerError};
use crate::model::{Custody, KeyAlgorithm};

/// A CA key as the database keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoredKey {
    /// `local`: the key itself, sealed.
    Sealed(SealedKey),
    /// `pkcs11` or `remote`: only where to find it (an RFC 7512 URI, or the signer's key id).
    Reference(String),
}

/// A key just made (or imported), with what to store for it.
pub struct NewKey {
    /// What the database keeps.
    pub stored: StoredKey,
    /// The key, ready to sign.
    pub key: Arc<dyn CaKey>,
}

impl fmt::Debug for NewKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewKey")
            .field("stored", &self.stored)
            .finish_non_exhaustive()
    }
}

/// A place CA keys are made in and used from. Every method blocks: call it off the executor.
pub trait KeyCustody: Send + Sync {
    /// Which custody this is (recorded with every CA it made).
    fn kind(&self) -> Custody;
    /// A new key of `alg`, labelled `label` (the id of the CA it is for).
    fn generate(&self, alg: KeyAlgorithm, label: &str) -> Result<NewKey, SignerError>;
    /// The stored key, which must be of `alg`.
    fn open(&self, stored: &StoredKey, alg: KeyAlgorithm) -> Result<Arc<dyn CaKey>, SignerError>;
    /// An existing plaintext PKCS#8 key brought in, labelled `label`.
    fn import(&self, pkcs8: &[u8], label: &str) -> Result<NewKey, SignerError>;
}

/// The `MTLS_CA_SIGNER` choice and what it needs.
#[derive(Clone)]
pub enum CustodyConfig {
    /// Keys sealed in the database, encrypted with the passphrase when one is set.
    Local {
        /// `MTLS_CA_KEY_PASSPHRASE`.
        passphrase: Option<SecretString>,
    },
    /// Keys in a PKCS#11 token.
    Pkcs11 {
        /// The module (`.so`) path.
        module: PathBuf,
        /// The token label.
        token: String,
        /// The user PIN.
        pin: SecretString,
    },
    /// Keys held by `mtls-ca signer --listen URL`.
    Remote {
        /// `unix:/path` or `https://host:port`.
        url: String,
        /// For `https://`: this end's certificate and key, and the signer's CA.
        tls: Option<crate::tls::MutualTls>,
    },
}

impl fmt::Debug for CustodyConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Local { passphrase } => f
                .debug_struct("Local")
                .field("passphrase", &passphrase.as_ref().map(|_| "[redacted]"))
                .finish(),
            Self::Pkcs11 { module, token, .. } => f
                .debug_struct("Pkcs11")
                .field("module", module)
                .field("token", token)
                .finish_non_exhaustive(),
            Self::Remote { url, tls } => f
                .debug_struct("Remote")
                .field("url", url)
                .field("tls", tls)
                .finish(),
        }
    }
}

impl CustodyConfig {
    /// Which custody this configures.
    pub fn kind(&self) -> Custody {
        match self {
            Self::Local { .. } => Custody::Local,
            Self::Pkcs11 { .. } => Custody::Pkcs11,
            Self::Remote { .. } => Custody::Remote,
        }
    }
}

/// The configured custody, opened when something first needs a key: a command that only reads
/// (`zone list`, `ca export`) never loads a PKCS#11 module or asks for its PIN. A failed opening
/// is tried again next time.
pub fn lazy_custody(config: CustodyConfig) -> Arc<dyn KeyCustody> {
    Arc::new(Lazy {
        config,
        opened: std::sync::Mutex::new(None),
    })
}

struct Lazy {
    config: CustodyConfig,
    opened: std::sync::Mutex<Option<Arc<dyn KeyCustody>>>,
}

impl Lazy {
    fn get(&self) -> Result<Arc<dyn KeyCustody>, SignerError> {
        let mut opened = self.opened.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(custody) = opened.as_ref() {
            return Ok(Arc::clone(custody));
        }
        let custody = open_custody(&self.config)?;
        *opened = Some(Arc::clone(&custody));
        Ok(custody)
    }
}

impl KeyCustody for Lazy {
    fn kind(&self) -> Custody {
        self.config.kind()
    }

    fn generate(&self, alg: KeyAlgorithm, label: &str) -> Result<NewKey, SignerError> {
        self.get()?.generate(alg, label)
    }

    fn open(&self, stored: &StoredKey, alg: KeyAlgorithm) -> Result<Arc<dyn CaKey>, SignerError> {
        self.get()?.open(stored, alg)
    }

    fn import(&self, pkcs8: &[u8], label: &str) -> Result<NewKey, SignerError> {
        self.get()?.import(pkcs8, label)
    }
}

/// Opens the configured custody: loads a PKCS#11 module and logs in, or prepares the client of a
/// signer process (which is not contacted yet: it may start later). Call it inside the runtime.
pub fn open_custody(config: &CustodyConfig) -> Result<Arc<dyn KeyCustody>, SignerError> {
    Ok(match config {
        CustodyConfig::Local { passphrase } => {
            Arc::new(local::LocalCustody::new(passphrase.clone())?)
        }
        CustodyConfig::Pkcs11 { module, token, pin } => {
            Arc::new(pkcs11::Pkcs11Custody::open(module, token, pin)?)
        }
        CustodyConfig::Remote { url, tls } => {
            Arc::new(remote::RemoteCustody::new(url, tls.as_ref())?)
        }
    })
}
