//! CRLs and OCSP: request parsing edge cases, and what is signed, read back by other code
//! (x509-parser for CRLs, x509-ocsp and ring for OCSP responses).

use ring::digest;
use ring::signature::{self, UnparsedPublicKey};
use x509_cert::der::asn1::{Null, ObjectIdentifier, OctetString};
use x509_cert::der::{Any, Decode, Encode};
use x509_cert::ext::pkix::CrlReason;
use x509_cert::ext::Extension;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::AlgorithmIdentifierOwned;
use x509_ocsp::{
    BasicOcspResponse, CertId, CertStatus, OcspRequest, OcspResponse, OcspResponseStatus, Request,
    ResponderId, TbsRequest,
};
use x509_parser::prelude::*;

use super::fixtures::{ca, cas, DAY, NOW};
use crate::model::KeyAlgorithm;
use crate::signer::{CrlEntry, CrlInput, OcspFailure, OcspStatus, OcspTimes, Signer};
use crate::x509::{crl_entries, serial_hex, CaCertificate, OcspRefusal, MAX_REQUESTS};

/// Requests are parsed against the CA's certificate (`x509`), which these tests reach through its signer.
trait ParseOcsp {
    fn parse_ocsp_request(&self, der: &[u8]) -> Result<crate::x509::OcspQuery, OcspRefusal>;
}

impl ParseOcsp for Signer {
    fn parse_ocsp_request(&self, der: &[u8]) -> Result<crate::x509::OcspQuery, OcspRefusal> {
        CaCertificate::parse(self.certificate_der())
            .expect("a CA certificate")
            .parse_ocsp_request(der)
    }
}

const SHA1: &str = "1.3.14.3.2.26";
const SHA256: &str = "2.16.840.1.101.3.4.2.1";
const NONCE: &str = "1.3.6.1.5.5.7.48.1.2";

fn oid(s: &str) -> ObjectIdentifier {
    ObjectIdentifier::new(s).unwrap()
}

/// A CertID about `serial` from the CA certificate `ca_der`, hashed with `alg` (SHA-1 or SHA-256).
fn cert_id(ca_der: &[u8], alg: &str, serial: &[u8]) -> CertId {
    let (_, cert) = X509Certificate::from_der(ca_der).unwrap();
    let hash = match alg {
        SHA1 => &digest::SHA1_FOR_LEGACY_USE_ONLY,
        _ => &digest::SHA256,
    };
    let h = |b: &[u8]| OctetString::new(digest::digest(hash, b).as_ref()).unwrap();
    CertId {
        hash_algorithm: AlgorithmIdentifierOwned {
            oid: oid(alg),
            parameters: Some(Any::from(Null)),
        },
        issuer_name_hash: h(cert.subject().as_raw()),
        issuer_key_hash: h(&cert.public_key().subject_public_key.data),
        serial_number: SerialNumber::new(serial).unwrap(),
    }
}

fn request(ids: Vec<CertId>, nonce_value: Option<Vec<u8>>) -> Vec<u8> {
    OcspRequest {
        tbs_request: TbsRequest {
            request_list: ids
                .into_iter()
                .map(|req_cert| Request {
                    req_cert,
                    single_request_extensions: None,
                })
                .collect(),
            request_extensions: nonce_value.map(|v| {
                vec![Extension {
                    extn_id: oid(NONCE),
                    critical: false,
                    extn_value: OctetString::new(v).unwrap(),
                }]
            }),
            ..TbsRequest::default()
        },
        optional_signature: None,
    }
    .to_der()
    .unwrap()
}

fn signer() -> &'static Signer {
    &ca(KeyAlgorithm::EcdsaP256).signer
}

const SERIAL: [u8; 20] = [0x42; 20];

