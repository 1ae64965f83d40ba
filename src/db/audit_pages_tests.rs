//! Keyset pages of the audit log: every filter walks the log in order both ways, and each shape is
//! served by an index without a sort.
use super::*;
use crate::db::audit::insert_audit;
use crate::db::test_db::{self, ACCOUNT};

/// `n` entries, `at` rising with a repeat every third one (equal instants are ordered by seq).
async fn write_log(db: &Db, n: i64) {
    for i in 0..n {
        let mut row = AuditRow::for_test(ACCOUNT);
        row.at = 1_000 + i - i64::from(i % 3 == 2);
        row.action_type = if i % 2 == 0 { "issue" } else { "revoke" }.into();
        row.actor_email = if i % 5 == 0 { "Ops@Example.com" } else { "" }.into();
        row.actor_id = format!("actor-{}", i % 4);
        db_run!(db, |pool| {
            let mut tx = pool.begin().await.unwrap();
            let r: DbResult<()> = async {
                insert_audit!(&mut *tx, &row);
                Ok(())
            }
            .await;
            r.unwrap();
            tx.commit().await.unwrap();
        });
    }
}

fn filters() -> Vec<(&'static str, AuditFilter)> {
    let all = AuditFilter::default();
    vec![
        ("everything", all.clone()),
        (
            "time range",
            AuditFilter {
                since: Some(1_005),
                before: Some(1_030),
                ..all.clone()
            },
        ),
        (
            "action",
            AuditFilter {
                action_type: Some("revoke".into()),
                ..all.clone()
            },
        ),
        (
            "action and time",
            AuditFilter {
                action_type: Some("issue".into()),
                since: Some(1_010),
                ..all.clone()
            },
        ),
        (
            "email",
            AuditFilter {
                actor_email: Some("ops@example.COM".into()),
                ..all.clone()
            },
        ),
        (
            "actor",
            AuditFilter {
                actor_id: Some("actor-1".into()),
                ..all
            },
        ),
    ]
}

fn matches(f: &AuditFilter, r: &AuditRow) -> bool {
    f.since.is_none_or(|t| r.at >= t)
        && f.before.is_none_or(|t| r.at < t)
        && f.action_type.as_ref().is_none_or(|a| &r.action_type == a)
        && f.actor_email
            .as_ref()
            .is_none_or(|e| r.actor_email.eq_ignore_ascii_case(e))
        && f.actor_id.as_ref().is_none_or(|a| &r.actor_id == a)
}

#[tokio::test]
async fn pages_walk_the_filtered_log_newest_first_and_back() {
    let dbs = test_db::databases("audit_pages").await;
    for (db, _) in &dbs {
        write_log(db, 60).await;
        assert_eq!(about(db).await.unwrap(), 60);
        let everything = page(db, ACCOUNT, &AuditFilter::default(), None, 1_000)
            .await
            .unwrap();
        for (name, f) in filters() {
            let mut want: Vec<(i64, i64)> = everything
                .iter()
                .filter(|e| matches(&f, &e.row))
                .map(|e| (e.row.at, e.seq))
                .collect();
            want.sort_by(|a, b| b.cmp(a));
            assert!(want.len() > 3, "{name}: too few rows to page");
            let mut got = Vec::new();
            let mut from = None;
            loop {
                let rows = page(db, ACCOUNT, &f, from, 4).await.unwrap();
                got.extend(rows.iter().map(|e| (e.row.at, e.seq)));
                match rows.last() {
                    Some(last) if rows.len() == 4 => {
                        from = Some(AuditCursor::Older(last.row.at, last.seq));
                    }
                    _ => break,
                }
            }
            assert_eq!(got, want, "{name}: older pages");
            let (at, seq) = want[want.len() - 1];
            let newer = page(db, ACCOUNT, &f, Some(AuditCursor::Newer(at, seq)), 1_000)
                .await
                .unwrap();
            let mut back: Vec<(i64, i64)> = newer.iter().map(|e| (e.row.at, e.seq)).collect();
            back.reverse();
            assert_eq!(back, want[..want.len() - 1], "{name}: newer pages");
        }
    }
    test_db::drop_all(dbs).await;
}

#[tokio::test]
async fn every_audit_page_is_served_by_an_index_without_a_sort() {
    let dbs = test_db::databases("audit_plans").await;
    for (db, _) in &dbs {
        if let Db::Sqlite(pool) = db {
            sqlx::query("ANALYZE").execute(pool).await.unwrap();
        }
        for (name, f) in filters() {
            for from in [
                None,
                Some(AuditCursor::Older(5, 9)),
                Some(AuditCursor::Newer(5, 9)),
            ] {
                let plan = explain(db, ACCOUNT, &f, from, 51)
                    .await
                    .unwrap()
                    .join(" | ");
                page(db, ACCOUNT, &f, from, 51).await.unwrap();
                if let Db::Sqlite(_) = db {
                    assert!(
                        !plan.contains("TEMP B-TREE"),
                        "{name} {from:?} sorts: {plan}"
                    );
                    assert!(
                        plan.contains("USING INDEX audit_logs_pages")
                            || plan.contains("USING COVERING INDEX audit_logs_pages"),
                        "{name} {from:?} does not use the pages' index: {plan}"
                    );
                }
            }
        }
    }
    test_db::drop_all(dbs).await;
}
