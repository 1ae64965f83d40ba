//! Native HTTPS from outside: curl and openssl s_client against the API (TLS 1.3, ALPN h2, HSTS), the
//! plain-HTTP PKI listener that serves relying parties and nothing that takes a credential, and a
//! server certificate replaced on disk under load with no failed request.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use reqwest::StatusCode;

use crate::cli::openssl;
use crate::custody::zone_and_token;
use crate::process::*;
use crate::signer_link::openssl_pki;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// What openssl s_client reports of a fresh handshake.
fn handshake(home: &Home, port: u16, extra: &[&str]) -> String {
    let connect = format!("127.0.0.1:{port}");
    let mut args = vec!["s_client", "-connect", &connect, "-CAfile", "tls-ca.pem"];
    args.extend_from_slice(extra);
    let out = std::process::Command::new("openssl")
        .args(&args)
        .current_dir(home.dir.path())
        .stdin(std::process::Stdio::null())
        .output()
        .expect("openssl s_client");
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Whether the server certificate of an s_client report has common name `cn`.
fn subject_is(report: &str, cn: &str) -> bool {
    report
        .lines()
        .any(|l| l == format!("subject=CN = {cn}") || l == format!("subject=CN={cn}"))
}

/// A home whose folder holds a TLS CA and two server certificates for 127.0.0.1 (`api`, `api2`),
/// with `tls.pem`/`tls.key` the first.
fn home_with_tls() -> Home {
    let home = Home::new();
    openssl_pki(
        home.dir.path(),
        "tls-ca",
        &[("api", "serverAuth"), ("api2", "serverAuth")],
    );
    std::fs::copy(home.path("api.pem"), home.path("tls.pem")).expect("cp");
    std::fs::copy(home.path("api.key"), home.path("tls.key")).expect("cp");
    home
}

#[tokio::test]
async fn the_api_speaks_tls_13_and_h2_and_the_pki_listener_takes_no_credential() {
    let home = home_with_tls();
    let (cert, key) = (home.path("tls.pem"), home.path("tls.key"));
    let pki_port = free_port();
    let pki = format!("127.0.0.1:{pki_port}");
    let ca_pem = std::fs::read_to_string(home.path("tls-ca.pem")).expect("ca");
    let server = home
        .serve_https(
            &[
                ("MTLS_CA_TLS_CERT", cert.to_str().expect("utf-8")),
                ("MTLS_CA_TLS_KEY", key.to_str().expect("utf-8")),
                ("MTLS_CA_PKI_LISTEN", &pki),
            ],
            &ca_pem,
        )
        .await;
    let port: u16 = server
        .base
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("port");
    let (zone, token) = zone_and_token(&home).await;

    // curl, trusting only the TLS CA, issues over HTTPS; the answer carries HSTS.
    let csr = crate::helpers::csr_p256("over-https");
    let body = serde_json::json!({"csr": csr, "validity_days": 7}).to_string();
    let out = std::process::Command::new("curl")
        .args(["-sS", "--http2", "-D", "-", "--cacert", "tls-ca.pem"])
        .args([
            "-H",
            &format!("Authorization: Bearer {token}"),
            "-H",
            "Content-Type: application/json",
        ])
        .args([
            "-d",
            &body,
            &format!("{}/client/v4/zones/{zone}/client_certificates", server.base),
        ])
        .current_dir(home.dir.path())
        .output()
        .expect("curl");
    let answer = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && answer.starts_with("HTTP/2 200"),
        "{answer}"
    );
    assert!(
        answer
            .to_lowercase()
            .contains("strict-transport-security: max-age="),
        "{answer}"
    );
    let json: serde_json::Value =
        serde_json::from_str(answer.rsplit("\r\n\r\n").next().expect("body")).expect("json");
    let issued = json["result"]["certificate"].as_str().expect("certificate");

    // The certificate points relying parties at the plain-HTTP listener.
    std::fs::write(home.path("leaf.pem"), issued).expect("w");
    let text = openssl(
        &["x509", "-in", "leaf.pem", "-noout", "-text"],
        home.dir.path(),
    );
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains(&format!("URI:http://{pki}/pki/")), "{text}");

    // openssl sees TLS 1.3, ALPN h2 and the chain to the TLS CA.
    let report = handshake(&home, port, &["-alpn", "h2", "-tls1_3"]);
    assert!(report.contains("New, TLSv1.3"), "{report}");
    assert!(report.contains("ALPN protocol: h2"), "{report}");
    assert!(report.contains("Verify return code: 0 (ok)"), "{report}");
    assert!(subject_is(&report, "api"), "{report}");

    // The PKI listener serves relying parties and refuses every API route, credential or not.
    let plain = reqwest::Client::new();
    let bundle = plain
        .get(format!("http://{pki}/pki/bundle.pem"))
        .send()
        .await
        .expect("bundle");
    assert_eq!(bundle.status(), StatusCode::OK);
    assert!(plain
        .get(format!("http://{pki}/readyz"))
        .send()
        .await
        .expect("ready")
        .status()
        .is_success());
    for path in [
        format!("/client/v4/zones/{zone}/client_certificates"),
        format!("/zones/{zone}/client_certificates"),
        "/metrics".to_owned(),
    ] {
        let res = plain
            .get(format!("http://{pki}{path}"))
            .bearer_auth(&token)
            .send()
            .await
            .expect("request");
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
    }
    // And the HTTPS port answers no plain-HTTP request.
    let cleartext = plain
        .get(format!("http://127.0.0.1:{port}/healthz"))
        .timeout(Duration::from_secs(5))
        .send()
        .await;
    assert!(!cleartext.is_ok_and(|r| r.status().is_success()));
}

