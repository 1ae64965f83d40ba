//! Unit tests of the CA registry's storage, on SQLite and on Postgres when `TEST_DATABASE_URL` is set.

use super::*;
use crate::db::test_db::{databases, drop_all, ACCOUNT};

fn new_ca(id: &str, validity: Option<(i64, i64)>) -> NewCaRecord {
    NewCaRecord {
        id: id.into(),
        name: format!("CA {id}"),
        key_algorithm: KeyAlgorithm::EcdsaP256,
        certificate_der: validity.map(|_| vec![1, 2, 3]),
        chain_pem: String::new(),
        request_pem: validity.is_none().then(|| "CSR".to_owned()),
        key: KeyColumns::local(vec![9], false),
        validity,
    }
}

fn audit(account: &str) -> crate::db::audit::AuditRow {
    crate::db::audit::AuditRow::for_test(account)
}

fn roles(cas: &[CaRecord]) -> Vec<(String, CaRole)> {
    cas.iter().map(|c| (c.id.clone(), c.role)).collect()
}

#[tokio::test]
async fn only_one_first_ca_is_stored_even_when_processes_race() {
    let dbs = databases("cas").await;
    for (db, _) in &dbs {
        let tasks: Vec<_> = (0..8)
            .map(|i| {
                let db = db.clone();
                tokio::spawn(async move {
                    insert_first(&db, ACCOUNT, &new_ca(&format!("ca{i}"), Some((0, 9))), 5)
                        .await
                        .unwrap()
                })
            })
            .collect();
        let mut stored = 0;
        for t in tasks {
            stored += usize::from(t.await.unwrap());
        }
        assert_eq!(stored, 1);
        let all = list(db, ACCOUNT).await.unwrap();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].role, CaRole::Issuing);
        assert_eq!(all[0].activated_at, Some(5));
        assert_eq!(generation(db, ACCOUNT).await.unwrap(), 1);
    }
    drop_all(dbs).await;
}

#[tokio::test]
async fn a_rotation_retires_the_issuing_ca_and_a_stale_one_changes_nothing() {
    let dbs = databases("cas").await;
    for (db, _) in &dbs {
        assert!(insert_first(db, ACCOUNT, &new_ca("a", Some((0, 9))), 1)
            .await
            .unwrap());
        assert!(insert_issuing(
            db,
            ACCOUNT,
            "a",
            &new_ca("b", Some((0, 9))),
            2,
            &audit(ACCOUNT)
        )
        .await
        .unwrap());
        // A second rotation that still believes "a" is issuing loses, and stores nothing.
        assert!(!insert_issuing(
            db,
            ACCOUNT,
            "a",
            &new_ca("c", Some((0, 9))),
            3,
            &audit(ACCOUNT)
        )
        .await
        .unwrap());
        let all = list(db, ACCOUNT).await.unwrap();
        assert_eq!(
            roles(&all),
            vec![("a".into(), CaRole::Retired), ("b".into(), CaRole::Issuing)]
        );
        assert_eq!(all[0].retired_at, Some(2));
        assert_eq!(generation(db, ACCOUNT).await.unwrap(), 2);
    }
    drop_all(dbs).await;
}

#[tokio::test]
async fn a_pending_ca_becomes_issuing_when_installed() {
    let dbs = databases("cas").await;
    for (db, _) in &dbs {
        assert!(insert_first(db, ACCOUNT, &new_ca("a", Some((0, 9))), 1)
            .await
            .unwrap());
        insert_pending(db, ACCOUNT, &new_ca("p", None), 2, &audit(ACCOUNT))
            .await
            .unwrap();
        let pending = list(db, ACCOUNT).await.unwrap().pop().unwrap();
        assert_eq!(pending.role, CaRole::Pending);
        assert_eq!(pending.certificate_der, None);
        assert_eq!(pending.request_pem.as_deref(), Some("CSR"));
        let cert = Installed {
            certificate_der: vec![7],
            chain_pem: "ROOT".into(),
            name: "Issuing CA".into(),
            validity: (3, 99),
        };
        // Installing into a CA that is not pending, or against a stale issuing CA, changes nothing.
        assert!(!install(db, ACCOUNT, "a", "a", &cert, 3, &audit(ACCOUNT))
            .await
            .unwrap());
        assert!(!install(db, ACCOUNT, "p", "p", &cert, 3, &audit(ACCOUNT))
            .await
            .unwrap());
        assert!(install(db, ACCOUNT, "a", "p", &cert, 4, &audit(ACCOUNT))
            .await
            .unwrap());
        let all = list(db, ACCOUNT).await.unwrap();
        assert_eq!(
            roles(&all),
            vec![("a".into(), CaRole::Retired), ("p".into(), CaRole::Issuing)]
        );
        assert_eq!(all[1].certificate_der.as_deref(), Some(&[7u8][..]));
        assert_eq!(all[1].chain_pem, "ROOT");
        assert_eq!(all[1].name, "Issuing CA");
        assert_eq!(generation(db, ACCOUNT).await.unwrap(), 3);
        assert_eq!(
            key_of(db, "p").await.unwrap(),
            Some(KeyColumns::local(vec![9], false))
        );
    }
    drop_all(dbs).await;
}

