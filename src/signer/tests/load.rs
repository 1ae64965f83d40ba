//! `Signer::load` with CAs made elsewhere (openssl): what loads, and what is refused and why.

use secrecy::SecretString;

use super::fixtures::load;
use super::fixtures::{openssl_ok, rcgen_csr, Dir, DAY};
use super::leaf::{check_fields, check_with_openssl, Expected, ExpectedCa};
use crate::model::random_bytes;
use crate::signer::{SealedKey, SignerError};
use crate::x509::Csr;

/// An openssl-made P-256 CA: (certificate DER, PKCS#8 DER, certificate PEM).
fn openssl_ca(dir: &Dir, subject: &str, ca: bool) -> (Vec<u8>, Vec<u8>, String) {
    let key = dir.path("ca-key.der");
    let cert = dir.path("ca.pem");
    let constraints = if ca {
        "basicConstraints=critical,CA:TRUE"
    } else {
        "basicConstraints=critical,CA:FALSE"
    };
    openssl_ok(&[
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-subj",
        subject,
        "-days",
        "3650",
        "-addext",
        constraints,
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
        "-keyout",
        key.to_str().unwrap(),
        "-out",
        cert.to_str().unwrap(),
    ]);
    let key_pem = std::fs::read_to_string(&key).unwrap();
    let cert_pem = std::fs::read_to_string(&cert).unwrap();
    let cert_der = pem::parse(&cert_pem).unwrap().into_contents();
    (
        cert_der,
        pem::parse(key_pem).unwrap().into_contents(),
        cert_pem,
    )
}

#[test]
fn a_ca_made_by_openssl_loads_and_issues_verifiable_certificates() {
    let dir = Dir::new();
    let (cert_der, key_der, cert_pem) =
        openssl_ca(&dir, "/C=NZ/O=Elsewhere Ltd/CN=Imported CA", true);
    // openssl's own encryption: PBES2 with PBKDF2-HMAC-SHA256 and AES-256-CBC.
    let plain = dir.write("plain.der", &key_der);
    let enc = dir.path("enc.der");
    openssl_ok(&[
        "pkcs8",
        "-topk8",
        "-inform",
        "DER",
        "-in",
        &plain,
        "-outform",
        "DER",
        "-v2",
        "aes-256-cbc",
        "-passout",
        "pass:imported",
        "-out",
        enc.to_str().unwrap(),
    ]);
    let sealed = SealedKey {
        der: std::fs::read(enc).unwrap(),
        encrypted: true,
    };
    let signer = load(&cert_der, &sealed, Some(&SecretString::from("imported"))).unwrap();

    let now = x509_parser::parse_x509_certificate(&cert_der)
        .unwrap()
        .1
        .validity()
        .not_before
        .timestamp();
    let csr_pem = rcgen_csr(&rcgen::PKCS_ED25519, "imported client", true);
    let csr = Csr::parse(&csr_pem).unwrap();
    let issued = signer
        .issue(&csr, random_bytes::<20>(), now, now + 30 * DAY, None)
        .unwrap();
    let ca = ExpectedCa {
        certificate_der: &cert_der,
        certificate_pem: &cert_pem,
    };
    let exp = Expected {
        ca,
        csr_pem: &csr_pem,
        rsa: false,
        not_before: now,
        not_after: now + 30 * DAY,
        pointers: None,
    };
    check_fields(&issued, &exp);
    check_with_openssl(&issued, &exp);
}

#[test]
fn certificates_that_cannot_serve_as_this_ca_are_refused() {
    let dir = Dir::new();
    let (cert, key, _) = openssl_ca(&dir, "/CN=Leaf pretending", false);
    let sealed = SealedKey {
        der: key,
        encrypted: false,
    };
    match load(&cert, &sealed, None) {
        Err(SignerError::Certificate(m)) => assert!(m.contains("not a CA"), "{m}"),
        other => panic!("a CA:FALSE certificate gave {other:?}"),
    }
    let (cert, key, _) = openssl_ca(&dir, "/OU=a/OU=b/CN=Twice", true);
    let sealed = SealedKey {
        der: key,
        encrypted: false,
    };
    match load(&cert, &sealed, None) {
        Err(SignerError::Certificate(m)) => assert!(m.contains("more than one OU"), "{m}"),
        other => panic!("a subject with two OUs gave {other:?}"),
    }
}