#[test]
fn sha1_and_sha256_cert_ids_about_this_ca_parse_to_their_serials() {
    let s = signer();
    for alg in [SHA1, SHA256] {
        let q = s
            .parse_ocsp_request(&request(
                vec![cert_id(s.certificate_der(), alg, &SERIAL)],
                None,
            ))
            .unwrap();
        assert_eq!(q.serials(), [hex::encode(SERIAL)]);
        assert!(!q.has_nonce() && q.cache_key().is_some());
    }
}

#[test]
fn malformed_requests_are_told_apart_from_requests_for_another_issuer() {
    let s = signer();
    let ours = cert_id(s.certificate_der(), SHA1, &SERIAL);
    let good = request(vec![ours.clone()], None);
    let mut trailing = good.clone();
    trailing.push(0);
    for (what, der) in [
        ("empty", vec![]),
        ("garbage", b"hello".to_vec()),
        ("truncated", good[..good.len() - 3].to_vec()),
        ("trailing bytes", trailing),
        ("no certificates", request(vec![], None)),
        (
            "too many certificates",
            request(vec![ours.clone(); MAX_REQUESTS + 1], None),
        ),
    ] {
        assert!(
            matches!(s.parse_ocsp_request(&der), Err(OcspRefusal::Malformed(_))),
            "{what}"
        );
    }
    let other_ca = ca(KeyAlgorithm::Ed25519).signer.certificate_der();
    let mut md5 = ours.clone();
    md5.hash_algorithm.oid = oid("1.2.840.113549.2.5");
    for (what, ids) in [
        ("another issuer", vec![cert_id(other_ca, SHA1, &SERIAL)]),
        (
            "mixed issuers",
            vec![ours.clone(), cert_id(other_ca, SHA256, &SERIAL)],
        ),
        ("an unsupported hash", vec![md5]),
    ] {
        assert!(
            matches!(
                s.parse_ocsp_request(&request(ids, None)),
                Err(OcspRefusal::Unauthorized(_))
            ),
            "{what}"
        );
    }
}

#[test]
fn nonces_of_one_to_32_octets_are_kept_others_ignored() {
    let s = signer();
    let id = || vec![cert_id(s.certificate_der(), SHA1, &SERIAL)];
    let wrapped = |n: usize| OctetString::new(vec![7u8; n]).unwrap().to_der().unwrap();
    for (value, kept) in [
        (wrapped(1), true),
        (wrapped(16), true),
        (wrapped(32), true),
        (wrapped(0), false),
        (wrapped(33), false),
        // Pre-RFC 8954 clients sent the raw octets without the inner OCTET STRING.
        (vec![7u8; 16], false),
    ] {
        let q = s.parse_ocsp_request(&request(id(), Some(value))).unwrap();
        assert_eq!(q.has_nonce(), kept);
        assert_eq!(
            q.cache_key().is_none(),
            kept,
            "answers with a nonce are not cached"
        );
    }
    let two = vec![
        cert_id(s.certificate_der(), SHA1, &SERIAL),
        cert_id(s.certificate_der(), SHA1, &[1]),
    ];
    let q = s.parse_ocsp_request(&request(two, None)).unwrap();
    assert_eq!(q.serials().len(), 2);
    assert!(q.cache_key().is_none());
}

#[test]
fn serials_are_normalised_hex_and_negative_ones_match_nothing() {
    assert_eq!(serial_hex(&[0x00, 0x85, 0x01]), "8501");
    assert_eq!(serial_hex(&[0x00, 0x00, 0x05]), "05");
    assert_eq!(serial_hex(&[0x00]), "00");
    assert_eq!(serial_hex(&[0x85, 0x01]), "");
    assert_eq!(serial_hex(&SERIAL), hex::encode(SERIAL));
}

fn verify(alg: KeyAlgorithm, ca_der: &[u8], message: &[u8], sig: &[u8]) {
    let (_, cert) = X509Certificate::from_der(ca_der).unwrap();
    let scheme: &dyn signature::VerificationAlgorithm = match alg {
        KeyAlgorithm::EcdsaP256 => &signature::ECDSA_P256_SHA256_ASN1,
        KeyAlgorithm::EcdsaP384 => &signature::ECDSA_P384_SHA384_ASN1,
        KeyAlgorithm::Ed25519 => &signature::ED25519,
        _ => &signature::RSA_PKCS1_2048_8192_SHA256,
    };
    UnparsedPublicKey::new(scheme, &cert.public_key().subject_public_key.data)
        .verify(message, sig)
        .unwrap_or_else(|_| panic!("{alg:?}: the signature does not verify"));
}

