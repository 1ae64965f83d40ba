//! `mtls-ca ca ...` as an operator runs it next to a running `serve` (CONTRACT section 6): list,
//! rotate, export (one CA or the bundle), request and install an intermediate.

use serde_json::Value;

use crate::cli::openssl;
use crate::process::*;

fn json_lines(out: &str) -> Vec<Value> {
    out.lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object a line"))
        .collect()
}

fn openssl_ok(args: &[&str], cwd: &std::path::Path) {
    let out = openssl(args, cwd);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn ca_commands_rotate_list_export_and_install_while_serve_runs() {
    let home = Home::new();
    let zone = last_line(&home.ok(&["zone", "create", "ca.example"]).await).to_owned();
    let token = last_line(
        &home
            .ok(&["token", "create", "--name", "t", "--permission", "write"])
            .await,
    )
    .to_owned();
    let server = home.serve_with(&[("MTLS_CA_WORKER_INTERVAL", "1")]).await;
    let auth = format!("Bearer {token}");
    let headers = [("Authorization", auth.as_str())];

    let listed = json_lines(&home.ok(&["ca", "list", "--json"]).await);
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["role"], "issuing");
    assert_eq!(listed[0]["key_algorithm"], "ecdsa-p256");
    let first = listed[0]["id"].as_str().expect("id").to_owned();
    assert!(listed[0]["not_after"]
        .as_str()
        .is_some_and(|t| t.ends_with('Z')));
    let first_pem = home.ok(&["ca", "export"]).await;

    let rotated = home
        .ok(&["ca", "rotate", "--key-algorithm", "ecdsa-p384"])
        .await;
    let second = last_line(&rotated).to_owned();
    assert_ne!(second, first);
    let listed = json_lines(&home.ok(&["ca", "list", "--json"]).await);
    let roles: Vec<_> = listed
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap_or(""),
                c["role"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        roles,
        [(first.as_str(), "retired"), (second.as_str(), "issuing")]
    );
    assert_eq!(listed[1]["key_algorithm"], "ecdsa-p384");
    let table = home.ok(&["ca", "list"]).await;
    assert!(
        table.contains("retired") && table.contains("issuing"),
        "{table}"
    );

    // The running server issues from the rotated CA within a worker interval or so.
    let mut issued_by = String::new();
    for _ in 0..50 {
        let (_, cert) = server.issue(&zone, &headers, "after-rotation").await;
        issued_by = cert["result"]["certificate_authority"]["id"]
            .as_str()
            .unwrap_or("")
            .to_owned();
        if issued_by == second {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert_eq!(
        issued_by, second,
        "serve picked up the rotation without a restart"
    );
    assert_eq!(home.ok(&["ca", "export", "--ca", &first]).await, first_pem);
    let bundle = home.ok(&["ca", "export", "--bundle"]).await;
    assert_eq!(bundle.matches("BEGIN CERTIFICATE").count(), 2, "{bundle}");
    assert!(bundle.contains(first_pem.trim_end()));

    // An intermediate under a root made by openssl.
    let d = home.dir.path();
    openssl_ok(
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "root.key",
            "-out",
            "root.pem",
            "-days",
            "3650",
            "-subj",
            "/CN=Offline Root",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ],
        d,
    );
    let requested = home
        .ok(&[
            "ca",
            "request",
            "--subject",
            "CN=Platform Issuing CA,O=Example",
            "--csr-out",
            "int.csr",
        ])
        .await;
    let pending = last_line(&requested).to_owned();
    let listed = json_lines(&home.ok(&["ca", "list", "--json"]).await);
    assert_eq!(
        listed.last().map(|c| c["role"].clone()),
        Some("pending".into())
    );
    assert!(listed.last().is_some_and(|c| c["not_after"].is_null()));
    std::fs::write(d.join("ext.cnf"), "basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,digitalSignature,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid:always\n").expect("ext");
    openssl_ok(
        &[
            "x509",
            "-req",
            "-in",
            "int.csr",
            "-CA",
            "root.pem",
            "-CAkey",
            "root.key",
            "-CAcreateserial",
            "-days",
            "1000",
            "-extfile",
            "ext.cnf",
            "-out",
            "int.pem",
        ],
        d,
    );
    let refused = home
        .fails_with(
            &["ca", "install", "--ca", &pending, "--cert", "int.pem"],
            &[],
        )
        .await;
    assert!(refused.contains("--chain"), "{refused}");
    home.ok(&[
        "ca", "install", "--ca", &pending, "--cert", "int.pem", "--chain", "root.pem",
    ])
    .await;
    let listed = json_lines(&home.ok(&["ca", "list", "--json"]).await);
    let issuing: Vec<_> = listed.iter().filter(|c| c["role"] == "issuing").collect();
    assert_eq!(issuing.len(), 1);
    assert_eq!(issuing[0]["id"], pending.as_str());
    assert_eq!(issuing[0]["name"], "Platform Issuing CA");
    assert_eq!(
        issuing[0]["key_algorithm"], "ecdsa-p384",
        "the issuing CA's algorithm by default"
    );
}
