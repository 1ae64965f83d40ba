//! Issuance, reading and listing.

use reqwest::StatusCode;

use crate::helpers::*;

#[tokio::test]
async fn a_csr_is_issued_as_an_active_certificate_with_the_contract_fields() {
    for engine in engines() {
        let app = TestApp::spawn(engine).await;
        let csr = csr_p256("svc-a");
        let cert = app.issue(&csr, 30).await;
        assert_eq!(cert["status"], "active");
        assert_eq!(cert["csr"], csr.as_str());
        assert_eq!(cert["common_name"], "svc-a");
        assert_eq!(cert["country"], "US");
        assert_eq!(cert["state"], "California");
        assert_eq!(cert["location"], "San Francisco");
        assert_eq!(cert["organization"], "Example Inc");
        assert_eq!(cert["organizational_unit"], "Platform");
        assert_eq!(cert["validity_days"], 30);
        assert_eq!(cert["signature"], "ECDSAWithSHA256");
        assert_eq!(cert["certificate_authority"]["id"], app.ca_id().as_str());
        let (status, got) = app
            .on_cert(reqwest::Method::GET, cert["id"].as_str().unwrap_or(""))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(got["result"], cert);
        app.stop().await;
    }
}

fn ids_of(body: &serde_json::Value) -> Vec<String> {
    body["result"]
        .as_array()
        .expect("array")
        .iter()
        .map(|c| c["id"].as_str().expect("id").to_owned())
        .collect()
}

#[tokio::test]
async fn lists_page_oldest_first_with_clamping_filters_and_offset_limit_cuts() {
    for engine in engines() {
        let app = TestApp::spawn(engine).await;
        let mut ids = Vec::new();
        for i in 0..12 {
            ids.push(
                app.issue(&csr_p256(&format!("c{i}")), 5).await["id"]
                    .as_str()
                    .expect("id")
                    .to_owned(),
            );
        }
        // Default page: everything, oldest first.
        let (s, b) = app.list("").await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(ids_of(&b), ids);
        assert_eq!(
            b["result_info"],
            serde_json::json!({"page": 1, "per_page": 20, "count": 12, "total_count": 12, "total_pages": 1})
        );
        // per_page below 5 is clamped to 5; floats are accepted.
        let (_, b) = app.list("per_page=1&page=2.0").await;
        assert_eq!(ids_of(&b), ids[5..10]);
        assert_eq!(b["result_info"]["per_page"], 5);
        assert_eq!(b["result_info"]["total_pages"], 3);
        // above 50 is clamped to 50.
        let (_, b) = app.list("per_page=1000").await;
        assert_eq!(b["result_info"]["per_page"], 50);
        // A page past the end is an empty 200.
        let (s, b) = app.list("per_page=5&page=4").await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(b["result"], serde_json::json!([]));
        assert_eq!(b["result_info"]["count"], 0);
        // offset/limit cut first, then pages walk the cut.
        let (_, b) = app.list("offset=2&limit=7&per_page=5&page=2").await;
        assert_eq!(ids_of(&b), ids[7..9]);
        assert_eq!(b["result_info"]["total_count"], 7);
        // Status filter.
        app.on_cert(reqwest::Method::DELETE, &ids[3]).await;
        let (_, b) = app.list("status=pending_revocation").await;
        assert_eq!(ids_of(&b), vec![ids[3].clone()]);
        let (_, b) = app.list("status=active").await;
        assert_eq!(b["result_info"]["total_count"], 11);
        let (_, b) = app.list("status=all").await;
        assert_eq!(b["result_info"]["total_count"], 12);
        // New certificates do not shift earlier pages.
        let (_, first) = app.list("per_page=5").await;
        app.issue(&csr_p256("late"), 5).await;
        let (_, again) = app.list("per_page=5").await;
        assert_eq!(ids_of(&first), ids_of(&again));
        // Another zone sees none of them.
        let other = app.new_zone().await;
        let res = app
            .req(
                reqwest::Method::GET,
                &format!("/zones/{other}/client_certificates"),
            )
            .send()
            .await
            .expect("list");
        let (_, b) = json_of(res).await;
        assert_eq!(b["result_info"]["total_count"], 0);
        app.stop().await;
    }
}

#[tokio::test]
async fn expires_before_keeps_the_certificates_whose_not_after_is_earlier() {
    for engine in engines() {
        let app = TestApp::spawn(engine).await;
        let short = app.issue(&csr_p256("short"), 1).await;
        let middle = app.issue(&csr_p256("middle"), 10).await;
        app.issue(&csr_p256("long"), 100).await;
        let before =
            |days: i64| mtls_ca::service::view::rfc3339(mtls_ca::clock::now() + days * 86_400);
        let ids = |body: &serde_json::Value| -> Vec<String> {
            body["result"]
                .as_array()
                .expect("array")
                .iter()
                .map(|c| c["id"].as_str().unwrap_or("").to_owned())
                .collect()
        };
        let (status, body) = app.list(&format!("expires_before={}", before(5))).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(ids(&body), [short["id"].as_str().unwrap_or("")]);
        assert_eq!(body["result_info"]["total_count"], 1);
        let (_, body) = app
            .list(&format!("expires_before={}&per_page=5", before(50)))
            .await;
        assert_eq!(
            ids(&body),
            [
                short["id"].as_str().unwrap_or(""),
                middle["id"].as_str().unwrap_or("")
            ]
        );
        // With a status filter too: the short one revoked, it alone is pending.
        app.on_cert(reqwest::Method::DELETE, short["id"].as_str().unwrap_or(""))
            .await;
        let (_, body) = app
            .list(&format!("status=active&expires_before={}", before(50)))
            .await;
        assert_eq!(ids(&body), [middle["id"].as_str().unwrap_or("")]);
        let (status, body) = app.list("expires_before=next-week").await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(body["errors"][0]["code"], 1430);
        assert_eq!(body["errors"][0]["source"]["pointer"], "/expires_before");
        app.stop().await;
    }
}

#[tokio::test]
async fn metrics_count_the_active_certificates_expiring_within_7_and_30_days() {
    for engine in engines() {
        let app = TestApp::spawn(engine).await;
        for (cn, days) in [("a", 3), ("b", 6), ("c", 20), ("d", 60)] {
            app.issue(&csr_p256(cn), days).await;
        }
        let revoked = app.issue(&csr_p256("revoked-soon"), 2).await;
        app.on_cert(
            reqwest::Method::DELETE,
            revoked["id"].as_str().unwrap_or(""),
        )
        .await;
        app.run_worker().await;
        let metrics = fetch_metrics(&app.client, &app.base).await;
        let sample = |days: &str| {
            metrics
                .lines()
                .find_map(|l| {
                    l.strip_prefix(&format!(
                        "mtls_ca_certificates_expiring{{within_days=\"{days}\"}} "
                    ))
                })
                .unwrap_or_else(|| panic!("no {days}-day sample in {metrics}"))
                .to_owned()
        };
        assert_eq!(sample("7"), "2", "{engine:?}: a and b; not the revoked one");
        assert_eq!(sample("30"), "3", "{engine:?}: a, b and c");
    }
}
