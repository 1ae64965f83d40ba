//! Administration: Cloudflare's Python SDK provisions through `/accounts`, `/zones`, `/user/tokens`
//! and the audit log; the CLI does the same through the same services; no secret is ever stored or
//! logged; and every credential kind meets every admin and certificate route with the right answer.

use std::path::{Path, PathBuf};

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::*;
use crate::process::{last_line, Home, Server};

/// The secrets a check printed on its `SECRETS [...]` line.
fn printed_secrets(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .find_map(|l| l.strip_prefix("SECRETS "))
        .map(|j| serde_json::from_str(j).expect("secrets json"))
        .unwrap_or_default()
}

/// Each line of a `--json` listing, parsed.
fn json_lines(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

/// Every stored value as text, for searching: the SQLite file and its WAL byte for byte, or every
/// row of every table of the Postgres database.
async fn stored_text(db: &TestDb) -> String {
    if db.url.starts_with("sqlite:") {
        let mut all = Vec::new();
        for name in ["ca.db", "ca.db-wal"] {
            if let Ok(bytes) = std::fs::read(db.dir.path().join(name)) {
                all.extend(bytes);
            }
        }
        return String::from_utf8_lossy(&all).into_owned();
    }
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(&db.url).await.expect("connect");
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public'",
    )
    .fetch_all(&mut conn)
    .await
    .expect("tables");
    let mut all = String::new();
    for t in tables {
        let rows: Vec<String> = sqlx::query_scalar(&format!("SELECT t::text FROM {t} t"))
            .fetch_all(&mut conn)
            .await
            .expect("rows");
        all.push_str(&rows.join("\n"));
    }
    all
}

/// A `serve` process on a fresh database of `engine` with a user (made by the CLI), after an SDK
/// check (`program script`, run in `cwd`) provisioned through it.
struct Provisioned {
    db: TestDb,
    home: Home,
    server: Server,
    tmp: tempfile::TempDir,
    secrets: Vec<String>,
}

async fn provision(engine: Engine, program: &Path, script: &Path, cwd: &Path) -> Provisioned {
    let db = TestDb::new(engine).await;
    let home = Home::with_url(&db.url);
    home.ok(&["init"]).await;
    let key = last_line(
        &home
            .ok(&["user", "create", "--email", "Ops@Example.com"])
            .await,
    )
    .to_owned();
    let server = home.serve().await;
    let tmp = tempfile::tempdir().expect("dir");
    let csrs = tmp.path().join("csrs.json");
    std::fs::write(
        &csrs,
        json!([csr_p256("sdk-0"), csr_p256("sdk-1")]).to_string(),
    )
    .expect("write");
    let mut cmd = std::process::Command::new(program);
    cmd.arg(script)
        .current_dir(cwd)
        .env("MTLS_CA_BASE_URL", &server.base)
        // Emails compare case-insensitively.
        .env("MTLS_CA_EMAIL", "ops@example.com")
        .env("MTLS_CA_KEY", &key)
        .env("MTLS_CA_CSRS", csrs);
    let out = tokio::task::spawn_blocking(move || cmd.output().expect("the SDK check runs"))
        .await
        .expect("task");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{} failed on {engine:?}:\n{stdout}\n{}",
        script.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("passed, 0 failed"), "{stdout}");
    let mut secrets = printed_secrets(&stdout);
    secrets.push(key);
    Provisioned {
        db,
        home,
        server,
        tmp,
        secrets,
    }
}

/// No secret is stored, logged or in the audit output.
async fn assert_no_secret(p: &Provisioned, audit: &str) {
    assert!(
        p.secrets.len() >= 3 && p.secrets.iter().all(|s| s.len() > 20),
        "{:?}",
        p.secrets.len()
    );
    let stored = stored_text(&p.db).await;
    let log = p.server.log();
    for s in &p.secrets {
        assert!(!stored.contains(s.as_str()), "a secret is in the database");
        assert!(!log.contains(s.as_str()), "a secret is in the server log");
        assert!(!audit.contains(s.as_str()), "a secret is in the audit log");
    }
}

