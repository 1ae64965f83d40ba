//! Key custody from outside: CA keys made in a SoftHSM2 token (checked with OpenSC's pkcs11-tool)
//! or held by a separate `mtls-ca signer` process, a database that holds no private key, and
//! openssl verifying what each signs. The signer link itself is in `signer_link`.

use reqwest::StatusCode;
use serde_json::Value;

use crate::cli::openssl;
use crate::process::*;
use crate::signers::*;

/// How many CAs of the database have private key bytes in their row.
pub async fn private_keys_in(url: &str) -> i64 {
    let pool = sqlx::SqlitePool::connect(url)
        .await
        .expect("open the database");
    let n = sqlx::query_scalar(
        "SELECT COUNT(*) FROM certificate_authorities WHERE private_key IS NOT NULL",
    )
    .fetch_one(&pool)
    .await
    .expect("count");
    pool.close().await;
    n
}

/// Issues a certificate through `server` and checks it with openssl against the trust bundle.
pub async fn issue_and_verify(
    home: &Home,
    server: &Server,
    zone: &str,
    token: &str,
    cn: &str,
) -> Value {
    let (status, body) = server
        .issue(zone, &[("authorization", &format!("Bearer {token}"))], cn)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let bundle = server
        .client
        .get(format!("{}/pki/bundle.pem", server.base))
        .send()
        .await
        .expect("bundle")
        .text()
        .await
        .expect("text");
    std::fs::write(home.path("bundle.pem"), bundle).expect("w");
    let cert = body["result"]["certificate"].as_str().expect("certificate");
    std::fs::write(home.path(&format!("{cn}.pem")), cert).expect("w");
    let out = openssl(
        &[
            "verify",
            "-purpose",
            "sslclient",
            "-CAfile",
            "bundle.pem",
            &format!("{cn}.pem"),
        ],
        home.dir.path(),
    );
    assert!(out.status.success(), "openssl verify: {out:?}");
    body["result"].clone()
}

pub async fn zone_and_token(home: &Home) -> (String, String) {
    let zone = last_line(&home.ok(&["zone", "create", "custody.example"]).await).to_owned();
    let token = home
        .ok(&[
            "token",
            "create",
            "--name",
            "custody",
            "--permission",
            "write",
        ])
        .await;
    (zone, last_line(&token).to_owned())
}

#[tokio::test]
async fn keys_made_in_a_pkcs11_token_are_sensitive_never_extractable_and_not_in_the_database() {
    if !have_softhsm() {
        return;
    }
    let hsm = SoftHsm::new();
    let mut homes = Vec::new();
    for alg in ["ecdsa-p256", "ecdsa-p384", "rsa-2048", "ed25519"] {
        let mut envs = hsm.envs();
        envs.push(("MTLS_CA_KEY_ALGORITHM".into(), alg.into()));
        let home = Home::with_custody(envs);
        home.ok(&["init"]).await;
        assert_eq!(
            private_keys_in(&home.url).await,
            0,
            "{alg}: a private key in the database"
        );
        homes.push((alg, home));
    }
    // What only reads needs no key: a wrong PIN does not stop it, and stops what signs.
    let (_, home) = &homes[0];
    home.ok_with(&["zone", "list"], &[("MTLS_CA_PKCS11_PIN", "4321")])
        .await;
    let refusal = home
        .fails_with(&["ca", "rotate"], &[("MTLS_CA_PKCS11_PIN", "4321")])
        .await;
    assert!(refusal.contains("PIN"), "{refusal}");
    let objects = hsm.private_key_objects();
    let blocks: Vec<&str> = objects.split("Private Key Object").skip(1).collect();
    assert_eq!(blocks.len(), 4, "{objects}");
    for block in &blocks {
        for needle in [
            "sensitive",
            "always sensitive",
            "never extractable",
            "local",
        ] {
            assert!(
                block.contains(needle),
                "a key object lacks {needle:?}: {block}"
            );
        }
        assert!(
            !block.contains("unwrap") && !block.contains("decrypt"),
            "{block}"
        );
    }
    for (alg, home) in &homes {
        let server = home.serve().await;
        let (zone, token) = zone_and_token(home).await;
        let cert = issue_and_verify(home, &server, &zone, &token, "hsm-client").await;
        assert_eq!(cert["status"], "active", "{alg}");
        if *alg == "ecdsa-p256" {
            // Rotation and a requested intermediate make their keys in the token too; a key from
            // outside is refused with what to do instead.
            let rotated = last_line(&home.ok(&["ca", "rotate"]).await).to_owned();
            let csr = home.path("int.csr");
            home.ok(&[
                "ca",
                "request",
                "--subject",
                "/CN=HSM intermediate",
                "--csr-out",
                csr.to_str().expect("utf-8"),
            ])
            .await;
            assert_eq!(private_keys_in(&home.url).await, 0);
            assert_eq!(
                hsm.private_key_objects()
                    .matches("Private Key Object")
                    .count(),
                6
            );
            let out = openssl(
                &[
                    "req",
                    "-x509",
                    "-newkey",
                    "ec",
                    "-pkeyopt",
                    "ec_paramgen_curve:P-256",
                    "-nodes",
                    "-keyout",
                    "k.pem",
                    "-subj",
                    "/CN=Outside CA",
                    "-days",
                    "365",
                    "-out",
                    "outside.pem",
                    "-addext",
                    "basicConstraints=critical,CA:TRUE",
                    "-addext",
                    "keyUsage=critical,keyCertSign,cRLSign,digitalSignature",
                ],
                home.dir.path(),
            );
            assert!(out.status.success(), "{out:?}");
            let refusal = home
                .fails_with(
                    &["ca", "import", "--cert", "outside.pem", "--key", "k.pem"],
                    &[],
                )
                .await;
            assert!(refusal.contains("PKCS#11 token"), "{refusal}");
            drop(server);
            let server = home.serve().await;
            let cert = issue_and_verify(home, &server, &zone, &token, "after-rotation").await;
            assert_eq!(cert["certificate_authority"]["id"], rotated.as_str());
        }
    }
}

