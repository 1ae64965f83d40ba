//! Client certificates as credentials (`MTLS_CA_TLS_CLIENT_AUTH=optional`): over HTTPS a bound
//! certificate of this CA authenticates as its token with no other credential; unbound, revoked,
//! expired and foreign certificates are refused with their codes; a read token's certificate reads
//! and cannot write; bearer tokens keep working beside it.

use mtls_ca::model::{CertId, Permission, TokenId};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::*;

/// A client key and a certificate this CA issued for it: (id, PEM of certificate then key).
async fn issued_identity(app: &TestApp, cn: &str) -> (String, String) {
    let key = rcgen::KeyPair::generate().expect("key");
    let cert = app.issue(&csr_for_key(&key, cn), 5).await;
    let pem = format!(
        "{}{}",
        cert["certificate"].as_str().expect("pem"),
        key.serialize_pem()
    );
    (cert["id"].as_str().expect("id").to_owned(), pem)
}

/// A self-signed certificate no CA here issued, with its key.
fn foreign_identity() -> String {
    let key = rcgen::KeyPair::generate().expect("key");
    let cert = rcgen::CertificateParams::new(vec!["foreign.example".to_owned()])
        .expect("params")
        .self_signed(&key)
        .expect("self-signed");
    format!("{}{}", cert.pem(), key.serialize_pem())
}

/// An HTTPS client trusting the app's CA bundle and presenting `identity`.
async fn client_with(app: &TestApp, identity: &str) -> reqwest::Client {
    let bundle = app
        .services
        .cas
        .bundle_pem(mtls_ca::clock::now())
        .await
        .expect("bundle");
    let mut builder = reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .identity(reqwest::Identity::from_pem(identity.as_bytes()).expect("identity"));
    for root in reqwest::Certificate::from_pem_bundle(bundle.as_bytes()).expect("bundle") {
        builder = builder.add_root_certificate(root);
    }
    builder.build().expect("client")
}

async fn call(
    client: &reqwest::Client,
    method: Method,
    url: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = client.request(method, url);
    if let Some(b) = body {
        req = req.json(&b);
    }
    json_of(req.send().await.expect("send")).await
}

async fn token_id_of(app: &TestApp, secret: &str) -> String {
    let req = app
        .client
        .get(app.url("/user/tokens/verify"))
        .bearer_auth(secret);
    let (status, v) = json_of(req.send().await.expect("send")).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    v["result"]["id"].as_str().expect("id").to_owned()
}

