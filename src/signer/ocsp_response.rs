//! OCSP responses (RFC 6960 §4.2): a BasicOCSPResponse signed by the CA key itself, or a bare
//! error status.

use std::time::Duration;

use ring::digest;
use x509_cert::der::asn1::{BitString, GeneralizedTime, Null, ObjectIdentifier, OctetString};
use x509_cert::der::{Any, DateTime, Encode};
use x509_cert::ext::pkix::CrlReason;
use x509_cert::spki::AlgorithmIdentifierOwned;
use x509_ocsp::{
    BasicOcspResponse, CertStatus, OcspGeneralizedTime, OcspResponse, OcspResponseStatus,
    ResponderId, ResponseBytes, ResponseData, RevokedInfo, SingleResponse, Version,
};

use super::key::SignKind;
use super::{Signer, SignerError};
use crate::model::KeyAlgorithm;
use crate::x509::OcspQuery;

const ID_PKIX_OCSP_BASIC: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.1.1");

/// What the responder says about one certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OcspStatus {
    /// Issued by this CA and not revoked.
    Good,
    /// Revoked at this instant (unix seconds), reason certificateHold.
    Revoked(i64),
    /// Not a serial this CA issued.
    Unknown,
}

/// The instants of a response, unix seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OcspTimes {
    /// producedAt and every thisUpdate.
    pub this_update: i64,
    /// Every nextUpdate.
    pub next_update: i64,
}

/// An OCSPResponse without responseBytes: the request got no status answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OcspFailure {
    /// `malformedRequest` (1).
    MalformedRequest,
    /// `internalError` (2).
    InternalError,
    /// `tryLater` (3).
    TryLater,
    /// `unauthorized` (6).
    Unauthorized,
}

impl OcspFailure {
    /// The DER OCSPResponse, `SEQUENCE { ENUMERATED status }`.
    pub fn der(self) -> Vec<u8> {
        let status = match self {
            OcspFailure::MalformedRequest => OcspResponseStatus::MalformedRequest,
            OcspFailure::InternalError => OcspResponseStatus::InternalError,
            OcspFailure::TryLater => OcspResponseStatus::TryLater,
            OcspFailure::Unauthorized => OcspResponseStatus::Unauthorized,
        };
        vec![0x30, 0x03, 0x0a, 0x01, status as u8]
    }
}

impl Signer {
    /// Signs a successful response to `query` with one SingleResponse per CertID, in request order,
    /// `statuses` giving each one's status. The responder is identified by key hash; the nonce, if
    /// any, is echoed; no certificates are attached (the CA signs, and clients have it).
    pub fn sign_ocsp_response(
        &self,
        query: &OcspQuery,
        statuses: &[OcspStatus],
        times: OcspTimes,
    ) -> Result<Vec<u8>, SignerError> {
        if statuses.len() != query.cert_ids.len() {
            return Err(SignerError::Certificate(
                "one OCSP status is needed per certificate asked about".into(),
            ));
        }
        let this_update = generalized(times.this_update)?;
        let next_update = generalized(times.next_update)?;
        let responses = query
            .cert_ids
            .iter()
            .zip(statuses)
            .map(|(id, status)| {
                Ok(SingleResponse {
                    cert_id: id.clone(),
                    cert_status: match *status {
                        OcspStatus::Good => CertStatus::good(),
                        OcspStatus::Unknown => CertStatus::unknown(),
                        OcspStatus::Revoked(at) => CertStatus::Revoked(RevokedInfo {
                            revocation_time: generalized(at)?,
                            revocation_reason: Some(CrlReason::CertificateHold),
                        }),
                    },
                    this_update,
                    next_update: Some(next_update),
                    single_extensions: None,
                })
            })
            .collect::<Result<Vec<_>, SignerError>>()?;
        let tbs = ResponseData {
            version: Version::V1,
            responder_id: ResponderId::ByKey(octets(&self.responder_key_hash)?),
            produced_at: this_update,
            responses,
            response_extensions: query.nonce.clone().map(|n| vec![n]),
        };
        let tbs_der = tbs.to_der().map_err(asn1)?;
        let signature = self.key.sign(SignKind::Ocsp, &tbs_der)?;
        let basic = BasicOcspResponse {
            tbs_response_data: tbs,
            signature_algorithm: signature_algorithm(self.algorithm)?,
            signature: BitString::from_bytes(&signature).map_err(asn1)?,
            certs: None,
        };
        OcspResponse {
            response_status: OcspResponseStatus::Successful,
            response_bytes: Some(ResponseBytes {
                response_type: ID_PKIX_OCSP_BASIC,
                response: octets(&basic.to_der().map_err(asn1)?)?,
            }),
        }
        .to_der()
        .map_err(asn1)
    }
}

/// RFC 6960 §4.2.1 ResponderID byKey: SHA-1 of the CA's subjectPublicKey BIT STRING contents.
pub(super) fn responder_key_hash(key_bits: &[u8]) -> Vec<u8> {
    digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, key_bits)
        .as_ref()
        .to_vec()
}

/// The AlgorithmIdentifier of the signatures the CA key makes; RSA's has NULL parameters.
fn signature_algorithm(alg: KeyAlgorithm) -> Result<AlgorithmIdentifierOwned, SignerError> {
    let rsa = matches!(
        alg,
        KeyAlgorithm::Rsa2048 | KeyAlgorithm::Rsa3072 | KeyAlgorithm::Rsa4096
    );
    Ok(AlgorithmIdentifierOwned {
        oid: ObjectIdentifier::new(alg.signature_oid()).map_err(|e| asn1(e.into()))?,
        parameters: rsa.then(|| Any::from(Null)),
    })
}

fn generalized(unix: i64) -> Result<OcspGeneralizedTime, SignerError> {
    let secs =
        u64::try_from(unix).map_err(|_| SignerError::Validity(format!("{unix} is before 1970")))?;
    let dt = DateTime::from_unix_duration(Duration::from_secs(secs))
        .map_err(|e| SignerError::Validity(e.to_string()))?;
    Ok(OcspGeneralizedTime(GeneralizedTime::from_date_time(dt)))
}

fn octets(bytes: &[u8]) -> Result<OctetString, SignerError> {
    OctetString::new(bytes).map_err(asn1)
}

fn asn1(e: x509_cert::der::Error) -> SignerError {
    SignerError::Certificate(format!("OCSP encoding failed: {e}"))
}