#[test]
fn every_ca_signs_ocsp_responses_that_echo_the_nonce_and_verify() {
    for ca in cas() {
        let s = &ca.signer;
        let nonce = OctetString::new(vec![9u8; 16]).unwrap().to_der().unwrap();
        let ids = vec![
            cert_id(s.certificate_der(), SHA1, &SERIAL),
            cert_id(s.certificate_der(), SHA256, &[0x11; 20]),
            cert_id(s.certificate_der(), SHA1, &[0x22; 20]),
        ];
        let q = s
            .parse_ocsp_request(&request(ids.clone(), Some(nonce.clone())))
            .unwrap();
        let times = OcspTimes {
            this_update: NOW,
            next_update: NOW + 3600,
        };
        let statuses = [
            OcspStatus::Good,
            OcspStatus::Revoked(NOW - 60),
            OcspStatus::Unknown,
        ];
        let der = s.sign_ocsp_response(&q, &statuses, times).unwrap();
        let res = OcspResponse::from_der(&der).unwrap();
        assert_eq!(res.response_status, OcspResponseStatus::Successful);
        let bytes = res.response_bytes.unwrap();
        assert_eq!(bytes.response_type, oid("1.3.6.1.5.5.7.48.1.1"));
        let basic = BasicOcspResponse::from_der(bytes.response.as_bytes()).unwrap();
        let tbs = &basic.tbs_response_data;
        verify(
            ca.alg,
            s.certificate_der(),
            &tbs.to_der().unwrap(),
            basic.signature.raw_bytes(),
        );
        let (_, cert) = X509Certificate::from_der(s.certificate_der()).unwrap();
        let key_hash = digest::digest(
            &digest::SHA1_FOR_LEGACY_USE_ONLY,
            &cert.public_key().subject_public_key.data,
        );
        assert_eq!(
            tbs.responder_id,
            ResponderId::ByKey(OctetString::new(key_hash.as_ref()).unwrap())
        );
        let echoed = &tbs.response_extensions.as_ref().unwrap()[0];
        assert_eq!(
            (echoed.extn_id, echoed.extn_value.as_bytes()),
            (oid(NONCE), &nonce[..])
        );
        let got: Vec<_> = tbs
            .responses
            .iter()
            .map(|r| (&r.cert_id, r.cert_status))
            .collect();
        assert_eq!(got[0], (&ids[0], CertStatus::good()));
        assert_eq!(got[2], (&ids[2], CertStatus::unknown()));
        match got[1].1 {
            CertStatus::Revoked(info) => {
                assert_eq!(info.revocation_reason, Some(CrlReason::CertificateHold));
                assert_eq!(
                    info.revocation_time.0.to_unix_duration().as_secs(),
                    (NOW - 60) as u64
                );
            }
            other => panic!("{other:?}"),
        }
        let next = tbs.responses[0].next_update.unwrap().0.to_unix_duration();
        assert_eq!(next.as_secs(), (NOW + 3600) as u64);
        assert!(s.sign_ocsp_response(&q, &statuses[..2], times).is_err());
    }
}

#[test]
fn error_responses_are_bare_statuses() {
    for (failure, expected) in [
        (
            OcspFailure::MalformedRequest,
            OcspResponse::malformed_request(),
        ),
        (OcspFailure::InternalError, OcspResponse::internal_error()),
        (OcspFailure::TryLater, OcspResponse::try_later()),
        (OcspFailure::Unauthorized, OcspResponse::unauthorized()),
    ] {
        assert_eq!(failure.der(), expected.to_der().unwrap());
    }
}

