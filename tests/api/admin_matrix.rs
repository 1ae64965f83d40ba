//! Who may administer: every credential kind against every admin and certificate route, with the
//! status and code each gets, and a refusal that reveals and changes nothing; zones that keep their
//! certificates; tokens from before the policy model.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::*;

/// What a credential kind is and how to present it.
struct Cred {
    label: &'static str,
    headers: Vec<(String, String)>,
}

fn bearer(label: &'static str, secret: &str) -> Cred {
    Cred {
        label,
        headers: vec![("authorization".into(), format!("Bearer {secret}"))],
    }
}

async fn counts(app: &TestApp) -> Value {
    let db = &app.services.db;
    let mut out = serde_json::Map::new();
    for table in [
        "zones",
        "api_tokens",
        "client_certificates",
        "audit_logs",
        "users",
    ] {
        let sql = format!("SELECT COUNT(*) FROM {table}");
        let n: i64 = match db {
            mtls_ca::db::Db::Sqlite(p) => {
                sqlx::query_scalar(&sql).fetch_one(p).await.expect("count")
            }
            mtls_ca::db::Db::Postgres(p) => {
                sqlx::query_scalar(&sql).fetch_one(p).await.expect("count")
            }
        };
        out.insert(table.into(), json!(n));
    }
    Value::Object(out)
}