#[tokio::test]
async fn a_remote_signer_alone_holds_the_keys_and_logs_what_it_signs() {
    let signer = SignerProcess::start();
    let home = Home::with_custody(vec![("MTLS_CA_SIGNER".into(), signer.url())]);
    home.ok(&["init"]).await;
    let server = home.serve().await;
    let (zone, token) = zone_and_token(&home).await;
    let cert = issue_and_verify(&home, &server, &zone, &token, "remote-client").await;
    let ca_id = cert["certificate_authority"]["id"]
        .as_str()
        .expect("ca id")
        .to_owned();

    // The CA service's database names the key; the signer's holds it, and nowhere else has it.
    assert_eq!(private_keys_in(&home.url).await, 0);
    let keys = sqlx::SqlitePool::connect(&signer.db_url)
        .await
        .expect("signer db");
    let stored: Vec<(String, Vec<u8>)> = sqlx::query_as("SELECT id, private_key FROM signer_keys")
        .fetch_all(&keys)
        .await
        .expect("signer keys");
    keys.close().await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].0, ca_id);
    let pkcs8 = &stored[0].1;
    // The P-256 private scalar sits at bytes 36..68 of the PKCS#8 rcgen writes.
    let scalar = &pkcs8[36..68];
    for file in std::fs::read_dir(home.dir.path()).expect("home") {
        let path = file.expect("entry").path();
        let bytes = std::fs::read(&path).unwrap_or_default();
        assert!(
            !bytes.windows(scalar.len()).any(|w| w == scalar),
            "{} holds the CA's private key",
            path.display()
        );
    }
    // One audit line per signature, naming what was signed and never the key.
    let serial = cert["serial_number"]
        .as_str()
        .expect("serial")
        .to_lowercase();
    let log = signer.log();
    let line = log
        .lines()
        .find(|l| l.contains("kind=\"certificate\"") || l.contains("kind=certificate"))
        .unwrap_or_else(|| panic!("no audit line for the certificate: {log}"));
    assert!(
        line.contains(&serial) && line.contains("CN=remote-client") && line.contains(&ca_id),
        "{line}"
    );
    assert!(
        !log.contains(&hex::encode(scalar)),
        "the signer logged key material"
    );

    let rotated = last_line(&home.ok(&["ca", "rotate"]).await).to_owned();
    drop(server);
    let server = home.serve().await;
    let again = issue_and_verify(&home, &server, &zone, &token, "after-rotation").await;
    assert_eq!(again["certificate_authority"]["id"], rotated.as_str());
    assert_eq!(private_keys_in(&home.url).await, 0);
}

#[tokio::test]
async fn a_remote_signer_can_keep_its_keys_in_a_pkcs11_token() {
    if !have_softhsm() {
        return;
    }
    let hsm = SoftHsm::new();
    let signer = SignerProcess::start_with(hsm.envs());
    let home = Home::with_custody(vec![("MTLS_CA_SIGNER".into(), signer.url())]);
    home.ok(&["init"]).await;
    let server = home.serve().await;
    let (zone, token) = zone_and_token(&home).await;
    let cert = issue_and_verify(&home, &server, &zone, &token, "token-behind-signer").await;
    let ca_id = cert["certificate_authority"]["id"].as_str().expect("ca id");
    assert_eq!(private_keys_in(&home.url).await, 0);
    // The key is an object of the token, labelled with the CA id, and the signer stored none.
    let objects = hsm.private_key_objects();
    assert!(
        objects.contains(ca_id) && objects.contains("never extractable"),
        "{objects}"
    );
    assert!(!signer.root.join("signer-keys.db").exists());
}

/// SoftHSM 2.6's file store fails a key generation that runs while another thread of the process
/// reads the token (softhsm/SoftHSMv2#573: CKR_GENERAL_ERROR from C_GenerateKeyPair, seen once
/// in CI); a signer asked for many keys at once, each then signing its CA certificate, must make
/// every one.
#[tokio::test]
async fn a_pkcs11_signer_asked_for_many_keys_at_once_makes_every_one() {
    if !have_softhsm() {
        return;
    }
    let hsm = SoftHsm::new();
    let signer = SignerProcess::start_with(hsm.envs());
    let mut inits = tokio::task::JoinSet::new();
    for _ in 0..24 {
        let home = Home::with_custody(vec![("MTLS_CA_SIGNER".into(), signer.url())]);
        inits.spawn(async move {
            home.ok(&["init"]).await;
            home
        });
    }
    let homes = inits.join_all().await;
    assert_eq!(homes.len(), 24);
    let objects = hsm.private_key_objects();
    assert_eq!(
        objects.matches("Private Key Object").count(),
        24,
        "{objects}"
    );
}
