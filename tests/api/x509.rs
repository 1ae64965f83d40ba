//! Issued certificates checked by someone else's code: openssl and x509-parser.

use std::path::Path;
use std::process::Command;

use mtls_ca::model::KeyAlgorithm;
use x509_parser::prelude::*;

use crate::helpers::*;

fn openssl(args: &[&str], dir: &Path) -> String {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl runs");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Checks one issued certificate against the API object, with openssl and x509-parser.
fn check_issued(ca_pem: &str, cert: &serde_json::Value, validity_days: i64) {
    let dir = tempfile::tempdir().expect("dir");
    let pem = cert["certificate"].as_str().expect("certificate");
    std::fs::write(dir.path().join("ca.pem"), ca_pem).expect("write");
    std::fs::write(dir.path().join("leaf.pem"), pem).expect("write");
    let verify = openssl(
        &[
            "verify",
            "-purpose",
            "sslclient",
            "-CAfile",
            "ca.pem",
            "leaf.pem",
        ],
        dir.path(),
    );
    assert!(verify.trim().ends_with("OK"), "{verify}");

    let fp = openssl(
        &[
            "x509",
            "-in",
            "leaf.pem",
            "-noout",
            "-fingerprint",
            "-sha256",
        ],
        dir.path(),
    );
    let fp = fp
        .trim()
        .rsplit('=')
        .next()
        .expect("fp")
        .replace(':', "")
        .to_lowercase();
    assert_eq!(cert["fingerprint_sha256"], fp.as_str());
    let serial = openssl(
        &["x509", "-in", "leaf.pem", "-noout", "-serial"],
        dir.path(),
    );
    let serial = serial.trim().trim_start_matches("serial=").to_lowercase();
    assert_eq!(cert["serial_number"], serial.as_str());
    assert_eq!(serial.len(), 40, "a 20-byte serial");

    let text = openssl(&["x509", "-in", "leaf.pem", "-noout", "-text"], dir.path());
    assert!(text.contains("TLS Web Client Authentication"), "{text}");
    assert!(!text.contains("TLS Web Server Authentication"), "{text}");
    assert!(text.contains("CA:FALSE"), "{text}");

    let (_, parsed) = pem::parse_x509_pem(pem.as_bytes()).expect("pem");
    let x = parsed.parse_x509().expect("x509");
    let bc = x.basic_constraints().expect("bc").expect("present");
    assert!(bc.critical && !bc.value.ca);
    let ku = x.key_usage().expect("ku").expect("present");
    assert!(ku.value.digital_signature());
    let eku = x.extended_key_usage().expect("eku").expect("present");
    assert!(eku.value.client_auth && !eku.value.server_auth);
    let ski = x
        .extensions()
        .iter()
        .find_map(|e| match e.parsed_extension() {
            ParsedExtension::SubjectKeyIdentifier(k) => Some(hex::encode(k.0)),
            _ => None,
        })
        .expect("SKI");
    assert_eq!(cert["ski"], ski.as_str());
    let issued = ::time::OffsetDateTime::parse(
        cert["issued_on"].as_str().expect("issued_on"),
        &::time::format_description::well_known::Rfc3339,
    )
    .expect("rfc3339");
    let expires = ::time::OffsetDateTime::parse(
        cert["expires_on"].as_str().expect("expires_on"),
        &::time::format_description::well_known::Rfc3339,
    )
    .expect("rfc3339");
    assert!(cert["issued_on"].as_str().expect("s").ends_with('Z'));
    assert_eq!(x.validity().not_before.timestamp(), issued.unix_timestamp());
    assert_eq!(x.validity().not_after.timestamp(), expires.unix_timestamp());
    assert_eq!((expires - issued).whole_days(), validity_days);
    assert_eq!(
        x.subject()
            .iter_common_name()
            .next()
            .and_then(|c| c.as_str().ok()),
        cert["common_name"].as_str()
    );
}

#[tokio::test]
async fn issued_certificates_verify_with_openssl_and_match_their_api_object() {
    for engine in engines() {
        let app = TestApp::spawn(engine).await;
        let ca_pem = app.ca_pem();
        for (alg, label) in [
            (&rcgen::PKCS_ECDSA_P256_SHA256, "p256"),
            (&rcgen::PKCS_ECDSA_P384_SHA384, "p384"),
            (&rcgen::PKCS_ED25519, "ed25519"),
        ] {
            let cert = app.issue(&csr_with(alg, label), 90).await;
            check_issued(&ca_pem, &cert, 90);
        }
        // An RSA CSR made by openssl itself, with a SAN.
        let dir = tempfile::tempdir().expect("dir");
        openssl(
            &[
                "req",
                "-new",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "k.pem",
                "-out",
                "r.csr",
                "-subj",
                "/C=DE/O=Acme/CN=rsa-client",
                "-addext",
                "subjectAltName=DNS:rsa.internal,URI:spiffe://acme/rsa",
            ],
            dir.path(),
        );
        let csr = std::fs::read_to_string(dir.path().join("r.csr")).expect("csr");
        // CRLF line endings and surrounding whitespace are tolerated.
        let cert = app
            .issue(&format!("\n  {}  \n", csr.replace('\n', "\r\n")), 3650)
            .await;
        check_issued(&ca_pem, &cert, 3650);
        assert_eq!(cert["country"], "DE");
        assert_eq!(cert["organizational_unit"], "");
        std::fs::write(
            dir.path().join("leaf.pem"),
            cert["certificate"].as_str().expect("pem"),
        )
        .expect("write");
        let text = openssl(
            &[
                "x509",
                "-in",
                "leaf.pem",
                "-noout",
                "-ext",
                "subjectAltName,keyUsage",
            ],
            dir.path(),
        );
        assert!(
            text.contains("DNS:rsa.internal") && text.contains("URI:spiffe://acme/rsa"),
            "{text}"
        );
        assert!(text.contains("Key Encipherment"), "{text}");
        app.stop().await;
    }
}

#[tokio::test]
async fn each_ca_key_algorithm_signs_what_openssl_accepts() {
    let cases = [
        (KeyAlgorithm::Rsa2048, "SHA256WithRSA"),
        (KeyAlgorithm::EcdsaP384, "ECDSAWithSHA384"),
        (KeyAlgorithm::Ed25519, "Ed25519"),
    ];
    for (engine, (alg, signature)) in engines().into_iter().flat_map(|e| cases.map(|c| (e, c))) {
        let db = TestDb::new(engine).await;
        let mut s = settings(&db.url);
        s.key_algorithm = alg;
        let app = TestApp::start_on(db, s, engine).await;
        let cert = app.issue(&csr_p256("alg"), 7).await;
        assert_eq!(cert["signature"], signature);
        check_issued(&app.ca_pem(), &cert, 7);
        let dir = tempfile::tempdir().expect("dir");
        std::fs::write(dir.path().join("ca.pem"), app.ca_pem()).expect("write");
        let text = openssl(&["x509", "-in", "ca.pem", "-noout", "-text"], dir.path());
        assert!(
            text.contains("CA:TRUE") && text.contains("Certificate Sign, CRL Sign"),
            "{text}"
        );
        assert!(
            text.contains(&format!(
                "Managed CA for account {}",
                app.services.account_id
            )),
            "{text}"
        );
        app.stop().await;
    }
}
