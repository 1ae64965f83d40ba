//! The built `mtls-ca` binary as child processes: a home folder with its database, `serve` on a free
//! port (killed on drop), and typed requests against it.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{ExitStatus, Output, Stdio};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio::process::{Child, Command};

use crate::helpers::*;

pub const BIN: &str = env!("CARGO_BIN_EXE_mtls-ca");
/// Longest any one command may take (a passphrase-protected CA derives its key with scrypt).
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(90);

/// A fresh folder with its own SQLite database; commands run inside it, with a clean environment.
pub struct Home {
    pub dir: tempfile::TempDir,
    pub url: String,
    /// The key custody of every command (`TEST_SIGNER`), and the signer process it may need.
    custody: Vec<(String, String)>,
    _signer: crate::signers::Keeper,
}

impl Home {
    /// A home whose database `mtls-ca init` has created.
    pub fn new() -> Home {
        let home = Home::empty();
        let out = std::process::Command::new(BIN)
            .arg("init")
            .current_dir(home.dir.path())
            .env("MTLS_CA_DATABASE_URL", &home.url)
            .env_remove("MTLS_CA_KEY_PASSPHRASE")
            .envs(home.custody.iter().map(|(k, v)| (k, v)))
            .output()
            .expect("run mtls-ca init");
        assert!(
            out.status.success(),
            "init: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        home
    }

    /// A home with no database yet.
    pub fn empty() -> Home {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("ca.db").display());
        Self::at(dir, url)
    }

    /// A home with no database yet whose every command has the custody environment `custody`
    /// (whatever `TEST_SIGNER` says).
    pub fn with_custody(custody: Vec<(String, String)>) -> Home {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("ca.db").display());
        Home {
            dir,
            url,
            custody,
            _signer: crate::signers::Keeper::Nothing,
        }
    }

    fn at(dir: tempfile::TempDir, url: String) -> Home {
        let (custody, signer) = crate::signers::custody_envs();
        Home {
            dir,
            url,
            custody,
            _signer: signer,
        }
    }

    /// A home whose commands use the database at `url`.
    pub fn with_url(url: &str) -> Home {
        Self::at(tempfile::tempdir().expect("temp dir"), url.to_owned())
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn command(&self, args: &[&str], envs: &[(&str, &str)]) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.args(args).current_dir(self.dir.path());
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("MTLS_CA_") {
                cmd.env_remove(&name);
            }
        }
        cmd.env_remove("RUST_LOG")
            .env("MTLS_CA_DATABASE_URL", &self.url)
            .envs(self.custody.iter().map(|(k, v)| (k, v)))
            .envs(envs.iter().copied())
            .stdin(Stdio::null())
            .kill_on_drop(true);
        cmd
    }

    pub async fn run_with(&self, args: &[&str], envs: &[(&str, &str)]) -> Output {
        let mut cmd = self.command(args, envs);
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        tokio::time::timeout(COMMAND_TIMEOUT, cmd.output())
            .await
            .unwrap_or_else(|_| panic!("mtls-ca {args:?} did not finish in time"))
            .expect("run mtls-ca")
    }

    /// Runs a command that must succeed; returns its stdout.
    pub async fn ok_with(&self, args: &[&str], envs: &[(&str, &str)]) -> String {
        let out = self.run_with(args, envs).await;
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "mtls-ca {args:?} failed: {stderr}");
        assert!(!stderr.contains("locked"), "mtls-ca {args:?}: {stderr}");
        String::from_utf8(out.stdout).expect("UTF-8 stdout")
    }

    pub async fn ok(&self, args: &[&str]) -> String {
        self.ok_with(args, &[]).await
    }

    /// Runs a command that must fail with one `error:` line on stderr; returns that line.
    pub async fn fails_with(&self, args: &[&str], envs: &[(&str, &str)]) -> String {
        let out = self.run_with(args, envs).await;
        let stderr = String::from_utf8(out.stderr).expect("UTF-8 stderr");
        assert!(!out.status.success(), "mtls-ca {args:?} {envs:?} succeeded");
        let lines: Vec<&str> = stderr.lines().collect();
        assert_eq!(lines.len(), 1, "mtls-ca {args:?} {envs:?}: {stderr}");
        assert!(lines[0].starts_with("error: "), "{stderr}");
        lines[0].to_owned()
    }

    /// Starts `serve` on a free port and waits until `/healthz` answers.
    pub async fn serve(&self) -> Server {
        self.serve_with(&[]).await
    }

    /// Starts `serve` with HTTPS (`MTLS_CA_TLS_*` in `envs`); its client trusts `ca_pem` only.
    pub async fn serve_https(&self, envs: &[(&str, &str)], ca_pem: &str) -> Server {
        let root = reqwest::Certificate::from_pem(ca_pem.as_bytes()).expect("CA PEM");
        let client = reqwest::Client::builder()
            .tls_built_in_root_certs(false)
            .add_root_certificate(root)
            .build()
            .expect("client");
        self.serve_inner(envs, "https", client).await
    }

    /// Starts `serve` with extra environment variables.
    pub async fn serve_with(&self, envs: &[(&str, &str)]) -> Server {
        self.serve_inner(envs, "http", reqwest::Client::new()).await
    }

    async fn serve_inner(
        &self,
        envs: &[(&str, &str)],
        scheme: &str,
        client: reqwest::Client,
    ) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let log = self.path(&format!("serve-{port}.log"));
        let listen = format!("127.0.0.1:{port}");
        let mut all = vec![("MTLS_CA_LISTEN", listen.as_str())];
        all.extend_from_slice(envs);
        let mut cmd = self.command(&["serve"], &all);
        cmd.stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("log file"));
        let child = cmd.spawn().expect("spawn serve");
        let mut server = Server {
            child,
            base: format!("{scheme}://{listen}"),
            log,
            client,
        };
        server.wait_healthy().await;
        server
    }
}

