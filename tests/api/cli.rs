//! The `mtls-ca` binary as an operator runs it (CONTRACT section 1): admin commands, `serve` as a child
//! process on the same SQLite file, failures on stderr, signals, and the CA key passphrase.

use std::path::Path;
use std::process::Output;

use reqwest::StatusCode;
use serde_json::json;

use crate::errors::NO_SUCH_ID;
use crate::helpers::*;
use crate::process::*;

fn is_hex32(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

pub fn openssl(args: &[&str], cwd: &Path) -> Output {
    std::process::Command::new("openssl")
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("run openssl")
}

#[tokio::test]
async fn credentials_printed_by_the_admin_commands_work_against_a_running_server() {
    let home = Home::new();
    let zone_a = last_line(&home.ok(&["zone", "create", "a.example"]).await).to_owned();
    let zone_b = last_line(&home.ok(&["zone", "create", "b.example"]).await).to_owned();
    assert!(is_hex32(&zone_a) && is_hex32(&zone_b), "{zone_a} {zone_b}");
    let listed = home.ok(&["zone", "list"]).await;
    assert_eq!(listed.lines().count(), 2, "{listed}");
    assert!(
        listed.contains(&zone_a) && listed.contains(&zone_b),
        "{listed}"
    );
    assert!(listed.contains("a.example") && listed.contains("b.example"));

    let token_out = home
        .ok(&["token", "create", "--name", "all", "--permission", "write"])
        .await;
    let token = last_line(&token_out).to_owned();
    assert!(token.starts_with("mtlsca_"), "{token_out}");
    let scoped_args = [
        "token",
        "create",
        "--name",
        "a-only",
        "--permission",
        "write",
        "--zone",
        &zone_a,
    ];
    let scoped = last_line(&home.ok(&scoped_args).await).to_owned();
    let key = last_line(
        &home
            .ok(&["user", "create", "--email", "ops@example.com"])
            .await,
    )
    .to_owned();
    assert!(!key.is_empty() && !key.contains(' '), "{key}");
    home.ok(&["migrate"]).await;

    let server = home.serve().await;
    let (status, body) = server
        .issue(&zone_a, &[("Authorization", &bearer(&token))], "all")
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let leaf = body["result"]["certificate"]
        .as_str()
        .expect("PEM")
        .to_owned();
    let (status, body) = server
        .issue(&zone_a, &[("Authorization", &bearer(&scoped))], "mine")
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = server
        .issue(&zone_b, &[("Authorization", &bearer(&scoped))], "theirs")
        .await;
    assert_eq!(
        (status, &body["errors"][0]["code"]),
        (StatusCode::FORBIDDEN, &json!(10000)),
        "{body}"
    );
    let by_key = [
        ("X-Auth-Email", "ops@example.com"),
        ("X-Auth-Key", key.as_str()),
    ];
    let (status, body) = server.issue(&zone_b, &by_key, "by-key").await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Admin commands next to the running server, while it is busy writing.
    let auth = bearer(&token);
    let writes = async {
        for i in 0..20 {
            let (status, body) = server
                .issue(&zone_a, &[("Authorization", &auth)], &format!("busy-{i}"))
                .await;
            assert_eq!(status, StatusCode::OK, "{body}");
        }
    };
    let admin = async {
        let zone_c = last_line(&home.ok(&["zone", "create", "c.example"]).await).to_owned();
        let late = home
            .ok(&[
                "token",
                "create",
                "--name",
                "late",
                "--permission",
                "read",
                "--zone",
                &zone_c,
            ])
            .await;
        home.ok(&["user", "create", "--email", "late@example.com"])
            .await;
        home.ok(&["migrate"]).await;
        (zone_c, last_line(&late).to_owned())
    };
    let ((), (zone_c, late)) = tokio::join!(writes, admin);
    assert!(home.ok(&["zone", "list"]).await.contains(&zone_c));
    // The server sees the token another process just created.
    let res = server
        .client
        .get(format!(
            "{}/zones/{zone_c}/client_certificates",
            server.base
        ))
        .bearer_auth(&late)
        .send()
        .await
        .expect("request");
    let (status, body) = json_of(res).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["result"], json!([]));

    // `ca export` prints the CA that signed the certificates the server issues.
    let ca_pem = home.ok(&["ca", "export"]).await;
    assert!(
        ca_pem.starts_with("-----BEGIN CERTIFICATE-----"),
        "{ca_pem}"
    );
    std::fs::write(home.path("exported.pem"), &ca_pem).expect("write CA");
    std::fs::write(home.path("leaf.pem"), &leaf).expect("write leaf");
    let subject = openssl(
        &["x509", "-noout", "-subject", "-in", "exported.pem"],
        home.dir.path(),
    );
    assert!(
        subject.status.success(),
        "{}",
        String::from_utf8_lossy(&subject.stderr)
    );
    assert!(String::from_utf8_lossy(&subject.stdout).starts_with("subject="));
    let verify = openssl(
        &["verify", "-CAfile", "exported.pem", "leaf.pem"],
        home.dir.path(),
    );
    assert!(
        verify.status.success(),
        "{}{}",
        String::from_utf8_lossy(&verify.stdout),
        String::from_utf8_lossy(&verify.stderr)
    );
    assert!(
        !server.log().contains("database is locked"),
        "{}",
        server.log()
    );
}

