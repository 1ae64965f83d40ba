//! The kept figures against a full count after every kind of write, plain SQL included, and after
//! the fold; on SQLite, and on Postgres when `TEST_DATABASE_URL` is set.
use super::*;
use crate::db::audit::AuditRow;
use crate::db::certificates::{self as certs, CertRow};
use crate::db::test_db::{self, ACCOUNT};
use crate::db::zones::{insert_zone, ZoneRow};
use crate::model::CertStatus;

const B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
const C: &str = "cccccccccccccccccccccccccccccccc";

async fn setup(db: &Db) {
    test_db::insert_ca(db).await;
    for (id, name) in [(B, "b.example"), (C, "c.example")] {
        let z = ZoneRow {
            id: id.into(),
            account_id: ACCOUNT.into(),
            name: name.into(),
            created_at: 0,
            modified_at: 0,
        };
        insert_zone(db, &z, &AuditRow::for_test(ACCOUNT))
            .await
            .unwrap();
    }
}

fn cert(i: i64) -> CertRow {
    let status = CertStatus::ALL[usize::try_from(i % 4).unwrap()];
    let issued_on = 100 * DAY + i * 7 * 3_600;
    CertRow {
        id: format!("{i:032x}"),
        zone_id: if i % 3 == 0 { C } else { B }.into(),
        ca_id: "ca".into(),
        serial_number: format!("{i:040x}"),
        status,
        validity_days: 1 + i % 9,
        issued_on,
        expires_on: issued_on + (1 + i % 9) * DAY,
        revocation_requested_at: (status != CertStatus::Active).then_some(issued_on + DAY),
        ..CertRow::default()
    }
}

fn nonzero<K: Ord>(mut rows: Vec<(K, i64)>) -> Vec<(K, i64)> {
    rows.retain(|r| r.1 != 0);
    rows.sort();
    rows
}

async fn check(db: &Db, when: &str) {
    let zone_sets: [Option<Vec<String>>; 4] = [
        None,
        Some(vec![B.into()]),
        Some(vec![C.into(), B.into()]),
        Some(vec![]),
    ];
    for zones in &zone_sets {
        let z = zones.as_deref();
        assert_eq!(
            nonzero(counts_by_status(db, z).await.unwrap()),
            nonzero(counted::counts_by_status(db, z).await.unwrap()),
            "{when}: by status over {zones:?}"
        );
        for kind in [DayKind::Issued, DayKind::Expiry] {
            assert_eq!(
                nonzero(per_day(db, kind, 90, 130, z).await.unwrap()),
                nonzero(counted::per_day(db, kind, 90, 130, z).await.unwrap()),
                "{when}: {kind:?} over {zones:?}"
            );
        }
    }
}

async fn deltas(db: &Db) -> i64 {
    db_run!(db, |pool| sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM client_certificate_day_deltas"
    )
    .fetch_one(pool)
    .await
    .unwrap())
}

async fn run(db: &Db, sql: &str) {
    db_run!(db, |pool| {
        sqlx::query(sql).execute(pool).await.unwrap();
    });
}

#[tokio::test]
async fn kept_figures_equal_a_count_after_every_write_and_the_fold() {
    let dbs = test_db::databases("console_stats").await;
    for (db, _) in &dbs {
        setup(db).await;
        check(db, "empty").await;
        let rows: Vec<CertRow> = (0..40).map(cert).collect();
        certs::insert_batch(db, &rows, &[]).await.unwrap();
        check(db, "inserted").await;
        assert!(!per_day(db, DayKind::Expiry, 90, 130, None)
            .await
            .unwrap()
            .is_empty());
        let deltas_before = deltas(db).await;

        for r in rows
            .iter()
            .filter(|r| r.status == CertStatus::Active)
            .take(5)
        {
            certs::request_revocation(
                db,
                &r.zone_id,
                &r.id,
                110 * DAY,
                &AuditRow::for_test(ACCOUNT),
            )
            .await
            .unwrap();
        }
        check(db, "revocations requested").await;
        for r in rows
            .iter()
            .filter(|r| r.status == CertStatus::Revoked)
            .take(5)
        {
            certs::request_reactivation(
                db,
                &r.zone_id,
                &r.id,
                111 * DAY,
                &AuditRow::for_test(ACCOUNT),
            )
            .await
            .unwrap();
        }
        check(db, "reactivations requested").await;
        assert_eq!(
            deltas(db).await,
            deltas_before,
            "no status change writes a day delta"
        );
        assert!(fold(db).await.unwrap() > 0);
        check(db, "folded half way, more to come").await;
        run(db, "UPDATE client_certificates SET status = 'active' WHERE status = 'pending_reactivation'").await;
        run(
            db,
            "UPDATE client_certificates SET status = 'revoked' WHERE status = 'pending_revocation'",
        )
        .await;
        check(db, "moved by hand as the worker would").await;
        // A second request on the same day and on another; a request forgotten.
        let r = &rows[1];
        for at in [r.issued_on + DAY + 60, 120 * DAY] {
            certs::request_reactivation(db, &r.zone_id, &r.id, at, &AuditRow::for_test(ACCOUNT))
                .await
                .unwrap();
            let moved =
                certs::request_revocation(db, &r.zone_id, &r.id, at, &AuditRow::for_test(ACCOUNT))
                    .await
                    .unwrap();
            assert!(moved.is_some());
            check(db, "revoked and reactivated again").await;
        }
        run(
            db,
            &format!(
                "UPDATE client_certificates SET revocation_requested_at = NULL WHERE id = '{}'",
                rows[2].id
            ),
        )
        .await;
        check(db, "a request forgotten").await;
        // Changes no API makes, by plain SQL: zone, instants, deletion.
        run(
            db,
            &format!("UPDATE client_certificates SET zone_id = '{C}' WHERE seq % 5 = 0"),
        )
        .await;
        check(db, "zones moved").await;
        run(db, "UPDATE client_certificates SET expires_on = expires_on + 2 * 86400, issued_on = issued_on - 86400 WHERE seq % 2 = 0").await;
        check(db, "instants moved").await;
        run(
            db,
            "UPDATE client_certificates SET expires_on = expires_on + 60 WHERE seq % 7 = 0",
        )
        .await;
        check(db, "instants moved within their day").await;
        run(db, "DELETE FROM client_certificates WHERE seq % 6 = 1").await;
        check(db, "deleted").await;

        assert!(fold(db).await.unwrap() > 0);
        check(db, "folded").await;
        assert_eq!(
            fold(db).await.unwrap(),
            0,
            "a second fold has nothing to do"
        );
        let rows = |sql: &'static str| async move {
            db_run!(db, |pool| sqlx::query_scalar::<_, i64>(sql)
                .fetch_one(pool)
                .await
                .unwrap())
        };
        assert_eq!(
            rows("SELECT COUNT(*) FROM client_certificate_day_deltas").await,
            0,
            "the fold leaves no delta"
        );
        assert_eq!(
            rows("SELECT COUNT(*) FROM client_certificate_days WHERE n = 0").await,
            0,
            "nor a day count of zero"
        );
        check(db, "after a second fold").await;
        for sql in recount_statements() {
            run(db, &sql).await;
        }
        check(db, "recounted as a restore does").await;
    }
    test_db::drop_all(dbs).await;
}
