//! The cfssl side: a CA from `cfssl genkey -initca`, a client-auth signing profile, its certdb
//! (cfssl's own schema on SQLite or Postgres), then `cfssl serve`.

use std::path::Path;
use std::process::Stdio;

use anyhow::Context;
use sqlx::Connection;
use tokio::process::Command;

use crate::config::Config;
use crate::server::{create_database, free_port, wait_listening, Server, Store};
use crate::wrk::write_script;

/// cfssl's certdb schema for SQLite (certdb/sqlite/migrations/001_CreateCertificates.sql).
const CFSSL_SQLITE_SCHEMA: &str = "
CREATE TABLE certificates (
  serial_number bytea NOT NULL, authority_key_identifier bytea NOT NULL, ca_label bytea,
  status bytea NOT NULL, reason int, expiry timestamp, revoked_at timestamp, pem bytea NOT NULL,
  PRIMARY KEY(serial_number, authority_key_identifier));
CREATE TABLE ocsp_responses (
  serial_number bytea NOT NULL, authority_key_identifier bytea NOT NULL, body bytea NOT NULL,
  expiry timestamp, PRIMARY KEY(serial_number, authority_key_identifier),
  FOREIGN KEY(serial_number, authority_key_identifier)
    REFERENCES certificates(serial_number, authority_key_identifier));";

/// The same for Postgres (certdb/pg/migrations/001_CreateCertificates.sql): timestamptz.
const CFSSL_PG_SCHEMA: &str = "
CREATE TABLE certificates (
  serial_number bytea NOT NULL, authority_key_identifier bytea NOT NULL, ca_label bytea,
  status bytea NOT NULL, reason int, expiry timestamptz, revoked_at timestamptz, pem bytea NOT NULL,
  PRIMARY KEY(serial_number, authority_key_identifier));
CREATE TABLE ocsp_responses (
  serial_number bytea NOT NULL, authority_key_identifier bytea NOT NULL, body bytea NOT NULL,
  expiry timestamptz, PRIMARY KEY(serial_number, authority_key_identifier),
  FOREIGN KEY(serial_number, authority_key_identifier)
    REFERENCES certificates(serial_number, authority_key_identifier));";

/// cfssl: a CA from `cfssl genkey -initca`, a client-auth signing profile, its certdb, `serve`.
pub async fn start_cfssl(
    bin: &Path,
    cfg: &Config,
    admin: Option<&str>,
    dir: &Path,
    csr: &str,
) -> anyhow::Result<Server> {
    let ca_req = serde_json::json!({
        "CN": "cfssl bench CA",
        "key": cfg.cfssl_key,
        "names": [{"O": "bench"}],
        "ca": {"expiry": "87600h"}
    });
    std::fs::write(dir.join("ca-csr.json"), ca_req.to_string())?;
    let out = Command::new(bin)
        .args(["genkey", "-initca", "ca-csr.json"])
        .current_dir(dir)
        .stderr(Stdio::null())
        .output()
        .await
        .context("running cfssl (apt-get install golang-cfssl)")?;
    anyhow::ensure!(out.status.success(), "cfssl genkey -initca failed");
    let ca: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    for (field, file) in [("cert", "ca.pem"), ("key", "ca-key.pem")] {
        let pem = ca[field].as_str().context("cfssl genkey printed no PEM")?;
        std::fs::write(dir.join(file), pem)?;
    }
    let profile = serde_json::json!({"signing": {"default": {
        "usages": ["digital signature", "client auth"],
        "expiry": "8760h"
    }}});
    std::fs::write(dir.join("config.json"), profile.to_string())?;
    let (store, db_config) = match (cfg.postgres, admin) {
        (true, Some(a)) => {
            let url = create_database(a, "vs_cfssl").await?;
            let mut c = sqlx::PgConnection::connect(&url).await?;
            sqlx::raw_sql(CFSSL_PG_SCHEMA).execute(&mut c).await?;
            let dsn = format!("{url}?sslmode=disable");
            let store = Store {
                url,
                table: "certificates",
                admin: Some(a.to_owned()),
            };
            (
                store,
                serde_json::json!({"driver": "postgres", "data_source": dsn}),
            )
        }
        _ => {
            let path = dir.join("certs.db");
            let url = format!("sqlite://{}?mode=rwc", path.display());
            let mut c = sqlx::SqliteConnection::connect(&url).await?;
            sqlx::raw_sql("PRAGMA journal_mode=WAL")
                .execute(&mut c)
                .await?;
            sqlx::raw_sql(CFSSL_SQLITE_SCHEMA).execute(&mut c).await?;
            c.close().await?;
            let dsn = format!(
                "file:{}?_journal_mode=WAL&_synchronous=FULL&_busy_timeout=5000",
                path.display()
            );
            let store = Store {
                url: format!("sqlite://{}", path.display()),
                table: "certificates",
                admin: None,
            };
            (
                store,
                serde_json::json!({"driver": "sqlite3", "data_source": dsn}),
            )
        }
    };
    std::fs::write(dir.join("db.json"), db_config.to_string())?;
    let port = free_port()?;
    let log = std::fs::File::create(dir.join("serve.log"))?;
    let mut child = Command::new(bin)
        .args(["serve", "-address", "127.0.0.1", "-port", &port.to_string()])
        .args([
            "-ca",
            "ca.pem",
            "-ca-key",
            "ca-key.pem",
            "-config",
            "config.json",
        ])
        .args(["-db-config", "db.json"])
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(log)
        .kill_on_drop(true)
        .spawn()?;
    wait_listening(port, &mut child).await?;
    let body = serde_json::json!({"certificate_request": csr}).to_string();
    let script = write_script(dir, &body, &[("Content-Type", "application/json")])?;
    Ok(Server {
        child,
        store,
        script,
        url: format!("http://127.0.0.1:{port}/api/v1/cfssl/sign"),
    })
}
