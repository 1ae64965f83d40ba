//! Unit tests of the CRL repository on SQLite, and on Postgres when `TEST_DATABASE_URL` is set.

use super::*;

/// Migrated databases (SQLite, and Postgres when `TEST_DATABASE_URL` is set) with a CA `ca`.
async fn databases() -> Vec<(Db, tempfile::TempDir)> {
    let mut out = crate::db::test_db::databases("crl").await;
    for (db, _) in &mut out {
        crate::db::test_db::insert_ca(db).await;
    }
    out
}

fn crl(number: i64, hash: &str) -> NewCrl {
    NewCrl {
        crl_number: number,
        der: vec![number as u8],
        content_hash: hash.into(),
        entries: 0,
        this_update: 100 + number,
        next_update: 1000,
    }
}

#[tokio::test]
async fn crl_numbers_are_handed_out_once_each_even_concurrently() {
    for (db, _dir) in databases().await {
        assert_eq!(reserve_number(&db, "ca").await.unwrap(), 1);
        let tasks: Vec<_> = (0..40)
            .map(|_| {
                let db = db.clone();
                tokio::spawn(async move { reserve_number(&db, "ca").await.unwrap() })
            })
            .collect();
        let mut got = Vec::new();
        for t in tasks {
            got.push(t.await.unwrap());
        }
        got.sort_unstable();
        assert_eq!(got, (2..=41).collect::<Vec<i64>>(), "{}", db.engine());
    }
}

#[tokio::test]
async fn a_crl_is_stored_only_over_the_one_its_publisher_started_from() {
    for (db, _dir) in databases().await {
        assert_eq!(current(&db, "ca").await.unwrap(), None);
        let n1 = reserve_number(&db, "ca").await.unwrap();
        let n2 = reserve_number(&db, "ca").await.unwrap();
        // Two publishers both started from "no CRL": the first store wins.
        assert!(store(&db, "ca", 0, &crl(n2, "x")).await.unwrap());
        assert!(!store(&db, "ca", 0, &crl(n1, "y")).await.unwrap());
        let m = meta(&db, "ca").await.unwrap().unwrap();
        assert_eq!((m.crl_number, m.content_changed_at), (n2, 100 + n2));
        // Same list again: the number moves on, the content's age stays.
        let n3 = reserve_number(&db, "ca").await.unwrap();
        assert!(store(&db, "ca", n2, &crl(n3, "x")).await.unwrap());
        let m = meta(&db, "ca").await.unwrap().unwrap();
        assert_eq!((m.crl_number, m.content_changed_at), (n3, 100 + n2));
        // A publisher that read n2 lost its race to n3.
        let n4 = reserve_number(&db, "ca").await.unwrap();
        assert!(!store(&db, "ca", n2, &crl(n4, "z")).await.unwrap());
        let stored = current(&db, "ca").await.unwrap().unwrap();
        assert_eq!((stored.crl_number, stored.der), (n3, vec![n3 as u8]));
        assert!(n1 < n2 && n2 < n3 && n3 < n4);
        let facts = |crl_number, issued| OcspFacts {
            crl_number,
            issued,
            expired_revoked_at: None,
        };
        assert_eq!(
            ocsp_lookup(&db, "ca", "00", 0).await.unwrap(),
            facts(Some(n3), false)
        );
        assert_eq!(
            ocsp_lookup(&db, "other", "00", 0).await.unwrap(),
            facts(None, false)
        );
    }
}

#[tokio::test]
async fn a_status_flips_only_while_the_crl_it_relies_on_is_the_stored_one() {
    use crate::db::certificates::{self as certs, CertRow};
    use crate::db::zones::{insert_zone, ZoneRow};
    for (db, _dir) in databases().await {
        let zone = ZoneRow {
            id: "b".repeat(32),
            account_id: "a".repeat(32),
            name: "z.example".into(),
            created_at: 0,
            modified_at: 0,
        };
        let audit = crate::db::audit::AuditRow::for_test(&zone.account_id);
        insert_zone(&db, &zone, &audit).await.unwrap();
        let row = |id: &str, serial: &str| CertRow {
            id: id.into(),
            zone_id: zone.id.clone(),
            ca_id: "ca".into(),
            serial_number: serial.into(),
            status: CertStatus::PendingRevocation,
            validity_days: 1,
            issued_on: 0,
            expires_on: 86_400,
            status_changed_at: 50,
            revocation_requested_at: None,
            ..CertRow::default()
        };
        certs::insert_batch(&db, &[row("c1", "01"), row("c2", "02")], &[])
            .await
            .unwrap();
        assert!(has_pending(&db, "ca").await.unwrap());
        let snap = snapshot(&db, "ca", 0).await.unwrap();
        assert_eq!(snap.len(), 2);
        // No CRL stored yet: nothing may flip.
        assert!(!complete_published(
            &db,
            "c1",
            CertStatus::PendingRevocation,
            CertStatus::Revoked,
            60,
            1
        )
        .await
        .unwrap());
        let n = reserve_number(&db, "ca").await.unwrap();
        assert!(store(&db, "ca", 0, &crl(n, "h")).await.unwrap());
        assert!(!complete_published(
            &db,
            "c1",
            CertStatus::PendingRevocation,
            CertStatus::Revoked,
            60,
            n + 1
        )
        .await
        .unwrap());
        assert!(complete_published(
            &db,
            "c1",
            CertStatus::PendingRevocation,
            CertStatus::Revoked,
            60,
            n
        )
        .await
        .unwrap());
        // The revocation time stays the one the CRL published (status_changed_at, as no DELETE set it).
        let got = certs::get(&db, &zone.id, "c1").await.unwrap().unwrap();
        assert_eq!(
            (
                got.status,
                got.status_changed_at,
                got.revocation_requested_at
            ),
            (CertStatus::Revoked, 60, Some(50))
        );
        // Another CRL was stored meanwhile: a flip relying on the old one is refused.
        let m = reserve_number(&db, "ca").await.unwrap();
        assert!(store(&db, "ca", n, &crl(m, "h2")).await.unwrap());
        assert!(!complete_published(
            &db,
            "c2",
            CertStatus::PendingRevocation,
            CertStatus::Revoked,
            61,
            n
        )
        .await
        .unwrap());
        assert!(ocsp_lookup(&db, "ca", "02", 0).await.unwrap().issued);

        // c1 is revoked and expires at 86 400: listed until a CRL issued after that has listed it.
        assert_eq!(snapshot(&db, "ca", 86_400).await.unwrap().len(), 2);
        let after = snapshot(&db, "ca", 86_401).await.unwrap();
        assert_eq!(
            after.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
            ["c2"],
            "the expired revoked entry leaves; the pending one stays until it is flipped"
        );
        // OCSP still knows c1 as revoked once it is past its notAfter.
        assert_eq!(
            ocsp_lookup(&db, "ca", "01", 86_399)
                .await
                .unwrap()
                .expired_revoked_at,
            None
        );
        assert_eq!(
            ocsp_lookup(&db, "ca", "01", 86_401)
                .await
                .unwrap()
                .expired_revoked_at,
            Some(50)
        );
        assert_eq!(
            ocsp_lookup(&db, "ca", "02", 86_401)
                .await
                .unwrap()
                .expired_revoked_at,
            None,
            "a pending revocation is the CRL's to state"
        );
    }
}
