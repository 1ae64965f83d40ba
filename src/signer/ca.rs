//! The CA itself: creating a self-signed root, and a stored one with its key as a [`Signer`].

use std::fmt;
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, KeyIdMethod,
    KeyUsagePurpose, SerialNumber,
};
use x509_parser::certification_request::X509CertificationRequest;
use x509_parser::extensions::ParsedExtension;
use x509_parser::prelude::FromDer;
use x509_parser::prelude::X509Certificate;

use super::custody::{KeyCustody, StoredKey};
use super::key::{CaKey, SignKind, Signing};
use super::{keys, ocsp_response, validity, SignerError};
use crate::model::KeyAlgorithm;
use crate::x509::{names, pem_encode, policy};

/// How long a new root is valid.
const CA_YEARS: i32 = 25;
/// The organization every root names, after which comes the operator's common name.
const CA_ORGANIZATION: &str = "mtls-ca";

/// A freshly created CA, ready to be stored.
#[derive(Debug, Clone)]
pub struct NewCa {
    /// The self-signed certificate, DER.
    pub certificate_der: Vec<u8>,
    /// The same certificate, PEM (LF line endings).
    pub certificate_pem: String,
    /// The private key as the database keeps it.
    pub key: StoredKey,
    /// notBefore, unix seconds (the `now` given).
    pub not_before: i64,
    /// notAfter, unix seconds (25 calendar years after notBefore).
    pub not_after: i64,
}

/// Creates a self-signed root with a new key made by `custody` under `label` (the CA's id): subject
/// `O=mtls-ca, CN=common_name`, critical basicConstraints `CA:TRUE, pathlen:0`, critical keyUsage
/// digitalSignature (it signs OCSP responses itself), keyCertSign and cRLSign, SKI by RFC 5280
/// method 1, a random 20-byte serial, valid from `now` for 25 years.
pub fn create_ca(
    custody: &dyn KeyCustody,
    alg: KeyAlgorithm,
    common_name: &str,
    label: &str,
    now: i64,
) -> Result<NewCa, SignerError> {
    // Checked first: RSA key generation takes seconds and should not be wasted on bad input.
    if common_name.trim().is_empty() {
        return Err(SignerError::Certificate(
            "the CA common name is empty".into(),
        ));
    }
    let not_before = validity::datetime(now)?;
    let not_after = validity::plus_years(not_before, CA_YEARS)?;
    let new = custody.generate(alg, label)?;

    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, CA_ORGANIZATION);
    dn.push(DnType::CommonName, common_name);
    params.distinguished_name = dn;
    // pathlen 0: this CA only ever signs end-entity certificates.
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    // RFC 5280 §4.2.1.3: signatures other than on certificates and CRLs, such as the OCSP
    // responses this CA signs directly, need digitalSignature.
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
    ];
    params.serial_number = Some(SerialNumber::from_slice(&keys::random_serial()));
    params.not_before = not_before;
    params.not_after = not_after;
    params.key_identifier_method =
        KeyIdMethod::PreSpecified(crate::x509::key_identifier(new.key.public_key()));
    let signing = Signing::new(&*new.key, SignKind::CaCertificate);
    let certificate = signing.finish(params.self_signed(&signing))?;

    Ok(NewCa {
        certificate_pem: certificate_pem(certificate.der()),
        certificate_der: certificate.der().to_vec(),
        key: new.stored,
        not_before: now,
        not_after: not_after.unix_timestamp(),
    })
}

/// A loaded CA: the certificate, and the key that signs with it. `Send + Sync`; `Debug` shows no key.
pub struct Signer {
    pub(super) algorithm: KeyAlgorithm,
    pub(super) certificate_der: Vec<u8>,
    pub(super) not_after: i64,
    /// The CA certificate's Subject Key Identifier: the AKI of its certificates and CRLs.
    pub(super) ski: Vec<u8>,
    /// The OCSP ResponderID byKey.
    pub(super) responder_key_hash: Vec<u8>,
    /// The issuer side of what it signs: the CA subject and its SKI (the AKI of its certificates
    /// and CRLs).
    pub(super) params: CertificateParams,
    pub(super) key: Arc<dyn CaKey>,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("algorithm", &self.algorithm)
            .field("not_after", &self.not_after)
            .finish_non_exhaustive()
    }
}

