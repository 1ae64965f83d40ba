//! Rotation with overlap (CONTRACT section 6): after `ca rotate` new certificates come from the new
//! CA at once, also on a replica started before it; the retired CA keeps its CRL and OCSP; the trust
//! bundle carries both, as openssl and a rustls server see it.

use std::path::Path;

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::helpers::*;
use crate::pki::openssl;
use crate::pki_tls::{mtls_handshake, server_identity};

/// `GET path` as text, with its status.
pub async fn get_text(app: &TestApp, path: &str) -> (StatusCode, String) {
    let res = app
        .client
        .get(format!("{}{path}", app.base))
        .send()
        .await
        .expect("GET");
    (res.status(), res.text().await.expect("body"))
}

/// The CRL of CA `ca_id`, DER.
pub async fn crl_der(app: &TestApp, ca_id: &str) -> Vec<u8> {
    let res = app
        .client
        .get(format!("{}/pki/{ca_id}/crl", app.base))
        .send()
        .await
        .expect("GET crl");
    assert_eq!(res.status(), StatusCode::OK);
    res.bytes().await.expect("body").to_vec()
}

/// The serials CA `ca_id`'s CRL lists, as `openssl crl -text` prints them (upper-case hex).
pub async fn crl_serials(app: &TestApp, ca_id: &str, dir: &Path) -> String {
    std::fs::write(dir.join("crl.der"), crl_der(app, ca_id).await).expect("write");
    let (ok, text) = openssl(
        &["crl", "-inform", "DER", "-in", "crl.der", "-noout", "-text"],
        dir,
    )
    .await;
    assert!(ok, "{text}");
    text
}

fn serial(cert: &Value) -> String {
    cert["serial_number"]
        .as_str()
        .expect("serial")
        .to_uppercase()
}

fn ca_of(cert: &Value) -> String {
    cert["certificate_authority"]["id"]
        .as_str()
        .expect("ca id")
        .to_owned()
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).expect("write");
}

/// `openssl ocsp` about `cert.pem` against CA `ca_id`'s responder: the line it prints for the cert.
async fn ocsp(app: &TestApp, ca_id: &str, dir: &Path) -> String {
    let url = format!("{}/pki/{ca_id}/ocsp", app.base);
    let (ok, text) = openssl(
        &[
            "ocsp",
            "-issuer",
            "issuer.pem",
            "-cert",
            "cert.pem",
            "-url",
            &url,
            "-CAfile",
            "issuer.pem",
        ],
        dir,
    )
    .await;
    assert!(ok, "{text}");
    assert!(text.contains("Response verify OK"), "{text}");
    text
}

