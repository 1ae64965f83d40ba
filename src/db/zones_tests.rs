//! Unit tests of zone deletion on SQLite, and on Postgres when `TEST_DATABASE_URL` is set.

use super::*;
use crate::db::audit::AuditRow;
use crate::db::certificates::{self as certs, CertRow};
use crate::db::test_db::ACCOUNT;
use crate::db::DbError;
use crate::model::CertStatus;

fn audit() -> AuditRow {
    AuditRow::for_test(ACCOUNT)
}

fn zone(id: char, name: &str) -> ZoneRow {
    ZoneRow {
        id: id.to_string().repeat(32),
        account_id: ACCOUNT.into(),
        name: name.into(),
        created_at: 0,
        modified_at: 0,
    }
}

fn cert(id: &str, zone: &ZoneRow, status: CertStatus) -> CertRow {
    CertRow {
        id: id.into(),
        zone_id: zone.id.clone(),
        ca_id: "ca".into(),
        serial_number: format!("{id}-serial"),
        status,
        validity_days: 1,
        expires_on: 86_400,
        ..CertRow::default()
    }
}

/// Migrated databases with a CA `ca` and one zone, `z.example`.
async fn databases() -> Vec<(Db, tempfile::TempDir, ZoneRow)> {
    let mut out = Vec::new();
    for (db, dir) in crate::db::test_db::databases("zones").await {
        crate::db::test_db::insert_ca(&db).await;
        let z = zone('b', "z.example");
        insert_zone(&db, &z, &audit()).await.unwrap();
        out.push((db, dir, z));
    }
    out
}

#[tokio::test]
async fn an_empty_zone_goes_and_one_with_live_certificates_stays() {
    for (db, _dir, z) in databases().await {
        certs::insert_batch(&db, &[cert("c1", &z, CertStatus::Active)], &[])
            .await
            .unwrap();
        assert_eq!(
            delete_zone(&db, ACCOUNT, &z.id, 5, &audit()).await.unwrap(),
            ZoneDeletion::HasLiveCertificates(1)
        );
        assert_eq!(
            find_zone(&db, ACCOUNT, &z.id).await.unwrap(),
            Some(z.clone())
        );

        let empty = zone('c', "empty.example");
        insert_zone(&db, &empty, &audit()).await.unwrap();
        assert_eq!(
            delete_zone(&db, ACCOUNT, &empty.id, 5, &audit())
                .await
                .unwrap(),
            ZoneDeletion::Deleted
        );
        assert_eq!(
            delete_zone(&db, ACCOUNT, &empty.id, 6, &audit())
                .await
                .unwrap(),
            ZoneDeletion::Missing
        );
    }
}

#[tokio::test]
async fn a_zone_of_revoked_certificates_is_kept_out_of_sight_frees_its_name_and_takes_no_more() {
    for (db, _dir, z) in databases().await {
        let rows = [
            cert("c1", &z, CertStatus::Revoked),
            cert("c2", &z, CertStatus::PendingRevocation),
        ];
        certs::insert_batch(&db, &rows, &[]).await.unwrap();
        assert_eq!(
            delete_zone(&db, ACCOUNT, &z.id, 5, &audit()).await.unwrap(),
            ZoneDeletion::Retired(2)
        );
        assert_eq!(find_zone(&db, ACCOUNT, &z.id).await.unwrap(), None);
        assert!(list_zones(&db, ACCOUNT, None).await.unwrap().is_empty());
        assert!(list_zones(&db, ACCOUNT, Some("z.example"))
            .await
            .unwrap()
            .is_empty());
        assert_eq!(
            delete_zone(&db, ACCOUNT, &z.id, 6, &audit()).await.unwrap(),
            ZoneDeletion::Missing
        );
        // The certificates are still there, and the zone's name can be taken again.
        assert_eq!(
            certs::get(&db, &z.id, "c2")
                .await
                .unwrap()
                .map(|r| r.status),
            Some(CertStatus::PendingRevocation)
        );
        insert_zone(&db, &zone('d', "z.example"), &audit())
            .await
            .unwrap();
        // Nothing new enters the deleted zone: no issuance, no reactivation.
        assert!(matches!(
            certs::insert_batch(&db, &[cert("c3", &z, CertStatus::Active)], &[]).await,
            Err(DbError::ForeignKeyViolation)
        ));
        assert_eq!(
            certs::request_reactivation(&db, &z.id, "c1", 7, &audit())
                .await
                .unwrap(),
            None
        );
        assert_eq!(
            certs::get(&db, &z.id, "c1")
                .await
                .unwrap()
                .map(|r| r.status),
            Some(CertStatus::Revoked)
        );
    }
}
