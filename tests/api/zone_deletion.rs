//! Deleting a zone whose certificates are all revoked, as Terraform's destroy does right after
//! revoking them: the zone leaves the API and frees its name, its certificates stay stored and
//! revoked in the CRL, and nothing enters it again.

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::ca_rotation::crl_serials;
use crate::helpers::*;
use mtls_ca::clock::now;
use mtls_ca::error::Error;
use mtls_ca::model::{CertId, ZoneId};

fn id_of(cert: &Value) -> String {
    cert["id"].as_str().expect("id").to_owned()
}

#[tokio::test]
async fn a_zone_is_deleted_once_its_certificates_are_revoked_and_they_stay_in_the_crl() {
    for engine in engines() {
        let app = TestApp::spawn(engine).await;
        let dir = tempfile::tempdir().expect("dir");
        let cli = app.cli();
        let zone = ZoneId::parse(&app.zone).expect("zone id");
        let name = app.services.get_zone(&cli, &zone).await.expect("zone")["name"]
            .as_str()
            .expect("name")
            .to_owned();
        let a = app.issue(&csr_p256("zone-a"), 5).await;
        let b = app.issue(&csr_p256("zone-b"), 5).await;
        let refused = |e: Error| match e {
            Error::Invalid(inv) => {
                assert_eq!(inv.code, 1455, "{}", inv.message);
                inv.message
            }
            other => panic!("{other:?}"),
        };

        // An active certificate keeps the zone; one revoked of two still does.
        let e = app.services.delete_zone(&cli, &zone, now()).await;
        assert!(refused(e.expect_err("active")).contains("2 client certificate(s)"));
        assert_eq!(
            app.on_cert(Method::DELETE, &id_of(&a)).await.0,
            StatusCode::OK
        );
        app.run_worker().await;
        let e = app.services.delete_zone(&cli, &zone, now()).await;
        assert!(refused(e.expect_err("one active")).contains("1 client certificate(s)"));

        // Both revoked (one still pending): the zone goes.
        let (status, v) = app.on_cert(Method::DELETE, &id_of(&b)).await;
        assert_eq!(
            (status, v["result"]["status"].as_str()),
            (StatusCode::OK, Some("pending_revocation"))
        );
        let deleted = app
            .services
            .delete_zone(&cli, &zone, now())
            .await
            .expect("deleted");
        assert_eq!(deleted["id"], app.zone.as_str());
        let (status, v) = json_of(
            app.req(Method::GET, &format!("/zones/{}", app.zone))
                .send()
                .await
                .expect("send"),
        )
        .await;
        assert_eq!(
            (status, v["errors"][0]["code"].as_u64()),
            (StatusCode::NOT_FOUND, Some(7003))
        );
        let (status, _) = app.on_cert(Method::GET, &id_of(&a)).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = app.on_cert(Method::PATCH, &id_of(&a)).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(app
            .services
            .list_zones(&cli, None)
            .await
            .expect("list")
            .iter()
            .all(|z| z.id != app.zone));
        let cert = CertId::parse(&id_of(&a)).expect("cert id");
        assert!(matches!(
            app.services
                .reactivate_certificate(&cli, &zone, &cert, true, now())
                .await,
            Err(Error::NotFound)
        ));

        // The worker still finishes the pending revocation, and the CRL lists both.
        app.run_worker().await;
        let row = mtls_ca::db::certificates::get(&app.services.db, &app.zone, &id_of(&b))
            .await
            .expect("get")
            .expect("kept");
        assert_eq!(row.status.as_str(), "revoked");
        let ca = a["certificate_authority"]["id"].as_str().expect("ca");
        let serials = crl_serials(&app, ca, dir.path()).await;
        for c in [&a, &b] {
            let serial = c["serial_number"].as_str().expect("serial").to_uppercase();
            assert!(serials.contains(&serial), "{serial} in {serials}");
        }

        // The name is free again: a new zone, a new id.
        let again = app
            .services
            .create_zone(&cli, &name, now())
            .await
            .expect("same name");
        assert_ne!(again.id, app.zone);
        app.stop().await;
    }
}
