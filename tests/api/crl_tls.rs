//! Real TLS servers started by the test, checking client certificates of a running `mtls-ca serve`:
//! nginx with `ssl_crl` and HAProxy with `crl-file` on the files `crl sync --url` keeps, reloaded by
//! its `--exec`; and nginx with `ssl_ocsp` asking the responder. Each accepts a client, refuses it
//! once it is revoked (and synced), and accepts it again once reactivated (and synced). The
//! configurations are the README's. Skipped without nginx or HAProxy, except under CI.

use std::path::{Path, PathBuf};
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::ca_outside::run;
use crate::helpers::*;
use crate::nginx::{curl, nginx_bin};
use crate::process::{last_line, Home, Server};

fn haproxy_bin() -> Option<PathBuf> {
    let found = Some(PathBuf::from("/usr/sbin/haproxy")).filter(|p| p.is_file());
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "HAProxy is missing: apt-get install haproxy"
        );
        eprintln!("skipped: no HAProxy (apt-get install haproxy)");
    }
    found
}

/// A running `serve` (worker every second), a client certificate `client.pem` with `client.key`,
/// and a server certificate, all in the home folder.
struct Setup {
    home: Home,
    server: Server,
    zone: String,
    token: String,
    cert_id: String,
}

impl Setup {
    async fn new() -> Setup {
        let home = Home::new();
        let zone = last_line(&home.ok(&["zone", "create", "tls.example"]).await).to_owned();
        let token = home
            .ok(&["token", "create", "--name", "tls", "--permission", "write"])
            .await;
        let token = last_line(&token).to_owned();
        let server = home.serve_with(&[("MTLS_CA_WORKER_INTERVAL", "1")]).await;
        let key = rcgen::KeyPair::generate().expect("key");
        std::fs::write(home.path("client.key"), key.serialize_pem()).expect("w");
        let res = server
            .client
            .post(format!(
                "{}/client/v4/zones/{zone}/client_certificates",
                server.base
            ))
            .bearer_auth(&token)
            .json(&json!({"csr": csr_for_key(&key, "tls-client"), "validity_days": 7}))
            .send()
            .await
            .expect("issue");
        let (status, body) = json_of(res).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let pem = body["result"]["certificate"].as_str().expect("pem");
        std::fs::write(home.path("client.pem"), pem).expect("w");
        let cert_id = body["result"]["id"].as_str().expect("id").to_owned();
        run(
            &[
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-keyout",
                "server.key",
                "-out",
                "server.pem",
                "-days",
                "2",
                "-subj",
                "/CN=localhost",
            ],
            home.dir.path(),
        )
        .await;
        std::fs::create_dir_all(home.path("tmp")).expect("tmp");
        Setup {
            home,
            server,
            zone,
            token,
            cert_id,
        }
    }

    fn dir(&self) -> &Path {
        self.home.dir.path()
    }