#[tokio::test]
async fn serve_exits_zero_promptly_on_sigterm() {
    let home = Home::new();
    let mut server = home.serve().await;
    let status = server.terminate().await;
    assert!(status.success(), "{status}: {}", server.log());
    let refused = reqwest::get(format!("{}/healthz", server.base)).await;
    assert!(refused.is_err(), "the port is released");
}

/// Arguments, extra environment, and a word the error line must mention.
type BadInput<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], &'a str);

#[tokio::test]
async fn bad_input_exits_non_zero_with_one_error_line_on_stderr() {
    let home = Home::new();
    home.ok(&["zone", "create", "dup.example"]).await;
    home.ok(&["user", "create", "--email", "ops@example.com"])
        .await;
    let cases: [BadInput; 11] = [
        (&["zone", "create", "dup.example"], &[], "dup.example"),
        (&["zone", "create", ""], &[], ""),
        (
            &[
                "token",
                "create",
                "--name",
                "x",
                "--permission",
                "write",
                "--zone",
                "nothex",
            ],
            &[],
            "nothex",
        ),
        (
            &[
                "token",
                "create",
                "--name",
                "x",
                "--permission",
                "write",
                "--zone",
                NO_SUCH_ID,
            ],
            &[],
            "zone",
        ),
        (
            &["token", "create", "--name", " ", "--permission", "write"],
            &[],
            "name",
        ),
        (
            &["user", "create", "--email", "not-an-email"],
            &[],
            "not-an-email",
        ),
        (
            &["user", "create", "--email", "ops@example.com"],
            &[],
            "ops@example.com",
        ),
        (
            &["zone", "list"],
            &[("MTLS_CA_DATABASE_URL", "mysql://x")],
            "mysql://x",
        ),
        (
            &["migrate"],
            &[("MTLS_CA_DATABASE_URL", "mysql://x")],
            "mysql://x",
        ),
        (
            &["zone", "list"],
            &[("MTLS_CA_KEY_ALGORITHM", "dsa")],
            "dsa",
        ),
        (
            &["zone", "list"],
            &[("MTLS_CA_CONFIG", "missing.toml")],
            "missing.toml",
        ),
    ];
    for (args, envs, mentions) in cases {
        let line = home.fails_with(args, envs).await;
        assert!(line.contains(mentions), "{args:?}: {line}");
    }
    // Argument errors are clap's: only the exit status is ours to check.
    for args in [
        &["token", "create", "--name", "x", "--permission", "admin"][..],
        &["token", "create", "--permission", "read"],
        &["frobnicate"],
    ] {
        let out = home.run_with(args, &[]).await;
        assert!(!out.status.success(), "{args:?}");
    }
    // Nothing half-made: still one zone.
    assert_eq!(home.ok(&["zone", "list"]).await.lines().count(), 1);
}

#[tokio::test]
async fn help_lists_the_commands() {
    let home = Home::new();
    let help = home.ok(&["--help"]).await;
    for command in ["serve", "migrate", "init", "zone", "token", "user", "ca"] {
        assert!(
            help.lines().any(|l| l.trim_start().starts_with(command)),
            "{command} missing from:\n{help}"
        );
    }
    let token_help = home.ok(&["token", "create", "--help"]).await;
    for flag in ["--name", "--permission", "--zone"] {
        assert!(token_help.contains(flag), "{token_help}");
    }
}