#[tokio::test]
async fn a_rotation_issues_from_the_new_ca_at_once_while_the_old_one_keeps_publishing() {
    for engine in engines() {
        let app = TestApp::spawn(engine).await;
        let dir = tempfile::tempdir().expect("dir");
        let d = dir.path();
        let old = app.services.cas.issuing().expect("issuing");
        let old_revoked = app.issue(&csr_p256("old-revoked"), 30).await;
        let old_kept = app.issue(&csr_p256("old-kept"), 30).await;
        assert_eq!(ca_of(&old_kept), old.id);

        let new = app
            .services
            .cas
            .rotate(&app.cli(), None, mtls_ca::clock::now())
            .await
            .expect("rotate");
        assert_ne!(new.id, old.id);
        assert_eq!(
            new.algorithm, old.algorithm,
            "{engine:?}: same algorithm by default"
        );
        let roles: Vec<_> = app
            .services
            .cas
            .all()
            .iter()
            .map(|c| (c.id.clone(), c.role.as_str()))
            .collect();
        assert_eq!(
            roles,
            vec![(old.id.clone(), "retired"), (new.id.clone(), "issuing")]
        );

        let new_revoked = app.issue(&csr_p256("new-revoked"), 30).await;
        let new_kept = app.issue(&csr_p256("new-kept"), 30).await;
        assert_eq!(
            ca_of(&new_kept),
            new.id,
            "{engine:?}: new certificates come from the new CA"
        );
        assert_eq!(new_kept["certificate_authority"]["name"], new.name.as_str());
        let (_, again) = app
            .on_cert(Method::GET, old_kept["id"].as_str().expect("id"))
            .await;
        assert_eq!(
            again["result"]["certificate_authority"]["id"],
            old.id.as_str()
        );
        assert_eq!(
            again["result"]["certificate_authority"]["name"],
            old.name.as_str()
        );

        // One revocation per CA: each lands in its own CA's CRL, and nowhere else.
        for cert in [&old_revoked, &new_revoked] {
            app.on_cert(Method::DELETE, cert["id"].as_str().expect("id"))
                .await;
        }
        let outcome = app.run_worker().await;
        assert_eq!(
            outcome.revoked, 2,
            "{engine:?}: the worker publishes every CA's CRL"
        );
        let old_crl = crl_serials(&app, &old.id, d).await;
        let new_crl = crl_serials(&app, &new.id, d).await;
        assert!(old_crl.contains(&serial(&old_revoked)), "{old_crl}");
        assert!(!old_crl.contains(&serial(&new_revoked)), "{old_crl}");
        assert!(new_crl.contains(&serial(&new_revoked)), "{new_crl}");
        assert!(!new_crl.contains(&serial(&old_revoked)), "{new_crl}");

        // OCSP of each CA answers for its own certificates.
        for (ca, cert, want) in [
            (&old, &old_revoked, "revoked"),
            (&old, &old_kept, "good"),
            (&new, &new_revoked, "revoked"),
            (&new, &new_kept, "good"),
        ] {
            write(d, "issuer.pem", &ca.pem());
            write(d, "cert.pem", cert["certificate"].as_str().expect("pem"));
            let text = ocsp(&app, &ca.id, d).await;
            assert!(
                text.contains(&format!("cert.pem: {want}")),
                "{engine:?} {want}: {text}"
            );
        }

        // The bundle trusts both CAs; the new CA alone refuses the old certificate.
        let (status, bundle) = get_text(&app, "/pki/bundle.pem").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(bundle.matches("BEGIN CERTIFICATE").count(), 2, "{bundle}");
        write(d, "bundle.pem", &bundle);
        write(d, "new.pem", &new.pem());
        for (cert, name) in [(&old_kept, "old.crt"), (&new_kept, "new.crt")] {
            write(d, name, cert["certificate"].as_str().expect("pem"));
            let (ok, text) = openssl(&["verify", "-CAfile", "bundle.pem", name], d).await;
            assert!(ok, "{engine:?} {name}: {text}");
        }
        let (ok, text) = openssl(&["verify", "-CAfile", "new.pem", "old.crt"], d).await;
        assert!(
            !ok,
            "the new CA alone does not vouch for the old certificate: {text}"
        );

        // Each CA serves its own certificate and chain; a root's chain is itself.
        for ca in [&old, &new] {
            let (status, pem) = get_text(&app, &format!("/pki/{}/chain.pem", ca.id)).await;
            assert_eq!(status, StatusCode::OK);
            assert_eq!(pem, ca.pem());
            assert_eq!(
                get_text(&app, &format!("/pki/{}/ca.pem", ca.id)).await.1,
                ca.pem()
            );
        }

        // Both CAs' time to expiry is a metric.
        let metrics = fetch_metrics(&app.client, &app.base).await;
        for (ca, role) in [(&old, "retired"), (&new, "issuing")] {
            assert!(
                metrics.contains(&format!(
                    "mtls_ca_ca_expiry_seconds{{ca_id=\"{}\",role=\"{role}\"}}",
                    ca.id
                )),
                "{metrics}"
            );
        }
        app.stop().await;
    }
}

