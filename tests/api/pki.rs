//! Revocation as relying parties see it, checked by openssl: `openssl verify -crl_check` with the
//! served CRL and `openssl ocsp` against the running responder, across revocation and reactivation.

use std::path::Path;

use reqwest::{header, Method, StatusCode};

use crate::helpers::*;

/// Runs openssl (without blocking the runtime the server runs on); returns (success, stdout+stderr).
pub async fn openssl(args: &[&str], dir: &Path) -> (bool, String) {
    let out = tokio::process::Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .await
        .expect("openssl runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// The app's PKI base URL, `http://127.0.0.1:PORT/pki/{ca_id}`.
pub fn pki(app: &TestApp) -> String {
    format!("{}/pki/{}", app.base, app.ca_id())
}

/// Fetches the CRL and writes it as `crl.pem` in `dir`; returns its CRL number (the ETag).
pub async fn fetch_crl(app: &TestApp, dir: &Path) -> u64 {
    let res = app
        .client
        .get(format!("{}/crl", pki(app)))
        .send()
        .await
        .expect("GET crl");
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()[header::CONTENT_TYPE], "application/pkix-crl");
    assert!(res.headers().contains_key(header::LAST_MODIFIED));
    let etag = res.headers()[header::ETAG]
        .to_str()
        .expect("etag")
        .to_owned();
    let der = res.bytes().await.expect("body");
    std::fs::write(dir.join("crl.der"), &der).expect("write");
    let (ok, text) = openssl(
        &["crl", "-inform", "DER", "-in", "crl.der", "-out", "crl.pem"],
        dir,
    )
    .await;
    assert!(ok, "{text}");
    etag.trim_matches('"').parse().expect("numeric ETag")
}

/// `openssl verify -crl_check` of `leaf.pem` against `ca.pem` and `crl.pem`.
async fn verify_with_crl(dir: &Path) -> (bool, String) {
    openssl(
        &[
            "verify",
            "-crl_check",
            "-CAfile",
            "ca.pem",
            "-CRLfile",
            "crl.pem",
            "leaf.pem",
        ],
        dir,
    )
    .await
}

/// `openssl ocsp` (POST, with a nonce) about `leaf.pem`; asserts the signature verifies and
/// returns the output.
async fn ocsp_status(app: &TestApp, dir: &Path, extra: &[&str]) -> String {
    let url = format!("{}/ocsp", pki(app));
    let mut args = vec![
        "ocsp", "-issuer", "ca.pem", "-cert", "leaf.pem", "-url", &url, "-CAfile", "ca.pem",
    ];
    args.extend_from_slice(extra);
    let (ok, text) = openssl(&args, dir).await;
    assert!(ok, "{text}");
    assert!(text.contains("Response verify OK"), "{text}");
    assert!(!text.contains("WARNING"), "{text}");
    text
}

fn status_of(body: &serde_json::Value) -> &str {
    body["result"]["status"].as_str().unwrap_or("<none>")
}

#[tokio::test]
async fn openssl_sees_a_revocation_in_the_crl_and_ocsp_and_its_lifting_after_reactivation() {
    for engine in engines() {
        let app = TestApp::spawn(engine).await;
        let dir = tempfile::tempdir().expect("dir");
        let d = dir.path();
        let cert = app.issue(&csr_p256("revocable"), 30).await;
        let id = cert["id"].as_str().expect("id").to_owned();
        std::fs::write(d.join("ca.pem"), app.ca_pem()).expect("ca");
        std::fs::write(
            d.join("leaf.pem"),
            cert["certificate"].as_str().expect("pem"),
        )
        .expect("leaf");

        let first = fetch_crl(&app, d).await;
        let (ok, text) = verify_with_crl(d).await;
        assert!(ok && text.contains("leaf.pem: OK"), "{engine:?}: {text}");
        let text = ocsp_status(&app, d, &[]).await;
        assert!(text.contains("leaf.pem: good"), "{text}");

        // DELETE then the worker: published first, so once it reads revoked both say so.
        let (s, b) = app.on_cert(Method::DELETE, &id).await;
        assert_eq!((s, status_of(&b)), (StatusCode::OK, "pending_revocation"));
        assert_eq!(app.run_worker().await.revoked, 1);
        let (_, b) = app.on_cert(Method::GET, &id).await;
        assert_eq!(status_of(&b), "revoked");
        let revoked = fetch_crl(&app, d).await;
        assert!(
            revoked > first,
            "the CRL number grows: {first} -> {revoked}"
        );
        let (ok, text) = verify_with_crl(d).await;
        assert!(!ok && text.contains("certificate revoked"), "{text}");
        let text = ocsp_status(&app, d, &[]).await;
        assert!(text.contains("leaf.pem: revoked"), "{text}");
        assert!(
            text.contains("Reason: certificateHold") && text.contains("Revocation Time"),
            "{text}"
        );
        let (_, crl_text) = openssl(&["crl", "-in", "crl.pem", "-noout", "-text"], d).await;
        let serial = cert["serial_number"]
            .as_str()
            .expect("serial")
            .to_uppercase();
        assert!(crl_text.contains(&serial), "{crl_text}");
        assert!(crl_text.contains("Certificate Hold"), "{crl_text}");
        assert!(
            crl_text.contains("X509v3 Authority Key Identifier"),
            "{crl_text}"
        );
        assert!(crl_text.contains("X509v3 CRL Number"), "{crl_text}");

        // PATCH then the worker: lifted from both before it reads active.
        let (s, b) = app.on_cert(Method::PATCH, &id).await;
        assert_eq!((s, status_of(&b)), (StatusCode::OK, "pending_reactivation"));
        assert_eq!(app.run_worker().await.reactivated, 1);
        let (_, b) = app.on_cert(Method::GET, &id).await;
        assert_eq!(status_of(&b), "active");
        let lifted = fetch_crl(&app, d).await;
        assert!(lifted > revoked);
        let (ok, text) = verify_with_crl(d).await;
        assert!(ok && text.contains("leaf.pem: OK"), "{text}");
        let text = ocsp_status(&app, d, &[]).await;
        assert!(text.contains("leaf.pem: good"), "{text}");
        // The latency of both changes is in /metrics.
        let metrics = fetch_metrics(&app.client, &app.base).await;
        for to in ["revoked", "active"] {
            let line =
                format!("mtls_ca_revocation_publication_latency_seconds_count{{to=\"{to}\"}} 1");
            assert!(metrics.contains(&line), "{line} in\n{metrics}");
        }
        app.stop().await;
    }
}

#[tokio::test]
async fn the_crl_is_served_with_etag_and_last_modified_and_revalidates_to_304() {
    for engine in engines() {
        let app = TestApp::spawn(engine).await;
        let url = format!("{}/crl", pki(&app));
        let res = app.client.get(&url).send().await.expect("crl");
        assert_eq!(res.headers()[header::CACHE_CONTROL], "no-cache");
        let etag = res.headers()[header::ETAG].clone();
        let last_modified = res.headers()[header::LAST_MODIFIED].to_str().expect("lm");
        assert!(last_modified.ends_with(" GMT"), "{last_modified}");
        let res = app
            .client
            .get(&url)
            .header(header::IF_NONE_MATCH, etag.clone())
            .send()
            .await
            .expect("crl");
        assert_eq!(res.status(), StatusCode::NOT_MODIFIED);
        assert_eq!(res.headers()[header::ETAG], etag);
        assert!(res.bytes().await.expect("body").is_empty());

        // A new list, a new CRL: the old tag no longer matches.
        let cert = app.issue(&csr_p256("etag"), 5).await;
        app.on_cert(Method::DELETE, cert["id"].as_str().expect("id"))
            .await;
        app.run_worker().await;
        let res = app
            .client
            .get(&url)
            .header(header::IF_NONE_MATCH, etag.clone())
            .send()
            .await
            .expect("crl");
        assert_eq!(res.status(), StatusCode::OK);
        assert_ne!(res.headers()[header::ETAG], etag);
        app.stop().await;
    }
}
