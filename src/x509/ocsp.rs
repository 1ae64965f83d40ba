//! OCSP requests (RFC 6960 §4.1): which certificates of this CA a client asks about, and its nonce.
//!
//! Parsing is strict about the structure and lenient about the rest: a signed request is answered
//! without checking its signature (this responder does not require signed requests), and unknown
//! extensions are ignored.

use ring::digest;
use x509_cert::der::asn1::{ObjectIdentifier, OctetString};
use x509_cert::der::{Decode, Encode};
use x509_cert::ext::Extension;
use x509_ocsp::{CertId, OcspRequest};

/// Most certificates one request may ask about; RFC 6960 sets no limit, each costs a lookup.
pub const MAX_REQUESTS: usize = 32;
/// RFC 8954: a nonce of 1 to 32 octets is echoed; others are ignored, as the RFC allows.
const MAX_NONCE: usize = 32;

pub(crate) const ID_PKIX_OCSP_NONCE: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.1.2");
const ID_SHA1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.14.3.2.26");
const ID_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
const ID_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.2");
const ID_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.3");

/// Why a request gets no answer about certificate status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OcspRefusal {
    /// Not a well-formed OCSPRequest: `malformedRequest`.
    #[error("malformed OCSP request: {0}")]
    Malformed(&'static str),
    /// About another issuer, or with a CertID hash this responder does not compute: `unauthorized`.
    #[error("not authorized to answer: {0}")]
    Unauthorized(&'static str),
}

/// A parsed request whose every CertID names this CA.
#[derive(Debug, Clone)]
pub struct OcspQuery {
    pub(crate) cert_ids: Vec<CertId>,
    serials: Vec<String>,
    pub(crate) nonce: Option<Extension>,
}

impl OcspQuery {
    /// The serials asked about, lowercase hex without leading zero octets, in request order.
    /// A negative serial, which this CA never issues, is the empty string.
    pub fn serials(&self) -> &[String] {
        &self.serials
    }

    /// Whether the request carries a nonce that the answer echoes.
    pub fn has_nonce(&self) -> bool {
        self.nonce.is_some()
    }

    /// For a request without nonce about one certificate, the DER of its CertID: the answer
    /// depends on nothing else, so signed answers may be cached under it.
    pub fn cache_key(&self) -> Option<Vec<u8>> {
        match (&self.nonce, self.cert_ids.as_slice()) {
            (None, [one]) => one.to_der().ok(),
            _ => None,
        }
    }
}

/// The hashes a CertID may carry for this CA, per hash algorithm.
#[derive(Debug, Clone)]
pub(crate) struct IssuerHashes {
    oid: ObjectIdentifier,
    name_hash: Vec<u8>,
    key_hash: Vec<u8>,
}

/// Hashes of the CA's subject (DER) and public key (BIT STRING contents) under every supported
/// algorithm: SHA-1 (openssl's default), SHA-256, SHA-384, SHA-512.
pub(crate) fn issuer_hashes(subject_der: &[u8], key_bits: &[u8]) -> Vec<IssuerHashes> {
    [
        (ID_SHA1, &digest::SHA1_FOR_LEGACY_USE_ONLY),
        (ID_SHA256, &digest::SHA256),
        (ID_SHA384, &digest::SHA384),
        (ID_SHA512, &digest::SHA512),
    ]
    .into_iter()
    .map(|(oid, alg)| IssuerHashes {
        oid,
        name_hash: digest::digest(alg, subject_der).as_ref().to_vec(),
        key_hash: digest::digest(alg, key_bits).as_ref().to_vec(),
    })
    .collect()
}

/// Parses a DER OCSPRequest about certificates issued by the CA whose hashes are `ours`.
pub(crate) fn parse(der: &[u8], ours: &[IssuerHashes]) -> Result<OcspQuery, OcspRefusal> {
    let request =
        OcspRequest::from_der(der).map_err(|_| OcspRefusal::Malformed("not a DER OCSPRequest"))?;
    let tbs = request.tbs_request;
    if tbs.request_list.is_empty() {
        return Err(OcspRefusal::Malformed("the request list is empty"));
    }
    if tbs.request_list.len() > MAX_REQUESTS {
        return Err(OcspRefusal::Malformed(
            "too many certificates in one request",
        ));
    }
    let mut cert_ids = Vec::with_capacity(tbs.request_list.len());
    let mut serials = Vec::with_capacity(tbs.request_list.len());
    for single in tbs.request_list {
        let id = single.req_cert;
        let hashes = ours.iter().find(|h| h.oid == id.hash_algorithm.oid).ok_or(
            OcspRefusal::Unauthorized("unsupported CertID hash algorithm"),
        )?;
        if id.issuer_name_hash.as_bytes() != hashes.name_hash
            || id.issuer_key_hash.as_bytes() != hashes.key_hash
        {
            return Err(OcspRefusal::Unauthorized("a certificate of another issuer"));
        }
        serials.push(serial_hex(id.serial_number.as_bytes()));
        cert_ids.push(id);
    }
    let nonce = tbs
        .request_extensions
        .unwrap_or_default()
        .into_iter()
        .find(|e| e.extn_id == ID_PKIX_OCSP_NONCE)
        .filter(|e| nonce_ok(e.extn_value.as_bytes()))
        .map(|e| Extension {
            critical: false,
            ..e
        });
    Ok(OcspQuery {
        cert_ids,
        serials,
        nonce,
    })
}

/// RFC 8954: the extension value is `Nonce ::= OCTET STRING (SIZE(1..32))`.
fn nonce_ok(value: &[u8]) -> bool {
    OctetString::from_der(value).is_ok_and(|n| (1..=MAX_NONCE).contains(&n.as_bytes().len()))
}

/// Lowercase hex of a DER INTEGER's contents without leading zero octets; `""` when negative.
pub fn serial_hex(int_bytes: &[u8]) -> String {
    if int_bytes.first().is_some_and(|b| b & 0x80 != 0) {
        return String::new();
    }
    let zeros = int_bytes.iter().take_while(|&&b| b == 0).count();
    hex::encode(&int_bytes[zeros.min(int_bytes.len().saturating_sub(1))..])
}
