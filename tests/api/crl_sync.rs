//! `mtls-ca crl sync` through the built binary: the files it writes (checked by openssl against the
//! served ones), what it leaves alone, its reload command, `--url`, and `--watch` through an outage.

use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::time::Duration;

use reqwest::{Method, StatusCode};

use crate::helpers::*;
use crate::pki::openssl;
use crate::process::Home;

/// The body of a public GET.
pub async fn get_bytes(app: &TestApp, path: &str) -> Vec<u8> {
    let res = app
        .client
        .get(format!("{}{path}", app.base))
        .send()
        .await
        .expect("GET");
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    res.bytes().await.expect("body").to_vec()
}

fn inode(path: &Path) -> u64 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .ino()
}

fn lines(path: &Path) -> usize {
    std::fs::read_to_string(path).map_or(0, |t| t.lines().count())
}

/// The serials (lowercase hex) a PEM CRL file lists, read by openssl.
pub async fn crl_serials(dir: &Path, file: &str) -> Vec<String> {
    let (ok, text) = openssl(&["crl", "-in", file, "-noout", "-text"], dir).await;
    assert!(ok, "{text}");
    text.lines()
        .filter_map(|l| l.trim().strip_prefix("Serial Number: "))
        .map(|s| s.trim().to_lowercase())
        .collect()
}

/// Revokes (DELETE) or reactivates (PATCH) a certificate, then runs the worker.
pub async fn flip(app: &TestApp, method: Method, id: &str) {
    let (status, body) = app.on_cert(method, id).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    app.run_worker().await;
}

#[tokio::test]
async fn crl_sync_writes_each_file_once_and_rewrites_only_what_a_revocation_changed() {
    for engine in engines() {
        let app = TestApp::spawn(engine).await;
        let cert = app.issue(&csr_p256("synced"), 30).await;
        let (id, serial) = (
            cert["id"].as_str().expect("id"),
            cert["serial_number"].as_str().expect("serial"),
        );
        let ca = app.ca_id();
        let home = Home::with_url(&app.db_url);
        let sync = [
            "crl",
            "sync",
            "--out",
            "out",
            "--exec",
            "echo reload >> reloads.log",
        ];
        let out = home.ok(&sync).await;
        let names = [
            format!("{ca}.crl.der"),
            format!("{ca}.crl.pem"),
            "crls.pem".to_owned(),
            "bundle.pem".to_owned(),
        ];
        for name in &names {
            assert!(out.contains(&format!("wrote out/{name}")), "{out}");
        }
        let d = home.path("out");
        assert_eq!(lines(&home.path("reloads.log")), 1, "{out}");
        assert_eq!(
            std::fs::read(d.join(&names[0])).expect("der"),
            get_bytes(&app, &format!("/pki/{ca}/crl")).await,
            "the DER file is the served CRL"
        );
        assert_eq!(
            std::fs::read(d.join("bundle.pem")).expect("bundle"),
            get_bytes(&app, "/pki/bundle.pem").await
        );
        let (ok, text) = openssl(
            &[
                "crl",
                "-in",
                &names[1],
                "-inform",
                "PEM",
                "-CAfile",
                "bundle.pem",
                "-noout",
            ],
            &d,
        )
        .await;
        assert!(ok && text.contains("verify OK"), "{text}");
        assert_eq!(
            std::fs::read(d.join(&names[1])).expect("pem"),
            std::fs::read(d.join("crls.pem")).expect("crls"),
            "one CA: crls.pem is its CRL"
        );
        assert!(crl_serials(&d, "crls.pem").await.is_empty());
        let inodes: Vec<u64> = names.iter().map(|n| inode(&d.join(n))).collect();

        let again = home.ok(&sync).await;
        assert!(!again.contains("wrote"), "{again}");
        assert_eq!(
            lines(&home.path("reloads.log")),
            1,
            "nothing changed: no reload"
        );
        let same: Vec<u64> = names.iter().map(|n| inode(&d.join(n))).collect();
        assert_eq!(
            same, inodes,
            "{engine:?}: unchanged files are not rewritten"
        );

        flip(&app, Method::DELETE, id).await;
        let after = home.ok(&sync).await;
        assert!(!after.contains("bundle.pem"), "{after}");
        assert_eq!(lines(&home.path("reloads.log")), 2, "{after}");
        for (i, name) in names.iter().enumerate().take(3) {
            assert_ne!(inode(&d.join(name)), inodes[i], "{name} was replaced");
        }
        assert_eq!(inode(&d.join("bundle.pem")), inodes[3]);
        assert_eq!(crl_serials(&d, "crls.pem").await, [serial]);
        assert!(!d.join(".exec-pending").exists());
        app.stop().await;
    }
}

