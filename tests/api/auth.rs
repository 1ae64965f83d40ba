//! Authentication and authorisation (CONTRACT section 4): both credential schemes, read/write
//! permissions, zone scopes, secrets at rest, and the per-credential rate limit.

use mtls_ca::model::Permission;
use reqwest::header::{HeaderValue, AUTHORIZATION, RETRY_AFTER};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::errors::{assert_failure, send, NO_SUCH_ID};
use crate::helpers::*;

/// A GET of the test zone's list with no credentials at all.
fn anonymous(app: &TestApp) -> reqwest::RequestBuilder {
    app.client.get(app.url(&app.certs_path()))
}

fn sha256_hex(text: &str) -> String {
    hex::encode(ring::digest::digest(&ring::digest::SHA256, text.as_bytes()))
}

/// Every value of a row of `table` whose `column` equals `value`, as text.
async fn row_as_text(app: &TestApp, table: &str, column: &str, value: &str) -> Vec<String> {
    let sql = format!("SELECT * FROM {table} WHERE {column} = $1");
    match &app.services.db {
        mtls_ca::db::Db::Sqlite(pool) => {
            use sqlx::{Row, TypeInfo, ValueRef};
            let row = sqlx::query(&sql)
                .bind(value)
                .fetch_one(pool)
                .await
                .expect("row");
            (0..row.columns().len())
                .map(|i| {
                    let raw = row.try_get_raw(i).expect("column");
                    if raw.is_null() {
                        return String::new();
                    }
                    match raw.type_info().name() {
                        "TEXT" => row.get::<String, _>(i),
                        "BLOB" => String::from_utf8_lossy(&row.get::<Vec<u8>, _>(i)).into_owned(),
                        _ => row.get::<i64, _>(i).to_string(),
                    }
                })
                .collect()
        }
        mtls_ca::db::Db::Postgres(pool) => {
            use sqlx::Row;
            // Postgres renders any row as text through a row-to-JSON cast.
            let sql = format!("SELECT row_to_json(t)::text FROM ({sql}) t");
            let row = sqlx::query(&sql)
                .bind(value)
                .fetch_one(pool)
                .await
                .expect("row");
            vec![row.get::<String, _>(0)]
        }
    }
}

