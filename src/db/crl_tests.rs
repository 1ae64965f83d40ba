//! Unit tests of the CRL repository on SQLite, and on Postgres when `TEST_DATABASE_URL` is set.

use super::*;
use crate::db::accounts::{self, AccountRow, CaRow};
use crate::db::PoolSettings;

/// A migrated SQLite database with one CA, and the same on Postgres when `TEST_DATABASE_URL` is set.
async fn databases() -> Vec<(Db, tempfile::TempDir)> {
    let dir = tempfile::tempdir().unwrap();
    let mut urls = vec![format!("sqlite://{}", dir.path().join("crl.db").display())];
    if let Ok(admin) = std::env::var("TEST_DATABASE_URL") {
        use sqlx::Connection;
        let name = format!("mtlsca_unit_{}", crate::model::random_hex_id());
        let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .unwrap();
        let mut url = url::Url::parse(&admin).unwrap();
        url.set_path(&name);
        urls.push(url.to_string());
    }
    let pool = PoolSettings {
        max_connections: 8,
        acquire_timeout: std::time::Duration::from_secs(10),
    };
    let mut out: Vec<(Db, tempfile::TempDir)> = Vec::new();
    let mut dir = Some(dir);
    for url in urls {
        let db = Db::connect(&url, pool).await.unwrap();
        db.migrate().await.unwrap();
        let account = AccountRow {
            id: "a".repeat(32),
            name: "default".into(),
            created_at: 0,
        };
        accounts::ensure_account(&db, &account).await.unwrap();
        let ca = CaRow {
            id: "ca".into(),
            account_id: account.id,
            name: "test".into(),
            key_algorithm: "ecdsa-p256".into(),
            certificate_der: vec![0],
            private_key: vec![0],
            key_encrypted: false,
            not_before: 0,
            not_after: 1,
            created_at: 0,
        };
        accounts::ensure_ca(&db, &ca).await.unwrap();
        // The SQLite folder lives as long as its pool; Postgres gets an unused one.
        let keep = dir.take().unwrap_or_else(|| tempfile::tempdir().unwrap());
        out.push((db, keep));
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
        assert_eq!(
            ocsp_lookup(&db, "ca", "00").await.unwrap(),
            (Some(n3), false)
        );
        assert_eq!(
            ocsp_lookup(&db, "other", "00").await.unwrap(),
            (None, false)
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
        };
        insert_zone(&db, &zone).await.unwrap();
        let row = |id: &str, serial: &str| CertRow {
            id: id.into(),
            zone_id: zone.id.clone(),
            ca_id: "ca".into(),
            serial_number: serial.into(),
            status: "pending_revocation".into(),
            validity_days: 1,
            issued_on: 0,
            expires_on: 86_400,
            status_changed_at: 50,
            revocation_requested_at: None,
            ..CertRow::default()
        };
        certs::insert_batch(&db, &[row("c1", "01"), row("c2", "02")])
            .await
            .unwrap();
        assert!(has_pending(&db, "ca").await.unwrap());
        let snap = snapshot(&db, "ca").await.unwrap();
        assert_eq!(snap.len(), 2);
        // No CRL stored yet: nothing may flip.
        assert!(
            !complete_published(&db, "c1", "pending_revocation", "revoked", 60, 1)
                .await
                .unwrap()
        );
        let n = reserve_number(&db, "ca").await.unwrap();
        assert!(store(&db, "ca", 0, &crl(n, "h")).await.unwrap());
        assert!(
            !complete_published(&db, "c1", "pending_revocation", "revoked", 60, n + 1)
                .await
                .unwrap()
        );
        assert!(
            complete_published(&db, "c1", "pending_revocation", "revoked", 60, n)
                .await
                .unwrap()
        );
        // The revocation time stays the one the CRL published (status_changed_at, as no DELETE set it).
        let got = certs::get(&db, &zone.id, "c1").await.unwrap().unwrap();
        assert_eq!(
            (
                got.status.as_str(),
                got.status_changed_at,
                got.revocation_requested_at
            ),
            ("revoked", 60, Some(50))
        );
        // Another CRL was stored meanwhile: a flip relying on the old one is refused.
        let m = reserve_number(&db, "ca").await.unwrap();
        assert!(store(&db, "ca", n, &crl(m, "h2")).await.unwrap());
        assert!(
            !complete_published(&db, "c2", "pending_revocation", "revoked", 61, n)
                .await
                .unwrap()
        );
        assert!(ocsp_lookup(&db, "ca", "02").await.unwrap().1);
    }
}