#[tokio::test]
async fn the_python_sdk_provisions_and_the_cli_administers_with_one_audit_entry_per_change() {
    let Some(python) = venv_python("cloudflare") else {
        return;
    };
    let sdk = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/sdk");
    let script = sdk.join("python_admin_check.py");
    for engine in engines() {
        let p = provision(engine, &python, &script, &sdk).await;
        cli_session(p).await;
    }
}

#[tokio::test]
async fn the_node_sdk_provisions_with_one_audit_entry_per_change() {
    let Some(dir) = crate::sdk::node_sdk_dir() else {
        return;
    };
    let script = dir.join("admin_check.mjs");
    for engine in engines() {
        let p = provision(engine, Path::new("node"), &script, &dir).await;
        let audit = p.home.ok(&["audit", "list", "--json"]).await;
        let actions: Vec<String> = json_lines(&audit)
            .iter()
            .map(|e| {
                format!(
                    "{} {}",
                    e["action"]["type"].as_str().unwrap_or(""),
                    e["resource"]["type"].as_str().unwrap_or("")
                )
            })
            .collect();
        assert_eq!(
            actions,
            [
                "create user",
                "create zone",
                "create zone",
                "create token",
                "issue certificate",
                "update token",
                "update token",
                "roll token",
                "delete token",
                "delete zone",
            ],
            "{audit}"
        );
        assert_no_secret(&p, &audit).await;
        drop(p.server);
        p.db.remove().await;
    }
}

