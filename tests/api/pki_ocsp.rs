//! The OCSP responder's edges, as openssl sees them: the GET form, nonces, SHA-256 CertIDs,
//! unknown serials, malformed requests, other issuers, caching across a status change and across
//! replicas; and the public endpoints and certificate pointers around it.

use std::path::Path;

use reqwest::{header, Method, StatusCode};

use crate::helpers::*;
use crate::pki::{openssl, pki};

/// Issues a certificate and writes `ca.pem` and `leaf.pem`; returns its id.
async fn issue_into(app: &TestApp, dir: &Path, cn: &str) -> String {
    let cert = app.issue(&csr_p256(cn), 30).await;
    std::fs::write(dir.join("ca.pem"), app.ca_pem()).expect("ca");
    std::fs::write(
        dir.join("leaf.pem"),
        cert["certificate"].as_str().expect("pem"),
    )
    .expect("w");
    cert["id"].as_str().expect("id").to_owned()
}

/// POSTs a DER request file; returns the DER response.
async fn post_ocsp(app: &TestApp, body: Vec<u8>) -> Vec<u8> {
    let res = app
        .client
        .post(format!("{}/ocsp", pki(app)))
        .header(header::CONTENT_TYPE, "application/ocsp-request")
        .body(body)
        .send()
        .await
        .expect("ocsp");
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers()[header::CONTENT_TYPE],
        "application/ocsp-response"
    );
    res.bytes().await.expect("body").to_vec()
}

/// Reads a response with openssl against the request in `req.der` (signature and nonce checked;
/// no -cert, which would make openssl build a request of its own); returns its text.
async fn read_response(dir: &Path, resp: &[u8]) -> String {
    std::fs::write(dir.join("resp.der"), resp).expect("w");
    let (ok, text) = openssl(
        &[
            "ocsp",
            "-reqin",
            "req.der",
            "-respin",
            "resp.der",
            "-issuer",
            "ca.pem",
            "-CAfile",
            "ca.pem",
            "-resp_text",
        ],
        dir,
    )
    .await;
    assert!(ok && text.contains("Response verify OK"), "{text}");
    assert!(
        !text.contains("WARNING") && !text.contains("error"),
        "{text}"
    );
    text
}

async fn make_request(dir: &Path, extra: &[&str]) -> Vec<u8> {
    // A digest option must come before -cert.
    let mut args = vec!["ocsp", "-issuer", "ca.pem"];
    args.extend_from_slice(extra);
    args.extend_from_slice(&["-cert", "leaf.pem", "-reqout", "req.der"]);
    let (ok, text) = openssl(&args, dir).await;
    assert!(ok, "{text}");
    std::fs::read(dir.join("req.der")).expect("req")
}

/// The hex of the nonce in an `openssl ... -text` dump.
fn nonce_of(text: &str) -> Option<String> {
    let mut lines = text.lines().skip_while(|l| !l.contains("OCSP Nonce"));
    lines.next()?;
    lines.next().map(|l| l.trim().to_owned())
}

