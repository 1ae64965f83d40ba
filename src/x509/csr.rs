//! Certificate signing requests: PEM in, a verified request out.
//!
//! [`Csr::parse`] checks, in order: PEM framing (exactly one block, nothing but whitespace around it),
//! DER structure, key policy, the self-signature (proof of possession), then the subject
//! ([`super::name_rules`], copied by [`super::exact_subject`]) and the requested subjectAltName
//! ([`super::san_rules`]). Other requested extensions are ignored: the CA decides them. Error messages
//! are shown to API users, so each says exactly what is wrong and names the field.

use rcgen::SanType;
use x509_parser::certification_request::X509CertificationRequest;
use x509_parser::cri_attributes::ParsedCriAttribute;
use x509_parser::error::X509Error;
use x509_parser::extensions::ParsedExtension;
use x509_parser::prelude::FromDer;

use super::alt_names;
use super::exact_subject::{self, ExactSubject};
use super::names::NameError;
use super::policy::{self, KeyKind};
use super::san_rules;

/// Why a CSR was refused. The message is meant for the API user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CsrError {
    /// No `-----BEGIN CERTIFICATE REQUEST-----` block.
    #[error("the CSR is not PEM: expected a -----BEGIN CERTIFICATE REQUEST----- block")]
    NotPem,
    /// The PEM or DER inside is broken.
    #[error("the CSR is malformed: {0}")]
    Malformed(String),
    /// The self-signature does not verify: the requester did not prove possession of the key.
    #[error("the CSR signature does not verify with the CSR's own public key")]
    BadSignature,
    /// The public key is of a kind or size the CA does not certify.
    #[error("the CSR key is not allowed: {0}")]
    KeyNotAllowed(String),
    /// Well-formed but asks for something the CA cannot put in a certificate.
    #[error("the CSR is not supported: {0}")]
    Unsupported(String),
    /// A subject attribute or subjectAltName entry breaks the CA's name rules (RFC 5280 bounds,
    /// control characters, DNS/e-mail/URI syntax).
    #[error("the CSR's names are not allowed: {0}")]
    InvalidName(String),
}

impl From<NameError> for CsrError {
    fn from(e: NameError) -> Self {
        match e {
            NameError::Malformed(m) => Self::Malformed(m),
            NameError::Unsupported(m) => Self::Unsupported(m),
            NameError::Invalid(m) => Self::InvalidName(m),
        }
    }
}

/// The display fields of a subject: the first CN, C, ST, L, O and OU, `""` when absent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Subject {
    /// CN.
    pub common_name: String,
    /// C.
    pub country: String,
    /// ST.
    pub state: String,
    /// L.
    pub location: String,
    /// O.
    pub organization: String,
    /// OU.
    pub organizational_unit: String,
}

/// A parsed CSR whose signature verified and whose key the policy accepts.
#[derive(Debug, Clone)]
pub struct Csr {
    pub(crate) der: Vec<u8>,
    pub(crate) subject: ExactSubject,
    pub(crate) subject_alt_names: Vec<SanType>,
    pub(crate) public_key: rcgen::SubjectPublicKeyInfo,
    pub(crate) key_kind: KeyKind,
    pub(crate) key_identifier: Vec<u8>,
}

impl Csr {
    /// Parses and verifies a PEM CSR (`CERTIFICATE REQUEST` or `NEW CERTIFICATE REQUEST`; CRLF and
    /// surrounding whitespace are fine).
    pub fn parse(pem: &str) -> Result<Csr, CsrError> {
        let der = decode_pem(pem)?;
        let (rest, req) = X509CertificationRequest::from_der(&der)
            .map_err(|e| CsrError::Malformed(format!("not a PKCS#10 request ({e})")))?;
        if !rest.is_empty() {
            return Err(CsrError::Malformed(format!(
                "{} bytes follow the request",
                rest.len()
            )));
        }
        let info = &req.certification_request_info;
        let spki = &info.subject_pki;
        // The policy comes before the signature so that a P-521 or RSA-1024 request hears why it is
        // refused instead of a bare "bad signature" (ring cannot verify those keys).
        let key_kind = policy::classify(spki).map_err(CsrError::KeyNotAllowed)?;
        req.verify_signature().map_err(|e| match e {
            X509Error::SignatureUnsupportedAlgorithm => CsrError::Unsupported(format!(
                "the CSR signature algorithm {} does not fit its key",
                req.signature_algorithm.algorithm.to_id_string()
            )),
            _ => CsrError::BadSignature,
        })?;
        let public_key = rcgen::SubjectPublicKeyInfo::from_der(spki.raw)
            .map_err(|e| CsrError::Unsupported(format!("the public key cannot be copied ({e})")))?;
        // rcgen re-encodes the key from its parts; insist that this gives back the CSR's exact bytes.
        if rcgen::PublicKeyData::subject_public_key_info(&public_key) != spki.raw {
            return Err(CsrError::Unsupported(
                "the public key's algorithm parameters are encoded unusually and cannot be copied exactly".into(),
            ));
        }
        let subject = exact_subject::copy(&info.subject)?;
        let subject_alt_names = requested_alt_names(&req)?;
        if subject.is_empty && subject_alt_names.is_empty() {
            return Err(CsrError::Unsupported(
                "the CSR has an empty subject and no subjectAltName; a certificate needs one of them".into(),
            ));
        }
        Ok(Csr {
            subject,
            key_identifier: super::key_identifier(&spki.subject_public_key.data),
            der: der.clone(),
            subject_alt_names,
            public_key,
            key_kind,
        })
    }

