//! CA certificates: the facts the CA registry serves and the OCSP responder needs, read once from
//! the DER, and the checks a certificate must pass before it may become the issuing CA (installed
//! after `ca request`, or imported).

use std::fmt;

use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::ParsedExtension;
use x509_parser::prelude::FromDer;

use super::ocsp::{self, IssuerHashes, OcspQuery, OcspRefusal};
use super::{key_identifier, pem_encode, policy};
use crate::clock::rfc3339;
use crate::model::KeyAlgorithm;

/// Why a certificate cannot be (or serve as) a CA here. The message is for the operator.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct CaCheckError(pub String);

pub(super) fn refuse<T>(why: impl Into<String>) -> Result<T, CaCheckError> {
    Err(CaCheckError(why.into()))
}

/// A parsed CA certificate: no key, only what is public.
#[derive(Clone)]
pub struct CaCertificate {
    pub(super) der: Vec<u8>,
    pub(super) algorithm: KeyAlgorithm,
    pub(super) common_name: String,
    pub(super) subject_raw: Vec<u8>,
    pub(super) issuer_raw: Vec<u8>,
    pub(super) not_before: i64,
    pub(super) not_after: i64,
    pub(super) ski: Vec<u8>,
    /// keyUsage (keyCertSign, cRLSign), when the extension is present.
    pub(super) key_usage: Option<(bool, bool)>,
    pub(super) path_len: Option<u32>,
    pub(super) issuer_hashes: Vec<IssuerHashes>,
}

impl fmt::Debug for CaCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CaCertificate")
            .field("common_name", &self.common_name)
            .field("algorithm", &self.algorithm)
            .field("not_after", &self.not_after)
            .finish_non_exhaustive()
    }
}

pub(super) fn parse_der(der: &[u8]) -> Result<X509Certificate<'_>, CaCheckError> {
    let (rest, cert) = X509Certificate::from_der(der)
        .map_err(|e| CaCheckError(format!("the certificate cannot be parsed ({e})")))?;
    if !rest.is_empty() {
        return refuse("the certificate is followed by trailing bytes");
    }
    Ok(cert)
}

impl CaCertificate {
    /// Parses a DER certificate that must be a CA certificate (basicConstraints cA TRUE) with a key
    /// of a kind a CA here may have.
    pub fn parse(der: &[u8]) -> Result<CaCertificate, CaCheckError> {
        let cert = parse_der(der)?;
        let common_name = cert
            .subject()
            .iter_common_name()
            .next()
            .and_then(|cn| cn.as_str().ok())
            .map(str::to_owned)
            .unwrap_or_else(|| cert.subject().to_string());
        let path_len = match cert.basic_constraints() {
            Ok(Some(bc)) if bc.value.ca => bc.value.path_len_constraint,
            Ok(_) => {
                return refuse(format!(
                    "{common_name:?} is not a CA certificate (basicConstraints cA is not TRUE)"
                ))
            }
            Err(e) => return refuse(format!("its basicConstraints cannot be read ({e})")),
        };
        let algorithm = policy::classify(cert.public_key())
            .ok()
            .and_then(|kind| kind.ca_algorithm())
            .ok_or_else(|| {
                CaCheckError(format!(
                    "{common_name:?} has a key no CA here may have (ECDSA P-256/P-384, RSA 2048/3072/4096 or Ed25519)"
                ))
            })?;
        let key_usage = match cert.key_usage() {
            Ok(Some(ku)) => Some((ku.value.key_cert_sign(), ku.value.crl_sign())),
            Ok(None) => None,
            Err(e) => return refuse(format!("its keyUsage cannot be read ({e})")),
        };
        let key_bits = cert.public_key().subject_public_key.data.as_ref();
        let ski = cert
            .iter_extensions()
            .find_map(|ext| match ext.parsed_extension() {
                ParsedExtension::SubjectKeyIdentifier(id) => Some(id.0.to_vec()),
                _ => None,
            })
            .unwrap_or_else(|| key_identifier(key_bits));
        Ok(CaCertificate {
            algorithm,
            subject_raw: cert.subject().as_raw().to_vec(),
            issuer_raw: cert.issuer().as_raw().to_vec(),
            not_before: cert.validity().not_before.timestamp(),
            not_after: cert.validity().not_after.timestamp(),
            issuer_hashes: ocsp::issuer_hashes(cert.subject().as_raw(), key_bits),
            ski,
            key_usage,
            path_len,
            common_name,
            der: der.to_vec(),
        })
    }

