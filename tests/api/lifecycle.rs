//! The revocation state machine, the worker (directly and through the scheduler), concurrency and restarts.

use std::collections::HashSet;
use std::time::Duration;

use reqwest::{Method, StatusCode};

use crate::helpers::*;

fn status_of(body: &serde_json::Value) -> &str {
    body["result"]["status"].as_str().unwrap_or("<none>")
}

#[tokio::test]
async fn delete_and_patch_walk_the_state_machine_and_repeats_change_nothing() {
    for engine in engines() {
        let app = TestApp::spawn(engine).await;
        let cert = app.issue(&csr_p256("walker"), 10).await;
        let id = cert["id"].as_str().expect("id").to_owned();

        // PATCH on an active certificate: 200, unchanged.
        let (s, b) = app.on_cert(Method::PATCH, &id).await;
        assert_eq!((s, status_of(&b)), (StatusCode::OK, "active"));

        let (s, b) = app.on_cert(Method::DELETE, &id).await;
        assert_eq!((s, status_of(&b)), (StatusCode::OK, "pending_revocation"));
        let (s, b) = app.on_cert(Method::DELETE, &id).await;
        assert_eq!((s, status_of(&b)), (StatusCode::OK, "pending_revocation"));

        let outcome = app.run_worker().await;
        assert_eq!((outcome.revoked, outcome.reactivated), (1, 0));
        let (_, b) = app.on_cert(Method::GET, &id).await;
        assert_eq!(status_of(&b), "revoked");
        // The worker is idempotent.
        assert_eq!(app.run_worker().await, mtls_ca::worker::Outcome::default());

        // DELETE on revoked: unchanged.
        let (s, b) = app.on_cert(Method::DELETE, &id).await;
        assert_eq!((s, status_of(&b)), (StatusCode::OK, "revoked"));

        let (s, b) = app.on_cert(Method::PATCH, &id).await;
        assert_eq!((s, status_of(&b)), (StatusCode::OK, "pending_reactivation"));
        let (s, b) = app.on_cert(Method::PATCH, &id).await;
        assert_eq!((s, status_of(&b)), (StatusCode::OK, "pending_reactivation"));
        let outcome = app.run_worker().await;
        assert_eq!((outcome.revoked, outcome.reactivated), (0, 1));
        let (_, b) = app.on_cert(Method::GET, &id).await;
        assert_eq!(status_of(&b), "active");

        // PATCH on pending_revocation goes straight to pending_reactivation.
        app.on_cert(Method::DELETE, &id).await;
        let (s, b) = app.on_cert(Method::PATCH, &id).await;
        assert_eq!((s, status_of(&b)), (StatusCode::OK, "pending_reactivation"));
        app.run_worker().await;
        let (_, b) = app.on_cert(Method::GET, &id).await;
        assert_eq!(status_of(&b), "active");

        // {"reactivate": false} is a no-op, even on a revoked certificate.
        app.on_cert(Method::DELETE, &id).await;
        app.run_worker().await;
        let res = app
            .req(Method::PATCH, &format!("{}/{id}", app.certs_path()))
            .json(&serde_json::json!({ "reactivate": false }))
            .send()
            .await
            .expect("patch");
        let (s, b) = json_of(res).await;
        assert_eq!((s, status_of(&b)), (StatusCode::OK, "revoked"));
        // Everything else about the certificate stayed as issued.
        let (_, b) = app.on_cert(Method::GET, &id).await;
        for field in [
            "certificate",
            "serial_number",
            "issued_on",
            "expires_on",
            "fingerprint_sha256",
        ] {
            assert_eq!(b["result"][field], cert[field], "{field} changed");
        }
        app.stop().await;
    }
}

#[tokio::test]
async fn a_status_set_by_hand_in_sql_is_carried_on_by_the_worker() {
    for engine in engines() {
        let app = TestApp::spawn(engine).await;
        let id = app.issue(&csr_p256("by-hand"), 10).await["id"]
            .as_str()
            .expect("id")
            .to_owned();
        let sql = "UPDATE client_certificates SET status = 'pending_revocation' WHERE id = $1";
        match &app.services.db {
            mtls_ca::db::Db::Sqlite(pool) => {
                sqlx::query(sql).bind(&id).execute(pool).await.map(|_| ())
            }
            mtls_ca::db::Db::Postgres(pool) => {
                sqlx::query(sql).bind(&id).execute(pool).await.map(|_| ())
            }
        }
        .expect("hand-made update");
        assert_eq!(app.run_worker().await.revoked, 1);
        let (_, b) = app.on_cert(Method::GET, &id).await;
        assert_eq!(status_of(&b), "revoked");
        app.stop().await;
    }
}

