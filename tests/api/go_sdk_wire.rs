//! What Cloudflare's Go SDK (cloudflare-go v7) sends for user tokens where Python and TypeScript
//! send something else, request by request as tests/sdk/go sees it: `Tokens.Update` with only
//! some fields of its all-optional `TokenParam`, and `Tokens.Value.Update` with the zero
//! `TokenValueUpdateParams`.

use reqwest::{Method, StatusCode};
use secrecy::ExposeSecret;
use serde_json::{json, Value};

use crate::helpers::*;

const EMAIL: &str = "go@example.com";

async fn user_key(app: &TestApp) -> String {
    app.services
        .create_user(&app.cli(), EMAIL, mtls_ca::clock::now())
        .await
        .expect("user")
        .expose_secret()
        .to_owned()
}

/// A JSON request with the user's Global API Key, as `option.WithAPIEmail` + `WithAPIKey` send it.
async fn as_user(
    app: &TestApp,
    key: &str,
    method: Method,
    path: &str,
    body: Option<&str>,
) -> (StatusCode, Value) {
    let mut req = app
        .client
        .request(method, app.url(path))
        .header("x-auth-email", EMAIL)
        .header("x-auth-key", key);
    if let Some(body) = body {
        req = req
            .header("content-type", "application/json")
            .body(body.to_owned());
    }
    json_of(req.send().await.expect("send")).await
}

async fn verify(app: &TestApp, secret: &str) -> (StatusCode, Value) {
    json_of(
        app.client
            .get(app.url("/user/tokens/verify"))
            .bearer_auth(secret)
            .send()
            .await
            .expect("send"),
    )
    .await
}

/// The fields a status-only update must leave as they were.
fn kept(token: &Value) -> Value {
    json!({
        "name": token["name"],
        "policies": token["policies"],
        "condition": token["condition"],
        "not_before": token["not_before"],
        "expires_on": token["expires_on"],
    })
}

