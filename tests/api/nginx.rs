//! Real nginx (Debian's) verifying client certificates of an intermediate installed under an outside
//! root: the root as `ssl_client_certificate`, `ssl_verify_depth 2`, the client sending its leaf and
//! the intermediate (from `/pki/{ca_id}/chain.pem`). Skipped without nginx, except under CI.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::ca_outside::{install_intermediate, run};
use crate::ca_rotation::get_text;
use crate::helpers::*;

pub fn nginx_bin() -> Option<PathBuf> {
    let found = ["/usr/sbin/nginx", "/usr/local/sbin/nginx"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.is_file());
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "nginx is missing: apt-get install nginx-light"
        );
        crate::skips::skipped("the nginx tests", "apt-get install nginx-light");
    }
    found
}

/// `curl` of `https://127.0.0.1:port/` with a client certificate file and key: (HTTP status, body).
pub async fn curl(dir: &Path, port: u16, cert: &str) -> (String, String) {
    let out = tokio::process::Command::new("curl")
        .args([
            "-sk",
            "-o",
            "body.txt",
            "-w",
            "%{http_code}",
            "--cert",
            cert,
            "--key",
            "client.key",
        ])
        .arg(format!("https://127.0.0.1:{port}/"))
        .current_dir(dir)
        .output()
        .await
        .expect("curl runs");
    let body = std::fs::read_to_string(dir.join("body.txt")).unwrap_or_default();
    (String::from_utf8_lossy(&out.stdout).into_owned(), body)
}

#[tokio::test]
async fn nginx_trusting_the_outside_root_accepts_a_leaf_of_the_intermediate_sent_with_its_chain() {
    let Some(nginx) = nginx_bin() else {
        return;
    };
    let app = TestApp::spawn(Engine::Sqlite).await;
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path();
    let key = rcgen::KeyPair::generate().expect("key");
    std::fs::write(d.join("client.key"), key.serialize_pem()).expect("w");
    let first_ca_leaf = app
        .issue(&csr_for_key(&key, "before-the-intermediate"), 7)
        .await;

    let (int_id, _root) = install_intermediate(&app, d, "/O=Example/CN=Example Issuing CA").await;

    let leaf = app.issue(&csr_for_key(&key, "nginx-client"), 7).await;
    let leaf_pem = leaf["certificate"].as_str().expect("pem").to_owned();
    let (_, chain) = get_text(&app, &format!("/pki/{int_id}/chain.pem")).await;
    let intermediate = chain
        .split_inclusive("-----END CERTIFICATE-----\n")
        .next()
        .expect("int");
    std::fs::write(d.join("leaf-only.pem"), &leaf_pem).expect("w");
    std::fs::write(
        d.join("leaf-chain.pem"),
        format!("{leaf_pem}{intermediate}"),
    )
    .expect("w");
    // The same key under the first (self-signed, untrusted here) CA is refused.
    std::fs::write(
        d.join("other-ca.pem"),
        first_ca_leaf["certificate"].as_str().expect("pem"),
    )
    .expect("w");

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
        d,
    )
    .await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    std::fs::create_dir_all(d.join("tmp")).expect("tmp");
    std::fs::write(
        d.join("nginx.conf"),
        format!(
            r#"daemon off;
master_process off;
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
        ssl_client_certificate root.pem;
        ssl_verify_client on;
        ssl_verify_depth 2;
        location / {{ return 200 "$ssl_client_verify $ssl_client_s_dn\n"; }}
    }}
}}
"#
        ),
    )
    .expect("conf");
    let mut server = tokio::process::Command::new(nginx)
        .arg("-p")
        .arg(d)
        .args(["-c", "nginx.conf", "-e", "stderr"])
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(d.join("nginx.log")).expect("log"))
        .kill_on_drop(true)
        .spawn()
        .expect("nginx starts");
    let mut up = false;
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let log = || std::fs::read_to_string(d.join("nginx.log")).unwrap_or_default();
    assert!(up, "nginx did not listen: {}", log());

    let (status, body) = curl(d, port, "leaf-chain.pem").await;
    assert_eq!(status, "200", "{body} {}", log());
    assert!(
        body.starts_with("SUCCESS") && body.contains("CN=nginx-client"),
        "{body}"
    );
    let (status, _) = curl(d, port, "leaf-only.pem").await;
    assert_eq!(
        status, "400",
        "without the intermediate nginx cannot reach the root"
    );
    let (status, _) = curl(d, port, "other-ca.pem").await;
    assert_eq!(status, "400", "a certificate of another CA is refused");
    let _ = server.kill().await;
    app.stop().await;
}