    /// DELETE or PATCH the client certificate, then waits for the worker to complete it.
    async fn change(&self, method: Method, want: &str) {
        let path = format!("/zones/{}/client_certificates/{}", self.zone, self.cert_id);
        let (status, body) = self.server.call(method, &path, &self.token).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        for _ in 0..100 {
            let (_, body) = self.server.call(Method::GET, &path, &self.token).await;
            if body["result"]["status"] == want {
                return;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        panic!("the certificate never read {want}");
    }

    /// `crl sync --out crl --url SERVER --exec CMD`; returns its stdout.
    async fn sync(&self, exec: &str) -> String {
        let base = self.server.base.clone();
        self.home
            .ok(&[
                "crl", "sync", "--out", "crl", "--url", &base, "--exec", exec,
            ])
            .await
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port()
}

/// A TLS server process, stopped with SIGTERM when dropped (an nginx master killed outright would
/// leave its workers, and their port, behind).
struct Running(tokio::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let Some(pid) = self.0.id() else {
            return;
        };
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status();
        for _ in 0..50 {
            if !matches!(self.0.try_wait(), Ok(None)) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// Starts a server process in `dir`, its output in `log`, and waits until `port` accepts.
async fn start(dir: &Path, program: &Path, args: &[&str], log: &str, port: u16) -> Running {
    let child = tokio::process::Command::new(program)
        .args(args)
        .current_dir(dir)
        .stdout(std::fs::File::create(dir.join(log)).expect("log"))
        .stderr(std::fs::File::create(dir.join(format!("{log}.err"))).expect("log"))
        .kill_on_drop(true)
        .spawn()
        .expect("the TLS server starts");
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return Running(child);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{} did not listen: {}", program.display(), logs(dir, log));
}

fn logs(dir: &Path, log: &str) -> String {
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap_or_default();
    format!("{}{}", read(log), read(&format!("{log}.err")))
}

/// Polls the server with the client certificate until it answers `want` (an HTTP status, or
/// "000" for a refused handshake); returns the body.
async fn until(dir: &Path, port: u16, want: &str, log: &str) -> String {
    let mut last = (String::new(), String::new());
    for _ in 0..50 {
        last = curl(dir, port, "client.pem").await;
        if last.0 == want {
            return last.1;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("expected {want}, got {last:?}: {}", logs(dir, log));
}

/// The README's nginx server block, on `port`; `check` is `ssl_crl ...;` or `ssl_ocsp on;`.
fn nginx_conf(port: u16, check: &str) -> String {
    format!(
        r#"daemon off;
pid nginx.pid;
error_log stderr info;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path tmp; proxy_temp_path tmp; fastcgi_temp_path tmp;
    uwsgi_temp_path tmp; scgi_temp_path tmp;
    server {{
        listen 127.0.0.1:{port} ssl;
        ssl_certificate server.pem;
        ssl_certificate_key server.key;
        # Every CA a client certificate may come from, kept by crl sync.
        ssl_client_certificate crl/bundle.pem;
        ssl_verify_client on;
        {check}
        location / {{ return 200 "$ssl_client_verify $ssl_client_s_dn\n"; }}
    }}
}}
"#
    )
}

#[tokio::test]
async fn nginx_with_a_synced_crl_refuses_a_revoked_client_and_accepts_it_after_reactivation() {
    let Some(nginx) = nginx_bin() else {
        return;
    };
    let s = Setup::new().await;
    let d = s.dir();
    let port = free_port();
    std::fs::write(
        d.join("nginx.conf"),
        nginx_conf(port, "ssl_crl crl/crls.pem;"),
    )
    .expect("conf");
    let prefix = d.display().to_string();
    let reload = format!("{} -p {prefix} -c nginx.conf -s reload", nginx.display());
    // No nginx runs yet: the files are written, the reload fails and is due again.
    let base = s.server.base.clone();
    let first = [
        "crl", "sync", "--out", "crl", "--url", &base, "--exec", &reload,
    ];
    let out = s.home.run_with(&first, &[]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && stderr.contains("runs again"),
        "{stderr}"
    );
    assert!(d.join("crl/crls.pem").exists() && d.join("crl/.exec-pending").exists());
    let args = ["-p", prefix.as_str(), "-c", "nginx.conf", "-e", "stderr"];
    let _server = start(d, &nginx, &args, "nginx.log", port).await;
    let body = until(d, port, "200", "nginx.log").await;
    assert!(
        body.starts_with("SUCCESS") && body.contains("CN=tls-client"),
        "{body}"
    );

    s.change(Method::DELETE, "revoked").await;
    let (status, _) = curl(d, port, "client.pem").await;
    assert_eq!(status, "200", "nginx still holds the CRL it loaded");
    let out = s.sync(&reload).await;
    assert!(out.contains("ran: "), "{out}");
    until(d, port, "400", "nginx.log").await;
    assert!(
        logs(d, "nginx.log").contains("certificate revoked"),
        "{}",
        logs(d, "nginx.log")
    );

    s.change(Method::PATCH, "active").await;
    s.sync(&reload).await;
    until(d, port, "200", "nginx.log").await;
}

#[tokio::test]
async fn nginx_checking_clients_by_ocsp_refuses_a_revoked_certificate_and_accepts_it_after_reactivation(
) {
    let Some(nginx) = nginx_bin() else {
        return;
    };
    let s = Setup::new().await;
    let d = s.dir();
    let port = free_port();
    // No CRL: nginx asks the OCSP responder named in each client certificate.
    std::fs::write(d.join("nginx.conf"), nginx_conf(port, "ssl_ocsp on;")).expect("conf");
    s.sync("true").await;
    let prefix = d.display().to_string();
    let args = ["-p", prefix.as_str(), "-c", "nginx.conf", "-e", "stderr"];
    let _server = start(d, &nginx, &args, "nginx.log", port).await;
    until(d, port, "200", "nginx.log").await;
    s.change(Method::DELETE, "revoked").await;
    until(d, port, "400", "nginx.log").await;
    assert!(
        logs(d, "nginx.log").contains("certificate revoked"),
        "{}",
        logs(d, "nginx.log")
    );
    s.change(Method::PATCH, "active").await;
    until(d, port, "200", "nginx.log").await;
}

#[tokio::test]
async fn haproxy_with_a_synced_crl_file_refuses_a_revoked_client_and_accepts_it_after_reactivation()
{
    let Some(haproxy) = haproxy_bin() else {
        return;
    };
    let s = Setup::new().await;
    let d = s.dir();
    let port = free_port();
    let crt = format!(
        "{}{}",
        std::fs::read_to_string(d.join("server.pem")).expect("pem"),
        std::fs::read_to_string(d.join("server.key")).expect("key")
    );
    std::fs::write(d.join("server-with-key.pem"), crt).expect("w");
    std::fs::write(
        d.join("haproxy.cfg"),
        format!(
            r#"global
    log stderr format raw local0 info
defaults
    mode http
    log global
    timeout connect 5s
    timeout client 10s
    timeout server 10s
frontend mtls
    bind 127.0.0.1:{port} ssl crt server-with-key.pem ca-file crl/bundle.pem verify required crl-file crl/crls.pem
    http-request return status 200 content-type text/plain lf-string "verified %[ssl_c_s_dn(CN)]\n"
"#
        ),
    )
    .expect("cfg");
    let reload = "kill -USR2 $(cat haproxy.pid)";
    s.sync("true").await;
    let args = ["-W", "-db", "-f", "haproxy.cfg", "-p", "haproxy.pid"];
    let _server = start(d, &haproxy, &args, "haproxy.log", port).await;
    let body = until(d, port, "200", "haproxy.log").await;
    assert_eq!(body, "verified tls-client\n");

    s.change(Method::DELETE, "revoked").await;
    assert_eq!(curl(d, port, "client.pem").await.0, "200");
    let out = s.sync(reload).await;
    assert!(out.contains("ran: "), "{out}");
    until(d, port, "000", "haproxy.log").await;

    s.change(Method::PATCH, "active").await;
    s.sync(reload).await;
    until(d, port, "200", "haproxy.log").await;
    let reloads = logs(d, "haproxy.log").matches("Loading success").count();
    assert_eq!(reloads, 3, "started, then reloaded twice");
}