/// A running `mtls-ca serve`; killed when dropped, so a failing test leaves nothing behind.
pub struct Server {
    pub child: Child,
    pub base: String,
    pub log: PathBuf,
    pub client: reqwest::Client,
}

impl Server {
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub async fn wait_healthy(&mut self) {
        for _ in 0..300 {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                panic!("serve exited with {status}: {}", self.log());
            }
            let health = self
                .client
                .get(format!("{}/healthz", self.base))
                .timeout(Duration::from_secs(2))
                .send()
                .await;
            if health.is_ok_and(|r| r.status() == StatusCode::OK) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("serve did not become healthy in 30 s: {}", self.log());
    }

    /// POSTs a CSR to `zone` with `auth` headers; returns status and body.
    pub async fn issue(&self, zone: &str, auth: &[(&str, &str)], cn: &str) -> (StatusCode, Value) {
        let mut req = self
            .client
            .post(format!(
                "{}/client/v4/zones/{zone}/client_certificates",
                self.base
            ))
            .timeout(Duration::from_secs(30))
            .json(&json!({"csr": csr_p256(cn), "validity_days": 30}));
        for (name, value) in auth {
            req = req.header(*name, *value);
        }
        json_of(req.send().await.expect("request")).await
    }

    /// Sends SIGTERM and waits for the exit.
    pub async fn terminate(&mut self) -> ExitStatus {
        let pid = self.child.id().expect("still running").to_string();
        let kill = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("run kill");
        assert!(kill.success());
        tokio::time::timeout(Duration::from_secs(10), self.child.wait())
            .await
            .unwrap_or_else(|_| panic!("serve ignored SIGTERM for 10 s: {}", self.log()))
            .expect("wait")
    }
}

impl Server {
    /// Sends a request and returns status and JSON body.
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
    ) -> (StatusCode, Value) {
        let res = self
            .client
            .request(method, format!("{}/client/v4{path}", self.base))
            .bearer_auth(token)
            .timeout(Duration::from_secs(30))
            .send()
            .await
            .expect("request");
        json_of(res).await
    }

    /// The value of one sample of `/metrics` (0 when absent).
    pub async fn metric(&self, sample: &str) -> f64 {
        let text = fetch_metrics(&self.client, &self.base).await;
        text.lines()
            .find_map(|l| l.strip_prefix(sample).and_then(|v| v.trim().parse().ok()))
            .unwrap_or(0.0)
    }
}

/// The last line of a command's stdout, trimmed.
pub fn last_line(stdout: &str) -> &str {
    stdout.lines().last().unwrap_or("").trim()
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}