#[tokio::test]
async fn a_token_put_with_neither_name_nor_policies_changes_only_what_it_sends() {
    for engine in engines() {
        let app = TestApp::spawn(engine).await;
        let key = user_key(&app).await;
        let created = format!(
            r#"{{"name":"go-ci","policies":[{{"effect":"allow","permission_groups":[{{"id":"{}"}}],
            "resources":{{"com.cloudflare.api.account.zone.{}":"*"}}}}],
            "condition":{{"request_ip":{{"in":["127.0.0.0/8"]}}}},
            "not_before":"2020-01-01T00:00:00Z","expires_on":"2099-01-01T02:00:00+02:00"}}"#,
            "c03055bc037c4ea9afb9a9f104b7b721", app.zone
        );
        let (status, v) = as_user(&app, &key, Method::POST, "/user/tokens", Some(&created)).await;
        assert_eq!(status, StatusCode::OK, "{v}");
        let id = v["result"]["id"].as_str().expect("id").to_owned();
        let secret = v["result"]["value"].as_str().expect("value").to_owned();
        let before = kept(&v["result"]);
        let path = format!("/user/tokens/{id}");

        // `Update(ctx, id, TokenUpdateParams{Token: shared.TokenParam{Status: F(disabled)}})`.
        let (status, v) = as_user(
            &app,
            &key,
            Method::PUT,
            &path,
            Some(r#"{"status":"disabled"}"#),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{v}");
        assert_eq!(v["result"]["status"], "disabled", "{v}");
        assert_eq!(kept(&v["result"]), before, "{v}");
        let (status, v) = verify(&app, &secret).await;
        assert_eq!(
            (status, &v["result"]["status"]),
            (StatusCode::OK, &json!("disabled"))
        );

        let (status, v) = as_user(
            &app,
            &key,
            Method::PUT,
            &path,
            Some(r#"{"status":"active"}"#),
        )
        .await;
        assert_eq!(
            (status, &v["result"]["status"]),
            (StatusCode::OK, &json!("active")),
            "{v}"
        );
        assert_eq!(kept(&v["result"]), before, "{v}");

        // Any other field sent alone changes alone.
        let (status, v) = as_user(
            &app,
            &key,
            Method::PUT,
            &path,
            Some(r#"{"expires_on":"2098-01-01T00:00:00Z"}"#),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{v}");
        assert_eq!(v["result"]["expires_on"], "2098-01-01T00:00:00Z");
        assert_eq!(v["result"]["status"], "active");
        let mut expected = before.clone();
        expected["expires_on"] = json!("2098-01-01T00:00:00Z");
        assert_eq!(kept(&v["result"]), expected, "{v}");

        // `{}` changes nothing, and what is sent is still checked.
        let (status, v) = as_user(&app, &key, Method::PUT, &path, Some("{}")).await;
        assert_eq!(status, StatusCode::OK, "{v}");
        assert_eq!(kept(&v["result"]), expected, "{v}");
        let (status, v) = as_user(
            &app,
            &key,
            Method::PUT,
            &path,
            Some(r#"{"status":"expired"}"#),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
        assert_eq!(v["errors"][0]["source"]["pointer"], "/status", "{v}");

        // With a name or policies it is a replacement, as Python and TypeScript send it: both are
        // needed, and what is left out is gone.
        let (status, v) = as_user(
            &app,
            &key,
            Method::PUT,
            &path,
            Some(r#"{"name":"renamed"}"#),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
        assert_eq!(
            (
                &v["errors"][0]["code"],
                &v["errors"][0]["source"]["pointer"]
            ),
            (&json!(1401), &json!("/policies")),
            "{v}"
        );
        let replace = json!({"name": "renamed", "policies": before["policies"]}).to_string();
        let (status, v) = as_user(&app, &key, Method::PUT, &path, Some(&replace)).await;
        assert_eq!(status, StatusCode::OK, "{v}");
        assert_eq!(v["result"]["name"], "renamed");
        assert_eq!(v["result"]["policies"], before["policies"]);
        for gone in ["condition", "not_before", "expires_on"] {
            assert!(v["result"].get(gone).is_none(), "{gone}: {v}");
        }
        app.stop().await;
    }
}

#[tokio::test]
async fn a_roll_with_a_json_content_type_and_an_empty_chunked_body_answers_the_new_secret() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = TestApp::spawn(Engine::Sqlite).await;
    let Some(addr) = app.base.strip_prefix("http://").map(str::to_owned) else {
        crate::skips::skipped(
            "the chunked-body roll test over HTTPS (it speaks plain HTTP/1.1)",
            "run it without TEST_HTTPS",
        );
        return app.stop().await;
    };
    let key = user_key(&app).await;
    let body = json!({"name": "go-roll", "policies": [{"effect": "allow",
        "permission_groups": [{"id": "c03055bc037c4ea9afb9a9f104b7b721"}],
        "resources": {format!("com.cloudflare.api.account.zone.{}", app.zone): "*"}}]})
    .to_string();
    let (status, v) = as_user(&app, &key, Method::POST, "/user/tokens", Some(&body)).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let id = v["result"]["id"].as_str().expect("id");
    let old = v["result"]["value"].as_str().expect("value").to_owned();

    // What `Tokens.Value.Update(ctx, id, user.TokenValueUpdateParams{})` puts on the wire: its
    // nil Body marshals to no bytes, sent with a JSON content type and no Content-Length.
    let mut conn = tokio::net::TcpStream::connect(&addr)
        .await
        .expect("connect");
    let request = format!(
        "PUT /client/v4/user/tokens/{id}/value HTTP/1.1\r\nHost: {addr}\r\n\
         User-Agent: Cloudflare/Go 7.9.0\r\nAccept: application/json\r\n\
         Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\
         X-Auth-Email: {EMAIL}\r\nX-Auth-Key: {key}\r\nX-Stainless-Retry-Count: 0\r\n\
         Connection: close\r\n\r\n0\r\n\r\n"
    );
    conn.write_all(request.as_bytes()).await.expect("write");
    let mut answer = String::new();
    tokio::time::timeout(
        std::time::Duration::from_secs(10),
        conn.read_to_string(&mut answer),
    )
    .await
    .expect("answered")
    .expect("read");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let json_start = answer.find("{\"").expect("a JSON body");
    let text = &answer[json_start..answer.rfind('}').expect("end") + 1];
    let v: Value = serde_json::from_str(text).expect("json");
    let new = v["result"].as_str().expect("the new secret").to_owned();
    assert_ne!(new, old);
    assert_eq!(verify(&app, &new).await.0, StatusCode::OK);
    let (status, v) = verify(&app, &old).await;
    assert_eq!(
        (status, &v["errors"][0]["code"]),
        (StatusCode::UNAUTHORIZED, &json!(1000))
    );
    app.stop().await;
}
