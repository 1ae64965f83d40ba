//! What Cloudflare's Terraform provider (v5) sends and reads, request by request, as
//! tests/terraform/run.sh sees it do against a live server: the permission-group lookup by name,
//! and the bodies of its zone and token resources with their read-back.

use reqwest::{Method, StatusCode};
use secrecy::ExposeSecret;
use serde_json::{json, Value};

use crate::helpers::*;

/// A request with a user's Global API Key, as the provider sends with `email` and `api_key`.
fn as_user(app: &TestApp, key: &str, method: Method, path: &str) -> reqwest::RequestBuilder {
    app.client
        .request(method, app.url(path))
        .header("x-auth-email", "tf@example.com")
        .header("x-auth-key", key)
}

async fn user_key(app: &TestApp) -> String {
    app.services
        .create_user(&app.cli(), "tf@example.com", mtls_ca::clock::now())
        .await
        .expect("user")
        .expose_secret()
        .to_owned()
}

#[tokio::test]
async fn the_permission_group_lookup_by_name_or_scope_lists_only_those_groups() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let names = |v: &Value| -> Vec<String> {
        v["result"]
            .as_array()
            .expect("list")
            .iter()
            .map(|g| g["name"].as_str().expect("name").to_owned())
            .collect()
    };
    // Go's query encoding writes a space as '+'.
    for (query, want) in [
        ("", 6),
        ("?name=SSL+and+Certificates+Read", 1),
        ("?name=SSL%20and%20Certificates%20Read", 1),
        ("?scope=com.cloudflare.api.user", 2),
        ("?name=Zone+Read&scope=com.cloudflare.api.account.zone", 1),
        ("?name=DNS+Write", 0),
    ] {
        let (status, v) = json_of(
            app.req(
                Method::GET,
                &format!("/user/tokens/permission_groups{query}"),
            )
            .send()
            .await
            .expect("send"),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{v}");
        assert_eq!(names(&v).len(), want, "{query}: {v}");
    }
    let (_, v) = json_of(
        app.req(
            Method::GET,
            "/user/tokens/permission_groups?name=SSL+and+Certificates+Read",
        )
        .send()
        .await
        .expect("send"),
    )
    .await;
    assert_eq!(v["result"][0]["id"], "7b7216b327b04b8fbc8f524e1f9b7531");
    app.stop().await;
}

#[tokio::test]
async fn the_zone_and_token_bodies_of_the_provider_are_taken_and_read_back_as_sent() {
    for engine in engines() {
        let app = TestApp::spawn(engine).await;
        let key = user_key(&app).await;
        let account = app.services.account_id.to_string();
        // cloudflare_zone sends its defaults, paused and type, besides name and account.
        let (status, v) = json_of(
            as_user(&app, &key, Method::POST, "/zones")
                .json(&json!({"account": {"id": account}, "name": "tf.example", "paused": false, "type": "full"}))
                .send()
                .await
                .expect("send"),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{v}");
        let zone = v["result"]["id"].as_str().expect("id").to_owned();
        let (_, read) = json_of(
            as_user(&app, &key, Method::GET, &format!("/zones/{zone}"))
                .send()
                .await
                .expect("send"),
        )
        .await;
        for field in [
            "name",
            "paused",
            "type",
            "status",
            "account",
            "vanity_name_servers",
        ] {
            assert_eq!(read["result"][field], v["result"][field], "{field}: {read}");
        }
        assert_eq!(
            (
                read["result"]["paused"].as_bool(),
                read["result"]["type"].as_str()
            ),
            (Some(false), Some("full"))
        );

        // cloudflare_api_token: resources is the text of jsonencode(); the provider compares the
        // resources it reads back as text, so they must come back byte for byte.
        let resources = format!("{{\"com.cloudflare.api.account.zone.{zone}\":\"*\"}}");
        let body = format!(
            "{{\"name\":\"certificate-monitoring\",\"policies\":[{{\"effect\":\"allow\",\
             \"permission_groups\":[{{\"id\":\"7b7216b327b04b8fbc8f524e1f9b7531\"}}],\"resources\":{resources}}}]}}"
        );
        let res = as_user(&app, &key, Method::POST, "/user/tokens")
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("send");
        let status = res.status();
        let text = res.text().await.expect("body");
        assert_eq!(status, StatusCode::OK, "{text}");
        assert!(
            text.contains(&format!("\"resources\":{resources}")),
            "{text}"
        );
        let created: Value = serde_json::from_str(&text).expect("json");
        let token = created["result"]["id"].as_str().expect("id").to_owned();
        assert!(created["result"]["value"].is_string());
        let read = as_user(&app, &key, Method::GET, &format!("/user/tokens/{token}"))
            .send()
            .await
            .expect("send")
            .text()
            .await
            .expect("body");
        assert!(
            read.contains(&format!("\"resources\":{resources}")),
            "{read}"
        );
        let read: Value = serde_json::from_str(&read).expect("json");
        // Optional attributes not sent are not answered (the provider would see a change).
        for absent in ["expires_on", "not_before", "condition", "value"] {
            assert!(read["result"].get(absent).is_none(), "{absent}: {read}");
        }
        assert_eq!(read["result"]["status"], "active");
        app.stop().await;
    }
}

/// cloudflare_api_token sends its `status` on create: a token made `disabled` exists, reads back
/// disabled, and its secret is refused until the token is enabled.
#[tokio::test]
async fn a_token_created_with_status_disabled_is_made_disabled() {
    for engine in engines() {
        let app = TestApp::spawn(engine).await;
        let key = user_key(&app).await;
        let zone = app.new_zone().await;
        let policy = json!([{"effect": "allow",
            "permission_groups": [{"id": "7b7216b327b04b8fbc8f524e1f9b7531"}],
            "resources": {format!("com.cloudflare.api.account.zone.{zone}"): "*"}}]);
        let mut secret = String::new();
        for (status, code) in [
            ("expired", StatusCode::BAD_REQUEST),
            ("disabled", StatusCode::OK),
        ] {
            let (got, v) = json_of(
                as_user(&app, &key, Method::POST, "/user/tokens")
                    .json(&json!({"name": format!("made-{status}"), "policies": policy, "status": status}))
                    .send()
                    .await
                    .expect("send"),
            )
            .await;
            assert_eq!(got, code, "{status}: {v}");
            if got == StatusCode::OK {
                assert_eq!(v["result"]["status"], "disabled", "{v}");
                secret = v["result"]["value"].as_str().expect("value").to_owned();
            }
        }
        let (got, v) = json_of(
            app.client
                .get(app.url(&format!("/zones/{zone}/client_certificates")))
                .bearer_auth(&secret)
                .send()
                .await
                .expect("send"),
        )
        .await;
        assert!(
            got.is_client_error() && got != StatusCode::NOT_FOUND,
            "{got} {v}"
        );
        let (_, list) = json_of(
            as_user(&app, &key, Method::GET, "/user/tokens")
                .send()
                .await
                .expect("send"),
        )
        .await;
        let made = list["result"]
            .as_array()
            .expect("tokens")
            .iter()
            .find(|t| t["name"] == "made-disabled")
            .expect("the disabled token was made")
            .clone();
        assert_eq!(made["status"], "disabled", "{made}");
        assert!(
            !list.to_string().contains("made-expired"),
            "the refused one was not made: {list}"
        );
        app.stop().await;
    }
}
