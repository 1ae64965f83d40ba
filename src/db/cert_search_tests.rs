//! The console's search: prefix ranges, and the plans of every page shape.
use super::*;
use crate::db::test_db;

/// Every page shape of the console, as the console asks for it.
fn shapes() -> Vec<(&'static str, Search)> {
    let base = Search {
        limit: 51,
        ..Search::default()
    };
    let zone = Some(vec!["z".repeat(32)]);
    vec![
        ("first page", base.clone()),
        (
            "deep page",
            Search {
                after: Some(Cursor::Newest(500_000)),
                ..base.clone()
            },
        ),
        (
            "zone",
            Search {
                zones: zone.clone(),
                ..base.clone()
            },
        ),
        (
            "status",
            Search {
                status: Some(CertStatus::Revoked),
                ..base.clone()
            },
        ),
        (
            "zone and status",
            Search {
                zones: zone,
                status: Some(CertStatus::Revoked),
                ..base.clone()
            },
        ),
        (
            "name prefix",
            Search {
                name_prefix: Some("svc-12".into()),
                ..base.clone()
            },
        ),
        (
            "name prefix, deep",
            Search {
                name_prefix: Some("svc-12".into()),
                after: Some(Cursor::Name("svc-125".into(), 9)),
                ..base.clone()
            },
        ),
        (
            "exact",
            Search {
                exact: Some("ab".repeat(20)),
                ..base.clone()
            },
        ),
        (
            "expiring",
            Search {
                expiring: Some((0, 86_400)),
                ..base.clone()
            },
        ),
        (
            "expiring, deep",
            Search {
                expiring: Some((0, 86_400)),
                after: Some(Cursor::Expiry(3_600, 7)),
                ..base
            },
        ),
    ]
}

#[tokio::test]
async fn every_console_search_is_served_by_an_index_without_a_sort() {
    let dbs = test_db::databases("search").await;
    for (db, _) in &dbs {
        if let Db::Sqlite(pool) = db {
            sqlx::query("ANALYZE").execute(pool).await.unwrap();
        }
        for (name, shape) in shapes() {
            let plan = explain(db, &shape).await.unwrap().join(" | ");
            search(db, &shape).await.unwrap();
            if let Db::Sqlite(_) = db {
                // An exact term finds at most three rows by their unique indexes, then sorts them.
                assert!(
                    !plan.contains("TEMP B-TREE") || name == "exact",
                    "{name} sorts: {plan}"
                );
                let scans_all =
                    plan.contains("SCAN client_certificates") && !plan.contains("INDEX");
                // Only the unfiltered newest-first pages walk the table, in rowid order, and stop at the limit.
                assert!(
                    !scans_all || matches!(name, "first page" | "deep page"),
                    "{name} scans the table: {plan}"
                );
            }
        }
    }
    test_db::drop_all(dbs).await;
}

#[test]
fn a_prefix_range_ends_just_after_its_last_character() {
    assert_eq!(after_prefix("svc-1").as_deref(), Some("svc-2"));
    assert_eq!(after_prefix("").as_deref(), None);
    assert_eq!(after_prefix("a\u{10FFFF}").as_deref(), Some("b"));
}
