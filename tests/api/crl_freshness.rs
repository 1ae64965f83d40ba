//! How fresh the CRLs are and how they stay small: an expired CRL refused by `openssl verify
//! -crl_check` and the one `crl sync` writes accepted, the `/metrics` gauges and the error log of a
//! CRL nobody re-signed, and the entry of a revoked certificate leaving the CRL after its notAfter
//! while OCSP still answers revoked.

use std::path::Path;

use reqwest::Method;

use crate::crl_sync::flip;
use crate::helpers::*;
use crate::pki::openssl;
use crate::process::Home;

const DAY: i64 = 86_400;

#[tokio::test]
async fn an_expired_crl_is_refused_by_openssl_and_the_synced_one_is_accepted() {
    for engine in engines() {
        let app = TestApp::spawn(engine).await;
        let ca = app.ca_id();
        let leaf = app.issue(&csr_p256("expired-crl"), 30).await;
        let home = Home::with_url(&app.db_url);
        let d = home.dir.path();
        std::fs::write(d.join("ca.pem"), app.ca_pem()).expect("ca");
        std::fs::write(
            d.join("leaf.pem"),
            leaf["certificate"].as_str().expect("pem"),
        )
        .expect("w");
        // Nobody re-signed the CRL for eight days: it passed its nextUpdate (7 days) yesterday.
        let now = mtls_ca::clock::now();
        let s = &app.services;
        s.publish_crl(&ca, now - 8 * DAY).await.expect("publish");
        let old = s.current_crl(&ca, now).await.expect("crl");
        assert_eq!(old.next_update, now - DAY);
        std::fs::write(d.join("old.der"), &old.der).expect("w");
        let (ok, text) = openssl(
            &["crl", "-inform", "DER", "-in", "old.der", "-out", "old.pem"],
            d,
        )
        .await;
        assert!(ok, "{text}");
        let (ok, text) = verify_with(d, "old.pem").await;
        assert!(
            !ok && text.contains("CRL has expired"),
            "{engine:?}: {text}"
        );

        // The server still serves it: a sync over HTTP writes it and says nobody re-signed it.
        let sample = format!("mtls_ca_crl_next_update_seconds{{ca_id=\"{ca}\"}}");
        let metrics = fetch_metrics(&app.client, &app.base).await;
        assert!(gauge(&metrics, &sample) <= -DAY, "{metrics}");
        assert_eq!(
            s.log_late_crls(now).await.expect("check"),
            [(ca.clone(), mtls_ca::service::crl_status::Lateness::Expired)]
        );
        assert!(
            s.log_late_crls(now).await.expect("check").is_empty(),
            "logged once"
        );
        let line = home
            .fails_with(&["crl", "sync", "--out", "http", "--url", &app.base], &[])
            .await;
        assert!(
            line.contains(&format!("CA {ca} is past its nextUpdate")),
            "{line}"
        );

        // From the database, crl sync re-signs a CRL past half its validity, as the worker would.
        home.ok(&["crl", "sync", "--out", "out"]).await;
        let (ok, text) = verify_with(d, &format!("out/{ca}.crl.pem")).await;
        assert!(ok && text.contains("leaf.pem: OK"), "{engine:?}: {text}");
        let (ok, text) = verify_with(d, "out/crls.pem").await;
        assert!(ok, "{text}");
        let metrics = fetch_metrics(&app.client, &app.base).await;
        let left = gauge(&metrics, &sample);
        assert!((7 * DAY - 60..=7 * DAY).contains(&left), "{metrics}");
        let age = gauge(
            &metrics,
            &format!("mtls_ca_crl_age_seconds{{ca_id=\"{ca}\"}}"),
        );
        assert!((0..60).contains(&age), "{metrics}");
        home.ok(&["crl", "sync", "--out", "http", "--url", &app.base])
            .await;
        app.stop().await;
    }
}

/// `openssl verify -crl_check` of `leaf.pem` against `ca.pem` and the CRL file `crl`.
async fn verify_with(dir: &Path, crl: &str) -> (bool, String) {
    openssl(
        &[
            "verify",
            "-crl_check",
            "-CAfile",
            "ca.pem",
            "-CRLfile",
            crl,
            "leaf.pem",
        ],
        dir,
    )
    .await
}

/// The value of one sample in a Prometheus text.
fn gauge(text: &str, sample: &str) -> i64 {
    text.lines()
        .find_map(|l| {
            l.strip_prefix(sample)
                .map(|v| v.trim().parse().expect("number"))
        })
        .unwrap_or_else(|| panic!("no {sample} in {text}"))
}

#[tokio::test]
async fn a_revoked_certificate_leaves_the_crl_after_one_crl_issued_past_its_not_after() {
    for engine in engines() {
        let app = TestApp::spawn(engine).await;
        let ca = app.ca_id();
        let cert = app.issue(&csr_p256("short-lived"), 1).await;
        let (id, serial) = (
            cert["id"].as_str().expect("id"),
            cert["serial_number"].as_str().expect("serial").to_owned(),
        );
        let s = &app.services;
        let listed = |crl: &mtls_ca::service::pki::CrlDocument| {
            mtls_ca::x509::crl_entries(&crl.der)
                .expect("entries")
                .into_iter()
                .map(|(serial, _)| serial)
                .collect::<Vec<_>>()
        };
        let now = mtls_ca::clock::now();
        flip(&app, Method::DELETE, id).await;
        let first = s.current_crl(&ca, now).await.expect("crl");
        assert_eq!(listed(&first), [serial.as_str()]);
        // The worker re-signs every 3.5 days; the certificate expires after 1. The CRL of day 4 is
        // the first issued past its notAfter: it still lists it; the next one does not.
        for (at, still_listed) in [(now + 4 * DAY, true), (now + 8 * DAY, false)] {
            mtls_ca::worker::run_once(s, at).await.expect("run");
            let crl = s.current_crl(&ca, at).await.expect("crl");
            assert_eq!(crl.this_update, at);
            assert_eq!(
                listed(&crl) == [serial.clone()],
                still_listed,
                "{engine:?} at +{} days",
                (at - now) / DAY
            );
        }
        let (_, body) = app.on_cert(Method::GET, id).await;
        assert_eq!(body["result"]["status"], "revoked");
        // OCSP still calls it revoked.
        let dir = tempfile::tempdir().expect("dir");
        let d = dir.path();
        std::fs::write(d.join("ca.pem"), app.ca_pem()).expect("ca");
        std::fs::write(
            d.join("leaf.pem"),
            cert["certificate"].as_str().expect("pem"),
        )
        .expect("w");
        let (ok, text) = openssl(
            &[
                "ocsp",
                "-issuer",
                "ca.pem",
                "-cert",
                "leaf.pem",
                "-no_nonce",
                "-reqout",
                "req.der",
            ],
            d,
        )
        .await;
        assert!(ok, "{text}");
        let req = std::fs::read(d.join("req.der")).expect("req");
        let resp = s.ocsp(&ca, &req, now + 8 * DAY).await.expect("ocsp");
        std::fs::write(d.join("resp.der"), resp).expect("w");
        let (_, text) = openssl(
            &["ocsp", "-respin", "resp.der", "-resp_text", "-noverify"],
            d,
        )
        .await;
        assert!(text.contains("Cert Status: revoked"), "{engine:?}: {text}");
        app.stop().await;
    }
}
