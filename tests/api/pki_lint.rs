//! pkilint (DigiCert's PKI linter, pinned in `tests/sdk/requirements.txt`) on everything the CA
//! publishes: an issued certificate of each CSR key type and one with a directory-style subject
//! (repeated DC and OU, a multi-valued RDN), the CA certificate, the CRL, and a good
//! and a revoked OCSP response, for CAs of three key types. Nothing at WARNING or above may remain.
//!
//! Validators: RFC 5280 for certificates (`lint_pkix_cert`, plus `lint_pkix_signer_signee_cert_chain`
//! for each CA/leaf pair), the PKIX profile of `lint_crl` (`-t CRL -p PKIX`; the BR profile is for
//! publicly-trusted TLS CAs, which this private client-certificate CA is not), and
//! `lint_ocsp_response` (RFC 6960, its only profile). No finding is filtered out. The output does
//! not depend on the database engine, so this runs on SQLite only.

use std::path::{Path, PathBuf};

use mtls_ca::model::KeyAlgorithm;
use reqwest::{header, Method};

use crate::helpers::*;
use crate::pki::{fetch_crl, openssl, pki};

/// Runs one pkilint console script at WARNING threshold; returns its findings (empty when none).
async fn lint(bin: &Path, script: &str, args: &[&str], dir: &Path) -> String {
    let out = tokio::process::Command::new(bin.join(script))
        .args(["lint", "-s", "WARNING"])
        .args(args)
        .current_dir(dir)
        .output()
        .await
        .expect("pkilint runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // pkilint exits non-zero when it reports findings; any output at this threshold is one.
    if out.status.success() {
        text.trim().to_owned()
    } else {
        format!("(exit {:?}) {}", out.status.code(), text.trim())
    }
}

/// An OCSP response about `leaf.pem` from the app, through openssl's request (with nonce).
async fn ocsp_response(app: &TestApp, dir: &Path, out: &str) {
    let (ok, text) = openssl(
        &[
            "ocsp", "-issuer", "ca.pem", "-cert", "leaf.pem", "-reqout", "req.der",
        ],
        dir,
    )
    .await;
    assert!(ok, "{text}");
    let res = app
        .client
        .post(format!("{}/ocsp", pki(app)))
        .header(header::CONTENT_TYPE, "application/ocsp-request")
        .body(std::fs::read(dir.join("req.der")).expect("req"))
        .send()
        .await
        .expect("ocsp");
    std::fs::write(dir.join(out), res.bytes().await.expect("body")).expect("write");
}

fn openssl_rsa_csr(dir: &Path) -> String {
    let out = std::process::Command::new("openssl")
        .args(["req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout"])
        .arg(dir.join("rsa.key"))
        .args(["-subj", "/C=US/O=Example Inc/CN=rsa-client"])
        .output()
        .expect("openssl req");
    assert!(out.status.success());
    String::from_utf8(out.stdout).expect("pem")
}

/// A directory-style subject: repeated DC and OU, and a multi-valued RDN, with SANs of every kind.
/// (Its URI is https: pkilint's URI check knows a fixed list of schemes and flags `spiffe:`,
/// which RFC 3986 and this CA accept.)
fn openssl_directory_csr() -> String {
    crate::errors::openssl_csr(
        "/DC=com/DC=example/O=Example/OU=Eng/OU=Platform/CN=svc+UID=svc-1",
        &[
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-multivalue-rdn",
            "-addext",
            "subjectAltName=DNS:svc.example.com,email:svc@example.com,URI:https://example.com/svc,IP:192.0.2.7",
        ],
    )
}

#[tokio::test]
async fn pkilint_finds_nothing_in_certificates_crls_and_ocsp_responses() {
    let Some(python) = venv_python("pkilint") else {
        return;
    };
    let bin: PathBuf = python.parent().expect("venv bin").to_owned();
    let mut findings = Vec::new();
    for ca_alg in [
        KeyAlgorithm::EcdsaP256,
        KeyAlgorithm::Rsa2048,
        KeyAlgorithm::Ed25519,
    ] {
        let db = TestDb::new(Engine::Sqlite).await;
        let mut s = settings(&db.url);
        s.key_algorithm = ca_alg;
        let app = TestApp::start(s, Engine::Sqlite).await;
        let dir = tempfile::tempdir().expect("dir");
        let d = dir.path();
        std::fs::write(d.join("ca.pem"), app.ca_pem()).expect("ca");
        let mut docs = vec![("lint_pkix_cert", vec!["ca.pem".to_owned()])];

        let csrs = [
            ("rsa", openssl_rsa_csr(d)),
            (
                "p256",
                csr_with(&rcgen::PKCS_ECDSA_P256_SHA256, "p256-client"),
            ),
            (
                "p384",
                csr_with(&rcgen::PKCS_ECDSA_P384_SHA384, "p384-client"),
            ),
            ("ed25519", csr_with(&rcgen::PKCS_ED25519, "ed25519-client")),
            ("directory", openssl_directory_csr()),
        ];
        let mut first_id = String::new();
        for (label, csr) in csrs {
            let cert = app.issue(&csr, 90).await;
            let file = format!("leaf-{label}.pem");
            std::fs::write(d.join(&file), cert["certificate"].as_str().expect("pem")).expect("w");
            if first_id.is_empty() {
                first_id = cert["id"].as_str().expect("id").to_owned();
                std::fs::write(
                    d.join("leaf.pem"),
                    cert["certificate"].as_str().expect("pem"),
                )
                .expect("w");
            }
            docs.push(("lint_pkix_cert", vec![file.clone()]));
            docs.push((
                "lint_pkix_signer_signee_cert_chain",
                vec!["ca.pem".to_owned(), file],
            ));
        }
        ocsp_response(&app, d, "ocsp-good.der").await;
        app.on_cert(Method::DELETE, &first_id).await;
        app.run_worker().await;
        ocsp_response(&app, d, "ocsp-revoked.der").await;
        fetch_crl(&app, d).await;
        let (_, text) = openssl(&["ocsp", "-respin", "ocsp-revoked.der", "-resp_text"], d).await;
        assert!(text.contains("Cert Status: revoked"), "{text}");
        docs.push((
            "lint_crl",
            ["-t", "CRL", "-p", "PKIX", "crl.der"]
                .map(str::to_owned)
                .to_vec(),
        ));
        docs.push(("lint_ocsp_response", vec!["ocsp-good.der".to_owned()]));
        docs.push(("lint_ocsp_response", vec!["ocsp-revoked.der".to_owned()]));

        for (script, args) in docs {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let found = lint(&bin, script, &args, d).await;
            eprintln!(
                "{ca_alg:?} CA, {script} {args:?}: {}",
                if found.is_empty() { "clean" } else { &found }
            );
            if !found.is_empty() {
                findings.push(format!("{ca_alg:?} CA, {script} {args:?}:\n{found}"));
            }
        }
        app.stop().await;
        drop(db);
    }
    assert!(
        findings.is_empty(),
        "pkilint findings:\n{}",
        findings.join("\n")
    );
}

/// The CA hierarchy's products: a rotated CA and its leaf, a leaf of an intermediate installed
/// under an openssl-made root, and the CRL of every CA (each with a revocation).
#[tokio::test]
async fn pkilint_finds_nothing_in_a_rotated_ca_an_intermediates_leaf_and_each_cas_crl() {
    use crate::ca_outside::install_intermediate;
    let Some(python) = venv_python("pkilint") else {
        return;
    };
    let bin: PathBuf = python.parent().expect("venv bin").to_owned();
    let app = TestApp::spawn(Engine::Sqlite).await;
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path();
    let now = mtls_ca::clock::now;
    let mut docs: Vec<(&str, Vec<String>)> = Vec::new();
    let mut revoke_one = Vec::new();

    let first = app.ca_id();
    revoke_one.push(app.issue(&csr_p256("first-ca-leaf"), 30).await);
    let rotated = app
        .services
        .cas
        .rotate(&app.cli(), None, now())
        .await
        .expect("rotate");
    std::fs::write(d.join("rotated.pem"), rotated.pem()).expect("w");
    let leaf = app.issue(&csr_p256("rotated-ca-leaf"), 30).await;
    std::fs::write(
        d.join("rotated-leaf.pem"),
        leaf["certificate"].as_str().expect("pem"),
    )
    .expect("w");
    revoke_one.push(leaf);
    docs.push(("lint_pkix_cert", vec!["rotated.pem".into()]));
    docs.push(("lint_pkix_cert", vec!["rotated-leaf.pem".into()]));
    docs.push((
        "lint_pkix_signer_signee_cert_chain",
        vec!["rotated.pem".into(), "rotated-leaf.pem".into()],
    ));

    let (int_id, _root) =
        install_intermediate(&app, d, "/C=US/O=Example/CN=Example Issuing CA").await;
    let leaf = app.issue(&csr_p256("intermediate-leaf"), 30).await;
    std::fs::write(
        d.join("int-leaf.pem"),
        leaf["certificate"].as_str().expect("pem"),
    )
    .expect("w");
    revoke_one.push(leaf);
    docs.push(("lint_pkix_cert", vec!["int-leaf.pem".into()]));
    docs.push((
        "lint_pkix_signer_signee_cert_chain",
        vec!["int.pem".into(), "int-leaf.pem".into()],
    ));

    for cert in &revoke_one {
        app.on_cert(Method::DELETE, cert["id"].as_str().expect("id"))
            .await;
    }
    assert_eq!(app.run_worker().await.revoked, 3);
    for (i, ca) in [first, rotated.id.clone(), int_id].iter().enumerate() {
        let file = format!("crl-{i}.der");
        std::fs::write(d.join(&file), crate::ca_rotation::crl_der(&app, ca).await).expect("w");
        docs.push((
            "lint_crl",
            ["-t", "CRL", "-p", "PKIX", &file]
                .map(str::to_owned)
                .to_vec(),
        ));
    }

    let mut findings = Vec::new();
    for (script, args) in docs {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let found = lint(&bin, script, &args, d).await;
        eprintln!(
            "{script} {args:?}: {}",
            if found.is_empty() { "clean" } else { &found }
        );
        if !found.is_empty() {
            findings.push(format!("{script} {args:?}:\n{found}"));
        }
    }
    app.stop().await;
    assert!(
        findings.is_empty(),
        "pkilint findings:\n{}",
        findings.join("\n")
    );
}