#[tokio::test]
async fn a_rustls_server_trusting_the_bundle_accepts_both_cas_and_refuses_a_revoked_old_one() {
    let server = server_identity();
    for engine in engines() {
        let app = TestApp::spawn(engine).await;
        let old = app.services.cas.issuing().expect("issuing");
        let client = |cn: &str| {
            let key = rcgen::KeyPair::generate().expect("key");
            let csr = csr_for_key(&key, cn);
            (key, csr)
        };
        let (old_key, old_csr) = client("old");
        let old_cert = app.issue(&old_csr, 7).await;
        let (gone_key, gone_csr) = client("old-revoked");
        let gone_cert = app.issue(&gone_csr, 7).await;
        let new = app
            .services
            .cas
            .rotate(&app.cli(), None, mtls_ca::clock::now())
            .await
            .expect("rotate");
        let (new_key, new_csr) = client("new");
        let new_cert = app.issue(&new_csr, 7).await;
        app.on_cert(Method::DELETE, gone_cert["id"].as_str().expect("id"))
            .await;
        app.run_worker().await;

        let (_, bundle) = get_text(&app, "/pki/bundle.pem").await;
        let trusted: Vec<Vec<u8>> = rustls_pemfile::certs(&mut bundle.as_bytes())
            .map(|c| c.expect("PEM").to_vec())
            .collect();
        assert_eq!(trusted.len(), 2);
        let crls = vec![crl_der(&app, &old.id).await, crl_der(&app, &new.id).await];
        for (cert, key, accepted) in [
            (&old_cert, &old_key, true),
            (&new_cert, &new_key, true),
            (&gone_cert, &gone_key, false),
        ] {
            let pem = cert["certificate"].as_str().expect("pem");
            let der = rustls_pemfile::certs(&mut pem.as_bytes())
                .next()
                .expect("one")
                .expect("PEM");
            let verdict = mtls_handshake(&server, &trusted, crls.clone(), der, key).await;
            let cn = cert["common_name"].as_str().unwrap_or("");
            if accepted {
                assert_eq!(verdict, Ok(()), "{engine:?}: {cn} is accepted");
            } else {
                let err = verdict.expect_err("the revoked old certificate is refused");
                assert!(err.contains("Revoked"), "{cn}: {err}");
            }
        }
        app.stop().await;
    }
}

#[tokio::test]
async fn a_replica_started_before_a_rotation_issues_from_the_new_ca_within_a_worker_interval() {
    for engine in engines() {
        let db = TestDb::new(engine).await;
        let mut s = settings(&db.url);
        s.worker_interval = 1;
        let first = TestApp::start_on(db, s.clone(), engine).await;
        let replica = TestApp::start(s, engine).await;
        let old = replica.ca_id();
        assert_eq!(ca_of(&replica.issue(&csr_p256("before"), 7).await), old);

        let new = first
            .services
            .cas
            .rotate(&first.cli(), None, mtls_ca::clock::now())
            .await
            .expect("rotate");
        let started = std::time::Instant::now();
        let mut seen = old.clone();
        while seen != new.id && started.elapsed() < std::time::Duration::from_secs(15) {
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            seen = ca_of(&replica.issue(&csr_p256("after"), 7).await);
        }
        assert_eq!(
            seen, new.id,
            "{engine:?}: the replica issues from the new CA without a restart"
        );
        println!(
            "{engine:?}: the replica switched {:.1} s after the rotation",
            started.elapsed().as_secs_f64()
        );
        // And it serves the retired CA's CRL as well as the new one's.
        assert_eq!(
            get_text(&replica, &format!("/pki/{old}/crl")).await.0,
            StatusCode::OK
        );
        replica.stop().await;
        first.stop().await;
    }
}

#[tokio::test]
async fn a_retired_ca_that_issued_nothing_unexpired_leaves_the_bundle_and_is_not_republished() {
    for engine in engines() {
        let app = TestApp::spawn(engine).await;
        let old = app.ca_id();
        let new = app
            .services
            .cas
            .rotate(&app.cli(), None, mtls_ca::clock::now())
            .await
            .expect("rotate");
        let (_, bundle) = get_text(&app, "/pki/bundle.pem").await;
        assert_eq!(
            bundle,
            new.pem(),
            "{engine:?}: only the issuing CA is trusted"
        );
        app.run_worker().await;
        let metrics = fetch_metrics(&app.client, &app.base).await;
        assert!(
            metrics.contains("mtls_ca_crls_published_total 1"),
            "{metrics}"
        );
        // Its certificate and (on demand) a CRL are still served.
        assert_eq!(
            get_text(&app, &format!("/pki/{old}/ca.pem")).await.0,
            StatusCode::OK
        );
        app.stop().await;
    }
}