#[tokio::test]
async fn a_bound_certificate_authenticates_as_its_token_and_every_other_is_refused_with_its_code() {
    for engine in engines() {
        let db = TestDb::new(engine).await;
        let mut s = settings(&db.url);
        s.tls_self_issued = Some("127.0.0.1".into());
        s.tls_client_auth = "optional".into();
        let app = TestApp::start_on(db, s, engine).await;
        assert!(app.base.starts_with("https://"));
        let list = app.url(&app.certs_path());
        let cli = app.cli();
        let now = mtls_ca::clock::now;

        let write_token = TokenId::parse(&token_id_of(&app, &app.token).await).expect("id");
        let read_secret = app.new_token(Permission::Read, &[]).await;
        let read_token = TokenId::parse(&token_id_of(&app, &read_secret).await).expect("id");

        // Bound to the write token: reads and writes with no Authorization header.
        let (bound_id, bound) = issued_identity(&app, "bound").await;
        let bound_id = CertId::parse(&bound_id).expect("id");
        app.services
            .bind_certificate(&cli, &write_token, &bound_id, now())
            .await
            .expect("bind");
        let bound_client = client_with(&app, &bound).await;
        let (status, v) = call(&bound_client, Method::GET, &list, None).await;
        assert_eq!(status, StatusCode::OK, "{v}");
        let (status, v) = call(
            &bound_client,
            Method::POST,
            &list,
            Some(json!({"csr": csr_p256("by-cert"), "validity_days": 3})),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{v}");
        // curl (OpenSSL or GnuTLS underneath) presents the same certificate and gets in.
        let dir = tempfile::tempdir().expect("dir");
        let bundle = app.services.cas.bundle_pem(now()).await.expect("bundle");
        std::fs::write(dir.path().join("bundle.pem"), bundle).expect("write");
        std::fs::write(dir.path().join("client.pem"), &bound).expect("write");
        // (tokio's process: the server runs on this test's runtime.)
        let out = tokio::process::Command::new("curl")
            .args([
                "-sS",
                "--cacert",
                "bundle.pem",
                "--cert",
                "client.pem",
                "--key",
                "client.pem",
            ])
            .arg(&list)
            .current_dir(dir.path())
            .output()
            .await
            .expect("curl runs");
        let body: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|_| panic!("curl: {}", String::from_utf8_lossy(&out.stderr)));
        assert_eq!(
            body["success"], true,
            "curl with the bound certificate: {body}"
        );
        let out = tokio::process::Command::new("curl")
            .args(["-sS", "--cacert", "bundle.pem"])
            .arg(&list)
            .current_dir(dir.path())
            .output()
            .await
            .expect("curl runs");
        let body: Value = serde_json::from_slice(&out.stdout).expect("json");
        assert_eq!(
            body["errors"][0]["code"], 9106,
            "no certificate, no credentials: {body}"
        );
        // The audit log names the token as the actor.
        let (status, v) = json_of(
            app.client
                .get(app.url("/user/audit_logs?action.type=issue&direction=desc&per_page=1"))
                .bearer_auth(&app.token)
                .send()
                .await
                .expect("send"),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{v}");
        assert_eq!(v["result"][0]["actor"]["id"], write_token.as_str(), "{v}");
        // Bearer tokens keep working beside it, and win when both are sent.
        let (status, v) = json_of(
            bound_client
                .post(&list)
                .bearer_auth(&read_secret)
                .json(&json!({"csr": csr_p256("bearer-wins"), "validity_days": 3}))
                .send()
                .await
                .expect("send"),
        )
        .await;
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "the read token's bearer wins: {v}"
        );

        // A read token's certificate reads but cannot write.
        let (reader_id, reader) = issued_identity(&app, "reader").await;
        let reader_id = CertId::parse(&reader_id).expect("id");
        let (status, v) = json_of(
            app.client
                .put(app.url(&format!(
                    "/user/tokens/{read_token}/certificates/{reader_id}"
                )))
                .bearer_auth(&app.token)
                .send()
                .await
                .expect("send"),
        )
        .await;
        // The write token has no API Tokens Write: the CLI (or a key) binds.
        assert_eq!(status, StatusCode::FORBIDDEN, "{v}");
        app.services
            .bind_certificate(&cli, &read_token, &reader_id, now())
            .await
            .expect("bind");
        let reader_client = client_with(&app, &reader).await;
        assert_eq!(
            call(&reader_client, Method::GET, &list, None).await.0,
            StatusCode::OK
        );
        let (status, v) = call(
            &reader_client,
            Method::POST,
            &list,
            Some(json!({"csr": csr_p256("no"), "validity_days": 3})),
        )
        .await;
        assert_eq!(
            (status, v["errors"][0]["code"].clone()),
            (StatusCode::FORBIDDEN, json!(10000))
        );
        let bound_ids = app
            .services
            .token_certificates(&cli, &read_token)
            .await
            .expect("list");
        assert_eq!(bound_ids, vec![reader_id.to_string()]);

        // Unbound, foreign, revoked, expired: 401 with their codes.
        let (_, unbound) = issued_identity(&app, "unbound").await;
        let expect = |v: &Value, code: u32| {
            assert_eq!(v["errors"][0]["code"], code, "{v}");
            assert!(v["result"].is_null());
        };
        let (status, v) = call(&client_with(&app, &unbound).await, Method::GET, &list, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        expect(&v, 1463);
        let (status, v) = call(
            &client_with(&app, &foreign_identity()).await,
            Method::GET,
            &list,
            None,
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        expect(&v, 1460);

        // A revocation stops the certificate at once, before the worker has published it.
        let (status, v) = app.on_cert(Method::DELETE, reader_id.as_str()).await;
        assert_eq!(
            (status, v["result"]["status"].clone()),
            (StatusCode::OK, json!("pending_revocation"))
        );
        let (status, v) = call(&reader_client, Method::GET, &list, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        expect(&v, 1461);

        // Past its notAfter (as recorded): refused.
        let sql = format!("UPDATE client_certificates SET expires_on = 1 WHERE id = '{bound_id}'");
        match &app.services.db {
            mtls_ca::db::Db::Sqlite(p) => sqlx::query(&sql).execute(p).await.map(|_| ()),
            mtls_ca::db::Db::Postgres(p) => sqlx::query(&sql).execute(p).await.map(|_| ()),
        }
        .expect("update");
        let (status, v) = call(&bound_client, Method::GET, &list, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        expect(&v, 1462);

        // Unbinding ends it too.
        app.services
            .unbind_certificate(&cli, &read_token, &reader_id, now())
            .await
            .expect("unbind");
        assert!(app
            .services
            .token_certificates(&cli, &read_token)
            .await
            .expect("list")
            .is_empty());
        app.stop().await;
    }
}