/// Applies the migrations up to `version` only.
async fn migrate_to(db: &Db, version: i64) {
    let cut = |mut m: sqlx::migrate::Migrator| {
        m.migrations = m
            .migrations
            .iter()
            .filter(|x| x.version <= version)
            .cloned()
            .collect::<Vec<_>>()
            .into();
        m
    };
    match db {
        Db::Sqlite(pool) => {
            use sqlx::Connection;
            let opts = (*pool.connect_options()).clone().foreign_keys(false);
            let mut conn = sqlx::SqliteConnection::connect_with(&opts).await.unwrap();
            cut(sqlx::migrate!("migrations/sqlite"))
                .run(&mut conn)
                .await
                .unwrap();
        }
        Db::Postgres(pool) => cut(sqlx::migrate!("migrations/postgres"))
            .run(pool)
            .await
            .unwrap(),
    }
}

#[tokio::test]
async fn the_registry_migration_keeps_an_existing_ca_its_certificates_and_crl() {
    let dbs = crate::db::test_db::empty("casmig").await;
    for (db, _) in &dbs {
        migrate_to(db, 3).await;
        db_run!(db, |pool| {
            for sql in [
                format!("INSERT INTO accounts (id, name, created_at) VALUES ('{ACCOUNT}', 'default', 1)"),
                format!("INSERT INTO certificate_authorities (id, account_id, name, key_algorithm, \
                 certificate_der, private_key, key_encrypted, not_before, not_after, created_at) \
                 VALUES ('old', '{ACCOUNT}', 'Old CA', 'ecdsa-p256', $1, $2, FALSE, 1, 99, 1)"),
                format!("INSERT INTO zones (id, account_id, name, created_at) VALUES ('z', '{ACCOUNT}', 'z.example', 1)"),
                "INSERT INTO client_certificates (id, zone_id, ca_id, serial_number, certificate, csr, \
                 common_name, country, state, location, organization, organizational_unit, \
                 fingerprint_sha256, ski, signature, status, validity_days, issued_on, expires_on, \
                 status_changed_at) VALUES ('c', 'z', 'old', '01', 'PEM', 'CSR', 'cn', '', '', '', '', \
                 '', 'f', 's', 'ECDSAWithSHA256', 'revoked', 1, 1, 50, 2)".to_owned(),
                "INSERT INTO crls (ca_id, last_number, crl_number, der, content_hash, entries, \
                 this_update, next_update, content_changed_at) VALUES ('old', 3, 3, $1, 'h', 1, 2, 9, 2)".to_owned(),
            ] {
                // Blobs are bound: the two engines spell literal bytes differently.
                let mut q = sqlx::query(&sql);
                if sql.contains("$2") {
                    q = q.bind(vec![1u8]).bind(vec![2u8]);
                } else if sql.contains("$1") {
                    q = q.bind(vec![0x30u8]);
                }
                q.execute(pool).await.unwrap();
            }
        });
        db.migrate().await.unwrap();
        let all = list(db, ACCOUNT).await.unwrap();
        assert_eq!(roles(&all), vec![("old".into(), CaRole::Issuing)]);
        assert_eq!(all[0].activated_at, Some(1));
        assert_eq!(all[0].certificate_der.as_deref(), Some(&[1u8][..]));
        assert_eq!(
            key_of(db, "old").await.unwrap(),
            Some(KeyColumns::local(vec![2], false))
        );
        assert_eq!(latest_expiry(db, "old").await.unwrap(), Some(50));
        assert_eq!(
            crate::db::crl::meta(db, "old")
                .await
                .unwrap()
                .map(|m| m.crl_number),
            Some(3)
        );
        // The account may now have a second CA, and the certificate keeps pointing at its own.
        assert!(insert_issuing(
            db,
            ACCOUNT,
            "old",
            &new_ca("new", Some((0, 9))),
            5,
            &audit(ACCOUNT)
        )
        .await
        .unwrap());
        assert_eq!(latest_expiry(db, "new").await.unwrap(), None);
        // Foreign keys still hold on the rebuilt table: a certificate of an unknown CA is refused.
        let orphan = db_run!(db, |pool| sqlx::query(
            "UPDATE client_certificates SET ca_id = 'nope' WHERE id = 'c'"
        )
        .execute(pool)
        .await
        .is_err());
        assert!(
            orphan,
            "the foreign key to certificate_authorities is enforced"
        );
    }
    drop_all(dbs).await;
}