#[tokio::test]
async fn a_certificate_replaced_on_disk_reaches_new_handshakes_and_no_request_fails() {
    let home = home_with_tls();
    let (cert, key) = (home.path("tls.pem"), home.path("tls.key"));
    let ca_pem = std::fs::read_to_string(home.path("tls-ca.pem")).expect("ca");
    let server = Arc::new(
        home.serve_https(
            &[
                ("MTLS_CA_TLS_CERT", cert.to_str().expect("utf-8")),
                ("MTLS_CA_TLS_KEY", key.to_str().expect("utf-8")),
            ],
            &ca_pem,
        )
        .await,
    );
    let port: u16 = server
        .base
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("port");
    let (zone, token) = zone_and_token(&home).await;
    let stop = Arc::new(AtomicBool::new(false));
    // Two kinds of load: kept-alive connections, and a new connection per request.
    let load: Vec<_> = [true, false]
        .into_iter()
        .map(|keep_alive| {
            let (server, zone, token, stop, ca) = (
                server.clone(),
                zone.clone(),
                token.clone(),
                stop.clone(),
                ca_pem.clone(),
            );
            tokio::spawn(async move {
                let mut builder = reqwest::Client::builder()
                    .tls_built_in_root_certs(false)
                    .add_root_certificate(
                        reqwest::Certificate::from_pem(ca.as_bytes()).expect("ca"),
                    );
                if !keep_alive {
                    builder = builder.pool_max_idle_per_host(0);
                }
                let client = builder.build().expect("client");
                let mut done = 0;
                while !stop.load(Ordering::Relaxed) {
                    let res = client
                        .get(format!(
                            "{}/client/v4/zones/{zone}/client_certificates",
                            server.base
                        ))
                        .bearer_auth(&token)
                        .send()
                        .await
                        .unwrap_or_else(|e| panic!("a request failed during the swap: {e}"));
                    assert_eq!(res.status(), StatusCode::OK);
                    done += 1;
                }
                done
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        handshake(&home, port, &[]).contains("CN=api\n")
            || handshake(&home, port, &[]).contains("CN = api\n")
    );
    // The key first, then the certificate: in between the pair does not match, and the old one
    // stays in use.
    std::fs::copy(home.path("api2.key"), &key).expect("cp key");
    tokio::time::sleep(Duration::from_millis(300)).await;
    std::fs::copy(home.path("api2.pem"), &cert).expect("cp cert");
    let mut seen = String::new();
    for _ in 0..50 {
        seen = handshake(&home, port, &[]);
        if subject_is(&seen, "api2") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        seen.contains("CN=api2") || seen.contains("CN = api2"),
        "the new certificate was not served: {seen}"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::Relaxed);
    for task in load {
        assert!(task.await.expect("load task") > 0);
    }
    assert!(
        server.log().contains("reloaded the API's TLS certificate"),
        "{}",
        server.log()
    );
}

#[tokio::test]
async fn a_self_issued_certificate_is_trusted_through_the_ca_bundle_and_kept_across_restarts() {
    let home = Home::new();
    let pki = format!("127.0.0.1:{}", free_port());
    let envs = [
        ("MTLS_CA_TLS_SELF_ISSUED", "127.0.0.1,localhost"),
        ("MTLS_CA_PKI_LISTEN", pki.as_str()),
        ("MTLS_CA_KEY_PASSPHRASE", "server key passphrase"),
    ];
    home.ok_with(&["ca", "list"], &envs[2..]).await; // seals the CA key under the passphrase
    let bundle = home
        .ok_with(&["ca", "export", "--bundle"], &envs[2..])
        .await;
    std::fs::write(home.path("tls-ca.pem"), &bundle).expect("w");
    let server = home.serve_https(&envs, &bundle).await;
    let port: u16 = server
        .base
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("port");
    // The relying parties' bundle, fetched over plain HTTP, is what makes the API trusted.
    let fetched = reqwest::get(format!("http://{pki}/pki/bundle.pem"))
        .await
        .expect("bundle")
        .text()
        .await
        .expect("text");
    assert_eq!(fetched, bundle);
    let (zone, token) = zone_and_token(&home).await;
    let out = std::process::Command::new("curl")
        .args([
            "-sS",
            "--fail",
            "--cacert",
            "tls-ca.pem",
            "-H",
            &format!("Authorization: Bearer {token}"),
        ])
        .arg(format!(
            "https://localhost:{port}/client/v4/zones/{zone}/client_certificates"
        ))
        .current_dir(home.dir.path())
        .output()
        .expect("curl");
    assert!(out.status.success(), "{out:?}");
    let report = handshake(&home, port, &[]);
    assert!(report.contains("Verify return code: 0 (ok)"), "{report}");
    assert!(subject_is(&report, "127.0.0.1"), "{report}");

    // Stored with its key sealed like the CA key, and served again after a restart.
    let pool = sqlx::SqlitePool::connect(&home.url).await.expect("db");
    let (serial, encrypted): (String, bool) =
        sqlx::query_as("SELECT serial_number, key_encrypted FROM server_certificates")
            .fetch_one(&pool)
            .await
            .expect("row");
    pool.close().await;
    assert!(encrypted);
    drop(server);
    let server = home.serve_https(&envs, &bundle).await;
    let port: u16 = server
        .base
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("port");
    let again = handshake(&home, port, &["-showcerts"]);
    let leaf = again
        .split("-----BEGIN CERTIFICATE-----")
        .nth(1)
        .map(|b| {
            format!(
                "-----BEGIN CERTIFICATE-----{}",
                &b[..b.find("-----END CERTIFICATE-----").expect("end") + 25]
            )
        })
        .expect("a certificate");
    std::fs::write(home.path("served.pem"), leaf).expect("w");
    let shown = openssl(
        &[
            "x509",
            "-in",
            "served.pem",
            "-noout",
            "-serial",
            "-ext",
            "subjectAltName,extendedKeyUsage",
        ],
        home.dir.path(),
    );
    let shown = String::from_utf8_lossy(&shown.stdout).to_lowercase();
    assert!(shown.contains(&format!("serial={serial}")), "{shown}");
    assert!(
        shown.contains("ip address:127.0.0.1") && shown.contains("dns:localhost"),
        "{shown}"
    );
    assert!(shown.contains("tls web server authentication"), "{shown}");
}