#[tokio::test]
async fn the_running_scheduler_revokes_and_reactivates_on_its_own() {
    for engine in engines() {
        let db = TestDb::new(engine).await;
        let mut s = settings(&db.url);
        s.worker_interval = 1;
        let app = TestApp::start_on(db, s, engine).await;
        let id = app.issue(&csr_p256("scheduled"), 10).await["id"]
            .as_str()
            .expect("id")
            .to_owned();
        for (method, want) in [(Method::DELETE, "revoked"), (Method::PATCH, "active")] {
            app.on_cert(method, &id).await;
            let mut seen = String::new();
            for _ in 0..100 {
                let (_, b) = app.on_cert(Method::GET, &id).await;
                seen = status_of(&b).to_owned();
                if seen == want {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            assert_eq!(seen, want, "the scheduler did not reach {want} within 10 s");
        }
        let metrics = fetch_metrics(&app.client, &app.base).await;
        assert!(metrics.contains("mtls_ca_worker_runs_total"), "{metrics}");
        assert!(
            metrics.contains("mtls_ca_worker_transitions_total{to=\"revoked\"} 1"),
            "{metrics}"
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn a_hundred_concurrent_creates_get_distinct_ids_and_serials() {
    for engine in engines() {
        let app = std::sync::Arc::new(TestApp::spawn(engine).await);
        let csr = csr_p256("burst");
        let mut tasks = Vec::new();
        for _ in 0..100 {
            let (app, csr) = (app.clone(), csr.clone());
            tasks.push(tokio::spawn(async move { app.issue(&csr, 5).await }));
        }
        let mut ids = HashSet::new();
        let mut serials = HashSet::new();
        for t in tasks {
            let cert = t.await.expect("task");
            ids.insert(cert["id"].as_str().expect("id").to_owned());
            serials.insert(cert["serial_number"].as_str().expect("serial").to_owned());
        }
        assert_eq!((ids.len(), serials.len()), (100, 100));
        // Every acknowledged certificate is committed and listed.
        let (_, b) = app.list("per_page=50").await;
        assert_eq!(b["result_info"]["total_count"], 100);
        if let Ok(app) = std::sync::Arc::try_unwrap(app) {
            app.stop().await;
        }
    }
}

#[tokio::test]
async fn after_a_restart_on_the_same_database_every_answer_is_identical() {
    for engine in engines() {
        let app = TestApp::spawn(engine).await;
        let mut ids = Vec::new();
        for i in 0..3 {
            ids.push(
                app.issue(&csr_p256(&format!("keep-{i}")), 20).await["id"]
                    .as_str()
                    .expect("id")
                    .to_owned(),
            );
        }
        app.on_cert(Method::DELETE, &ids[1]).await;
        let mut before = Vec::new();
        for id in &ids {
            before.push(app.on_cert(Method::GET, id).await.1);
        }
        let list_before = app.list("per_page=5").await.1;
        let ca_before = app.ca_id();

        let app = app.restart().await;
        assert_eq!(app.ca_id(), ca_before, "the CA is kept across restarts");
        for (id, want) in ids.iter().zip(&before) {
            assert_eq!(&app.on_cert(Method::GET, id).await.1, want);
        }
        assert_eq!(app.list("per_page=5").await.1, list_before);
        app.stop().await;
    }
}

#[tokio::test]
async fn a_graceful_shutdown_lets_an_in_flight_issuance_finish_and_commit() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    for engine in engines() {
        let db = TestDb::new(engine).await;
        let app = TestApp::start(settings(&db.url), engine).await;
        let zone = app.zone.clone();
        let addr = app.base.trim_start_matches("http://").to_owned();
        let body =
            serde_json::json!({"csr": csr_p256("in-flight"), "validity_days": 3}).to_string();
        let (first, rest) = body.split_at(body.len() / 2);
        let mut conn = tokio::net::TcpStream::connect(&addr)
            .await
            .expect("connect");
        let head = format!(
            "POST /client/v4{} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{first}",
            app.certs_path(),
            app.token,
            body.len()
        );
        conn.write_all(head.as_bytes()).await.expect("write");
        tokio::time::sleep(Duration::from_millis(200)).await;

        // Shut down while the request is half sent; the server must wait for it.
        let stopping = tokio::spawn(app.stop());
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(
            !stopping.is_finished(),
            "the server stopped under an in-flight request"
        );
        conn.write_all(rest.as_bytes())
            .await
            .expect("finish the body");
        let mut answer = String::new();
        tokio::time::timeout(Duration::from_secs(15), conn.read_to_string(&mut answer))
            .await
            .expect("answered in time")
            .expect("read");
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        tokio::time::timeout(Duration::from_secs(15), stopping)
            .await
            .expect("stopped once the request was answered")
            .expect("stop task");
        // The acknowledged certificate was committed: it is there after a restart on the database.
        let (_, json) = answer.split_once("\r\n\r\n").expect("a body");
        let json: serde_json::Value = serde_json::from_str(json).expect("JSON");
        let id = json["result"]["id"].as_str().expect("an id").to_owned();
        let again = TestApp::start(settings(&db.url), engine).await;
        let res = again
            .req(
                Method::GET,
                &format!("/zones/{zone}/client_certificates/{id}"),
            )
            .send()
            .await
            .expect("get");
        assert_eq!(res.status(), StatusCode::OK);
        again.stop().await;
        db.remove().await;
    }
}
