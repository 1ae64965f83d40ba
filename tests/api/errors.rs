//! The error envelope and every validation code the HTTP API can answer (CONTRACT section 4).

use axum::response::IntoResponse;
use mtls_ca::model::ZoneId;
use mtls_ca::service::auth::Credentials;
use mtls_ca::service::certificates::CreateRequest;
use reqwest::header::CONTENT_TYPE;
use reqwest::{Method, RequestBuilder, StatusCode};
use secrecy::SecretString;
use serde_json::{json, Value};

use crate::helpers::*;

/// Sends a request and returns status and JSON body; no answer may be a 500 or empty.
pub(crate) async fn send(req: RequestBuilder) -> (StatusCode, Value) {
    let res = req.send().await.expect("request");
    let (status, body) = json_of(res).await;
    assert!(!status.is_server_error(), "{status}: {body}");
    (status, body)
}

/// Asserts a failure in the v4 envelope with exactly one error of `code`; returns that error.
pub(crate) fn assert_failure(got: StatusCode, body: &Value, want: StatusCode, code: u64) -> Value {
    assert_eq!(got, want, "{body}");
    let keys: Vec<&str> = body
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["errors", "messages", "result", "success"], "{body}");
    assert_eq!(body["success"], false, "{body}");
    assert_eq!(body["messages"], json!([]), "{body}");
    assert_eq!(body["result"], Value::Null, "{body}");
    let errors = body["errors"].as_array().expect("errors is an array");
    assert_eq!(errors.len(), 1, "{body}");
    assert_eq!(errors[0]["code"], code, "{body}");
    assert!(
        errors[0]["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    errors[0].clone()
}

/// `source.pointer` of the first error, if any.
pub(crate) fn pointer(body: &Value) -> Option<&str> {
    body["errors"][0]["source"]["pointer"].as_str()
}

/// A fixed, well-formed id that names nothing.
pub(crate) const NO_SUCH_ID: &str = "0123456789abcdef0123456789abcdef";

fn tampered_csr() -> String {
    let pem_text = csr_p256("tamper-me");
    let mut block = pem::parse(&pem_text).expect("pem");
    let mut der = block.contents().to_vec();
    let at = der
        .windows(9)
        .position(|w| w == b"tamper-me")
        .expect("CN in the DER");
    // The signature no longer covers what the CSR says.
    der[at + 8] = b'f';
    block = pem::Pem::new("CERTIFICATE REQUEST", der);
    pem::encode_config(
        &block,
        pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF),
    )
}

pub(crate) fn openssl_csr(subject: &str, args: &[&str]) -> String {
    let out = std::process::Command::new("openssl")
        .args([
            "req",
            "-new",
            "-nodes",
            "-keyout",
            "/dev/null",
            "-subj",
            subject,
        ])
        .args(args)
        .output()
        .expect("run openssl");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("PEM")
}

/// A rejected POST: what it is, Content-Type, body, then the answer's status, code and pointer.
type Rejected<'a> = (
    &'a str,
    Option<&'a str>,
    Option<String>,
    StatusCode,
    u64,
    Option<&'a str>,
);

