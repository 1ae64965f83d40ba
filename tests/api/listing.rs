//! Lists paged through the block counts the triggers keep: on every engine, across block
//! boundaries, with two zones' certificates interleaved, statuses changed and rows deleted by hand
//! in SQL, before and after the worker folds the counts, each page (first, middle, last, past the
//! end) is exactly what counting and skipping rows in SQL gives.

use mtls_ca::db::certificates::{insert_batch, CertRow};
use mtls_ca::db::Db;
use mtls_ca::model::CertStatus;
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::*;

async fn sql(db: &Db, statement: &str) {
    match db {
        Db::Sqlite(pool) => sqlx::query(statement).execute(pool).await.map(|_| ()),
        Db::Postgres(pool) => sqlx::query(statement).execute(pool).await.map(|_| ()),
    }
    .unwrap_or_else(|e| panic!("{statement}: {e}"));
}

async fn ids(db: &Db, statement: &str) -> Vec<String> {
    match db {
        Db::Sqlite(pool) => sqlx::query_scalar(statement).fetch_all(pool).await,
        Db::Postgres(pool) => sqlx::query_scalar(statement).fetch_all(pool).await,
    }
    .unwrap_or_else(|e| panic!("{statement}: {e}"))
}

fn row(zone: &str, ca_id: &str, n: usize) -> CertRow {
    let status = match n % 7 {
        0 => CertStatus::Revoked,
        1 => CertStatus::PendingRevocation,
        _ => CertStatus::Active,
    };
    CertRow {
        id: mtls_ca::model::random_hex_id(),
        zone_id: zone.to_owned(),
        ca_id: ca_id.to_owned(),
        serial_number: mtls_ca::model::random_hex_id(),
        common_name: format!("listed-{n}"),
        signature: "ECDSAWithSHA256".into(),
        status,
        validity_days: 30,
        issued_on: 1_700_000_000,
        expires_on: 1_702_592_000,
        status_changed_at: 1_700_000_000,
        ..CertRow::default()
    }
}

/// Every page the API gives for `filter` against the same page counted and skipped in SQL.
async fn pages_match(app: &TestApp, filter: Option<&str>, per_page: usize, when: &str) {
    let status_sql = filter.map_or(String::new(), |s| format!(" AND status = '{s}'"));
    let all = ids(
        &app.services.db,
        &format!(
            "SELECT id FROM client_certificates WHERE zone_id = '{}'{status_sql} ORDER BY seq",
            app.zone
        ),
    )
    .await;
    let pages = all.len().div_ceil(per_page);
    for page in [1, 2, pages / 2, pages.saturating_sub(1), pages, pages + 1] {
        let page = page.max(1);
        let status_q = filter.map_or(String::new(), |s| format!("&status={s}"));
        let (status, body): (StatusCode, Value) = app
            .list(&format!("page={page}&per_page={per_page}{status_q}"))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let got: Vec<&str> = body["result"]
            .as_array()
            .expect("result")
            .iter()
            .map(|c| c["id"].as_str().expect("id"))
            .collect();
        let want: Vec<&str> = all
            .iter()
            .skip((page - 1) * per_page)
            .take(per_page)
            .map(String::as_str)
            .collect();
        assert!(
            got == want,
            "{when}: {filter:?} page {page} of {pages}: {} ids, {} wanted, first {:?} vs {:?}",
            got.len(),
            want.len(),
            got.first(),
            want.first()
        );
        let info = &body["result_info"];
        assert_eq!(info["total_count"], all.len(), "{when}: {filter:?}");
        assert_eq!(info["total_pages"], pages, "{when}: {filter:?}");
    }
}

async fn all_pages_match(app: &TestApp, when: &str) {
    for filter in [
        None,
        Some("active"),
        Some("revoked"),
        Some("pending_revocation"),
    ] {
        pages_match(app, filter, 50, when).await;
    }
    pages_match(app, None, 7, when).await;
}

#[tokio::test]
async fn every_page_of_ten_thousand_is_what_counting_and_skipping_gives() {
    for engine in engines() {
        let app = TestApp::spawn(engine).await;
        let other = app.new_zone().await;
        let ca_id =
            ids(&app.services.db, "SELECT id FROM certificate_authorities").await[0].clone();
        // 10,000 here and 2,500 in another zone, interleaved: three blocks of 4,096 sequence
        // numbers hold both zones.
        for chunk in 0..10 {
            let mut rows: Vec<CertRow> = (0..1000)
                .map(|i| row(&app.zone, &ca_id, chunk * 1000 + i))
                .collect();
            rows.extend((0..250).map(|i| row(&other, &ca_id, i)));
            insert_batch(&app.services.db, &rows, &[])
                .await
                .expect("insert");
        }
        all_pages_match(&app, "as inserted").await;

        // Statuses changed and rows deleted by hand; the worker folds the deltas; more changes.
        let zone = &app.zone;
        sql(
            &app.services.db,
            &format!(
                "UPDATE client_certificates SET status = 'revoked' WHERE zone_id = '{zone}' \
                 AND common_name LIKE 'listed-1%'"
            ),
        )
        .await;
        sql(
            &app.services.db,
            &format!(
                "DELETE FROM client_certificates WHERE zone_id = '{zone}' AND common_name LIKE 'listed-2%'"
            ),
        )
        .await;
        all_pages_match(&app, "after SQL by hand").await;
        app.services.fold_certificate_counts().await.expect("fold");
        let rows: Vec<String> = ids(
            &app.services.db,
            "SELECT zone_id FROM client_certificate_counts",
        )
        .await;
        assert!(
            rows.len() <= 2 * 3 * 4,
            "folded to one row per zone, status and block: {}",
            rows.len()
        );
        all_pages_match(&app, "after folding").await;
        sql(
            &app.services.db,
            &format!(
                "UPDATE client_certificates SET status = 'active' WHERE zone_id = '{zone}' \
                 AND common_name LIKE 'listed-3%'"
            ),
        )
        .await;
        all_pages_match(&app, "after folding and more changes").await;
        app.stop().await;
    }
}
