//! `mtls-ca backup` and `mtls-ca restore` through the built binary: a consistent copy under a running
//! create load, restored with identical answers and the same CA; refusals that lose nothing; a sealed
//! CA key stays sealed; on Postgres, the documented `pg_dump`/`pg_restore` path.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::helpers::*;
use crate::process::{last_line, Home, Server};

/// A zone and a write token made by the CLI.
async fn zone_and_token(home: &Home) -> (String, String) {
    let zone = last_line(&home.ok(&["zone", "create", "backup.example"]).await).to_owned();
    let token = last_line(
        &home
            .ok(&["token", "create", "--name", "load", "--permission", "write"])
            .await,
    )
    .to_owned();
    (zone, token)
}

/// Every certificate of `zone`, oldest first, through the paged list.
async fn all_ids(server: &Server, zone: &str, token: &str) -> Vec<String> {
    let mut ids = Vec::new();
    for page in 1.. {
        let (status, body) = server
            .call(
                Method::GET,
                &format!("/zones/{zone}/client_certificates?per_page=50&page={page}"),
                token,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let result = body["result"].as_array().expect("result array");
        if result.is_empty() {
            return ids;
        }
        ids.extend(
            result
                .iter()
                .map(|c| c["id"].as_str().expect("id").to_owned()),
        );
    }
    ids
}

/// Issues certificates on two connections until `stop`; every acknowledged id lands in `acked`.
fn start_load(
    server: &Server,
    zone: &str,
    token: &str,
    acked: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
) -> Vec<tokio::task::JoinHandle<()>> {
    (0..2)
        .map(|worker| {
            let (client, base) = (server.client.clone(), server.base.clone());
            let (zone, token) = (zone.to_owned(), token.to_owned());
            let (acked, stop) = (acked.clone(), stop.clone());
            tokio::spawn(async move {
                let mut n = 0;
                while !stop.load(Ordering::SeqCst) {
                    n += 1;
                    let res = client
                        .post(format!("{base}/client/v4/zones/{zone}/client_certificates"))
                        .bearer_auth(&token)
                        .timeout(Duration::from_secs(30))
                        .json(&serde_json::json!({
                            "csr": csr_p256(&format!("load-{worker}-{n}")),
                            "validity_days": 30
                        }))
                        .send()
                        .await
                        .expect("create");
                    let (status, body) = json_of(res).await;
                    assert_eq!(status, StatusCode::OK, "{body}");
                    let id = body["result"]["id"].as_str().expect("id").to_owned();
                    acked.lock().expect("lock").push(id);
                }
            })
        })
        .collect()
}

async fn wait_for(acked: &Mutex<Vec<String>>, at_least: usize) {
    for _ in 0..600 {
        if acked.lock().expect("lock").len() >= at_least {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the load did not reach {at_least} certificates in 30 s");
}

#[tokio::test]
async fn a_backup_taken_under_a_create_load_restores_with_identical_answers_and_the_same_ca() {
    let home = Home::new();
    let (zone, token) = zone_and_token(&home).await;
    let server = home.serve().await;
    let acked = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let load = start_load(&server, &zone, &token, acked.clone(), stop.clone());
    wait_for(&acked, 30).await;

    let before: BTreeSet<String> = acked.lock().expect("lock").iter().cloned().collect();
    let file = home.path("under-load.db");
    let file_arg = file.display().to_string();
    let out = home.ok(&["backup", &file_arg]).await;
    assert!(out.contains("certificates"), "{out}");
    let at_backup = acked.lock().expect("lock").len();
    wait_for(&acked, at_backup + 10).await;
    stop.store(true, Ordering::SeqCst);
    for task in load {
        task.await.expect("load task");
    }

    let restored_home = Home::empty();
    let out = restored_home.ok(&["restore", &file_arg]).await;
    assert!(out.contains("restored"), "{out}");
    let restored = restored_home.serve().await;
    let ids = all_ids(&restored, &zone, &token).await;
    let in_backup: BTreeSet<String> = ids.iter().cloned().collect();
    assert!(
        before.is_subset(&in_backup),
        "every certificate acknowledged before the backup started is in it"
    );
    let original_ids = all_ids(&server, &zone, &token).await;
    assert_eq!(
        &original_ids[..ids.len()],
        &ids[..],
        "the backup holds a prefix of the original's certificates, in the same order"
    );
    assert!(
        ids.len() < original_ids.len(),
        "the load went on after the backup"
    );
    for id in &ids {
        let path = format!("/zones/{zone}/client_certificates/{id}");
        let (_, original) = server.call(Method::GET, &path, &token).await;
        let (status, copy) = restored.call(Method::GET, &path, &token).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(copy, original, "GET {path}");
    }

    let bundle = |s: &Server| {
        let (client, url) = (s.client.clone(), format!("{}/pki/bundle.pem", s.base));
        async move {
            let res = client.get(url).send().await.expect("bundle");
            res.text().await.expect("bundle text")
        }
    };
    assert_eq!(bundle(&restored).await, bundle(&server).await);
    let (status, fresh) = restored
        .issue(
            &zone,
            &[("Authorization", &format!("Bearer {token}"))],
            "after-restore",
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{fresh}");
    let (_, first) = server
        .call(
            Method::GET,
            &format!("/zones/{zone}/client_certificates/{}", ids[0]),
            &token,
        )
        .await;
    assert_eq!(
        fresh["result"]["certificate_authority"], first["result"]["certificate_authority"],
        "the restored service issues from the same CA"
    );
}

#[tokio::test]
async fn restore_refuses_content_without_force_and_backup_never_overwrites_or_invents_a_database() {
    let source = Home::new();
    let (zone, _) = zone_and_token(&source).await;
    let file = source.path("nightly.db");
    let file_arg = file.display().to_string();
    source.ok(&["backup", &file_arg]).await;
    let again = source.fails_with(&["backup", &file_arg], &[]).await;
    assert!(again.contains("already exists"), "{again}");

    let nowhere = Home::empty();
    let missing = nowhere.fails_with(&["backup", "copy.db"], &[]).await;
    assert!(
        missing.contains(&nowhere.path("ca.db").display().to_string()),
        "{missing}"
    );
    assert!(
        !nowhere.path("ca.db").exists(),
        "backup created no database"
    );

    let target = Home::new();
    let ca_before = target.ok(&["ca", "export"]).await;
    let refused = target.fails_with(&["restore", &file_arg], &[]).await;
    assert!(
        refused.contains("not empty") && refused.contains("--force"),
        "{refused}"
    );
    assert!(
        refused.contains(&target.path("ca.db").display().to_string()),
        "{refused}"
    );
    assert_eq!(
        target.ok(&["ca", "export"]).await,
        ca_before,
        "nothing changed"
    );

    let junk = target.path("junk.db");
    std::fs::write(&junk, b"not a database at all").expect("write junk");
    let refused = target
        .fails_with(&["restore", &junk.display().to_string(), "--force"], &[])
        .await;
    assert!(refused.contains("junk.db"), "{refused}");
    assert_eq!(
        target.ok(&["ca", "export"]).await,
        ca_before,
        "nothing changed"
    );

    target.ok(&["restore", &file_arg, "--force"]).await;
    assert_eq!(
        target.ok(&["ca", "export"]).await,
        source.ok(&["ca", "export"]).await
    );
    let zones = target.ok(&["zone", "list"]).await;
    assert!(zones.contains(&zone), "{zones}");
}

#[tokio::test]
async fn a_ca_key_sealed_with_a_passphrase_stays_sealed_in_the_backup() {
    use sqlx::Connection;
    let pass = [("MTLS_CA_KEY_PASSPHRASE", "correct horse battery")];
    let home = Home::empty();
    home.ok_with(&["init"], &pass).await;
    let file = home.path("sealed.db");
    // No passphrase needed to take a backup: nothing is decrypted.
    home.ok(&["backup", &file.display().to_string()]).await;

    let url = format!("sqlite://{}?mode=ro", file.display());
    let mut conn = sqlx::SqliteConnection::connect(&url)
        .await
        .expect("open backup");
    let keys: Vec<(bool, Option<Vec<u8>>)> =
        sqlx::query_as("SELECT key_encrypted, private_key FROM certificate_authorities")
            .fetch_all(&mut conn)
            .await
            .expect("keys");
    conn.close().await.expect("close");
    assert!(!keys.is_empty());
    for (encrypted, key) in keys {
        let Some(key) = key else {
            continue; // held by a PKCS#11 token or a signer process (TEST_SIGNER)
        };
        assert!(encrypted);
        let der = home.path("key.der");
        std::fs::write(&der, &key).expect("write key");
        let decrypt = |pass: &str| {
            let der = der.clone();
            let pass = format!("pass:{pass}");
            async move {
                tokio::process::Command::new("openssl")
                    .args(["pkcs8", "-inform", "DER", "-passin", &pass, "-in"])
                    .arg(&der)
                    .output()
                    .await
                    .expect("run openssl")
                    .status
                    .success()
            }
        };
        assert!(
            !decrypt("wrong").await,
            "the stored key needs the passphrase"
        );
        assert!(
            decrypt("correct horse battery").await,
            "openssl opens it with the passphrase"
        );
    }

    let restored = Home::empty();
    restored.ok(&["restore", &file.display().to_string()]).await;
    let out = restored
        .run_with(&["serve"], &[("MTLS_CA_LISTEN", "127.0.0.1:0")])
        .await;
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("MTLS_CA_KEY_PASSPHRASE"), "{stderr}");
}

#[tokio::test]
async fn on_postgres_backup_points_at_pg_dump_whose_output_pg_restore_brings_back() {
    if !engines().contains(&Engine::Postgres) {
        return;
    }
    let original = TestDb::new(Engine::Postgres).await;
    let home = Home::with_url(&original.url);
    home.ok(&["init"]).await;
    let (zone, token) = zone_and_token(&home).await;
    let server = home.serve().await;
    let auth = format!("Bearer {token}");
    for cn in ["pg-one", "pg-two"] {
        let (status, body) = server.issue(&zone, &[("Authorization", &auth)], cn).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }

    let refused = home.fails_with(&["backup", "x.db"], &[]).await;
    assert!(refused.contains("pg_dump"), "{refused}");
    let refused = home.fails_with(&["restore", "x.db"], &[]).await;
    assert!(refused.contains("pg_restore"), "{refused}");

    let dump = home.path("mtls-ca.dump");
    let ran = tokio::process::Command::new("pg_dump")
        .args(["--format=custom", "--file"])
        .arg(&dump)
        .arg(&original.url)
        .output()
        .await
        .expect("run pg_dump");
    assert!(
        ran.status.success(),
        "{}",
        String::from_utf8_lossy(&ran.stderr)
    );
    let copy = TestDb::new(Engine::Postgres).await;
    let ran = tokio::process::Command::new("pg_restore")
        .args(["--no-owner", "--dbname", &copy.url])
        .arg(&dump)
        .output()
        .await
        .expect("run pg_restore");
    assert!(
        ran.status.success(),
        "{}",
        String::from_utf8_lossy(&ran.stderr)
    );

    let copy_home = Home::with_url(&copy.url);
    let copy_server = copy_home.serve().await;
    let ids = all_ids(&server, &zone, &token).await;
    assert_eq!(all_ids(&copy_server, &zone, &token).await, ids);
    for id in &ids {
        let path = format!("/zones/{zone}/client_certificates/{id}");
        let (_, a): (_, Value) = server.call(Method::GET, &path, &token).await;
        let (_, b) = copy_server.call(Method::GET, &path, &token).await;
        assert_eq!(a, b, "GET {path}");
    }
    drop((server, copy_server));
    tokio::time::sleep(Duration::from_millis(300)).await;
    original.remove().await;
    copy.remove().await;
}