/// After the Python SDK's session, the CLI's: tokens, users, certificates, a rotation; then the
/// whole audit log and the secret search.
async fn cli_session(p: Provisioned) {
    let Provisioned {
        ref home,
        ref server,
        ref tmp,
        ..
    } = p;
    let mut secrets = Vec::new();
    // The CLI: a token for one zone, listed, disabled, enabled, rolled, deleted; a user disabled.
    let zones = home.ok(&["zone", "list", "--json"]).await;
    let zone: Value = serde_json::from_str(zones.lines().next().expect("a zone")).expect("json");
    let zone_id = zone["id"].as_str().expect("id").to_owned();
    let out = home
        .run_with(
            &[
                "token",
                "create",
                "--name",
                "deploy",
                "--permission",
                "read",
                "--zone",
                &zone_id,
            ],
            &[],
        )
        .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let secret = last_line(&String::from_utf8_lossy(&out.stdout)).to_owned();
    let summary = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        summary.contains("SSL and Certificates Read") && summary.contains(&zone_id),
        "{summary}"
    );
    secrets.push(secret.clone());
    let again = home
        .fails_with(
            &[
                "token",
                "create",
                "--name",
                "DEPLOY",
                "--permission",
                "read",
            ],
            &[],
        )
        .await;
    assert!(again.contains("exists already"), "{again}");
    let list = home.ok(&["token", "list", "--json"]).await;
    let token: Value = json_lines(&list)
        .into_iter()
        .find(|t| t["name"] == "deploy")
        .expect("the CLI token is listed");
    let id = token["id"].as_str().expect("id").to_owned();
    let table = home.ok(&["token", "list"]).await;
    assert!(
        table.starts_with("ID") && table.contains("deploy"),
        "{table}"
    );
    let (status, _) = server
        .call(
            Method::GET,
            &format!("/zones/{zone_id}/client_certificates"),
            &secret,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    home.ok(&["token", "disable", &id]).await;
    home.ok(&["token", "enable", &id]).await;
    let rolled = last_line(&home.ok(&["token", "roll", &id]).await).to_owned();
    secrets.push(rolled.clone());
    // Another process changed the token: this server notices within its credential cache (5 s).
    tokio::time::sleep(std::time::Duration::from_secs(6)).await;
    let (status, _) = server
        .call(
            Method::GET,
            &format!("/zones/{zone_id}/client_certificates"),
            &secret,
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the old secret after a roll"
    );
    let (status, _) = server
        .call(
            Method::GET,
            &format!("/zones/{zone_id}/client_certificates"),
            &rolled,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    home.ok(&["token", "delete", &id]).await;
    home.ok(&["user", "disable", "OPS@example.com"]).await;
    let users = home.ok(&["user", "list"]).await;
    assert!(users.contains("disabled"), "{users}");

    // Certificates through the CLI.
    let csr = tmp.path().join("cli.csr");
    std::fs::write(&csr, csr_p256("cli-issued")).expect("write");
    let pem = home
        .ok(&[
            "cert",
            "issue",
            "--zone",
            &zone_id,
            "--csr",
            csr.to_str().expect("utf-8"),
            "--days",
            "7",
        ])
        .await;
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{pem}");
    let certs = home
        .ok(&[
            "cert",
            "list",
            "--zone",
            &zone_id,
            "--json",
            "--expiring-within",
            "8",
        ])
        .await;
    let cli_cert: Value = json_lines(&certs)
        .into_iter()
        .find(|c| c["common_name"] == "cli-issued")
        .expect("listed");
    let cert_id = cli_cert["id"].as_str().expect("id").to_owned();
    assert!(home
        .ok(&["cert", "revoke", &cert_id])
        .await
        .contains("pending_revocation"));
    assert!(home
        .ok(&["cert", "reactivate", &cert_id])
        .await
        .contains("pending_reactivation"));
    assert!(home
        .ok(&["cert", "show", &cert_id])
        .await
        .contains("cli-issued"));
    // A certificate bound to a token and unbound again.
    let out = home
        .run_with(
            &[
                "token",
                "create",
                "--name",
                "binder",
                "--permission",
                "read",
            ],
            &[],
        )
        .await;
    assert!(out.status.success());
    secrets.push(last_line(&String::from_utf8_lossy(&out.stdout)).to_owned());
    let binder = String::from_utf8_lossy(&out.stderr)
        .lines()
        .find_map(|l| l.strip_prefix("token id:").map(|id| id.trim().to_owned()))
        .expect("the summary names the token id");
    home.ok(&["token", "bind", &binder, "--certificate", &cert_id])
        .await;
    let again = home
        .fails_with(&["token", "bind", &binder, "--certificate", &cert_id], &[])
        .await;
    assert!(again.contains("bound to a token already"), "{again}");
    home.ok(&["token", "unbind", &binder, "--certificate", &cert_id])
        .await;
    let rotated = last_line(&home.ok(&["ca", "rotate"]).await).to_owned();

    // One entry per change, in order: the SDK's session, then the CLI's.
    let audit = home.ok(&["audit", "list", "--json"]).await;
    let entries = json_lines(&audit);
    let steps: Vec<(String, String, String)> = entries
        .iter()
        .map(|e| {
            (
                e["action"]["type"].as_str().unwrap_or_default().to_owned(),
                e["resource"]["type"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                e["interface"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let expect: Vec<(&str, &str, &str)> = vec![
        ("create", "user", "cli"),
        ("create", "zone", "api"),
        ("create", "zone", "api"),
        ("create", "token", "api"),
        ("issue", "certificate", "api"),
        ("update", "token", "api"),
        ("update", "token", "api"),
        ("roll", "token", "api"),
        ("delete", "token", "api"),
        ("delete", "zone", "api"),
        ("create", "token", "cli"),
        ("update", "token", "cli"),
        ("update", "token", "cli"),
        ("roll", "token", "cli"),
        ("delete", "token", "cli"),
        ("disable", "user", "cli"),
        ("issue", "certificate", "cli"),
        ("revoke", "certificate", "cli"),
        ("reactivate", "certificate", "cli"),
        ("create", "token", "cli"),
        ("bind", "token", "cli"),
        ("unbind", "token", "cli"),
        ("rotate", "certificate_authority", "cli"),
    ];
    let got: Vec<(&str, &str, &str)> = steps
        .iter()
        .map(|(a, b, c)| (a.as_str(), b.as_str(), c.as_str()))
        .collect();
    assert_eq!(got, expect, "{audit}");
    assert_eq!(
        entries.last().expect("entries")["resource"]["id"],
        rotated.as_str()
    );
    let api_ips: Vec<&str> = entries
        .iter()
        .filter(|e| e["interface"] == "api")
        .map(|e| e["actor"]["ip"].as_str().unwrap_or_default())
        .collect();
    assert!(api_ips.iter().all(|ip| *ip == "127.0.0.1"), "{api_ips:?}");
    let table = home.ok(&["audit", "list"]).await;
    assert!(
        table.starts_with("WHEN") && table.contains("roll"),
        "{table}"
    );

    let mut p = p;
    p.secrets.extend(secrets);
    assert_no_secret(&p, &audit).await;
    drop(p.server);
    p.db.remove().await;
}

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
