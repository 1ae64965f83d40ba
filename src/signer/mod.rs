//! The signer: the only code that touches CA private keys, and only through one interface.
//!
//! A key is a [`CaKey`] (tell the public key, sign bytes of a [`SignKind`]), made and found again
//! by a [`KeyCustody`]: `local` (sealed in the database, [`SealedKey`]), `pkcs11` (in a token) or
//! `remote` (in an `mtls-ca signer` process). Above that interface it creates CAs: a self-signed
//! root ([`create_ca`]), a key and CSR for an intermediate an outside root signs ([`request_ca`]),
//! an existing key taken in ([`import_key`]); loads a CA with its key ([`Signer::open`]); issues
//! client certificates for verified CSRs ([`Signer::issue`]); and signs what relying parties check
//! revocation with: CRLs ([`Signer::sign_crl`]) and OCSP responses ([`Signer::sign_ocsp_response`]).
//! Parsing (CSRs, names, OCSP requests, CA certificates) lives in [`crate::x509`], which holds no key.
//! Every certificate is built with rcgen from plain parameters (a client certificate's subject, which
//! rcgen cannot always hold, is spliced in before the one signature); nothing here knows HTTP, SQL or
//! the clock.

mod ca;
mod crl;
mod custody;
mod issue;
mod key;
mod keys;
mod local;
mod ocsp_response;
mod pkcs11;
pub mod remote;
mod request;
mod sealed;
mod server_cert;
mod splice;
#[cfg(test)]
mod tests;
mod validity;

pub use ca::{create_ca, NewCa, Signer};
pub use crl::{CrlEntry, CrlInput};
pub use custody::{lazy_custody, open_custody, CustodyConfig, KeyCustody, NewKey, StoredKey};
pub use issue::{IssuedCert, Pointers};
pub use key::{CaKey, SignKind};
pub use local::{LocalCustody, LocalKey};
pub use ocsp_response::{OcspFailure, OcspStatus, OcspTimes};
pub use request::{import_key, request_ca, CaRequest};
pub use sealed::{encrypt_stored_key, SealedKey};
pub use server_cert::{unseal_server_key, ServerCertificate};

/// Why the signer could not create, load or use the CA.
///
/// Messages never contain key material.
#[derive(Debug, thiserror::Error)]
pub enum SignerError {
    /// The stored key is encrypted and no passphrase was given.
    #[error("the CA private key is encrypted at rest and no passphrase was given")]
    PassphraseRequired,
    /// The passphrase does not decrypt the stored key.
    #[error("the passphrase does not decrypt the CA private key")]
    WrongPassphrase,
    /// A passphrase was given but it is empty.
    #[error("the CA key passphrase is empty")]
    EmptyPassphrase,
    /// The stored key cannot be read or used.
    #[error("the stored CA private key is unusable: {0}")]
    CorruptKey(String),
    /// The key is valid but belongs to another certificate.
    #[error("the CA private key does not match the CA certificate's public key")]
    KeyMismatch,
    /// A certificate could not be built, or the stored CA certificate cannot be used.
    #[error("certificate error: {0}")]
    Certificate(String),
    /// Generating a new key failed.
    #[error("key generation failed: {0}")]
    KeyGeneration(String),
    /// The requested validity period is impossible.
    #[error("invalid validity period: {0}")]
    Validity(String),
    /// The key is held somewhere this process does not use (a `local` key under
    /// `MTLS_CA_SIGNER=pkcs11`, say).
    #[error("{0}")]
    WrongCustody(String),
    /// The custody cannot do this (an import into a token, an algorithm the token lacks).
    #[error("{0}")]
    Unsupported(String),
    /// The token or the signer process cannot be reached now; trying again later may work.
    #[error("the signer is unavailable: {0}")]
    Unavailable(String),
    /// The signer process refused the request.
    #[error("the signer refused: {0}")]
    Refused(String),
    /// The PKCS#11 module or token failed or is misconfigured.
    #[error("PKCS#11: {0}")]
    Token(String),
}

impl From<rcgen::Error> for SignerError {
    fn from(e: rcgen::Error) -> Self {
        Self::Certificate(e.to_string())
    }
}
