//! A client certificate whose subject rcgen could not hold: rcgen builds the TBSCertificate (every
//! extension, the validity, the serial, the issuer) around a placeholder subject, the TBS is taken
//! from it unsigned, its subject is replaced by the CSR's exact Name DER, and only then does the CA
//! key sign, once, the bytes that go into the certificate.
//!
//! rcgen hands the TBS to its signing key; [`Capture`] is that key: it keeps the bytes and returns
//! no signature, so no CA key is used and a remote signer's audit log sees only the real signature.

use std::cell::RefCell;

use rcgen::{DistinguishedName, DnType, PublicKeyData, SignatureAlgorithm, SigningKey};
use x509_cert::der::{Decode, Encode};
use x509_cert::name::Name;
use x509_cert::TbsCertificate;

use super::key::{CaKey, SignKind};
use super::{keys, SignerError};
use crate::x509::der;

/// rcgen's view of the CA key while it builds a TBS: the real public key and algorithm, a
/// signature that is never made.
pub(super) struct Capture<'a> {
    key: &'a dyn CaKey,
    tbs: RefCell<Option<Vec<u8>>>,
}

impl<'a> Capture<'a> {
    pub(super) fn new(key: &'a dyn CaKey) -> Self {
        Capture {
            key,
            tbs: RefCell::new(None),
        }
    }

    /// The TBSCertificate rcgen asked to have signed.
    pub(super) fn take(&self) -> Result<Vec<u8>, SignerError> {
        self.tbs
            .borrow_mut()
            .take()
            .ok_or_else(|| SignerError::Certificate("rcgen built no TBSCertificate".into()))
    }
}

impl PublicKeyData for Capture<'_> {
    fn der_bytes(&self) -> &[u8] {
        self.key.public_key()
    }

    fn algorithm(&self) -> &'static SignatureAlgorithm {
        keys::signature_algorithm(self.key.algorithm())
    }
}

impl SigningKey for Capture<'_> {
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, rcgen::Error> {
        *self.tbs.borrow_mut() = Some(msg.to_vec());
        Ok(Vec::new())
    }
}

/// What rcgen writes as the subject until the real one replaces it: empty exactly when the real one
/// is, because rcgen marks the subjectAltName critical for an empty subject (RFC 5280 §4.2.1.6).
pub(super) fn placeholder_subject(empty: bool) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    if !empty {
        dn.push(DnType::CommonName, "subject placeholder");
    }
    dn
}

/// Replaces the subject of `tbs` with `subject_der`, has `key` sign the result as an end-entity
/// certificate, and returns the certificate's DER.
pub(super) fn sign_with_subject(
    tbs: &[u8],
    subject_der: &[u8],
    key: &dyn CaKey,
) -> Result<Vec<u8>, SignerError> {
    let broken = |what: &str, e: x509_cert::der::Error| {
        SignerError::Certificate(format!("splicing the subject: {what} ({e})"))
    };
    let mut tbs = TbsCertificate::from_der(tbs).map_err(|e| broken("rcgen's TBS", e))?;
    tbs.subject = Name::from_der(subject_der).map_err(|e| broken("the subject", e))?;
    let tbs_der = tbs.to_der().map_err(|e| broken("the TBS", e))?;
    let algorithm = tbs
        .signature
        .to_der()
        .map_err(|e| broken("the algorithm", e))?;
    let signature = key.sign(SignKind::Certificate, &tbs_der)?;
    // Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue BIT STRING }
    let mut bits = vec![0u8];
    bits.extend(signature);
    let mut body = tbs_der;
    body.extend(algorithm);
    body.extend(der::tlv(der::BIT_STRING, &bits));
    Ok(der::tlv(der::SEQUENCE, &body))
}
