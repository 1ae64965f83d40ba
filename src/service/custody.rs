//! Between the CA registry's rows and the signer's custody: what a row keeps of a key, and the
//! signer's failures in words an operator (or a client, for a signer that is down) can act on.

use crate::db::cas::KeyColumns;
use crate::error::{Error, Result};
use crate::model::Custody;
use crate::signer::{KeyCustody, SealedKey, SignerError, StoredKey};

/// The columns a new CA's key is stored in.
pub fn columns(custody: Custody, key: StoredKey) -> KeyColumns {
    match key {
        StoredKey::Sealed(sealed) => KeyColumns::local(sealed.der, sealed.encrypted),
        StoredKey::Reference(key_ref) => KeyColumns {
            custody,
            private_key: None,
            encrypted: false,
            key_ref: Some(key_ref),
        },
    }
}

/// The stored key of CA `ca_name`, which `custody` must be the one holding it.
pub fn stored(ca_name: &str, custody: &dyn KeyCustody, cols: KeyColumns) -> Result<StoredKey> {
    if cols.custody != custody.kind() {
        return Err(Error::KeyUnavailable(format!(
            "the key of CA {ca_name:?} is held by {} custody, but this process has MTLS_CA_SIGNER={}: \
             start it with the signer the CA was made with",
            cols.custody.as_str(),
            custody.kind().as_str()
        )));
    }
    match (cols.private_key, cols.key_ref) {
        (Some(der), _) => Ok(StoredKey::Sealed(SealedKey {
            der,
            encrypted: cols.encrypted,
        })),
        (None, Some(key_ref)) => Ok(StoredKey::Reference(key_ref)),
        (None, None) => Err(Error::Internal(format!(
            "CA {ca_name:?} has neither a key nor a key reference"
        ))),
    }
}

/// A key that cannot be loaded or used, in words an operator can act on; a signer that cannot be
/// reached now is a 503 the client may retry.
pub fn key_error(ca_name: &str, e: SignerError) -> Error {
    match e {
        SignerError::Unavailable(why) => Error::Unavailable(format!("CA {ca_name:?}: {why}")),
        SignerError::PassphraseRequired => Error::KeyUnavailable(format!(
            "the private key of CA {ca_name:?} is stored encrypted: set MTLS_CA_KEY_PASSPHRASE to its passphrase"
        )),
        SignerError::WrongPassphrase => Error::KeyUnavailable(format!(
            "MTLS_CA_KEY_PASSPHRASE does not decrypt the private key of CA {ca_name:?} (wrong passphrase)"
        )),
        other => Error::KeyUnavailable(format!("cannot load CA {ca_name:?}: {other}")),
    }
}

/// A failed signature with a loaded CA: 503 when the signer is unreachable, else a bug or a
/// broken token (logged, 500).
pub fn signing_error(what: &str, e: SignerError) -> Error {
    match e {
        SignerError::Unavailable(why) => Error::Unavailable(format!("{what}: {why}")),
        other => Error::Internal(format!("{what} failed: {other}")),
    }
}