#[test]
fn every_ca_signs_v2_crls_with_aki_number_and_certificate_hold_entries() {
    for ca in cas() {
        let s = &ca.signer;
        let entries = [
            CrlEntry {
                serial: SERIAL.to_vec(),
                revoked_at: NOW - 100,
            },
            CrlEntry {
                serial: vec![0x7f; 20],
                revoked_at: NOW - 50,
            },
        ];
        let input = CrlInput {
            number: 300,
            this_update: NOW,
            next_update: NOW + 7 * 86_400,
            entries: &entries,
        };
        let der = s.sign_crl(&input).unwrap();
        let (_, crl) = CertificateRevocationList::from_der(&der).unwrap();
        let (_, cert) = X509Certificate::from_der(s.certificate_der()).unwrap();
        crl.verify_signature(cert.public_key())
            .unwrap_or_else(|e| panic!("{:?}: {e}", ca.alg));
        assert_eq!(crl.version(), Some(X509Version::V2));
        assert_eq!(crl.issuer(), cert.subject());
        assert_eq!(crl.crl_number().map(|n| n.to_string()), Some("300".into()));
        assert_eq!(crl.last_update().timestamp(), NOW);
        assert_eq!(
            crl.next_update().map(|t| t.timestamp()),
            Some(NOW + 7 * 86_400)
        );
        let aki = crl
            .extensions()
            .iter()
            .find_map(|e| match e.parsed_extension() {
                ParsedExtension::AuthorityKeyIdentifier(a) => {
                    a.key_identifier.as_ref().map(|k| k.0)
                }
                _ => None,
            });
        let ski = cert
            .extensions()
            .iter()
            .find_map(|e| match e.parsed_extension() {
                ParsedExtension::SubjectKeyIdentifier(k) => Some(k.0),
                _ => None,
            });
        assert_eq!(aki, ski);
        for revoked in crl.iter_revoked_certificates() {
            let reason = revoked.reason_code().map(|(_, r)| r.0);
            assert_eq!(reason, Some(6), "certificateHold");
        }
        assert_eq!(
            crl_entries(&der).unwrap(),
            vec![
                (hex::encode(SERIAL), NOW - 100),
                (hex::encode([0x7f; 20]), NOW - 50)
            ]
        );
        // No revoked certificate: the list is absent, as RFC 5280 requires.
        let empty = s
            .sign_crl(&CrlInput {
                entries: &[],
                ..input
            })
            .unwrap();
        let (_, crl) = CertificateRevocationList::from_der(&empty).unwrap();
        assert_eq!(crl.iter_revoked_certificates().count(), 0);
        assert!(crl_entries(&empty).unwrap().is_empty());
        let backwards = CrlInput {
            next_update: NOW,
            ..input
        };
        assert!(s.sign_crl(&backwards).is_err());
    }
    assert!(crl_entries(b"not a crl").is_err());
}

#[test]
fn a_relying_party_checks_every_ca_s_crl_against_that_ca_only() {
    let all = cas();
    for (i, ca) in all.iter().enumerate() {
        let input = CrlInput {
            number: 1,
            this_update: NOW,
            next_update: NOW + DAY,
            entries: &[],
        };
        let der = ca.signer.sign_crl(&input).unwrap();
        let own = ca.signer.certificate_der();
        let window = crate::x509::crl::check_crl(&der, own).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((window.this_update, window.next_update), (NOW, NOW + DAY));
        let other = all[(i + 1) % all.len()].signer.certificate_der();
        assert!(
            crate::x509::crl::check_crl(&der, other).is_err(),
            "{:?}",
            ca.alg
        );
        let mut tampered = der.clone();
        let at = tampered.len() - 2;
        tampered[at] ^= 1;
        assert!(
            crate::x509::crl::check_crl(&tampered, own).is_err(),
            "{:?}",
            ca.alg
        );
    }
    assert!(crate::x509::crl::check_crl(b"not a crl", all[0].signer.certificate_der()).is_err());
}