#[tokio::test]
async fn a_failing_reload_command_fails_the_sync_and_runs_again_on_the_next_one() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let home = Home::with_url(&app.db_url);
    let out = home
        .run_with(&["crl", "sync", "--out", "out", "--exec", "exit 3"], &[])
        .await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("`exit 3` failed") && stderr.contains("runs again on the next sync"),
        "{stderr}"
    );
    assert!(
        home.path("out/crls.pem").exists(),
        "the files are written first"
    );
    let retry = [
        "crl",
        "sync",
        "--out",
        "out",
        "--exec",
        "echo ok >> ran.log",
    ];
    let second = home.ok(&retry).await;
    assert!(!second.contains("wrote"), "{second}");
    assert_eq!(
        lines(&home.path("ran.log")),
        1,
        "the failed reload runs again"
    );
    home.ok(&retry).await;
    assert_eq!(
        lines(&home.path("ran.log")),
        1,
        "and only until it succeeded"
    );
    app.stop().await;
}

#[tokio::test]
async fn crl_sync_over_http_writes_what_the_database_gives_and_keeps_the_files_while_the_server_is_down(
) {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let ca = app.ca_id();
    let local = Home::with_url(&app.db_url);
    local.ok(&["crl", "sync", "--out", "out"]).await;
    // A host with the binary only: no database, no configuration.
    let remote = Home::empty();
    let out = remote
        .ok(&[
            "crl",
            "sync",
            "--out",
            "out",
            "--url",
            &format!("{}/", app.base),
        ])
        .await;
    assert!(out.contains("wrote out/crls.pem"), "{out}");
    for name in [
        format!("{ca}.crl.der"),
        format!("{ca}.crl.pem"),
        "crls.pem".into(),
        "bundle.pem".into(),
    ] {
        assert_eq!(
            std::fs::read(remote.path("out").join(&name)).expect("remote"),
            std::fs::read(local.path("out").join(&name)).expect("local"),
            "{name}"
        );
    }
    assert!(
        !remote.path("ca.db").exists(),
        "--url never opens a database"
    );
    let line = remote
        .fails_with(&["crl", "sync", "--out", "out"], &[])
        .await;
    assert!(line.contains("no database at"), "{line}");
    assert!(!remote.path("ca.db").exists(), "nor does it create one");
    let before = inode(&remote.path("out/crls.pem"));
    let base = app.base.clone();
    app.stop().await;
    let line = remote
        .fails_with(&["crl", "sync", "--out", "out", "--url", &base], &[])
        .await;
    assert!(line.contains("/pki/index.json"), "{line}");
    assert_eq!(inode(&remote.path("out/crls.pem")), before);
    let bad = remote
        .fails_with(&["crl", "sync", "--out", "out", "--url", "ftp://x"], &[])
        .await;
    assert!(bad.contains("must be http://"), "{bad}");
}

/// A TCP proxy to a server that may be down: pointed at `None`, it drops every connection, open
/// ones included (so no kept-alive connection hides the outage).
struct Proxy {
    addr: std::net::SocketAddr,
    target: tokio::sync::watch::Sender<Option<String>>,
}

impl Proxy {
    async fn start(target: &str) -> Proxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (target, rx) = tokio::sync::watch::channel(Some(target.to_owned()));
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let mut rx = rx.clone();
                let Some(to) = rx.borrow_and_update().clone() else {
                    continue;
                };
                tokio::spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(to).await {
                        tokio::select! {
                            _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                            _ = rx.changed() => {}
                        }
                    }
                });
            }
        });
        Proxy { addr, target }
    }

    fn point_at(&self, target: Option<&str>) {
        self.target.send_replace(target.map(str::to_owned));
    }
}

