//! The self-signed root, for all six algorithms, checked with x509-parser and openssl.

use time::macros::datetime;
use x509_parser::extensions::ParsedExtension;
use x509_parser::x509::X509Version;

use super::fixtures::{cas, colon_hex, iso, openssl_ok, Dir, NOW};
use super::fixtures::{create_ca, sealed_key};
use crate::model::KeyAlgorithm;
use crate::signer::SignerError;
use crate::x509::{key_identifier, policy};

fn signature_oid(alg: KeyAlgorithm) -> &'static str {
    match alg {
        KeyAlgorithm::EcdsaP256 => "1.2.840.10045.4.3.2",
        KeyAlgorithm::EcdsaP384 => "1.2.840.10045.4.3.3",
        KeyAlgorithm::Rsa2048 | KeyAlgorithm::Rsa3072 | KeyAlgorithm::Rsa4096 => {
            "1.2.840.113549.1.1.11"
        }
        KeyAlgorithm::Ed25519 => "1.3.101.112",
    }
}

fn openssl_signature_name(alg: KeyAlgorithm) -> &'static str {
    match alg {
        KeyAlgorithm::EcdsaP256 => "ecdsa-with-SHA256",
        KeyAlgorithm::EcdsaP384 => "ecdsa-with-SHA384",
        KeyAlgorithm::Rsa2048 | KeyAlgorithm::Rsa3072 | KeyAlgorithm::Rsa4096 => {
            "sha256WithRSAEncryption"
        }
        KeyAlgorithm::Ed25519 => "ED25519",
    }
}

#[test]
fn every_algorithm_makes_a_root_with_the_required_fields() {
    let expiry = datetime!(2051-01-01 00:00:00 UTC).unix_timestamp();
    for ca in cas() {
        let alg = ca.alg;
        let (rest, cert) = x509_parser::parse_x509_certificate(&ca.new.certificate_der).unwrap();
        assert!(rest.is_empty());
        assert_eq!(cert.version(), X509Version::V3, "{alg:?}");
        let cn: Vec<_> = cert
            .subject()
            .iter_common_name()
            .map(|a| a.as_str().unwrap())
            .collect();
        assert_eq!(cn, [format!("Test CA {}", alg.as_str())]);
        let o: Vec<_> = cert
            .subject()
            .iter_organization()
            .map(|a| a.as_str().unwrap())
            .collect();
        assert_eq!(o, ["mtls-ca"]);
        assert_eq!(cert.issuer().as_raw(), cert.subject().as_raw());
        cert.verify_signature(None).unwrap();
        assert_eq!(
            cert.signature_algorithm.algorithm.to_id_string(),
            signature_oid(alg)
        );
        let kind = policy::classify(cert.public_key()).unwrap();
        assert_eq!(kind.ca_algorithm(), Some(alg));

        assert_eq!(cert.validity().not_before.timestamp(), NOW);
        assert_eq!(cert.validity().not_after.timestamp(), expiry);
        assert_eq!((ca.new.not_before, ca.new.not_after), (NOW, expiry));

        let serial = cert.raw_serial();
        assert_eq!(serial.len(), 20, "{alg:?}");
        assert!((0x01..=0x7f).contains(&serial[0]));

        let bc = cert.basic_constraints().unwrap().unwrap();
        assert!(bc.critical && bc.value.ca);
        assert_eq!(bc.value.path_len_constraint, Some(0));
        let ku = cert.key_usage().unwrap().unwrap();
        assert!(ku.critical && ku.value.key_cert_sign() && ku.value.crl_sign());
        assert!(ku.value.digital_signature() && !ku.value.key_encipherment());
        let ski = cert
            .iter_extensions()
            .find_map(|e| match e.parsed_extension() {
                ParsedExtension::SubjectKeyIdentifier(id) => Some(id.0.to_vec()),
                _ => None,
            })
            .unwrap();
        assert_eq!(
            ski,
            key_identifier(&cert.public_key().subject_public_key.data)
        );
        assert_eq!(ski.len(), 20);

        assert_eq!(ca.signer.algorithm(), alg);
        assert_eq!(
            ca.signer.certificate_der(),
            ca.new.certificate_der.as_slice()
        );
        assert_eq!(ca.signer.certificate_pem(), ca.new.certificate_pem);
        assert_eq!(ca.signer.not_after(), expiry);
        assert!(ca
            .new
            .certificate_pem
            .starts_with("-----BEGIN CERTIFICATE-----\n"));
        assert!(!ca.new.certificate_pem.contains('\r'));

        check_with_openssl(
            alg,
            &ca.new.certificate_pem,
            &sealed_key(&ca.new.key).der,
            &ski,
        );
    }
}

fn check_with_openssl(alg: KeyAlgorithm, pem: &str, key_der: &[u8], ski: &[u8]) {
    let dir = Dir::new();
    let ca = dir.write("ca.pem", pem);
    let key = dir.write("key.der", key_der);
    let attime = (NOW + 60).to_string();
    let verified = openssl_ok(&[
        "verify",
        "-x509_strict",
        "-attime",
        &attime,
        "-CAfile",
        &ca,
        &ca,
    ]);
    assert!(verified.trim_end().ends_with(": OK"), "{verified}");
    let text = openssl_ok(&["x509", "-in", &ca, "-noout", "-text"]);
    for needle in [
        "X509v3 Basic Constraints: critical\n                CA:TRUE, pathlen:0",
        "X509v3 Key Usage: critical\n                Digital Signature, Certificate Sign, CRL Sign\n",
        &format!("Signature Algorithm: {}", openssl_signature_name(alg)),
        &format!(
            "X509v3 Subject Key Identifier: \n                {}",
            colon_hex(&hex::encode(ski))
        ),
        &format!("Subject: O = mtls-ca, CN = Test CA {}", alg.as_str()),
    ] {
        assert!(
            text.contains(needle),
            "{alg:?}: missing {needle:?} in\n{text}"
        );
    }
    let dates = openssl_ok(&[
        "x509", "-in", &ca, "-noout", "-dates", "-dateopt", "iso_8601",
    ]);
    assert_eq!(
        dates,
        format!("notBefore={}\nnotAfter=2051-01-01 00:00:00Z\n", iso(NOW))
    );
    // The stored plaintext key is standard PKCS#8 whose public half is the certificate's.
    let from_key = openssl_ok(&["pkey", "-inform", "DER", "-in", &key, "-pubout"]);
    let from_cert = openssl_ok(&["x509", "-in", &ca, "-noout", "-pubkey"]);
    assert_eq!(from_key, from_cert, "{alg:?}");
}

#[test]
fn bad_inputs_are_refused_before_any_key_is_generated() {
    let empty = secrecy::SecretString::from("");
    assert!(matches!(
        create_ca(KeyAlgorithm::Rsa4096, "CA", NOW, Some(&empty)),
        Err(SignerError::EmptyPassphrase)
    ));
    assert!(matches!(
        create_ca(KeyAlgorithm::Rsa4096, "  ", NOW, None),
        Err(SignerError::Certificate(_))
    ));
    assert!(matches!(
        create_ca(KeyAlgorithm::Rsa4096, "CA", i64::MAX, None),
        Err(SignerError::Validity(_))
    ));
}
