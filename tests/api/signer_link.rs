//! The link between `serve` and `mtls-ca signer`: issuance answers 503 while the signer is down and
//! recovers without a restart, the signer refuses what is not a signing request of its kinds, and
//! over mutual TLS it serves only clients with a certificate of its CA (checked with curl).

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::cli::openssl;
use crate::custody::{issue_and_verify, private_keys_in, zone_and_token};
use crate::helpers::*;
use crate::process::*;
use crate::signers::*;

#[tokio::test]
async fn issuance_answers_503_while_the_signer_is_down_and_recovers_without_a_restart() {
    let mut signer = SignerProcess::start();
    let home = Home::with_custody(vec![("MTLS_CA_SIGNER".into(), signer.url())]);
    home.ok(&["init"]).await;
    let server = std::sync::Arc::new(home.serve_with(&[("MTLS_CA_WORKER_INTERVAL", "1")]).await);
    let (zone, token) = zone_and_token(&home).await;
    let auth = format!("Bearer {token}");
    // The worker publishes the first CRL (signed by the signer) before the signer goes away.
    let ca = home.ok(&["ca", "list", "--json"]).await;
    let ca: Value = serde_json::from_str(ca.lines().next().expect("a CA")).expect("json");
    let ca_id = ca["id"].as_str().expect("id").to_owned();
    let crl_url = format!("{}/pki/{ca_id}/crl", server.base);
    for _ in 0..100 {
        let res = server.client.get(&crl_url).send().await.expect("crl");
        if res.status() == StatusCode::OK {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let load: Vec<_> = (0..4)
        .map(|i| {
            let (server, zone, auth, stop) = (server.clone(), zone.clone(), auth.clone(), stop.clone());
            tokio::spawn(async move {
                let mut seen = Vec::new();
                let mut n = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    n += 1;
                    let res = server
                        .client
                        .post(format!("{}/client/v4/zones/{zone}/client_certificates", server.base))
                        .header("authorization", &auth)
                        .timeout(Duration::from_secs(30))
                        .json(&json!({"csr": csr_p256(&format!("load-{i}-{n}")), "validity_days": 30}))
                        .send()
                        .await
                        .expect("request");
                    let retry = res.headers().get("retry-after").is_some();
                    let (status, body) = json_of(res).await;
                    seen.push((status, retry, body));
                }
                seen
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(800)).await;
    // An OCSP answer given before the signer goes down is served from the cache while it is down.
    let first = issue_and_verify(&home, &server, &zone, &token, "ocsp-probe").await;
    let ca_id = first["certificate_authority"]["id"]
        .as_str()
        .expect("ca id")
        .to_owned();
    let out = openssl(
        &[
            "ocsp",
            "-issuer",
            "bundle.pem",
            "-cert",
            "ocsp-probe.pem",
            "-no_nonce",
            "-reqout",
            "ocsp.req",
        ],
        home.dir.path(),
    );
    assert!(out.status.success(), "{out:?}");
    let request = std::fs::read(home.path("ocsp.req")).expect("request");
    let ocsp = |server: std::sync::Arc<Server>, request: Vec<u8>, ca_id: String| async move {
        let res = server
            .client
            .post(format!("{}/pki/{ca_id}/ocsp", server.base))
            .header("content-type", "application/ocsp-request")
            .body(request)
            .send()
            .await
            .expect("ocsp");
        (res.status(), res.bytes().await.expect("body"))
    };
    let before = ocsp(server.clone(), request.clone(), ca_id.clone()).await;
    assert_eq!(before.0, StatusCode::OK);
    signer.kill();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    // Reads, the CRL and the CA certificate do not need the signer.
    let (status, list) = server
        .call(
            reqwest::Method::GET,
            &format!("/zones/{zone}/client_certificates"),
            &token,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(ocsp(server.clone(), request, ca_id.clone()).await, before);
    let crl = server.client.get(&crl_url).send().await.expect("crl");
    assert_eq!(crl.status(), StatusCode::OK);
    signer.restart();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut results = Vec::new();
    for task in load {
        results.extend(task.await.expect("load task"));
    }
    let ok: Vec<&Value> = results
        .iter()
        .filter(|r| r.0 == StatusCode::OK)
        .map(|r| &r.2)
        .collect();
    let down: Vec<&(StatusCode, bool, Value)> = results
        .iter()
        .filter(|r| r.0 == StatusCode::SERVICE_UNAVAILABLE)
        .collect();
    for (status, _, body) in &results {
        assert!(
            *status == StatusCode::OK || *status == StatusCode::SERVICE_UNAVAILABLE,
            "{status}: {body}"
        );
    }
    assert!(
        !down.is_empty(),
        "no issuance was refused while the signer was down"
    );
    for (_, retry, body) in &down {
        assert!(*retry, "a 503 without Retry-After");
        assert_eq!(body["errors"][0]["code"], 1501, "{body}");
        assert_eq!(body["success"], false);
    }
    // Issuance works again, and every acknowledged certificate is there.
    let last = results
        .iter()
        .rev()
        .take(4)
        .filter(|r| r.0 == StatusCode::OK)
        .count();
    assert!(
        last > 0,
        "issuance did not recover after the signer came back: {}",
        server.log()
    );
    for cert in ok {
        let id = cert["result"]["id"].as_str().expect("id");
        let (status, got) = server
            .call(
                reqwest::Method::GET,
                &format!("/zones/{zone}/client_certificates/{id}"),
                &token,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{got}");
        assert_eq!(got["result"]["certificate"], cert["result"]["certificate"]);
    }
    let count = server
        .call(
            reqwest::Method::GET,
            &format!("/zones/{zone}/client_certificates?per_page=1"),
            &token,
        )
        .await
        .1["result_info"]["total_count"]
        .as_i64()
        .expect("total_count");
    // Every stored certificate was acknowledged (the probe, and each 200 of the load); no 503
    // left one behind.
    assert_eq!(
        count as usize,
        1 + results.iter().filter(|r| r.0 == StatusCode::OK).count()
    );
}

/// The signer protocol spoken directly on the socket (HTTP/2, as `serve` speaks it).
fn signer_client(signer: &SignerProcess) -> reqwest::Client {
    reqwest::Client::builder()
        .unix_socket(signer.socket.clone())
        .http2_prior_knowledge()
        .build()
        .expect("client")
}

/// The TBSCertificate of a self-signed P-256 certificate, CA or not, for a key of its own.
fn foreign_tbs(ca: bool) -> Vec<u8> {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("key");
    let mut params = rcgen::CertificateParams::new(vec!["x.example".to_owned()]).expect("params");
    if ca {
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    }
    let cert = params.self_signed(&key).expect("cert");
    let (_, parsed) = x509_parser::parse_x509_certificate(cert.der()).expect("parse");
    parsed.tbs_certificate.as_ref().to_vec()
}

#[tokio::test]
async fn the_signer_signs_only_well_formed_requests_of_its_kinds() {
    let signer = SignerProcess::start();
    let client = signer_client(&signer);
    let base = "http://signer";
    let created: Value = client
        .post(format!("{base}/v1/keys"))
        .json(&json!({"algorithm": "ecdsa-p256", "label": "test-ca-1"}))
        .send()
        .await
        .expect("create")
        .json()
        .await
        .expect("json");
    let key_ref = created["key_ref"].as_str().expect("key_ref").to_owned();
    let sign = |kind: &str, body: Vec<u8>, key: &str| {
        client
            .post(format!("{base}/v1/sign/{kind}"))
            .query(&[("key", key)])
            .body(body)
            .send()
    };
    let refused = |res: reqwest::Response| async move {
        let status = res.status();
        let body: Value = res.json().await.expect("a JSON failure");
        (status, body)
    };
    for (kind, body, why) in [
        ("certificate", b"not DER".to_vec(), "not a well-formed"),
        ("bogus", foreign_tbs(false), "not a kind"),
        ("certificate", foreign_tbs(true), "may not be a CA"),
        ("ca-certificate", foreign_tbs(true), "for this key"),
        ("ca-request", foreign_tbs(false), "not a well-formed"),
        ("ocsp", foreign_tbs(false), "not a well-formed"),
        ("certificate", vec![0x30; 70 * 1024], "more than"),
    ] {
        let (status, body) = refused(sign(kind, body, &key_ref).await.expect("send")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{kind}: {body}");
        assert_eq!(body["error"], "refused");
        assert!(
            body["message"].as_str().expect("message").contains(why),
            "{kind}: {body}"
        );
    }
    let (status, body) = refused(
        sign("certificate", foreign_tbs(false), "no-such-key")
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");

    // An end-entity certificate's TBS is signed, and the signature verifies with the key's public half.
    let tbs = foreign_tbs(false);
    let res = sign("certificate", tbs.clone(), &key_ref)
        .await
        .expect("send");
    assert_eq!(res.status(), StatusCode::OK);
    let signature = res.bytes().await.expect("signature");
    let public = base64::Engine::decode(
        &base64::engine::general_purpose::STANDARD,
        created["public_key"].as_str().expect("public_key"),
    )
    .expect("b64");
    ring::signature::UnparsedPublicKey::new(&ring::signature::ECDSA_P256_SHA256_ASN1, public)
        .verify(&tbs, &signature)
        .expect("the signer's signature verifies");
    assert!(signer.log().contains("action=\"sign\""), "{}", signer.log());

    // A signer never keeps its keys in a CA service's database.
    let home = Home::new();
    let socket = home.path("s.sock");
    let out = std::process::Command::new(BIN)
        .args(["signer", "--listen", &format!("unix:{}", socket.display())])
        .env("MTLS_CA_DATABASE_URL", &home.url)
        .env_remove("MTLS_CA_SIGNER")
        .output()
        .expect("run signer");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("CA service's database"), "{stderr}");
}

/// A CA and certificates issued by it with openssl in `dir`: `NAME.pem`/`NAME.key` for each of
/// `leaves` (name, extendedKeyUsage).
pub fn openssl_pki(dir: &std::path::Path, ca: &str, leaves: &[(&str, &str)]) {
    let run = |args: &[&str]| {
        let out = openssl(args, dir);
        assert!(out.status.success(), "openssl {args:?}: {out:?}");
    };
    run(&[
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        &format!("{ca}.key"),
        "-out",
        &format!("{ca}.pem"),
        "-days",
        "30",
        "-subj",
        &format!("/CN={ca}"),
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
    ]);
    for (name, eku) in leaves {
        run(&[
            "req",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            &format!("{name}.key"),
            "-out",
            &format!("{name}.csr"),
            "-subj",
            &format!("/CN={name}"),
        ]);
        let ext = format!("{name}.ext");
        std::fs::write(dir.join(&ext), format!(
            "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage={eku}\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n"
        )).expect("ext");
        run(&[
            "x509",
            "-req",
            "-in",
            &format!("{name}.csr"),
            "-CA",
            &format!("{ca}.pem"),
            "-CAkey",
            &format!("{ca}.key"),
            "-CAcreateserial",
            "-days",
            "30",
            "-extfile",
            &ext,
            "-out",
            &format!("{name}.pem"),
        ]);
    }
}

#[tokio::test]
async fn a_signer_over_mutual_tls_serves_only_clients_with_a_certificate_of_its_ca() {
    let pki = tempfile::tempdir().expect("dir");
    let d = pki.path();
    openssl_pki(
        d,
        "link-ca",
        &[("signer", "serverAuth"), ("serve", "clientAuth")],
    );
    openssl_pki(d, "other-ca", &[("intruder", "clientAuth")]);
    let file = |n: &str| d.join(n).display().to_string();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let authority = format!("127.0.0.1:{port}");
    let tls = |cert: &str, key: &str| {
        vec![
            ("MTLS_CA_SIGNER_TLS_CERT".to_owned(), file(cert)),
            ("MTLS_CA_SIGNER_TLS_KEY".to_owned(), file(key)),
            ("MTLS_CA_SIGNER_CA".to_owned(), file("link-ca.pem")),
        ]
    };
    let signer = SignerProcess::start_https(&authority, tls("signer.pem", "signer.key"));
    let mut envs = tls("serve.pem", "serve.key");
    envs.push(("MTLS_CA_SIGNER".into(), signer.url()));
    let home = Home::with_custody(envs);
    home.ok(&["init"]).await;
    let server = home.serve().await;
    let (zone, token) = zone_and_token(&home).await;
    issue_and_verify(&home, &server, &zone, &token, "over-tls").await;
    assert_eq!(private_keys_in(&home.url).await, 0);

    // curl (not our client) is refused without a certificate or with one of another CA, and
    // reaches the protocol with the right one.
    let curl = |extra: &[String]| {
        let mut args = vec![
            "-sS".to_owned(),
            "--http2".into(),
            "--cacert".into(),
            file("link-ca.pem"),
        ];
        args.extend_from_slice(extra);
        args.push(format!("https://{authority}/v1/nothing"));
        std::process::Command::new("curl")
            .args(&args)
            .output()
            .expect("curl")
    };
    assert!(
        !curl(&[]).status.success(),
        "a client without a certificate got through"
    );
    let intruder = [
        "--cert".to_owned(),
        file("intruder.pem"),
        "--key".into(),
        file("intruder.key"),
    ];
    assert!(
        !curl(&intruder).status.success(),
        "a certificate of another CA got through"
    );
    let ok = curl(&[
        "--cert".to_owned(),
        file("serve.pem"),
        "--key".into(),
        file("serve.key"),
    ]);
    assert!(ok.status.success(), "{ok:?}");
    assert!(
        String::from_utf8_lossy(&ok.stdout).contains("not_found"),
        "{ok:?}"
    );
}
