//! Database trouble: a private Postgres cluster is stopped and started under a running server.
//! Requests fail fast with a 503 in the envelope, `/readyz` says not ready, and the service
//! recovers on its own. Also: a database password never reaches logs or errors.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use reqwest::{Method, StatusCode};

use crate::helpers::*;
use crate::process::*;

/// A throw-away Postgres cluster in a temp folder, on its own port; stopped when dropped.
struct PrivatePostgres {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
}

fn postgres_bin() -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("pg_ctl").exists())
        .collect();
    dirs.sort();
    dirs.pop()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}

impl PrivatePostgres {
    /// Runs a Postgres tool, as `postgres` when we are root (the server refuses to run as root).
    fn tool(&self, name: &str, args: &[&str]) -> Output {
        let exe = self.bin.join(name);
        let out = if is_root() {
            Command::new("runuser")
                .args(["-u", "postgres", "--"])
                .arg(&exe)
                .args(args)
                .output()
        } else {
            Command::new(&exe).args(args).output()
        };
        out.expect("run a postgres tool")
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    fn start_new() -> PrivatePostgres {
        let bin = postgres_bin().expect("Postgres binaries under /usr/lib/postgresql");
        let dir = tempfile::tempdir().expect("dir");
        if is_root() {
            let ok = Command::new("chown")
                .args(["-R", "postgres"])
                .arg(dir.path())
                .status();
            assert!(ok.is_ok_and(|s| s.success()), "chown the cluster folder");
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let pg = PrivatePostgres { dir, bin, port };
        let init = pg.tool(
            "initdb",
            &[
                "-D",
                &pg.data(),
                "-U",
                "mtlsca",
                "--auth=trust",
                "--no-sync",
                "-E",
                "UTF8",
            ],
        );
        assert!(
            init.status.success(),
            "initdb: {}",
            String::from_utf8_lossy(&init.stderr)
        );
        pg.start();
        pg
    }

    fn start(&self) {
        let opts = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.dir.path().display()
        );
        let log = self.dir.path().join("pg.log").display().to_string();
        let out = self.tool(
            "pg_ctl",
            &["-D", &self.data(), "-o", &opts, "-l", &log, "-w", "start"],
        );
        assert!(
            out.status.success(),
            "pg_ctl start: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn stop(&self) {
        let out = self.tool("pg_ctl", &["-D", &self.data(), "-m", "fast", "-w", "stop"]);
        assert!(
            out.status.success(),
            "pg_ctl stop: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn url(&self) -> String {
        format!("postgres://mtlsca@127.0.0.1:{}/postgres", self.port)
    }

    fn folder(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let _ = self.tool(
            "pg_ctl",
            &["-D", &self.data(), "-m", "immediate", "-w", "stop"],
        );
    }
}

async fn ready(app: &TestApp) -> StatusCode {
    app.client
        .get(format!("{}/readyz", app.base))
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .expect("readyz answers")
        .status()
}

#[tokio::test]
async fn a_stopped_database_gives_503s_and_the_service_recovers_when_it_is_back() {
    if !engines().contains(&Engine::Postgres) {
        return;
    }
    let pg = PrivatePostgres::start_new();
    let mut s = settings(&pg.url());
    s.db_acquire_timeout = 2;
    let app = TestApp::start(s, Engine::Postgres).await;
    let cert = app.issue(&csr_p256("before"), 5).await;
    let id = cert["id"].as_str().expect("id").to_owned();
    assert_eq!(ready(&app).await, StatusCode::OK);

    pg.stop();
    // Every kind of request fails with a 503 in the envelope, within the pool's acquire timeout.
    let (s, b) = app.on_cert(Method::GET, &id).await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{b}");
    assert_eq!(
        (b["success"].as_bool(), b["errors"][0]["code"].as_u64()),
        (Some(false), Some(1501))
    );
    assert!(b["result"].is_null());
    let res = app.create(&csr_p256("during"), 5).await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    let (s, _) = app.list("").await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(ready(&app).await, StatusCode::SERVICE_UNAVAILABLE);

    pg.start();
    let mut recovered = false;
    for _ in 0..60 {
        if ready(&app).await == StatusCode::OK {
            recovered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(
        recovered,
        "readyz did not recover within 15 s of the database coming back"
    );
    let (s, b) = app.on_cert(Method::GET, &id).await;
    assert_eq!((s, &b["result"]), (StatusCode::OK, &cert));
    app.issue(&csr_p256("after"), 5).await;
    // Nothing half-written: exactly the two acknowledged certificates exist.
    let (_, b) = app.list("").await;
    assert_eq!(b["result_info"]["total_count"], 2);
    app.stop().await;
    assert!(pg.folder().exists());
}

#[tokio::test]
async fn a_database_password_never_appears_in_errors_or_logs() {
    let secret = "pw-never-shown-7d1c";
    let url = format!("postgres://mtlsca:{secret}@127.0.0.1:1/nowhere");
    let home = Home::with_url(&url);
    for args in [&["zone", "list"][..], &["migrate"][..], &["serve"][..]] {
        let out = home
            .run_with(args, &[("MTLS_CA_DB_ACQUIRE_TIMEOUT", "1")])
            .await;
        assert!(
            !out.status.success(),
            "{args:?} cannot succeed without a database"
        );
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!all.contains(secret), "{args:?} leaked the password: {all}");
        assert!(all.contains("error:"), "{args:?}: {all}");
    }
}