#[tokio::test]
async fn every_credential_kind_against_every_admin_and_certificate_route() {
    for engine in engines() {
        let app = TestApp::spawn(engine).await;
        let account = app.services.account_id.to_string();
        let key = app
            .services
            .create_user(&app.cli(), "admin@example.com", mtls_ca::clock::now())
            .await
            .expect("user");
        let key_headers = vec![
            ("x-auth-email".to_owned(), "Admin@Example.com".to_owned()),
            (
                "x-auth-key".to_owned(),
                secrecy::ExposeSecret::expose_secret(&key).to_owned(),
            ),
        ];
        let zone_a = app.zone.clone();
        let zone_b = app.new_zone().await;
        let group = |name: &str| {
            mtls_ca::model::policy::PermissionGroup::by_name(name)
                .expect("group")
                .id()
        };
        // Tokens are made, changed and deleted through the API with the key.
        let as_admin = |method: Method, path: &str| {
            app.client
                .request(method, app.url(path))
                .header("x-auth-email", "admin@example.com")
                .header("x-auth-key", secrecy::ExposeSecret::expose_secret(&key))
        };
        let make = |body: Value| {
            let req = as_admin(Method::POST, "/user/tokens").json(&body);
            async move {
                let (status, v) = json_of(req.send().await.expect("send")).await;
                assert_eq!(status, StatusCode::OK, "{v}");
                (
                    v["result"]["id"].as_str().expect("id").to_owned(),
                    v["result"]["value"].as_str().expect("value").to_owned(),
                )
            }
        };
        let account_policy = |g: &str| {
            json!([{"effect": "allow", "permission_groups": [{"id": group(g)}],
                    "resources": {format!("com.cloudflare.api.account.{account}"): "*"}}])
        };
        let mut creds = vec![Cred {
            label: "global key",
            headers: key_headers.clone(),
        }];
        for g in [
            "SSL and Certificates Read",
            "SSL and Certificates Write",
            "Zone Read",
            "Zone Write",
            "API Tokens Read",
            "API Tokens Write",
        ] {
            let (_, secret) = make(json!({"name": g, "policies": account_policy(g)})).await;
            let label: &'static str = Box::leak(g.to_owned().into_boxed_str());
            creds.push(bearer(label, &secret));
        }
        let zone_policy = json!([{"effect": "allow",
            "permission_groups": [{"id": group("SSL and Certificates Write")}, {"id": group("Zone Read")}],
            "resources": {format!("com.cloudflare.api.account.zone.{zone_a}"): "*"}}]);
        let (_, zone_token) = make(json!({"name": "zone", "policies": zone_policy})).await;
        creds.push(bearer("zone token", &zone_token));
        let ssl_write = account_policy("SSL and Certificates Write");
        let (_, expired) = make(json!({"name": "expired", "policies": ssl_write,
            "expires_on": "2020-01-01T00:00:00Z"}))
        .await;
        creds.push(bearer("expired", &expired));
        let (_, later) = make(json!({"name": "later", "policies": ssl_write,
            "not_before": "2099-01-01T00:00:00Z"}))
        .await;
        creds.push(bearer("not yet valid", &later));
        let (_, ip_ok) = make(json!({"name": "ip-ok", "policies": ssl_write,
            "condition": {"request_ip": {"in": ["127.0.0.0/8", "::1/128"]}}}))
        .await;
        creds.push(bearer("ip allowed", &ip_ok));
        let (_, ip_no) = make(json!({"name": "ip-no", "policies": ssl_write,
            "condition": {"request_ip": {"in": ["10.0.0.0/8"], "not_in": ["127.0.0.1"]}}}))
        .await;
        creds.push(bearer("ip denied", &ip_no));
        let (disabled_id, disabled) =
            make(json!({"name": "disabled", "policies": ssl_write})).await;
        let (status, _) = json_of(
            as_admin(Method::PUT, &format!("/user/tokens/{disabled_id}"))
                .json(&json!({"name": "disabled", "policies": ssl_write, "status": "disabled"}))
                .send()
                .await
                .expect("send"),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        creds.push(bearer("disabled", &disabled));
        let (deleted_id, deleted) = make(json!({"name": "deleted", "policies": ssl_write})).await;
        let (status, _) = json_of(
            as_admin(Method::DELETE, &format!("/user/tokens/{deleted_id}"))
                .send()
                .await
                .expect("send"),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        creds.push(bearer("deleted", &deleted));

        let csr = csr_p256("matrix");
        let new_token = json!({"name": "child", "policies": [{"effect": "allow",
            "permission_groups": [{"id": group("SSL and Certificates Read")}],
            "resources": {format!("com.cloudflare.api.account.zone.{zone_a}"): "*"}}]});
        // (route, method, body, the group it needs over the account or zone A).
        let routes: Vec<(&str, Method, String, Option<Value>, &str)> = vec![
            (
                "list certs A",
                Method::GET,
                format!("/zones/{zone_a}/client_certificates"),
                None,
                "ssl-read-a",
            ),
            (
                "issue in A",
                Method::POST,
                format!("/zones/{zone_a}/client_certificates"),
                Some(json!({"csr": csr, "validity_days": 5})),
                "ssl-write-a",
            ),
            (
                "list certs B",
                Method::GET,
                format!("/zones/{zone_b}/client_certificates"),
                None,
                "ssl-read-b",
            ),
            ("list zones", Method::GET, "/zones".into(), None, "any"),
            (
                "get zone A",
                Method::GET,
                format!("/zones/{zone_a}"),
                None,
                "see-a",
            ),
            (
                "create zone",
                Method::POST,
                "/zones".into(),
                Some(json!({"name": "NAME", "account": {"id": account}})),
                "zone-write",
            ),
            (
                "delete zone",
                Method::DELETE,
                "/zones/EMPTY".into(),
                None,
                "zone-write",
            ),
            (
                "list tokens",
                Method::GET,
                "/user/tokens".into(),
                None,
                "tokens-read",
            ),
            (
                "create token",
                Method::POST,
                "/user/tokens".into(),
                Some(new_token),
                "tokens-write+ssl-read-a",
            ),
            ("accounts", Method::GET, "/accounts".into(), None, "any"),
            (
                "account audit",
                Method::GET,
                format!("/accounts/{account}/audit_logs"),
                None,
                "tokens-read",
            ),
            (
                "verify",
                Method::GET,
                "/user/tokens/verify".into(),
                None,
                "token",
            ),
        ];
        let holds = |label: &str, need: &str| -> bool {
            let all = label == "global key";
            match need {
                "any" => true,
                "token" => !all,
                "ssl-read-a" => {
                    all || label.starts_with("SSL")
                        || label == "zone token"
                        || label == "ip allowed"
                }
                "ssl-write-a" => {
                    all || label == "SSL and Certificates Write"
                        || label == "zone token"
                        || label == "ip allowed"
                }
                "ssl-read-b" => all || label.starts_with("SSL") || label == "ip allowed",
                "see-a" => all || !label.starts_with("API Tokens"),
                "zone-write" => all || label == "Zone Write",
                "tokens-read" => all || label.starts_with("API Tokens"),
                // Making a token needs API Tokens Write and the rights the new token gets.
                "tokens-write+ssl-read-a" => all,
                other => panic!("{other}"),
            }
        };
        for cred in &creds {
            for (name, method, path, body, need) in &routes {
                let path = if path.contains("EMPTY") {
                    path.replace("EMPTY", &app.new_zone().await)
                } else {
                    path.clone()
                };
                let body = body.clone().map(|b| {
                    let text = b.to_string().replace(
                        "NAME",
                        &format!("m-{}.example", mtls_ca::model::random_hex_id()),
                    );
                    serde_json::from_str::<Value>(&text).expect("json")
                });
                let before = counts(&app).await;
                let mut builder = app.client.request(method.clone(), app.url(&path));
                for (k, v) in &cred.headers {
                    builder = builder.header(k, v);
                }
                if let Some(b) = &body {
                    builder = builder.json(b);
                }
                let (status, v) = json_of(builder.send().await.expect("send")).await;
                let (want_status, want_code) = match cred.label {
                    "expired" if *name == "verify" => (StatusCode::OK, None),
                    "disabled" if *name == "verify" => (StatusCode::OK, None),
                    "expired" | "not yet valid" | "disabled" | "deleted" => {
                        (StatusCode::UNAUTHORIZED, Some(1000))
                    }
                    "ip denied" => (StatusCode::FORBIDDEN, Some(9109)),
                    "global key" if *name == "verify" => (StatusCode::BAD_REQUEST, Some(9106)),
                    label if holds(label, need) => (StatusCode::OK, None),
                    "zone token" if *name == "list certs B" => (StatusCode::FORBIDDEN, Some(10000)),
                    _ if *name == "create token" => {
                        if cred.label == "API Tokens Write" {
                            (StatusCode::BAD_REQUEST, Some(1453))
                        } else {
                            (StatusCode::FORBIDDEN, Some(10000))
                        }
                    }
                    _ => (StatusCode::FORBIDDEN, Some(10000)),
                };
                assert_eq!(status, want_status, "{} -> {name} {path}: {v}", cred.label);
                if let Some(code) = want_code {
                    assert_eq!(
                        v["errors"][0]["code"], code,
                        "{} -> {name}: {v}",
                        cred.label
                    );
                    assert!(v["result"].is_null(), "{} -> {name}: {v}", cred.label);
                    let text = v.to_string();
                    assert!(
                        !text.contains("zone-") && !text.contains("example"),
                        "{} -> {name} reveals: {v}",
                        cred.label
                    );
                    assert_eq!(
                        counts(&app).await,
                        before,
                        "{} -> {name} changed something",
                        cred.label
                    );
                }
                if *name == "verify" && status == StatusCode::OK {
                    let want = match cred.label {
                        "expired" => "expired",
                        "disabled" => "disabled",
                        _ => "active",
                    };
                    assert_eq!(v["result"]["status"], want, "{}: {v}", cred.label);
                }
                if *name == "list zones" && status == StatusCode::OK {
                    let ids: Vec<&str> = v["result"]
                        .as_array()
                        .expect("list")
                        .iter()
                        .filter_map(|z| z["id"].as_str())
                        .collect();
                    match cred.label {
                        "zone token" => assert_eq!(
                            ids,
                            vec![zone_a.as_str()],
                            "a zone token sees only its zone"
                        ),
                        l if l.starts_with("API Tokens") => {
                            assert!(ids.is_empty(), "{l} sees no zones")
                        }
                        _ => assert!(
                            ids.contains(&zone_a.as_str()) && ids.contains(&zone_b.as_str())
                        ),
                    }
                }
                if *name == "list tokens" && status == StatusCode::OK && cred.label != "global key"
                {
                    // A token sees the tokens of its own owner only: here the user's, all of them.
                    assert!(v["result"]
                        .as_array()
                        .expect("list")
                        .iter()
                        .all(|t| t.get("value").is_none()));
                }
            }
        }
        app.stop().await;
    }
}

#[tokio::test]
async fn a_zone_with_certificates_is_not_deleted_and_a_cli_token_keeps_its_old_rights() {
    for engine in engines() {
        let app = TestApp::spawn(engine).await;
        app.issue(&csr_p256("keeps-zone"), 5).await;
        let (status, v) = json_of(
            app.req(Method::DELETE, &format!("/zones/{}", app.zone))
                .send()
                .await
                .expect("send"),
        )
        .await;
        // The app's token only has SSL Write: 403 before anything else.
        assert_eq!(status, StatusCode::FORBIDDEN, "{v}");
        let caller = app.cli();
        let err = app
            .services
            .delete_zone(
                &caller,
                &mtls_ca::model::ZoneId::parse(&app.zone).expect("id"),
                mtls_ca::clock::now(),
            )
            .await
            .expect_err("a zone with certificates");
        match err {
            mtls_ca::error::Error::Invalid(inv) => assert_eq!(inv.code, 1455, "{}", inv.message),
            other => panic!("{other:?}"),
        }
        // The app's CLI-made token reads as one allow policy of SSL Write over the account.
        let (status, v) = json_of(
            app.req(Method::GET, "/user/tokens/verify")
                .send()
                .await
                .expect("send"),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{v}");
        let tokens = app
            .services
            .list_tokens(&caller, mtls_ca::clock::now())
            .await
            .expect("list");
        let own = tokens
            .iter()
            .find(|t| t["id"] == v["result"]["id"])
            .expect("the app's token is listed");
        assert_eq!(
            own["policies"][0]["permission_groups"][0]["name"],
            "SSL and Certificates Write"
        );
        let resource = format!("com.cloudflare.api.account.{}", app.services.account_id);
        assert_eq!(own["policies"][0]["resources"][&resource], "*", "{own}");
        app.stop().await;
    }
}
