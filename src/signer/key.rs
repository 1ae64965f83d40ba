//! The one signing interface: a CA key is something that tells its public key and signs the bytes it
//! is handed ([`CaKey`]), whoever holds it. Every certificate, CRL and OCSP response is built here
//! from plain parameters; only the finished to-be-signed bytes reach the key, with what they are
//! ([`SignKind`]) so a signer process can check and log them.

use std::cell::RefCell;

use rcgen::{PublicKeyData, SignatureAlgorithm, SigningKey};

use super::{keys, SignerError};
use crate::model::KeyAlgorithm;

/// What a signature is for: the to-be-signed structure the bytes must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignKind {
    /// A TBSCertificate of an end-entity (not a CA) certificate.
    Certificate,
    /// A TBSCertificate of the key's own self-signed CA certificate.
    CaCertificate,
    /// A PKCS#10 CertificationRequestInfo for the key's own public key.
    CaRequest,
    /// A TBSCertList.
    Crl,
    /// An OCSP ResponseData.
    Ocsp,
}

impl SignKind {
    /// Every kind.
    pub const ALL: [SignKind; 5] = [
        Self::Certificate,
        Self::CaCertificate,
        Self::CaRequest,
        Self::Crl,
        Self::Ocsp,
    ];

    /// The spelling on the wire and in the signer's audit log.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Certificate => "certificate",
            Self::CaCertificate => "ca-certificate",
            Self::CaRequest => "ca-request",
            Self::Crl => "crl",
            Self::Ocsp => "ocsp",
        }
    }

    /// The kind spelled `s`.
    pub fn parse(s: &str) -> Option<SignKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// A CA private key, wherever it is. `Send + Sync`; implementations never show key material.
///
/// `sign` blocks (a token or a signer process may take a while): call it off the async executor.
pub trait CaKey: Send + Sync {
    /// The key's algorithm.
    fn algorithm(&self) -> KeyAlgorithm;
    /// The subjectPublicKey BIT STRING contents: the EC point, the PKCS#1 RSAPublicKey, or the
    /// Ed25519 key.
    fn public_key(&self) -> &[u8];
    /// Signs `tbs`, which is a `kind` structure, with the algorithm's signature scheme (ECDSA
    /// signatures DER-encoded, as X.509 carries them).
    fn sign(&self, kind: SignKind, tbs: &[u8]) -> Result<Vec<u8>, SignerError>;
    /// Whether the key signs in this process with ring ([`LocalKey`]), rather than in a token or
    /// a signer process whose answers cross a boundary. Such a key's certificate signatures are
    /// not verified again, and cheap ones are made on the request's own thread.
    ///
    /// [`LocalKey`]: super::LocalKey
    fn signs_in_process(&self) -> bool {
        false
    }
}

/// A [`CaKey`] as rcgen sees it, for one kind of signature. rcgen's error type cannot carry ours,
/// so the real cause is kept and handed back by [`Signing::finish`].
pub(super) struct Signing<'a> {
    key: &'a dyn CaKey,
    kind: SignKind,
    failure: RefCell<Option<SignerError>>,
}

impl<'a> Signing<'a> {
    pub(super) fn new(key: &'a dyn CaKey, kind: SignKind) -> Self {
        Signing {
            key,
            kind,
            failure: RefCell::new(None),
        }
    }

    /// rcgen's result, with the key's own error in place of rcgen's opaque one.
    pub(super) fn finish<T>(&self, result: Result<T, rcgen::Error>) -> Result<T, SignerError> {
        match (result, self.failure.borrow_mut().take()) {
            (Ok(v), _) => Ok(v),
            (Err(_), Some(cause)) => Err(cause),
            (Err(e), None) => Err(e.into()),
        }
    }
}

impl PublicKeyData for Signing<'_> {
    fn der_bytes(&self) -> &[u8] {
        self.key.public_key()
    }

    fn algorithm(&self) -> &'static SignatureAlgorithm {
        keys::signature_algorithm(self.key.algorithm())
    }
}

impl SigningKey for Signing<'_> {
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, rcgen::Error> {
        self.key.sign(self.kind, msg).map_err(|e| {
            *self.failure.borrow_mut() = Some(e);
            rcgen::Error::RemoteKeyError
        })
    }
}