#[tokio::test]
async fn only_init_serve_and_migrate_create_a_database_and_others_name_the_path_they_looked_at() {
    let home = Home::empty();
    let env = [("MTLS_CA_DATABASE_URL", "sqlite://data/nested/ca.db")];
    let expected = std::path::absolute(home.path("data/nested/ca.db")).expect("absolute");
    for args in [
        &["zone", "create", "rel.example"][..],
        &["zone", "list"],
        &["token", "create", "--name", "t", "--permission", "read"],
        &["user", "create", "--email", "a@example.com"],
        &["ca", "export"],
        &["ca", "list"],
        &["ca", "rotate"],
    ] {
        let err = home.fails_with(args, &env).await;
        assert!(
            err.contains(&expected.display().to_string()),
            "{args:?}: {err}"
        );
        assert!(err.contains("mtls-ca init"), "{err}");
        assert!(!home.path("data").exists(), "{args:?} created something");
    }
    let init = home.ok_with(&["init"], &env).await;
    assert!(init.contains(&expected.display().to_string()), "{init}");
    assert!(init.contains("issuing CA: "), "{init}");
    assert!(home.path("data/nested/ca.db").is_file());
    let zone = home.ok_with(&["zone", "create", "rel.example"], &env).await;
    assert!(is_hex32(last_line(&zone)), "{zone}");
    // Run from another folder, the same relative URL names another (missing) file: refused.
    let elsewhere = Home::empty();
    let err = elsewhere.fails_with(&["zone", "list"], &env).await;
    assert!(err.contains("no database at"), "{err}");
    // A second init changes nothing: the same CA.
    let again = home.ok_with(&["init"], &env).await;
    assert_eq!(again, init);
    // serve logs where its data is and which CA issues.
    let server = home.serve_with(&env).await;
    let log = server.log();
    assert!(log.contains(&expected.display().to_string()), "{log}");
    assert!(log.contains("issuing_ca="), "{log}");
}

#[tokio::test]
async fn a_ca_key_sealed_with_a_passphrase_needs_it_and_is_not_stored_in_the_clear() {
    let home = Home::empty();
    let right = [("MTLS_CA_KEY_PASSPHRASE", "right")];
    home.ok_with(&["init"], &right).await;
    let first = home.ok_with(&["ca", "export"], &right).await;
    assert!(first.contains("BEGIN CERTIFICATE"), "{first}");

    // What signs needs the passphrase; what only reads does not.
    let wrong = home
        .fails_with(&["ca", "rotate"], &[("MTLS_CA_KEY_PASSPHRASE", "wrong")])
        .await;
    assert!(wrong.to_lowercase().contains("passphrase"), "{wrong}");
    let missing = home.fails_with(&["ca", "rotate"], &[]).await;
    assert!(missing.to_lowercase().contains("passphrase"), "{missing}");
    assert_eq!(home.ok_with(&["ca", "export"], &[]).await, first);
    assert!(home.ok(&["ca", "list"]).await.contains("issuing"));
    last_line(&home.ok(&["zone", "create", "no-pass.example"]).await);
    // `serve` logs as it starts, then fails with the same reason.
    let serve = home
        .run_with(&["serve"], &[("MTLS_CA_LISTEN", "127.0.0.1:0")])
        .await;
    let stderr = String::from_utf8_lossy(&serve.stderr);
    let last = stderr.lines().last().unwrap_or("");
    assert!(!serve.status.success(), "{stderr}");
    assert!(
        last.starts_with("error: ") && last.contains("passphrase"),
        "{stderr}"
    );
    assert_eq!(home.ok_with(&["ca", "export"], &right).await, first);

    // At rest the key is an EncryptedPrivateKeyInfo that openssl opens with the passphrase only.
    let pool = sqlx::SqlitePool::connect(&home.url)
        .await
        .expect("open the database");
    let (der, encrypted): (Vec<u8>, bool) =
        sqlx::query_as("SELECT private_key, key_encrypted FROM certificate_authorities")
            .fetch_one(&pool)
            .await
            .expect("the CA row");
    pool.close().await;
    assert!(encrypted);
    assert!(pkcs8::EncryptedPrivateKeyInfo::try_from(der.as_slice()).is_ok());
    std::fs::write(home.path("key.der"), &der).expect("write key");
    std::fs::write(home.path("ca.pem"), &first).expect("write CA");
    let dir = home.dir.path();
    let plain = openssl(
        &["pkcs8", "-inform", "DER", "-nocrypt", "-in", "key.der"],
        dir,
    );
    assert!(
        !plain.status.success(),
        "the stored key is a plaintext PKCS#8"
    );
    let bad = openssl(
        &[
            "pkcs8",
            "-inform",
            "DER",
            "-in",
            "key.der",
            "-passin",
            "pass:wrong",
        ],
        dir,
    );
    assert!(!bad.status.success());
    let opened = openssl(
        &[
            "pkcs8",
            "-inform",
            "DER",
            "-in",
            "key.der",
            "-passin",
            "pass:right",
            "-out",
            "key.pem",
        ],
        dir,
    );
    assert!(
        opened.status.success(),
        "{}",
        String::from_utf8_lossy(&opened.stderr)
    );
    // And it is the key of the exported CA certificate.
    let key_pub = openssl(&["pkey", "-in", "key.pem", "-pubout"], dir);
    let cert_pub = openssl(&["x509", "-in", "ca.pem", "-noout", "-pubkey"], dir);
    assert!(key_pub.status.success() && cert_pub.status.success());
    assert_eq!(key_pub.stdout, cert_pub.stdout);
}