    /// The subject's display fields.
    pub fn subject(&self) -> &Subject {
        &self.subject.fields
    }

    /// The subject the certificate carries, DER.
    pub fn subject_der(&self) -> &[u8] {
        &self.subject.der
    }

    /// The CSR as DER.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// Whether the requested key is RSA (its certificate also gets keyEncipherment).
    pub fn is_rsa(&self) -> bool {
        matches!(self.key_kind, KeyKind::Rsa(_))
    }
}

/// The one PEM block of `text`. Whitespace around it is fine; any other text, or a second block, is
/// refused: what is signed must be what was sent, with nothing for a reader to take differently.
fn decode_pem(text: &str) -> Result<Vec<u8>, CsrError> {
    let text = text.trim_matches(|c: char| c.is_ascii_whitespace());
    let blocks = text.matches("-----BEGIN ").count();
    if blocks == 0 {
        return Err(CsrError::NotPem);
    }
    if blocks > 1 {
        return Err(CsrError::Malformed(format!(
            "the csr holds {blocks} PEM blocks; send exactly one CERTIFICATE REQUEST"
        )));
    }
    if !text.starts_with("-----BEGIN ") {
        return Err(CsrError::Malformed(
            "there is text before the PEM block; send the CERTIFICATE REQUEST block alone".into(),
        ));
    }
    let last_line = text.lines().last().unwrap_or_default();
    if !(last_line.starts_with("-----END ") && last_line.ends_with("-----")) {
        return Err(CsrError::Malformed(
            "there is text after the PEM block (or its END line is missing); send the CERTIFICATE REQUEST block alone".into(),
        ));
    }
    let block = pem::parse(text).map_err(|e| match e {
        pem::PemError::InvalidData(e) => {
            CsrError::Malformed(format!("the PEM body is not valid base64 ({e})"))
        }
        pem::PemError::MismatchedTags(begin, end) => CsrError::Malformed(format!(
            "the PEM block begins with {begin:?} but ends with {end:?}"
        )),
        _ => CsrError::NotPem,
    })?;
    if block.headers().iter().next().is_some() {
        return Err(CsrError::Malformed(
            "the PEM block has headers; a CERTIFICATE REQUEST has none (RFC 7468)".into(),
        ));
    }
    match block.tag() {
        "CERTIFICATE REQUEST" | "NEW CERTIFICATE REQUEST" => Ok(block.into_contents()),
        other => Err(CsrError::Malformed(format!(
            "expected a CERTIFICATE REQUEST PEM block, found {other:?}"
        ))),
    }
}

/// The first subjectAltName in the extensionRequest attribute, if any.
fn requested_alt_names(req: &X509CertificationRequest<'_>) -> Result<Vec<SanType>, CsrError> {
    for attr in req.certification_request_info.iter_attributes() {
        let ParsedCriAttribute::ExtensionRequest(request) = attr.parsed_attribute() else {
            continue;
        };
        for ext in &request.extensions {
            match ext.parsed_extension() {
                ParsedExtension::SubjectAlternativeName(san) => {
                    san_rules::alt_names(&san.general_names)?;
                    return Ok(alt_names::subject_alt_names(&san.general_names)?);
                }
                ParsedExtension::ParseError { .. } if ext.oid.to_id_string() == "2.5.29.17" => {
                    return Err(CsrError::Malformed(
                        "the requested subjectAltName cannot be decoded".into(),
                    ))
                }
                _ => {}
            }
        }
    }
    Ok(Vec::new())
}