#[tokio::test]
async fn a_request_without_credentials_is_400_9106() {
    for engine in engines() {
        let app = TestApp::spawn(engine).await;
        let (status, body) = send(anonymous(&app)).await;
        assert_failure(status, &body, StatusCode::BAD_REQUEST, 9106);
        insta::allow_duplicates! {
        insta::assert_json_snapshot!(body, @r#"
        {
          "errors": [
            {
              "code": 9106,
              "message": "Missing X-Auth-Key, X-Auth-Email or Authorization headers"
            }
          ],
          "messages": [],
          "result": null,
          "success": false
        }
        "#);
        }
        // Also on writes, before the body is looked at.
        let (status, body) = send(
            app.client
                .post(app.url(&app.certs_path()))
                .json(&json!({"csr": csr_p256("anon"), "validity_days": 1})),
        )
        .await;
        assert_failure(status, &body, StatusCode::BAD_REQUEST, 9106);
        app.stop().await;
    }
}

#[tokio::test]
async fn a_malformed_authorization_or_x_auth_header_is_400_6003_with_an_error_chain() {
    for engine in engines() {
        let app = TestApp::spawn(engine).await;
        let authorizations: Vec<HeaderValue> = [
            "Basic abc".as_bytes(),
            b"Bearer",
            b"Bearer ",
            b"Bearer abc$def",
            b"Bearer abc def",
            b"Bearer \"abc\"",
            b"Token abc",
            b"abc",
            b"Bearer mtlsca_\xff\xfe",
        ]
        .into_iter()
        .map(|v| HeaderValue::from_bytes(v).expect("header value"))
        .collect();
        for value in authorizations {
            let (status, body) = send(anonymous(&app).header(AUTHORIZATION, value.clone())).await;
            let err = assert_failure(status, &body, StatusCode::BAD_REQUEST, 6003);
            let chain = err["error_chain"].as_array().expect("an error_chain");
            assert!(!chain.is_empty(), "{value:?}: {body}");
            assert!(chain
                .iter()
                .all(|c| c["code"].is_u64() && c["message"].is_string()));
        }
        let x_auth: [&[(&str, &str)]; 6] = [
            &[("X-Auth-Email", "ops@example.com")],
            &[("X-Auth-Key", "mtlscak_abc")],
            &[
                ("X-Auth-Email", "not-an-email"),
                ("X-Auth-Key", "mtlscak_abc"),
            ],
            &[
                ("X-Auth-Email", "a b@example.com"),
                ("X-Auth-Key", "mtlscak_abc"),
            ],
            &[("X-Auth-Email", "ops@example.com"), ("X-Auth-Key", "a b")],
            &[("X-Auth-Email", "ops@example.com"), ("X-Auth-Key", "")],
        ];
        for headers in x_auth {
            let mut req = anonymous(&app);
            for (name, value) in headers {
                req = req.header(*name, *value);
            }
            let (status, body) = send(req).await;
            let err = assert_failure(status, &body, StatusCode::BAD_REQUEST, 6003);
            assert!(
                err["error_chain"].as_array().is_some_and(|c| !c.is_empty()),
                "{headers:?}: {body}"
            );
        }
        let (status, body) = send(anonymous(&app).header(AUTHORIZATION, "Basic abc")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        insta::allow_duplicates! {
        insta::assert_json_snapshot!(body, @r#"
        {
          "errors": [
            {
              "code": 6003,
              "error_chain": [
                {
                  "code": 6111,
                  "message": "Invalid format for Authorization header"
                }
              ],
              "message": "Invalid request headers"
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
async fn an_unknown_token_is_401_1000_and_an_unknown_email_or_wrong_key_is_401_9103() {
    for engine in engines() {
        let app = TestApp::spawn(engine).await;
        let key = app
            .services
            .create_user(&app.cli(), "ops@example.com", mtls_ca::clock::now())
            .await
            .expect("user");
        let key = secrecy::ExposeSecret::expose_secret(&key).to_owned();

        for token in [
            "mtlsca_doesnotexist",
            "abc",
            &app.token[..app.token.len() - 1],
        ] {
            let (status, body) = send(anonymous(&app).bearer_auth(token)).await;
            assert_failure(status, &body, StatusCode::UNAUTHORIZED, 1000);
        }
        let (status, body) = send(anonymous(&app).bearer_auth("mtlsca_doesnotexist")).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        insta::allow_duplicates! {
        insta::assert_json_snapshot!(body, @r#"
        {
          "errors": [
            {
              "code": 1000,
              "message": "Invalid API Token"
            }
          ],
          "messages": [],
          "result": null,
          "success": false
        }
        "#);
        }

        for (email, key) in [
            ("nobody@example.com", key.as_str()),
            ("ops@example.com", "mtlscak_wrong"),
            // The test's API token is no Global API Key.
            ("ops@example.com", app.token.as_str()),
        ] {
            let req = anonymous(&app)
                .header("X-Auth-Email", email)
                .header("X-Auth-Key", key);
            let (status, body) = send(req).await;
            assert_failure(status, &body, StatusCode::UNAUTHORIZED, 9103);
        }
        app.stop().await;
    }
}

#[tokio::test]
async fn a_user_with_a_global_api_key_can_issue_and_list_with_x_auth_headers() {
    for engine in engines() {
        let app = TestApp::spawn(engine).await;
        let key = app
            .services
            .create_user(&app.cli(), "ops@example.com", mtls_ca::clock::now())
            .await
            .expect("user");
        let key = secrecy::ExposeSecret::expose_secret(&key).to_owned();
        assert!(key.starts_with("mtlscak_"), "{key}");
        let with_key = |method: Method| {
            app.client
                .request(method, app.url(&app.certs_path()))
                .header("X-Auth-Email", "ops@example.com")
                .header("X-Auth-Key", &key)
        };
        let (status, body) = send(
            with_key(Method::POST).json(&json!({"csr": csr_p256("by-key"), "validity_days": 7})),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let id = body["result"]["id"].clone();
        let (status, body) = send(with_key(Method::GET)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["result"][0]["id"], id);
        app.stop().await;
    }
}

#[tokio::test]
async fn a_token_wins_when_both_schemes_are_sent() {
    for engine in engines() {
        let app = TestApp::spawn(engine).await;
        let key = app
            .services
            .create_user(&app.cli(), "ops@example.com", mtls_ca::clock::now())
            .await
            .expect("user");
        let key = secrecy::ExposeSecret::expose_secret(&key).to_owned();

        let req = anonymous(&app)
            .bearer_auth(&app.token)
            .header("X-Auth-Email", "ops@example.com")
            .header("X-Auth-Key", "mtlscak_bogus");
        let (status, body) = send(req).await;
        assert_eq!(status, StatusCode::OK, "{body}");

        let req = anonymous(&app)
            .bearer_auth("mtlsca_bogus")
            .header("X-Auth-Email", "ops@example.com")
            .header("X-Auth-Key", &key);
        let (status, body) = send(req).await;
        assert_failure(status, &body, StatusCode::UNAUTHORIZED, 1000);
        app.stop().await;
    }
}

#[tokio::test]
async fn a_read_token_can_get_but_not_post_delete_or_patch() {
    for engine in engines() {
        let app = TestApp::spawn(engine).await;
        let id = app.issue(&csr_p256("ro"), 5).await["id"]
            .as_str()
            .expect("id")
            .to_owned();
        let read = app.new_token(Permission::Read, &[]).await;
        let one = app.url(&format!("{}/{id}", app.certs_path()));
        let all = app.url(&app.certs_path());

        let (status, body) = send(app.client.get(&all).bearer_auth(&read)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["result"][0]["id"], id.as_str());
        let (status, body) = send(app.client.get(&one).bearer_auth(&read)).await;
        assert_eq!(status, StatusCode::OK, "{body}");

        let post = app
            .client
            .post(&all)
            .bearer_auth(&read)
            .json(&json!({"csr": csr_p256("ro2"), "validity_days": 5}));
        let (status, body) = send(post).await;
        assert_failure(status, &body, StatusCode::FORBIDDEN, 10000);
        insta::allow_duplicates! {
        insta::assert_json_snapshot!(body, @r#"
        {
          "errors": [
            {
              "code": 10000,
              "message": "Authentication error"
            }
          ],
          "messages": [],
          "result": null,
          "success": false
        }
        "#);
        }
        for method in [Method::DELETE, Method::PATCH] {
            let (status, body) = send(app.client.request(method, &one).bearer_auth(&read)).await;
            assert_failure(status, &body, StatusCode::FORBIDDEN, 10000);
        }
        // Nothing changed.
        let (_, body) = app.on_cert(Method::GET, &id).await;
        assert_eq!(body["result"]["status"], "active");
        let (_, body) = app.list("").await;
        assert_eq!(body["result_info"]["total_count"], 1);
        app.stop().await;
    }
}

#[tokio::test]
async fn a_zone_scoped_token_is_forbidden_outside_its_scope_whether_the_zone_exists_or_not() {
    for engine in engines() {
        let app = TestApp::spawn(engine).await;
        let other = app.new_zone().await;
        let other_cert = {
            let res = app
                .req(Method::POST, &format!("/zones/{other}/client_certificates"))
                .json(&json!({"csr": csr_p256("other"), "validity_days": 5}))
                .send()
                .await
                .expect("request");
            let (status, body) = json_of(res).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            body["result"]["id"].as_str().expect("id").to_owned()
        };
        let scoped = app.new_token(Permission::Write, &[&app.zone]).await;

        // In its own zone it works.
        let own = app.url(&app.certs_path());
        let (status, body) = send(
            app.client
                .post(&own)
                .bearer_auth(&scoped)
                .json(&json!({"csr": csr_p256("mine"), "validity_days": 5})),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (status, _) = send(app.client.get(&own).bearer_auth(&scoped)).await;
        assert_eq!(status, StatusCode::OK);

        // Outside it: the same 403 for an existing and for a missing zone.
        let mut answers: Vec<Value> = Vec::new();
        for zone in [other.as_str(), NO_SUCH_ID] {
            let certs = app.url(&format!("/zones/{zone}/client_certificates"));
            let one = format!("{certs}/{other_cert}");
            let requests = [
                app.client.get(&certs),
                app.client
                    .post(&certs)
                    .json(&json!({"csr": csr_p256("theirs"), "validity_days": 5})),
                app.client.get(&one),
                app.client.delete(&one),
                app.client.patch(&one),
            ];
            for req in requests {
                let (status, body) = send(req.bearer_auth(&scoped)).await;
                assert_failure(status, &body, StatusCode::FORBIDDEN, 10000);
                assert!(!body.to_string().contains(zone), "{body}");
                assert!(!body.to_string().contains(&other_cert), "{body}");
                answers.push(body);
            }
        }
        assert!(answers.windows(2).all(|w| w[0] == w[1]), "{answers:?}");
        // The other zone's certificate is untouched.
        let (_, body) = send(app.req(
            Method::GET,
            &format!("/zones/{other}/client_certificates/{other_cert}"),
        ))
        .await;
        assert_eq!(body["result"]["status"], "active");
        app.stop().await;
    }
}

#[tokio::test]
async fn who_may_not_act_on_a_zone_hears_403_or_404_before_anything_about_its_body_or_query() {
    for engine in engines() {
        let app = TestApp::spawn(engine).await;
        let other = app.new_zone().await;
        let id = app.issue(&csr_p256("kept"), 5).await["id"]
            .as_str()
            .expect("id")
            .to_owned();
        let read = app.new_token(Permission::Read, &[]).await;
        let scoped = app.new_token(Permission::Write, &[&other]).await;
        let own = app.url(&app.certs_path());
        let one = format!("{own}/{id}");
        let unknown = app.url(&format!("/zones/{NO_SUCH_ID}/client_certificates"));
        let bad_bodies = [
            ("application/json", "{}"),
            ("application/json", "{"),
            ("text/plain", "csr"),
        ];
        // (who, where, expected status and code)
        let cases = [
            (&read, &own, StatusCode::FORBIDDEN, 10000),
            (&scoped, &own, StatusCode::FORBIDDEN, 10000),
            (&scoped, &unknown, StatusCode::FORBIDDEN, 10000),
            (&app.token, &unknown, StatusCode::NOT_FOUND, 7003),
        ];
        for (token, certs, want, code) in cases {
            for (content_type, payload) in bad_bodies {
                let req = app
                    .client
                    .post(certs.as_str())
                    .bearer_auth(token)
                    .header(reqwest::header::CONTENT_TYPE, content_type)
                    .body(payload);
                let (status, body) = send(req).await;
                assert_failure(status, &body, want, code);
            }
            if token != &read {
                let list = app.client.get(format!("{certs}?status=bogus&page=x"));
                let (status, body) = send(list.bearer_auth(token)).await;
                assert_failure(status, &body, want, code);
            }
        }
        for payload in [r#"{"reactivate": "yes"}"#, "{"] {
            let patch = app
                .client
                .patch(&one)
                .bearer_auth(&read)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(payload);
            let (status, body) = send(patch).await;
            assert_failure(status, &body, StatusCode::FORBIDDEN, 10000);
        }
        // Whoever may act still hears what is wrong with the input.
        let (status, body) = send(app.req(Method::POST, &app.certs_path()).json(&json!({}))).await;
        assert_failure(status, &body, StatusCode::BAD_REQUEST, 1401);
        let (status, body) = send(app.client.get(format!("{own}?page=x")).bearer_auth(&read)).await;
        assert_failure(status, &body, StatusCode::BAD_REQUEST, 1430);
        app.stop().await;
    }
}

#[tokio::test]
async fn an_all_zones_token_gets_404_7003_for_an_unknown_zone_or_certificate() {
    for engine in engines() {
        let app = TestApp::spawn(engine).await;
        let (status, body) = send(app.req(
            Method::GET,
            &format!("/zones/{NO_SUCH_ID}/client_certificates"),
        ))
        .await;
        assert_failure(status, &body, StatusCode::NOT_FOUND, 7003);
        insta::allow_duplicates! {
        insta::assert_json_snapshot!(body, @r#"
        {
          "errors": [
            {
              "code": 7003,
              "message": "Could not route to the requested object, perhaps your object identifier is invalid?"
            }
          ],
          "messages": [],
          "result": null,
          "success": false
        }
        "#);
        }
        let post = app
            .req(
                Method::POST,
                &format!("/zones/{NO_SUCH_ID}/client_certificates"),
            )
            .json(&json!({"csr": csr_p256("nowhere"), "validity_days": 5}));
        let (status, body) = send(post).await;
        assert_failure(status, &body, StatusCode::NOT_FOUND, 7003);
        for method in [Method::GET, Method::DELETE, Method::PATCH] {
            let (status, body) = app.on_cert(method, NO_SUCH_ID).await;
            assert_failure(status, &body, StatusCode::NOT_FOUND, 7003);
        }
        app.stop().await;
    }
}

#[tokio::test]
async fn a_certificate_id_under_another_zones_path_is_404_7003() {
    for engine in engines() {
        let app = TestApp::spawn(engine).await;
        let id = app.issue(&csr_p256("home"), 5).await["id"]
            .as_str()
            .expect("id")
            .to_owned();
        let other = app.new_zone().await;
        let path = format!("/zones/{other}/client_certificates/{id}");
        for method in [Method::GET, Method::DELETE, Method::PATCH] {
            let (status, body) = send(app.req(method, &path)).await;
            assert_failure(status, &body, StatusCode::NOT_FOUND, 7003);
        }
        let (_, body) = app.on_cert(Method::GET, &id).await;
        assert_eq!(body["result"]["status"], "active");
        app.stop().await;
    }
}

#[tokio::test]
async fn secrets_are_prefixed_and_only_their_sha256_is_stored() {
    for engine in engines() {
        let app = TestApp::spawn(engine).await;
        let token = app.new_token(Permission::Read, &[&app.zone]).await;
        assert!(token.starts_with("mtlsca_"), "{token}");
        let key = app
            .services
            .create_user(&app.cli(), "ops@example.com", mtls_ca::clock::now())
            .await
            .expect("user");
        let key = secrecy::ExposeSecret::expose_secret(&key).to_owned();

        for (secret, table, column) in [
            (&token, "api_tokens", "secret_hash"),
            (&app.token, "api_tokens", "secret_hash"),
            (&key, "users", "key_hash"),
        ] {
            let body = &secret[secret.find('_').expect("prefix") + 1..];
            assert!(body.len() >= 32, "{secret}");
            let row = row_as_text(&app, table, column, &sha256_hex(secret)).await;
            for value in &row {
                assert!(!value.contains(body), "{table} holds the secret: {value}");
            }
        }
        // The whole SQLite file, WAL included, never holds a secret in the clear.
        if engine == Engine::Sqlite {
            let path = app.db_url.trim_start_matches("sqlite://").to_owned();
            let dir = std::path::Path::new(&path).parent().expect("folder");
            for entry in std::fs::read_dir(dir).expect("read dir") {
                let bytes = std::fs::read(entry.expect("entry").path()).expect("read");
                for secret in [&token, &app.token, &key] {
                    assert!(
                        !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                        "a secret is stored in the clear"
                    );
                }
            }
        }
        app.stop().await;
    }
}

#[tokio::test]
async fn a_burst_over_the_rate_limit_is_429_971_with_retry_after() {
    for engine in engines() {
        let db = TestDb::new(engine).await;
        let mut s = settings(&db.url);
        s.rate_limit_per_second = 2;
        let app = TestApp::start_on(db, s, engine).await;
        // Ten at once: the bucket holds two.
        let mut burst = tokio::task::JoinSet::new();
        for _ in 0..10 {
            burst.spawn(app.req(Method::GET, &app.certs_path()).send());
        }
        let mut limited = Vec::new();
        let mut passed = 0;
        while let Some(res) = burst.join_next().await {
            let res = res.expect("task").expect("request");
            match res.status() {
                StatusCode::OK => passed += 1,
                StatusCode::TOO_MANY_REQUESTS => limited.push(res),
                other => panic!("unexpected {other}"),
            }
        }
        assert!((1..=3).contains(&passed), "{passed} of 10 passed");
        let res = limited
            .pop()
            .expect("a burst of 10 is limited at 2 per second");
        let retry_after: u64 = res
            .headers()
            .get(RETRY_AFTER)
            .expect("Retry-After")
            .to_str()
            .expect("ASCII")
            .parse()
            .expect("whole seconds");
        assert!((1..=2).contains(&retry_after), "{retry_after}");
        let (status, body) = json_of(res).await;
        assert_failure(status, &body, StatusCode::TOO_MANY_REQUESTS, 971);
        insta::allow_duplicates! {
        insta::assert_json_snapshot!(body, @r#"
        {
          "errors": [
            {
              "code": 971,
              "message": "Please wait and consider throttling your request speed"
            }
          ],
          "messages": [],
          "result": null,
          "success": false
        }
        "#);
        }
        // The limit is per credential: another token is not held back.
        let other = app.new_token(Permission::Read, &[]).await;
        let (status, _) = send(anonymous(&app).bearer_auth(&other)).await;
        assert_eq!(status, StatusCode::OK);
        app.stop().await;
    }
}

#[tokio::test]
async fn a_token_disabled_in_sql_stops_working_within_the_auth_cache_ttl() {
    for engine in engines() {
        for ttl in [0, 1] {
            let db = TestDb::new(engine).await;
            let mut s = settings(&db.url);
            s.auth_cache_seconds = ttl;
            let app = TestApp::start_on(db, s, engine).await;
            let (status, _) = app.list("").await;
            assert_eq!(status, StatusCode::OK);
            let sql = "UPDATE api_tokens SET disabled = TRUE";
            match &app.services.db {
                mtls_ca::db::Db::Sqlite(pool) => sqlx::query(sql).execute(pool).await.map(|_| ()),
                mtls_ca::db::Db::Postgres(pool) => sqlx::query(sql).execute(pool).await.map(|_| ()),
            }
            .expect("disable by hand");
            if ttl == 0 {
                // Without the cache the very next request is refused.
                assert_eq!(app.list("").await.0, StatusCode::UNAUTHORIZED);
            } else {
                let mut last = StatusCode::OK;
                for _ in 0..50 {
                    last = app.list("").await.0;
                    if last == StatusCode::UNAUTHORIZED {
                        break;
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
                assert_eq!(
                    last,
                    StatusCode::UNAUTHORIZED,
                    "still accepted 5 s after a 1 s TTL"
                );
            }
            app.stop().await;
        }
    }
}
