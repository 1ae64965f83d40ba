//! The CA key at rest: encrypted PKCS#8 that openssl can open, and the errors of `Signer::load`.

use secrecy::SecretString;

use super::fixtures::{ca, openssl, openssl_ok, rcgen_csr, Dir, DAY, NOW};
use super::fixtures::{create_ca, load, sealed_key};
use crate::model::{random_bytes, KeyAlgorithm};
use crate::signer::{SealedKey, SignerError};
use crate::x509::Csr;

const PASSPHRASE: &str = "correct horse battery staple";

#[test]
fn an_encrypted_key_is_scrypt_aes256_pkcs8_that_openssl_opens_only_with_the_passphrase() {
    for alg in [KeyAlgorithm::EcdsaP256, KeyAlgorithm::Ed25519] {
        openssl_opens_only_with_the_passphrase(alg);
    }
}

fn openssl_opens_only_with_the_passphrase(alg: KeyAlgorithm) {
    let pass = SecretString::from(PASSPHRASE);
    let new = create_ca(alg, "Sealed CA", NOW, Some(&pass)).unwrap();
    assert!(sealed_key(&new.key).encrypted);

    let dir = Dir::new();
    let enc = dir.write("enc.der", &sealed_key(&new.key).der);
    let cert = dir.write("ca.pem", &new.certificate_pem);
    let structure = openssl_ok(&["asn1parse", "-inform", "DER", "-in", &enc]);
    for needle in [
        "PBES2",
        ":scrypt\n",
        "aes-256-cbc",
        ":4000\n",
        ":08\n",
        ":01\n",
    ] {
        assert!(
            structure.contains(needle),
            "missing {needle:?} in\n{structure}"
        );
    }

    let plain = dir.path("plain.pem");
    let plain = plain.to_str().unwrap();
    let right = format!("pass:{PASSPHRASE}");
    openssl_ok(&[
        "pkcs8", "-inform", "DER", "-in", &enc, "-passin", &right, "-out", plain,
    ]);
    let from_key = openssl_ok(&["pkey", "-in", plain, "-pubout"]);
    let from_cert = openssl_ok(&["x509", "-in", &cert, "-noout", "-pubkey"]);
    assert_eq!(from_key, from_cert, "{alg:?}");

    let wrong = openssl(&[
        "pkcs8",
        "-inform",
        "DER",
        "-in",
        &enc,
        "-passin",
        "pass:wrong",
        "-out",
        plain,
    ]);
    assert!(
        !wrong.status.success(),
        "openssl decrypted with a wrong passphrase"
    );
}

#[test]
fn loading_an_encrypted_key_needs_the_right_passphrase() {
    let pass = SecretString::from(PASSPHRASE);
    let new = create_ca(KeyAlgorithm::Ed25519, "Sealed CA", NOW, Some(&pass)).unwrap();
    let load = |p: Option<&SecretString>| load(&new.certificate_der, sealed_key(&new.key), p);

    assert!(matches!(load(None), Err(SignerError::PassphraseRequired)));
    let wrong = SecretString::from("Correct horse battery staple");
    assert!(matches!(
        load(Some(&wrong)),
        Err(SignerError::WrongPassphrase)
    ));

    let signer = load(Some(&pass)).unwrap();
    let csr = Csr::parse(&rcgen_csr(
        &rcgen::PKCS_ECDSA_P256_SHA256,
        "after unseal",
        false,
    ))
    .unwrap();
    let issued = signer
        .issue(&csr, random_bytes::<20>(), NOW, NOW + DAY, None)
        .unwrap();
    let (_, leaf) = x509_parser::parse_x509_certificate(&issued.der).unwrap();
    let (_, root) = x509_parser::parse_x509_certificate(&new.certificate_der).unwrap();
    leaf.verify_signature(Some(root.public_key())).unwrap();
}

#[test]
fn a_key_that_is_not_the_certificates_is_refused() {
    let p256 = ca(KeyAlgorithm::EcdsaP256);
    let other_p256 = create_ca(KeyAlgorithm::EcdsaP256, "Other", NOW, None).unwrap();
    let p384 = ca(KeyAlgorithm::EcdsaP384);
    let rsa = ca(KeyAlgorithm::Rsa2048);
    let rsa3072 = ca(KeyAlgorithm::Rsa3072);
    for (cert, key) in [
        (&p256.new.certificate_der, sealed_key(&other_p256.key)),
        (&p256.new.certificate_der, sealed_key(&p384.new.key)),
        (&rsa.new.certificate_der, sealed_key(&rsa3072.new.key)),
    ] {
        assert!(
            matches!(load(cert, key, None), Err(SignerError::KeyMismatch)),
            "a foreign key was accepted"
        );
    }
    let garbage = SealedKey {
        der: b"garbage".to_vec(),
        encrypted: false,
    };
    assert!(matches!(
        load(&p256.new.certificate_der, &garbage, None),
        Err(SignerError::CorruptKey(_))
    ));
    assert!(matches!(
        load(b"not a certificate", sealed_key(&p256.new.key), None),
        Err(SignerError::Certificate(_))
    ));
}

#[test]
fn debug_output_shows_no_key_material() {
    let ca = ca(KeyAlgorithm::EcdsaP256);
    // Bytes from the middle of the key, where the private scalar is, as hex and as Debug would list them.
    let secret = &sealed_key(&ca.new.key).der[36..44];
    let listed = format!("{secret:?}");
    let listed = listed.trim_matches(['[', ']']);
    for shown in [
        format!("{:?}", ca.new),
        format!("{:?}", ca.signer),
        format!("{:?}", ca.new.key),
    ] {
        assert!(!shown.contains(&hex::encode(secret)), "{shown}");
        assert!(!shown.contains(listed), "{shown}");
    }
    assert!(format!("{:?}", ca.new.key).contains("redacted"));
}