impl Signer {
    /// A CA from its stored certificate and its key.
    ///
    /// Errors: `KeyMismatch` (the key is not the certificate's), `Certificate` (not a usable CA
    /// certificate), and whatever the key's signature (of a probe CSR) fails with.
    pub fn load(certificate_der: &[u8], key: Arc<dyn CaKey>) -> Result<Signer, SignerError> {
        let bad = |why: String| SignerError::Certificate(format!("the CA certificate {why}"));
        let (rest, cert) = x509_parser::parse_x509_certificate(certificate_der)
            .map_err(|e| bad(format!("cannot be parsed ({e})")))?;
        if !rest.is_empty() {
            return Err(bad("is followed by trailing bytes".into()));
        }
        if !matches!(cert.basic_constraints(), Ok(Some(bc)) if bc.value.ca) {
            return Err(bad(
                "is not a CA certificate (basicConstraints cA is not true)".into(),
            ));
        }
        let algorithm = policy::classify(cert.public_key())
            .ok()
            .and_then(|kind| kind.ca_algorithm())
            .ok_or_else(|| bad("has a key of a kind no CA here may have".into()))?;
        let ca_key_bits = cert.public_key().subject_public_key.data.as_ref();
        if key.algorithm() != algorithm || key.public_key() != ca_key_bits {
            return Err(SignerError::KeyMismatch);
        }

        let mut params = CertificateParams::default();
        params.distinguished_name = names::distinguished_name(cert.subject())
            .map_err(|e| bad(format!("has a subject that cannot be reproduced ({e})")))?;
        check_subject_encoding(&params, &*key, &cert)?;
        let ski = subject_key_identifier(&cert);
        params.key_identifier_method = KeyIdMethod::PreSpecified(ski.clone());
        Ok(Signer {
            algorithm,
            ski,
            certificate_der: certificate_der.to_vec(),
            not_after: cert.validity().not_after.timestamp(),
            responder_key_hash: ocsp_response::responder_key_hash(ca_key_bits),
            params,
            key,
        })
    }

    /// Opens `stored` with `custody`, then loads the CA as [`Signer::load`] does.
    pub fn open(
        custody: &dyn KeyCustody,
        certificate_der: &[u8],
        stored: &StoredKey,
        alg: KeyAlgorithm,
    ) -> Result<Signer, SignerError> {
        Signer::load(certificate_der, custody.open(stored, alg)?)
    }

    /// The CA's key algorithm.
    pub fn algorithm(&self) -> KeyAlgorithm {
        self.algorithm
    }

    /// The CA certificate, DER.
    pub fn certificate_der(&self) -> &[u8] {
        &self.certificate_der
    }

    /// The CA certificate, PEM (LF line endings).
    pub fn certificate_pem(&self) -> String {
        certificate_pem(&self.certificate_der)
    }

    /// The CA certificate's notAfter, unix seconds.
    pub fn not_after(&self) -> i64 {
        self.not_after
    }

    /// Whether issuing is cheap enough (well under a millisecond of CPU, with no I/O) to run on
    /// an async executor's thread: an elliptic-curve key signing in this process. RSA signatures,
    /// tokens and signer processes belong on a blocking thread.
    pub fn issues_quickly(&self) -> bool {
        self.key.signs_in_process() && !self.algorithm.is_rsa()
    }
}

/// Path building compares the issuer of a certificate with its CA's subject byte for byte, and rcgen
/// re-encodes names from parts. rcgen writes a CSR's subject exactly as it writes an issuer, so a CSR
/// (signed by the CA key, never a certificate) shows whether the re-encoding is faithful. Its
/// signature also proves once more that the key is the certificate's.
fn check_subject_encoding(
    params: &CertificateParams,
    key: &dyn CaKey,
    ca: &X509Certificate<'_>,
) -> Result<(), SignerError> {
    let signing = Signing::new(key, SignKind::CaRequest);
    let csr = signing.finish(params.serialize_request(&signing))?;
    let (_, probe) = X509CertificationRequest::from_der(csr.der())
        .map_err(|e| SignerError::Certificate(e.to_string()))?;
    let info = &probe.certification_request_info;
    if info.subject.as_raw() != ca.subject().as_raw() {
        return Err(SignerError::Certificate(
            "the CA subject does not re-encode to the same bytes".into(),
        ));
    }
    if info.subject_pki.raw != ca.public_key().raw || probe.verify_signature().is_err() {
        return Err(SignerError::KeyMismatch);
    }
    Ok(())
}

/// The certificate's own Subject Key Identifier, or the RFC 5280 method 1 value when it has none.
fn subject_key_identifier(cert: &X509Certificate<'_>) -> Vec<u8> {
    cert.iter_extensions()
        .find_map(|ext| match ext.parsed_extension() {
            ParsedExtension::SubjectKeyIdentifier(id) => Some(id.0.to_vec()),
            _ => None,
        })
        .unwrap_or_else(|| crate::x509::key_identifier(&cert.public_key().subject_public_key.data))
}

/// PEM with LF line endings whatever the platform.
pub(super) fn certificate_pem(der: &[u8]) -> String {
    pem_encode("CERTIFICATE", der)
}
