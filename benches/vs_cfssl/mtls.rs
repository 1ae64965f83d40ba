//! The mtls-ca side: a CA, a zone and a write token made through the CLI, then `serve`.

use std::path::Path;
use std::process::Stdio;

use tokio::process::Command;

use crate::config::Config;
use crate::server::{create_database, free_port, wait_listening, Server, Store};
use crate::wrk::write_script;

/// mtls-ca: `init`, a zone and a write token through the CLI, then `serve` (logs to a file).
pub async fn start_mtls(
    bin: &Path,
    cfg: &Config,
    admin: Option<&str>,
    dir: &Path,
    csr: &str,
) -> anyhow::Result<Server> {
    let (db_url, admin) = match (cfg.postgres, admin) {
        (true, Some(a)) => (create_database(a, "vs_mtls").await?, Some(a.to_owned())),
        _ => (format!("sqlite://{}", dir.join("ca.db").display()), None),
    };
    let cli = |args: &'static [&'static str]| {
        let (bin, dir, db_url) = (bin.to_owned(), dir.to_owned(), db_url.clone());
        async move {
            let out = Command::new(&bin)
                .args(args)
                .current_dir(&dir)
                .env("MTLS_CA_DATABASE_URL", &db_url)
                .env("MTLS_CA_KEY_ALGORITHM", cfg.mtls_key)
                .stderr(Stdio::inherit())
                .output()
                .await?;
            anyhow::ensure!(out.status.success(), "mtls-ca {args:?} failed");
            let stdout = String::from_utf8(out.stdout)?;
            Ok::<_, anyhow::Error>(stdout.lines().last().unwrap_or_default().to_owned())
        }
    };
    cli(&["init"]).await?;
    let zone = cli(&["zone", "create", "bench.example"]).await?;
    let token = cli(&[
        "token",
        "create",
        "--name",
        "bench",
        "--permission",
        "write",
    ])
    .await?;
    let port = free_port()?;
    let log = std::fs::File::create(dir.join("serve.log"))?;
    let mut child = Command::new(bin)
        .arg("serve")
        .current_dir(dir)
        .env("MTLS_CA_DATABASE_URL", &db_url)
        .env("MTLS_CA_LISTEN", format!("127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(log)
        .kill_on_drop(true)
        .spawn()?;
    wait_listening(port, &mut child).await?;
    let body = serde_json::json!({"csr": csr, "validity_days": 365}).to_string();
    let auth = format!("Bearer {token}");
    let script = write_script(
        dir,
        &body,
        &[
            ("Content-Type", "application/json"),
            ("Authorization", &auth),
        ],
    )?;
    Ok(Server {
        child,
        store: Store {
            url: db_url,
            table: "client_certificates",
            admin,
        },
        script,
        url: format!("http://127.0.0.1:{port}/client/v4/zones/{zone}/client_certificates"),
    })
}
