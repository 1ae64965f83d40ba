//! Administration, provisioned from outside: Cloudflare's Python and TypeScript SDKs provision
//! through `/accounts`, `/zones`, `/user/tokens` and the audit log; the CLI does the same through the
//! same services; one audit entry per change; no secret is ever stored or logged.

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