    /// The certificate, DER.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The certificate, PEM (LF line endings).
    pub fn pem(&self) -> String {
        pem_encode("CERTIFICATE", &self.der)
    }

    /// The key algorithm (and so what the CA signs with).
    pub fn algorithm(&self) -> KeyAlgorithm {
        self.algorithm
    }

    /// The subject's commonName (or the whole subject when it has none).
    pub fn common_name(&self) -> &str {
        &self.common_name
    }

    /// notBefore, unix seconds.
    pub fn not_before(&self) -> i64 {
        self.not_before
    }

    /// notAfter, unix seconds.
    pub fn not_after(&self) -> i64 {
        self.not_after
    }

    /// The Subject Key Identifier (RFC 5280 method 1 when the certificate has none).
    pub fn ski(&self) -> &[u8] {
        &self.ski
    }

    /// Whether subject and issuer are the same name (a root, or a self-issued certificate).
    pub fn self_issued(&self) -> bool {
        self.subject_raw == self.issuer_raw
    }

    /// Parses a DER OCSP request; every CertID in it must name this CA (SHA-1, SHA-256, SHA-384 or
    /// SHA-512 hashes of its subject and key).
    pub fn parse_ocsp_request(&self, der: &[u8]) -> Result<OcspQuery, OcspRefusal> {
        ocsp::parse(der, &self.issuer_hashes)
    }

    /// Whether this certificate may sign client certificates and CRLs at `now`: keyCertSign and
    /// cRLSign (when keyUsage is present) and inside its validity period.
    pub fn check_can_issue(&self, now: i64) -> Result<(), CaCheckError> {
        self.check_usable(now, "the CA certificate")?;
        if let Some((_, false)) = self.key_usage {
            return refuse(format!(
                "{:?} has no cRLSign in keyUsage: it could not sign the CRLs mtls-ca publishes",
                self.common_name
            ));
        }
        Ok(())
    }

    pub(super) fn check_usable(&self, now: i64, what: &str) -> Result<(), CaCheckError> {
        if let Some((false, _)) = self.key_usage {
            return refuse(format!(
                "{what} {:?} has no keyCertSign in keyUsage: it may not sign certificates",
                self.common_name
            ));
        }
        if now < self.not_before {
            return refuse(format!(
                "{what} {:?} is not valid yet (notBefore {})",
                self.common_name,
                rfc3339(self.not_before)
            ));
        }
        if now >= self.not_after {
            return refuse(format!(
                "{what} {:?} has expired (notAfter {})",
                self.common_name,
                rfc3339(self.not_after)
            ));
        }
        Ok(())
    }
}

/// Every `CERTIFICATE` block of a PEM text, DER, in order. Refuses text with none, or with a block
/// of another kind (a private key pasted by mistake must not pass silently).
pub fn parse_certificates_pem(text: &str) -> Result<Vec<Vec<u8>>, CaCheckError> {
    let blocks =
        pem::parse_many(text.as_bytes()).map_err(|e| CaCheckError(format!("not PEM ({e})")))?;
    if blocks.is_empty() {
        return refuse("no -----BEGIN CERTIFICATE----- block");
    }
    blocks
        .into_iter()
        .map(|b| match b.tag() {
            "CERTIFICATE" => Ok(b.into_contents()),
            other => refuse(format!("a {other} block where a CERTIFICATE was expected")),
        })
        .collect()
}
