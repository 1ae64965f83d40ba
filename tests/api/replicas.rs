//! Several `mtls-ca serve` replicas on one Postgres database: identical reads, one worker at a time,
//! compare-and-set under races, and a replica killed with SIGKILL in the middle of a burst.

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::*;
use crate::process::*;

const REVOKED: &str = "mtls_ca_worker_transitions_total{to=\"revoked\"}";

async fn status(server: &Server, path: &str, token: &str) -> String {
    let (s, b) = server.call(Method::GET, path, token).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    b["result"]["status"].as_str().unwrap_or("").to_owned()
}

/// Waits (bounded) until every certificate reads `want` on `server`.
async fn wait_for(server: &Server, paths: &[String], token: &str, want: &str) {
    for _ in 0..300 {
        let mut all = true;
        for p in paths {
            all &= status(server, p, token).await == want;
        }
        if all {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("not every certificate reached {want} within 30 s");
}

async fn revoked_total(servers: &[&Server]) -> f64 {
    let mut total = 0.0;
    for s in servers {
        total += s.metric(REVOKED).await;
    }
    total
}

#[tokio::test]
async fn three_replicas_share_one_database_and_survive_a_sigkill_mid_burst() {
    if !engines().contains(&Engine::Postgres) {
        return;
    }
    let db = TestDb::new(Engine::Postgres).await;
    let home = Home::with_url(&db.url);
    let zone = last_line(&home.ok(&["zone", "create", "replicas.example"]).await).to_owned();
    let token = last_line(
        &home
            .ok(&["token", "create", "--name", "r", "--permission", "write"])
            .await,
    )
    .to_owned();
    let fast = [("MTLS_CA_WORKER_INTERVAL", "1")];
    let r = [
        home.serve_with(&fast).await,
        home.serve_with(&fast).await,
        home.serve_with(&fast).await,
    ];
    let certs = format!("/zones/{zone}/client_certificates");

    // Issue through every replica; every replica answers every read identically.
    let mut paths = Vec::new();
    for i in 0..9 {
        let (s, b) = r[i % 3]
            .issue(
                &zone,
                &[("authorization", &format!("Bearer {token}"))],
                &format!("r{i}"),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        paths.push(format!(
            "{certs}/{}",
            b["result"]["id"].as_str().expect("id")
        ));
    }
    for p in &paths {
        let first = r[0].call(Method::GET, p, &token).await;
        assert_eq!(r[1].call(Method::GET, p, &token).await, first);
        assert_eq!(r[2].call(Method::GET, p, &token).await, first);
    }
    assert_eq!(
        r[0].call(Method::GET, &certs, &token).await,
        r[2].call(Method::GET, &certs, &token).await
    );

    // Revoke through three replicas: the worker (on whichever holds the lease) revokes each once.
    for (i, p) in paths[..3].iter().enumerate() {
        let (s, b) = r[i].call(Method::DELETE, p, &token).await;
        assert_eq!(
            (s, b["result"]["status"].as_str()),
            (StatusCode::OK, Some("pending_revocation"))
        );
    }
    wait_for(&r[1], &paths[..3], &token, "revoked").await;
    assert_eq!(
        revoked_total(&[&r[0], &r[1], &r[2]]).await,
        3.0,
        "each revocation happened exactly once"
    );

    // A DELETE on one replica racing a PATCH on another: each answer is a legal state, nothing is lost.
    let racing = &paths[3..9];
    for p in racing {
        let ((ds, db_), (ps, pb)) = tokio::join!(
            r[0].call(Method::DELETE, p, &token),
            r[2].call(Method::PATCH, p, &token)
        );
        assert_eq!((ds, ps), (StatusCode::OK, StatusCode::OK));
        let d = db_["result"]["status"].as_str().unwrap_or("").to_owned();
        let p = pb["result"]["status"].as_str().unwrap_or("").to_owned();
        assert!(
            d == "pending_revocation" || d == "pending_reactivation",
            "DELETE answered {d}"
        );
        assert!(
            ["active", "pending_reactivation"].contains(&p.as_str()),
            "PATCH answered {p}"
        );
    }
    // Once the worker has run, every raced certificate settles in revoked or active, and the number of
    // revocations counted equals the number of certificates that ended revoked.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let mut ended_revoked = 0.0;
    for p in racing {
        match status(&r[1], p, &token).await.as_str() {
            "revoked" => ended_revoked += 1.0,
            "active" => {}
            other => panic!("a raced certificate stayed {other}"),
        }
    }
    assert_eq!(
        revoked_total(&[&r[0], &r[1], &r[2]]).await,
        3.0 + ended_revoked
    );

    // A burst of creates through all three; replica 0 is killed with SIGKILL in the middle.
    let [mut r0, r1, r2] = r;
    let auth = format!("Bearer {token}");
    let burst = |server: &Server, n: usize, tag: &'static str, progress: Arc<AtomicUsize>| {
        let (server_base, zone, auth) = (server.base.clone(), zone.clone(), auth.clone());
        async move {
            let client = reqwest::Client::new();
            let mut acked = Vec::new();
            for i in 0..n {
                let res = client
                    .post(format!(
                        "{server_base}/client/v4/zones/{zone}/client_certificates"
                    ))
                    .header("authorization", &auth)
                    .timeout(Duration::from_secs(30))
                    .json(&json!({"csr": csr_p256(&format!("{tag}{i}")), "validity_days": 3}))
                    .send()
                    .await;
                // A request the dying replica never answered was not acknowledged.
                let Ok(res) = res else { continue };
                if res.status() == StatusCode::OK {
                    if let Ok(body) = res.json::<serde_json::Value>().await {
                        acked.push(body["result"]["id"].as_str().unwrap_or("").to_owned());
                        progress.fetch_add(1, Ordering::SeqCst);
                    }
                }
            }
            acked
        }
    };
    let on_r0 = Arc::new(AtomicUsize::new(0));
    let b0 = tokio::spawn(burst(&r0, 1000, "k", on_r0.clone()));
    let b1 = tokio::spawn(burst(&r1, 30, "s", Arc::default()));
    let b2 = tokio::spawn(burst(&r2, 30, "t", Arc::default()));
    // Kill replica 0 once it has acknowledged a few, while its burst is far from done.
    for _ in 0..3000 {
        if on_r0.load(Ordering::SeqCst) >= 10 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    r0.child.start_kill().expect("SIGKILL");
    let _ = r0.child.wait().await;
    let mut acked = b0.await.expect("burst");
    assert!(
        (10..1000).contains(&acked.len()),
        "replica 0 was killed mid-burst, after {} creates",
        acked.len()
    );
    for b in [b1, b2] {
        acked.extend(b.await.expect("burst"));
    }
    let unique: HashSet<_> = acked.iter().collect();
    assert_eq!(unique.len(), acked.len());
    assert!(
        acked.len() >= 60,
        "the survivors kept issuing: {} acknowledged",
        acked.len()
    );
    for id in &acked {
        let p = format!("{certs}/{id}");
        let (s1, b1) = r1.call(Method::GET, &p, &token).await;
        assert_eq!(
            s1,
            StatusCode::OK,
            "acknowledged certificate {id} is missing: {b1}"
        );
        assert_eq!(r2.call(Method::GET, &p, &token).await, (s1, b1));
    }

    // The survivors' worker goes on (the dead replica's lease expires), each transition once.
    let before = revoked_total(&[&r1, &r2]).await;
    let late: Vec<String> = acked
        .iter()
        .take(2)
        .map(|id| format!("{certs}/{id}"))
        .collect();
    for p in &late {
        r2.call(Method::DELETE, p, &token).await;
    }
    wait_for(&r1, &late, &token, "revoked").await;
    assert_eq!(revoked_total(&[&r1, &r2]).await - before, 2.0);
    drop((r1, r2));
    db.remove().await;
}
