//! Issuance: every CA algorithm times every accepted CSR key type, verified independently.

use super::csr::exotic_subject_csr;
use super::fixtures::{ca, csrs, rcgen_csr, DAY, NOW};
use super::leaf::{check_fields, check_with_openssl, Expected};
use crate::model::{random_bytes, KeyAlgorithm};
use crate::signer::{Pointers, Signer, SignerError};
use crate::x509::Csr;

fn pointers() -> Pointers {
    let base = "http://127.0.0.1:8080/pki/0b4f5e6a-1c2d-4e3f-8a9b-0c1d2e3f4a5b";
    Pointers {
        crl_url: format!("{base}/crl"),
        ocsp_url: format!("{base}/ocsp"),
        ca_issuers_url: format!("{base}/ca.der"),
    }
}

/// Issues one certificate per test CSR from the CA of `alg`, and checks each.
fn issue_for_every_csr(alg: KeyAlgorithm) {
    let ca = ca(alg);
    let pointers = pointers();
    let (not_before, not_after) = (NOW + 3600, NOW + 3600 + 365 * DAY);
    for test_csr in csrs() {
        let csr = Csr::parse(&test_csr.pem).unwrap_or_else(|e| panic!("{}: {e}", test_csr.name));
        assert_eq!(csr.is_rsa(), test_csr.rsa);
        let issued = ca
            .signer
            .issue(
                &csr,
                random_bytes::<20>(),
                not_before,
                not_after,
                Some(&pointers),
            )
            .unwrap();
        let exp = Expected {
            ca: ca.into(),
            csr_pem: &test_csr.pem,
            rsa: test_csr.rsa,
            not_before,
            not_after,
            pointers: Some(&pointers),
        };
        check_fields(&issued, &exp);
        check_with_openssl(&issued, &exp);
    }
}

#[test]
fn an_ecdsa_p256_ca_issues_verifiable_client_certificates() {
    issue_for_every_csr(KeyAlgorithm::EcdsaP256);
}

#[test]
fn an_ecdsa_p384_ca_issues_verifiable_client_certificates() {
    issue_for_every_csr(KeyAlgorithm::EcdsaP384);
}

#[test]
fn an_rsa_2048_ca_issues_verifiable_client_certificates() {
    issue_for_every_csr(KeyAlgorithm::Rsa2048);
}

#[test]
fn an_rsa_3072_ca_issues_verifiable_client_certificates() {
    issue_for_every_csr(KeyAlgorithm::Rsa3072);
}

#[test]
fn an_rsa_4096_ca_issues_verifiable_client_certificates() {
    issue_for_every_csr(KeyAlgorithm::Rsa4096);
}

#[test]
fn an_ed25519_ca_issues_verifiable_client_certificates() {
    issue_for_every_csr(KeyAlgorithm::Ed25519);
}

#[test]
fn without_pointers_there_is_no_crl_or_aia_and_exotic_subjects_survive_byte_for_byte() {
    let ca = ca(KeyAlgorithm::EcdsaP256);
    let pem = exotic_subject_csr();
    let csr = Csr::parse(&pem).unwrap();
    let issued = ca
        .signer
        .issue(&csr, random_bytes::<20>(), NOW, NOW + DAY, None)
        .unwrap();
    let exp = Expected {
        ca: ca.into(),
        csr_pem: &pem,
        rsa: false,
        not_before: NOW,
        not_after: NOW + DAY,
        pointers: None,
    };
    check_fields(&issued, &exp);
    check_with_openssl(&issued, &exp);
}

#[test]
fn serials_differ_between_certificates() {
    let ca = ca(KeyAlgorithm::Ed25519);
    let csr = Csr::parse(&rcgen_csr(&rcgen::PKCS_ED25519, "twice", false)).unwrap();
    let a = ca
        .signer
        .issue(&csr, random_bytes::<20>(), NOW, NOW + DAY, None)
        .unwrap();
    let b = ca
        .signer
        .issue(&csr, random_bytes::<20>(), NOW, NOW + DAY, None)
        .unwrap();
    assert_ne!(a.serial_hex, b.serial_hex);
    assert_ne!(a.fingerprint_sha256, b.fingerprint_sha256);
    assert_eq!(a.ski_hex, b.ski_hex);
}