#[tokio::test]
async fn a_rejected_create_body_gets_its_stable_code_status_and_pointer() {
    let csr = csr_p256("valid");
    let body = |v: Value| Some(v.to_string());
    let p256 = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"];
    let rsa1024 = openssl_csr("/CN=x", &["-newkey", "rsa:1024"]);
    let long_cn = {
        let mut params = rcgen::CertificateParams::default();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "x".repeat(65));
        let key = rcgen::KeyPair::generate().expect("key");
        params
            .serialize_request(&key)
            .expect("csr")
            .pem()
            .expect("pem")
    };
    let mut rid = p256.to_vec();
    rid.extend(["-addext", "subjectAltName=RID:1.2.3.4"]);
    let rid_san = openssl_csr("/CN=x", &rid);
    let p521 = openssl_csr(
        "/CN=x",
        &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-521"],
    );
    let garbage_pem =
        "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n";
    let json_type = Some("application/json");
    #[rustfmt::skip]
    let cases: Vec<Rejected> = vec![
        ("truncated JSON", json_type, Some(r#"{"csr":"#.into()), StatusCode::BAD_REQUEST, 1400, Some("")),
        ("not JSON at all", json_type, Some("csr=abc".into()), StatusCode::BAD_REQUEST, 1400, Some("")),
        ("an empty body", json_type, Some(String::new()), StatusCode::BAD_REQUEST, 1400, Some("")),
        ("an array", json_type, body(json!([csr, 30])), StatusCode::BAD_REQUEST, 1400, Some("")),
        ("a string", json_type, body(json!("csr")), StatusCode::BAD_REQUEST, 1400, Some("")),
        ("null", json_type, body(Value::Null), StatusCode::BAD_REQUEST, 1400, Some("")),
        ("no Content-Type", None, body(json!({"csr": csr, "validity_days": 30})), StatusCode::UNSUPPORTED_MEDIA_TYPE, 1403, None),
        ("text/plain", Some("text/plain"), body(json!({"csr": csr, "validity_days": 30})), StatusCode::UNSUPPORTED_MEDIA_TYPE, 1403, None),
        ("a form", Some("application/x-www-form-urlencoded"), Some("csr=x&validity_days=30".into()), StatusCode::UNSUPPORTED_MEDIA_TYPE, 1403, None),
        ("no csr", json_type, body(json!({"validity_days": 30})), StatusCode::BAD_REQUEST, 1401, Some("/csr")),
        ("a null csr", json_type, body(json!({"csr": null, "validity_days": 30})), StatusCode::BAD_REQUEST, 1401, Some("/csr")),
        ("a numeric csr", json_type, body(json!({"csr": 5, "validity_days": 30})), StatusCode::BAD_REQUEST, 1402, Some("/csr")),
        ("an object csr", json_type, body(json!({"csr": {"pem": csr}, "validity_days": 30})), StatusCode::BAD_REQUEST, 1402, Some("/csr")),
        ("no validity_days", json_type, body(json!({"csr": csr})), StatusCode::BAD_REQUEST, 1401, Some("/validity_days")),
        ("a string validity_days", json_type, body(json!({"csr": csr, "validity_days": "30"})), StatusCode::BAD_REQUEST, 1402, Some("/validity_days")),
        ("validity_days 0", json_type, body(json!({"csr": csr, "validity_days": 0})), StatusCode::BAD_REQUEST, 1420, Some("/validity_days")),
        ("validity_days -1", json_type, body(json!({"csr": csr, "validity_days": -1})), StatusCode::BAD_REQUEST, 1420, Some("/validity_days")),
        ("validity_days 3651", json_type, body(json!({"csr": csr, "validity_days": 3651})), StatusCode::BAD_REQUEST, 1420, Some("/validity_days")),
        ("validity_days 1.5", json_type, body(json!({"csr": csr, "validity_days": 1.5})), StatusCode::BAD_REQUEST, 1420, Some("/validity_days")),
        ("validity_days 1e300", json_type, body(json!({"csr": csr, "validity_days": 1e300})), StatusCode::BAD_REQUEST, 1420, Some("/validity_days")),
        ("a csr that is not PEM", json_type, body(json!({"csr": "hello", "validity_days": 30})), StatusCode::BAD_REQUEST, 1410, Some("/csr")),
        ("a PEM block of garbage", json_type, body(json!({"csr": garbage_pem, "validity_days": 30})), StatusCode::BAD_REQUEST, 1410, Some("/csr")),
        ("a tampered csr", json_type, body(json!({"csr": tampered_csr(), "validity_days": 30})), StatusCode::BAD_REQUEST, 1411, Some("/csr")),
        ("an RSA-1024 csr", json_type, body(json!({"csr": rsa1024, "validity_days": 30})), StatusCode::BAD_REQUEST, 1412, Some("/csr")),
        ("a P-521 csr", json_type, body(json!({"csr": p521, "validity_days": 30})), StatusCode::BAD_REQUEST, 1412, Some("/csr")),
        ("a 65-character CN", json_type, body(json!({"csr": long_cn, "validity_days": 30})), StatusCode::BAD_REQUEST, 1414, Some("/csr")),
        ("a registeredID SAN", json_type, body(json!({"csr": rid_san, "validity_days": 30})), StatusCode::BAD_REQUEST, 1413, Some("/csr")),
    ];
    for engine in engines() {
        let app = TestApp::spawn(engine).await;
        for (what, content_type, payload, want, code, want_pointer) in &cases {
            let mut req = app.req(Method::POST, &app.certs_path());
            if let Some(ct) = content_type {
                req = req.header(CONTENT_TYPE, *ct);
            }
            if let Some(p) = payload {
                req = req.body(p.clone());
            }
            let (status, body) = send(req).await;
            assert_failure(status, &body, *want, *code);
            assert_eq!(pointer(&body), *want_pointer, "{what}: {body}");
        }
        // Nothing was issued by any of them.
        let (_, listed) = app.list("").await;
        assert_eq!(listed["result_info"]["total_count"], 0);
        // A whole float is a number like any other.
        let ok = app
            .req(Method::POST, &app.certs_path())
            .json(&json!({"csr": csr, "validity_days": 30.0}))
            .send()
            .await
            .expect("request");
        assert_eq!(ok.status(), StatusCode::OK);
        // A charset parameter on the content type is fine too.
        let ok = app
            .req(Method::POST, &app.certs_path())
            .header(CONTENT_TYPE, "application/json; charset=utf-8")
            .body(json!({"csr": csr, "validity_days": 30}).to_string())
            .send()
            .await
            .expect("request");
        assert_eq!(ok.status(), StatusCode::OK);
        app.stop().await;
    }
}

#[tokio::test]
async fn malformed_json_and_an_out_of_range_validity_answer_exactly_this_json() {
    for engine in engines() {
        let app = TestApp::spawn(engine).await;
        let (status, body) = send(
            app.req(Method::POST, &app.certs_path())
                .header(CONTENT_TYPE, "application/json")
                .body(r#"{"csr": "#),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        insta::allow_duplicates! {
        insta::assert_json_snapshot!(body, @r#"
        {
          "errors": [
            {
              "code": 1400,
              "message": "the request body is not valid JSON: EOF while parsing a value at line 1 column 8",
              "source": {
                "pointer": ""
              }
            }
          ],
          "messages": [],
          "result": null,
          "success": false
        }
        "#);
        }
        let (status, body) = send(
            app.req(Method::POST, &app.certs_path())
                .json(&json!({"csr": csr_p256("x"), "validity_days": 3651})),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        insta::allow_duplicates! {
        insta::assert_json_snapshot!(body, @r#"
        {
          "errors": [
            {
              "code": 1420,
              "message": "validity_days must be a whole number from 1 to 3650, not 3651",
              "source": {
                "pointer": "/validity_days"
              }
            }
          ],
          "messages": [],
          "result": null,
          "success": false
        }
        "#);
        }
        let (status, body) = send(
            app.req(Method::POST, &app.certs_path())
                .header(CONTENT_TYPE, "text/plain")
                .body("hello"),
        )
        .await;
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        insta::allow_duplicates! {
        insta::assert_json_snapshot!(body, @r#"
        {
          "errors": [
            {
              "code": 1403,
              "message": "the request body must be sent with Content-Type: application/json"
            }
          ],
          "messages": [],
          "result": null,
          "success": false
        }
        "#);
        }
        app.stop().await;
    }
}

#[tokio::test]
async fn a_body_over_64_kib_is_413_1404() {
    for engine in engines() {
        let app = TestApp::spawn(engine).await;
        let big = json!({"csr": "A".repeat(70 * 1024), "validity_days": 30});
        let (status, body) = send(app.req(Method::POST, &app.certs_path()).json(&big)).await;
        assert_failure(status, &body, StatusCode::PAYLOAD_TOO_LARGE, 1404);
        // Just under the limit is read, and judged on its content.
        let fits = json!({"csr": "A".repeat(60 * 1024), "validity_days": 30});
        let (status, body) = send(app.req(Method::POST, &app.certs_path()).json(&fits)).await;
        assert_failure(status, &body, StatusCode::BAD_REQUEST, 1410);
        app.stop().await;
    }
}

#[tokio::test]
async fn a_bad_list_query_is_400_1430_naming_the_parameter() {
    for engine in engines() {
        let app = TestApp::spawn(engine).await;
        for (query, want_pointer) in [
            ("status=bogus", "/status"),
            ("status=ACTIVE", "/status"),
            ("page=abc", "/page"),
            ("page=-1", "/page"),
            ("per_page=1.5", "/per_page"),
            ("offset=x", "/offset"),
            ("limit=NaN", "/limit"),
        ] {
            let (status, body) = app.list(query).await;
            assert_failure(status, &body, StatusCode::BAD_REQUEST, 1430);
            assert_eq!(pointer(&body), Some(want_pointer), "{query}: {body}");
        }
        // Numbers as floats and unknown parameters are fine.
        let (status, body) = app.list("page=1.0&per_page=5.0&colour=blue").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        app.stop().await;
    }
}

#[tokio::test]
async fn a_validity_reaching_past_the_ca_certificate_is_400_1421() {
    const DAY: i64 = 86_400;
    for engine in engines() {
        let app = TestApp::spawn(engine).await;
        let s = &app.services;
        let principal = s
            .authenticate(
                &Credentials::Token(SecretString::from(app.token.clone())),
                mtls_ca::clock::now(),
            )
            .await
            .expect("the test token authenticates");
        let principal = mtls_ca::service::auth::Caller {
            principal,
            ip: None,
            interface: mtls_ca::service::auth::Interface::Api,
        };
        let zone = ZoneId::parse(&app.zone).expect("zone id");
        let ca_end = s
            .cas
            .issuing()
            .expect("issuing CA")
            .not_after()
            .expect("certificate");
        let request = |days| CreateRequest {
            csr: csr_p256("late"),
            validity_days: days,
        };
        // Ending exactly with the CA is allowed; one day more is not.
        let cert = s
            .create_certificate(&principal, &zone, request(30), ca_end - 30 * DAY)
            .await
            .expect("a certificate ending with the CA");
        assert_eq!(cert.validity_days, 30);
        let err = s
            .create_certificate(&principal, &zone, request(31), ca_end - 30 * DAY)
            .await
            .expect_err("past the CA's notAfter");
        let res = err.into_response();
        let status = StatusCode::from_u16(res.status().as_u16()).expect("status");
        let bytes = axum::body::to_bytes(res.into_body(), 1 << 20)
            .await
            .expect("body");
        let body: Value = serde_json::from_slice(&bytes).expect("JSON");
        assert_failure(status, &body, StatusCode::BAD_REQUEST, 1421);
        assert_eq!(pointer(&body), Some("/validity_days"));
        app.stop().await;
    }
}

#[tokio::test]
async fn unknown_routes_are_404_7000_under_client_v4_and_at_the_root_even_without_credentials() {
    for engine in engines() {
        let app = TestApp::spawn(engine).await;
        let zone = &app.zone;
        for path in [
            "/nope".to_owned(),
            "/user".to_owned(),
            format!("/zones/{zone}/dns_records"),
            format!("/zones/{zone}/client_certificate"),
            format!("/zones/{zone}/client_certificates/{NO_SUCH_ID}/extra"),
        ] {
            for url in [app.url(&path), format!("{}{path}", app.base)] {
                for with_token in [true, false] {
                    let mut req = app.client.get(&url);
                    if with_token {
                        req = req.bearer_auth(&app.token);
                    }
                    let (status, body) = send(req).await;
                    assert_failure(status, &body, StatusCode::NOT_FOUND, 7000);
                }
            }
        }
        let (status, body) = send(app.client.get(app.url("/zones/x/y/z"))).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        insta::allow_duplicates! {
        insta::assert_json_snapshot!(body, @r#"
        {
          "errors": [
            {
              "code": 7000,
              "message": "No route for that URI"
            }
          ],
          "messages": [],
          "result": null,
          "success": false
        }
        "#);
        }
        app.stop().await;
    }
}

#[tokio::test]
async fn a_known_route_with_a_wrong_method_is_405_7001() {
    for engine in engines() {
        let app = TestApp::spawn(engine).await;
        let one = format!("{}/{NO_SUCH_ID}", app.certs_path());
        let collection = app.certs_path();
        for (method, path) in [
            (Method::PUT, &collection),
            (Method::DELETE, &collection),
            (Method::PATCH, &collection),
            (Method::POST, &one),
            (Method::PUT, &one),
        ] {
            for url in [app.url(path), format!("{}{path}", app.base)] {
                let req = app
                    .client
                    .request(method.clone(), &url)
                    .bearer_auth(&app.token);
                let (status, body) = send(req).await;
                assert_failure(status, &body, StatusCode::METHOD_NOT_ALLOWED, 7001);
            }
        }
        let (status, body) = send(app.req(Method::PUT, &collection).json(&json!({}))).await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
        insta::allow_duplicates! {
        insta::assert_json_snapshot!(body, @r#"
        {
          "errors": [
            {
              "code": 7001,
              "message": "Method not allowed for this route"
            }
          ],
          "messages": [],
          "result": null,
          "success": false
        }
        "#);
        }
        app.stop().await;
    }
}

#[tokio::test]
async fn a_malformed_zone_or_certificate_id_in_the_path_is_404_7003() {
    for engine in engines() {
        let app = TestApp::spawn(engine).await;
        let zone = &app.zone;
        let upper = zone.to_uppercase();
        let short = &zone[..31];
        for path in [
            "/zones/nothex/client_certificates".to_owned(),
            format!("/zones/{short}/client_certificates"),
            format!("/zones/{zone}0/client_certificates"),
            format!("/zones/{upper}x/client_certificates"),
            format!("/zones/{zone}/client_certificates/nothex"),
            format!(
                "/zones/{zone}/client_certificates/{}",
                NO_SUCH_ID.to_uppercase()
            ),
            format!("/zones/{zone}/client_certificates/{NO_SUCH_ID}"),
            format!("/zones/nothex/client_certificates/{NO_SUCH_ID}"),
        ] {
            let (status, body) = send(app.req(Method::GET, &path)).await;
            assert_failure(status, &body, StatusCode::NOT_FOUND, 7003);
        }
        for method in [Method::DELETE, Method::PATCH] {
            let (status, body) = app.on_cert(method, "nothex").await;
            assert_failure(status, &body, StatusCode::NOT_FOUND, 7003);
        }
        let (status, body) = send(
            app.req(Method::POST, "/zones/nothex/client_certificates")
                .json(&json!({"csr": csr_p256("x"), "validity_days": 1})),
        )
        .await;
        assert_failure(status, &body, StatusCode::NOT_FOUND, 7003);
        app.stop().await;
    }
}

#[tokio::test]
async fn delete_tolerates_a_json_content_type_with_an_empty_body() {
    for engine in engines() {
        let app = TestApp::spawn(engine).await;
        let id = app.issue(&csr_p256("del"), 5).await["id"]
            .as_str()
            .expect("id")
            .to_owned();
        let path = format!("{}/{id}", app.certs_path());
        let (status, body) = send(
            app.req(Method::DELETE, &path)
                .header(CONTENT_TYPE, "application/json"),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["result"]["status"], "pending_revocation");
        let (status, body) = send(
            app.req(Method::DELETE, &path)
                .header(CONTENT_TYPE, "application/json")
                .body("{}"),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        app.stop().await;
    }
}

#[tokio::test]
async fn patch_takes_no_body_an_empty_object_or_a_boolean_reactivate_and_nothing_else() {
    for engine in engines() {
        let app = TestApp::spawn(engine).await;
        let id = app.issue(&csr_p256("patch"), 5).await["id"]
            .as_str()
            .expect("id")
            .to_owned();
        let path = format!("{}/{id}", app.certs_path());
        let json_type = Some("application/json");
        for (content_type, payload) in [
            (None, None),
            (json_type, None),
            (json_type, Some("{}")),
            (json_type, Some(r#"{"reactivate": true}"#)),
            (json_type, Some(r#"{"reactivate": false}"#)),
            (json_type, Some(r#"{"reactivate": null}"#)),
        ] {
            let mut req = app.req(Method::PATCH, &path);
            if let Some(ct) = content_type {
                req = req.header(CONTENT_TYPE, ct);
            }
            if let Some(p) = payload {
                req = req.body(p);
            }
            let (status, body) = send(req).await;
            assert_eq!(status, StatusCode::OK, "{payload:?}: {body}");
            assert_eq!(body["result"]["status"], "active", "{payload:?}");
        }
        for (payload, want, code, want_pointer) in [
            (
                r#"{"reactivate": "yes"}"#,
                StatusCode::BAD_REQUEST,
                1402,
                Some("/reactivate"),
            ),
            (
                r#"{"reactivate": 1}"#,
                StatusCode::BAD_REQUEST,
                1402,
                Some("/reactivate"),
            ),
            (
                r#"{"reactivate": tru"#,
                StatusCode::BAD_REQUEST,
                1400,
                Some(""),
            ),
            ("[true]", StatusCode::BAD_REQUEST, 1400, Some("")),
        ] {
            let req = app
                .req(Method::PATCH, &path)
                .header(CONTENT_TYPE, "application/json")
                .body(payload);
            let (status, body) = send(req).await;
            assert_failure(status, &body, want, code);
            assert_eq!(pointer(&body), want_pointer, "{payload}");
        }
        app.stop().await;
    }
}

#[tokio::test]
async fn the_root_and_client_v4_give_identical_answers() {
    for engine in engines() {
        let app = TestApp::spawn(engine).await;
        let id = app.issue(&csr_p256("twin"), 5).await["id"]
            .as_str()
            .expect("id")
            .to_owned();
        let certs = app.certs_path();
        let one = format!("{certs}/{id}");
        let no_zone = format!("/zones/{NO_SUCH_ID}/client_certificates");
        let requests: Vec<(Method, &str, Option<&str>, bool)> = vec![
            (Method::GET, &certs, None, true),
            (Method::GET, &one, None, true),
            (Method::GET, &certs, None, false),
            (Method::GET, &no_zone, None, true),
            (Method::POST, &certs, Some(r#"{"csr": 1}"#), true),
            (Method::POST, &certs, Some("{"), true),
            (Method::PUT, &one, None, true),
        ];
        for (method, path, payload, with_token) in requests {
            let mut answers = Vec::new();
            for url in [app.url(path), format!("{}{path}", app.base)] {
                let mut req = app.client.request(method.clone(), url);
                if with_token {
                    req = req.bearer_auth(&app.token);
                }
                if let Some(p) = payload {
                    req = req.header(CONTENT_TYPE, "application/json").body(p);
                }
                answers.push(send(req).await);
            }
            assert_eq!(answers[0], answers[1], "{method} {path}");
        }
        app.stop().await;
    }
}

#[tokio::test]
async fn a_request_whose_body_stalls_is_answered_503_in_the_envelope_not_left_hanging() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let db = TestDb::new(Engine::Sqlite).await;
    let mut s = settings(&db.url);
    s.request_timeout = 1;
    let app = TestApp::start(s, Engine::Sqlite).await;
    let addr = app.base.trim_start_matches("http://").to_owned();
    let mut conn = tokio::net::TcpStream::connect(&addr)
        .await
        .expect("connect");
    let head = format!(
        "POST /client/v4{} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"csr\":",
        app.certs_path(),
        app.token
    );
    conn.write_all(head.as_bytes()).await.expect("write");
    let mut answer = Vec::new();
    let read = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        let mut buf = [0u8; 4096];
        loop {
            let n = conn.read(&mut buf).await.expect("read");
            answer.extend_from_slice(&buf[..n]);
            if n == 0 || String::from_utf8_lossy(&answer).contains("\"success\":false") {
                break;
            }
        }
    })
    .await;
    assert!(read.is_ok(), "the server left a stalled request hanging");
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 503"), "{text}");
    assert!(text.contains("\"code\":1501"), "{text}");
    app.stop().await;
}