#[tokio::test]
async fn get_and_post_forms_echo_the_nonce_and_accept_sha256_cert_ids() {
    use base64::Engine;
    for engine in engines() {
        let app = TestApp::spawn(engine).await;
        let dir = tempfile::tempdir().expect("dir");
        let d = dir.path();
        issue_into(&app, d, "get-form").await;
        for hash in ["-sha1", "-sha256"] {
            let req = make_request(d, &[hash]).await;
            let b64 = base64::engine::general_purpose::STANDARD.encode(&req);
            let encoded: String = url::form_urlencoded::byte_serialize(b64.as_bytes()).collect();
            for path in [encoded.as_str(), b64.as_str()] {
                let res = app
                    .client
                    .get(format!("{}/ocsp/{path}", pki(&app)))
                    .send()
                    .await
                    .expect("GET ocsp");
                assert_eq!(res.status(), StatusCode::OK);
                let text = read_response(d, &res.bytes().await.expect("body")).await;
                assert!(text.contains("Response verify OK"), "{text}");
                assert!(
                    text.contains("Cert Status: good"),
                    "{engine:?} {hash}: {text}"
                );
                assert!(!text.contains("WARNING"), "{text}");
            }
            let (_, req_text) = openssl(&["ocsp", "-reqin", "req.der", "-req_text"], d).await;
            let text = read_response(d, &post_ocsp(&app, req).await).await;
            let nonce = nonce_of(&req_text).expect("openssl sends a nonce");
            assert_eq!(nonce_of(&text), Some(nonce), "{text}");
        }
        // Not base64 at all: malformedRequest, not an HTTP error.
        let res = app
            .client
            .get(format!("{}/ocsp/%25%25%25", pki(&app)))
            .send()
            .await
            .expect("GET");
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(
            res.bytes().await.expect("b").to_vec(),
            [0x30, 3, 0x0a, 1, 1]
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn unknown_serials_garbage_and_other_issuers_get_their_ocsp_statuses() {
    for engine in engines() {
        let app = TestApp::spawn(engine).await;
        let other = TestApp::spawn(engine).await;
        let dir = tempfile::tempdir().expect("dir");
        let d = dir.path();
        issue_into(&app, d, "known").await;
        let url = format!("{}/ocsp", pki(&app));

        let (ok, text) = openssl(
            &[
                "ocsp",
                "-issuer",
                "ca.pem",
                "-serial",
                "0x0123456789",
                "-url",
                &url,
                "-CAfile",
                "ca.pem",
            ],
            d,
        )
        .await;
        assert!(ok && text.contains("0x0123456789: unknown"), "{text}");
        assert!(text.contains("Response verify OK"), "{text}");

        for garbage in [b"".to_vec(), b"garbage".to_vec(), vec![0x30, 0x80, 0x00]] {
            let resp = post_ocsp(&app, garbage).await;
            std::fs::write(d.join("bad.der"), &resp).expect("w");
            let (_, text) = openssl(&["ocsp", "-respin", "bad.der", "-resp_text"], d).await;
            assert!(text.contains("malformedrequest (1)"), "{text}");
        }

        // A certificate of another CA, asked of this responder.
        let other_dir = tempfile::tempdir().expect("dir");
        issue_into(&other, other_dir.path(), "foreign").await;
        let (_, text) = openssl(
            &[
                "ocsp", "-issuer", "ca.pem", "-cert", "leaf.pem", "-url", &url, "-CAfile", "ca.pem",
            ],
            other_dir.path(),
        )
        .await;
        assert!(text.contains("unauthorized (6)"), "{text}");
        other.stop().await;
        app.stop().await;
    }
}

#[tokio::test]
async fn cached_answers_change_with_the_status_here_and_on_another_replica() {
    for engine in engines() {
        let app = TestApp::spawn(engine).await;
        let dir = tempfile::tempdir().expect("dir");
        let d = dir.path();
        let id = issue_into(&app, d, "cached").await;
        let req = make_request(d, &["-no_nonce"]).await;
        let first = post_ocsp(&app, req.clone()).await;
        assert_eq!(
            post_ocsp(&app, req.clone()).await,
            first,
            "served from the cache"
        );
        assert!(read_response(d, &first).await.contains("Cert Status: good"));

        // A second replica on the same database serves from its own cache...
        let replica = TestApp::start(settings(&app.db_url), engine).await;
        assert!(read_response(d, &post_ocsp(&replica, req.clone()).await)
            .await
            .contains("Cert Status: good"));
        // ...and the first replica's worker publishes the revocation.
        app.on_cert(Method::DELETE, &id).await;
        app.run_worker().await;
        for (who, server) in [("publisher", &app), ("replica", &replica)] {
            let text = read_response(d, &post_ocsp(server, req.clone()).await).await;
            assert!(text.contains("Cert Status: revoked"), "{who}: {text}");
        }
        app.on_cert(Method::PATCH, &id).await;
        app.run_worker().await;
        for (who, server) in [("publisher", &app), ("replica", &replica)] {
            let text = read_response(d, &post_ocsp(server, req.clone()).await).await;
            assert!(text.contains("Cert Status: good"), "{who}: {text}");
        }
        replica.stop().await;
        app.stop().await;
    }
}

#[tokio::test]
async fn a_crash_between_publishing_and_flipping_is_repaired_by_the_next_run() {
    for engine in engines() {
        let app = TestApp::spawn(engine).await;
        let dir = tempfile::tempdir().expect("dir");
        let d = dir.path();
        let id = issue_into(&app, d, "crash").await;
        app.on_cert(Method::DELETE, &id).await;
        // The first half of a worker run: publish, then "crash" before flipping.
        let now = mtls_ca::clock::now();
        let p = app
            .services
            .publish_crl(&app.ca_id(), now)
            .await
            .expect("publish")
            .expect("stored");
        assert!(p.rebuilt && p.to_revoke.len() == 1);
        let (_, b) = app.on_cert(Method::GET, &id).await;
        assert_eq!(b["result"]["status"], "pending_revocation");
        let req = make_request(d, &[]).await;
        assert!(read_response(d, &post_ocsp(&app, req).await)
            .await
            .contains("Cert Status: revoked"));
        // A restart, then the next run: nothing to re-sign, the flip happens.
        let app = app.restart().await;
        let outcome = app.run_worker().await;
        assert_eq!(outcome.revoked, 1);
        let again = app
            .services
            .publish_crl(&app.ca_id(), now + 1)
            .await
            .expect("publish")
            .expect("stored");
        assert_eq!(again.crl_number, p.crl_number, "the same CRL was current");
        assert!(!again.rebuilt);
        // Half-way to nextUpdate the CRL is re-signed under a larger number.
        let later = app
            .services
            .publish_crl(&app.ca_id(), now + 4 * 86_400)
            .await
            .expect("publish")
            .expect("stored");
        assert!(later.rebuilt && later.crl_number > p.crl_number);
        app.stop().await;
    }
}

#[tokio::test]
async fn certificates_point_at_the_crl_ocsp_and_ca_endpoints_which_serve_them() {
    use x509_parser::prelude::*;
    for engine in engines() {
        let app = TestApp::spawn(engine).await;
        let cert = app.issue(&csr_p256("pointers"), 30).await;
        let pem = cert["certificate"].as_str().expect("pem");
        let (_, parsed) = x509_parser::pem::parse_x509_pem(pem.as_bytes()).expect("pem");
        let x = parsed.parse_x509().expect("x509");
        // The pointers are the public URL's (the plain-HTTP PKI listener when there is one).
        let base = format!("{}/pki/{}", app.services.public_url, app.ca_id());
        let mut urls = Vec::new();
        for ext in x.extensions() {
            match ext.parsed_extension() {
                ParsedExtension::CRLDistributionPoints(dps) => {
                    for dp in dps.iter() {
                        if let Some(DistributionPointName::FullName(names)) = &dp.distribution_point
                        {
                            for n in names {
                                if let GeneralName::URI(u) = n {
                                    urls.push(("crl", u.to_string()));
                                }
                            }
                        }
                    }
                }
                ParsedExtension::AuthorityInfoAccess(aia) => {
                    for ad in &aia.accessdescs {
                        if let GeneralName::URI(u) = ad.access_location {
                            urls.push(("aia", u.to_string()));
                        }
                    }
                }
                _ => {}
            }
        }
        assert_eq!(
            urls,
            vec![
                ("crl", format!("{base}/crl")),
                ("aia", format!("{base}/ocsp")),
                ("aia", format!("{base}/ca.der")),
            ]
        );
        let ca_der = app.ca_der();
        let ca_pem = app.ca_pem();
        for (path, ctype, body) in [
            ("ca.der", "application/pkix-cert", ca_der),
            ("ca.pem", "application/x-pem-file", ca_pem.into_bytes()),
        ] {
            let res = app
                .client
                .get(format!("{base}/{path}"))
                .send()
                .await
                .expect("get");
            assert_eq!(res.status(), StatusCode::OK);
            assert_eq!(res.headers()[header::CONTENT_TYPE], ctype);
            assert_eq!(res.bytes().await.expect("body").to_vec(), body);
        }
        // Unknown CAs: a plain 404 on every PKI endpoint.
        let unknown = format!("{}/pki/00000000-0000-4000-8000-000000000000", app.base);
        for (method, path) in [
            (Method::GET, "ca.pem"),
            (Method::GET, "ca.der"),
            (Method::GET, "crl"),
            (Method::POST, "ocsp"),
            (Method::GET, "ocsp/MAA="),
        ] {
            let res = app
                .client
                .request(method, format!("{unknown}/{path}"))
                .send()
                .await
                .expect("req");
            assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
            assert!(res
                .text()
                .await
                .expect("t")
                .contains("unknown certificate authority"));
        }
        app.stop().await;
    }
}