#[test]
fn a_serial_is_made_positive_and_twenty_bytes_long() {
    let ca = ca(KeyAlgorithm::EcdsaP384);
    let csr = Csr::parse(&rcgen_csr(&rcgen::PKCS_ED25519, "serials", false)).unwrap();
    let mut given = [0xab; 20];
    for (first, written) in [(0xff, "7f"), (0x80, "01"), (0x00, "01"), (0x42, "42")] {
        given[0] = first;
        let issued = ca.signer.issue(&csr, given, NOW, NOW + DAY, None).unwrap();
        assert_eq!(issued.serial_hex, format!("{written}{}", "ab".repeat(19)));
        let (_, cert) = x509_parser::parse_x509_certificate(&issued.der).unwrap();
        assert_eq!(cert.raw_serial(), hex::decode(&issued.serial_hex).unwrap());
    }
}

#[test]
fn impossible_validity_and_non_ascii_urls_are_errors_not_panics() {
    let ca = ca(KeyAlgorithm::EcdsaP256);
    let csr = Csr::parse(&rcgen_csr(
        &rcgen::PKCS_ECDSA_P256_SHA256,
        "bad input",
        false,
    ))
    .unwrap();
    let issue =
        |nb, na, p: Option<&Pointers>| ca.signer.issue(&csr, random_bytes::<20>(), nb, na, p);
    assert!(matches!(
        issue(NOW, NOW, None),
        Err(SignerError::Validity(_))
    ));
    assert!(matches!(
        issue(NOW, NOW - 1, None),
        Err(SignerError::Validity(_))
    ));
    let past_ca = ca.signer.not_after() + 1;
    assert!(matches!(
        issue(NOW, past_ca, None),
        Err(SignerError::Validity(_))
    ));
    assert!(issue(NOW, ca.signer.not_after(), None).is_ok());
    let mut bad = pointers();
    bad.ocsp_url = "http://exämple/ocsp".into();
    assert!(matches!(
        issue(NOW, NOW + DAY, Some(&bad)),
        Err(SignerError::Certificate(_))
    ));
}

#[test]
fn a_signer_can_be_shared_across_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Signer>();
    send_sync::<Csr>();
}

/// A key held elsewhere (as a token or a signer process is) that returns a wrong signature.
struct Faulty(std::sync::Arc<dyn crate::signer::CaKey>);

impl crate::signer::CaKey for Faulty {
    fn algorithm(&self) -> KeyAlgorithm {
        self.0.algorithm()
    }

    fn public_key(&self) -> &[u8] {
        self.0.public_key()
    }

    fn sign(&self, kind: crate::signer::SignKind, tbs: &[u8]) -> Result<Vec<u8>, SignerError> {
        let mut signature = self.0.sign(kind, tbs)?;
        if kind == crate::signer::SignKind::Certificate {
            let last = signature.len() - 1;
            signature[last] ^= 1;
        }
        Ok(signature)
    }
}

#[test]
fn a_bad_signature_from_a_key_held_elsewhere_fails_the_issuance() {
    for alg in [KeyAlgorithm::EcdsaP256, KeyAlgorithm::Rsa2048] {
        let ca = ca(alg);
        let key = std::sync::Arc::new(Faulty(std::sync::Arc::clone(&ca.signer.key)));
        let signer = Signer::load(&ca.new.certificate_der, key).unwrap();
        let csr = Csr::parse(&csrs()[0].pem).unwrap();
        let err = signer
            .issue(&csr, random_bytes::<20>(), NOW, NOW + DAY, None)
            .unwrap_err();
        assert!(
            matches!(&err, SignerError::Certificate(m) if m.contains("signature does not verify")),
            "{alg:?}: {err}"
        );
    }
}