/// Polls `check` every 200 ms for up to 20 s.
async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    for _ in 0..100 {
        if check() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("{what} did not happen in 20 s");
}

#[tokio::test]
async fn crl_sync_watch_follows_a_revocation_and_outlives_a_server_outage() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let cert = app.issue(&csr_p256("watched"), 30).await;
    let id = cert["id"].as_str().expect("id").to_owned();
    let serial = cert["serial_number"].as_str().expect("serial").to_owned();
    let proxy = Proxy::start(app.base.trim_start_matches("http://")).await;
    let home = Home::empty();
    let url = format!("http://{}", proxy.addr);
    let args = [
        "crl",
        "sync",
        "--out",
        "out",
        "--url",
        &url,
        "--watch",
        "--interval",
        "1",
        "--exec",
        "echo reload >> reloads.log",
    ];
    let mut watch = home.command(&args, &[]);
    watch
        .stdout(std::fs::File::create(home.path("watch.out")).expect("out"))
        .stderr(std::fs::File::create(home.path("watch.err")).expect("err"));
    let mut child = watch.spawn().expect("watch starts");
    let crls = home.path("out/crls.pem");
    let reloads = home.path("reloads.log");
    eventually("the first sync", || crls.exists() && lines(&reloads) == 1).await;

    flip(&app, Method::DELETE, &id).await;
    let out = home.path("out");
    for _ in 0..100 {
        if crl_serials(&out, "crls.pem").await == [serial.clone()] {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(crl_serials(&out, "crls.pem").await, [serial.as_str()]);
    eventually("the reload after the revocation", || lines(&reloads) == 2).await;

    // The server goes away: watch logs the failure, keeps the files, and keeps running.
    proxy.point_at(None);
    let before = std::fs::read(&crls).expect("crls");
    let err = home.path("watch.err");
    eventually("a logged failure", || {
        std::fs::read_to_string(&err).is_ok_and(|t| t.contains("crl sync failed"))
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(
        child.try_wait().expect("try_wait").is_none(),
        "watch exited"
    );
    assert_eq!(std::fs::read(&crls).expect("crls"), before);
    assert_eq!(lines(&reloads), 2);

    // Back on another port, after a reactivation: the next sync lifts the revocation.
    let app = app.restart().await;
    proxy.point_at(Some(app.base.trim_start_matches("http://")));
    flip(&app, Method::PATCH, &id).await;
    for _ in 0..100 {
        if crl_serials(&out, "crls.pem").await.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        crl_serials(&out, "crls.pem").await.is_empty(),
        "{}",
        std::fs::read_to_string(&err).unwrap_or_default()
    );
    eventually("the reload after the reactivation", || lines(&reloads) == 3).await;
    let _ = child.kill().await;
    app.stop().await;
}

#[tokio::test]
async fn crl_sync_reads_an_https_server_through_the_roots_it_is_given_and_the_plain_http_pki_listener(
) {
    let home = Home::new();
    let pki_port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let pki = format!("127.0.0.1:{pki_port}");
    let envs = [
        ("MTLS_CA_TLS_SELF_ISSUED", "127.0.0.1"),
        ("MTLS_CA_PKI_LISTEN", pki.as_str()),
    ];
    let bundle = home.ok(&["ca", "export", "--bundle"]).await;
    let server = home.serve_https(&envs, &bundle).await;
    let remote = Home::empty();
    std::fs::write(remote.path("ca.pem"), &bundle).expect("w");
    let line = remote
        .fails_with(&["crl", "sync", "--out", "a", "--url", &server.base], &[])
        .await;
    assert!(
        line.contains("/pki/index.json"),
        "no roots, no trust: {line}"
    );
    assert!(!remote.path("a/crls.pem").exists());
    let args = [
        "crl",
        "sync",
        "--out",
        "a",
        "--url",
        &server.base,
        "--cacert",
        "ca.pem",
    ];
    remote.ok(&args).await;
    let http = format!("http://{pki}");
    remote
        .ok(&["crl", "sync", "--out", "b", "--url", &http])
        .await;
    for name in ["crls.pem", "bundle.pem"] {
        assert_eq!(
            std::fs::read(remote.path("a").join(name)).expect("a"),
            std::fs::read(remote.path("b").join(name)).expect("b"),
            "{name}"
        );
    }
}