#[tokio::test]
async fn a_ca_created_without_a_passphrase_is_encrypted_once_one_is_set() {
    let home = Home::new();
    let first = home.ok(&["ca", "export"]).await;
    let stored = |home: &Home| {
        let url = home.url.clone();
        async move {
            let pool = sqlx::SqlitePool::connect(&url).await.expect("open");
            let row: (Vec<u8>, bool) =
                sqlx::query_as("SELECT private_key, key_encrypted FROM certificate_authorities")
                    .fetch_one(&pool)
                    .await
                    .expect("the CA row");
            pool.close().await;
            row
        }
    };
    let (plain, encrypted) = stored(&home).await;
    assert!(!encrypted);
    assert!(pkcs8::EncryptedPrivateKeyInfo::try_from(plain.as_slice()).is_err());

    let right = [("MTLS_CA_KEY_PASSPHRASE", "late-but-set")];
    assert_eq!(home.ok_with(&["ca", "export"], &right).await, first);
    let (sealed, encrypted) = stored(&home).await;
    assert!(encrypted);
    assert!(pkcs8::EncryptedPrivateKeyInfo::try_from(sealed.as_slice()).is_ok());
    assert_ne!(sealed, plain);
    // From now on the passphrase is needed to sign, and it still opens the same CA.
    let missing = home.fails_with(&["ca", "rotate"], &[]).await;
    assert!(missing.contains("passphrase"), "{missing}");
    assert_eq!(home.ok_with(&["ca", "export"], &right).await, first);
}

#[tokio::test]
async fn config_show_and_typos_in_the_file_or_the_environment() {
    let home = Home::new();
    std::fs::write(home.path("custom.toml"), "worker_interval = 9\n").expect("write");
    let shown = home
        .ok_with(
            &["config", "show", "--config", "custom.toml"],
            &[
                ("MTLS_CA_LISTEN", "127.0.0.1:9999"),
                ("MTLS_CA_KEY_PASSPHRASE", "sekrit"),
            ],
        )
        .await;
    assert!(
        shown.contains("worker_interval = 9  (file custom.toml)"),
        "{shown}"
    );
    assert!(
        shown.contains("listen = 127.0.0.1:9999  (environment MTLS_CA_LISTEN)"),
        "{shown}"
    );
    assert!(
        shown.contains("crl_validity_days = 7  (default)"),
        "{shown}"
    );
    assert!(
        shown.contains("key_passphrase = [redacted]") && !shown.contains("sekrit"),
        "{shown}"
    );

    let typo = home
        .fails_with(&["serve"], &[("MTLS_CA_LISTN", "127.0.0.1:0")])
        .await;
    assert!(
        typo.contains("MTLS_CA_LISTN") && typo.contains("MTLS_CA_LISTEN"),
        "{typo}"
    );
    std::fs::write(home.path("typo.toml"), "listn = \"127.0.0.1:0\"\n").expect("write");
    let typo = home
        .fails_with(&["serve", "--config", "typo.toml"], &[])
        .await;
    assert!(
        typo.contains("\"listn\"") && typo.contains("\"listen\""),
        "{typo}"
    );
    let missing = home
        .fails_with(&["zone", "list", "--config", "nope.toml"], &[])
        .await;
    assert!(
        missing.contains("nope.toml") && missing.contains("--config"),
        "{missing}"
    );
}
