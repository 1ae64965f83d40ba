//! The console overview's figures are kept by triggers (counts by status, per-day issuances and
//! revocation requests, active certificates by expiry day) rather than counted: after every kind
//! of change, and after the worker folds the kept rows, they equal a full count of the
//! certificates, for the whole account and for a token limited to one zone.

use mtls_ca::model::{CertId, Permission, ZoneId};
use mtls_ca::service::auth::{Caller, Credentials, Interface};
use mtls_ca::service::certificates::CreateRequest;
use mtls_ca::service::overview::Figures;
use secrecy::SecretString;

use crate::helpers::*;

const DAY: i64 = 86_400;

/// The kept figures, after checking that a full count gives the same for `caller`.
async fn checked(app: &TestApp, caller: &Caller, now: i64, when: &str) -> Figures {
    let (kept, counted) = app
        .services
        .figures_kept_and_counted(caller, now)
        .await
        .expect("figures");
    assert_eq!(
        kept, counted,
        "{when}: the kept figures differ from a count"
    );
    kept
}

async fn zone_caller(app: &TestApp, zone: &str, now: i64) -> Caller {
    let secret = app.new_token(Permission::Read, &[zone]).await;
    let principal = app
        .services
        .authenticate(&Credentials::Token(SecretString::from(secret)), now)
        .await
        .expect("token");
    Caller {
        principal,
        ip: None,
        interface: Interface::Api,
    }
}

#[tokio::test]
async fn the_overviews_kept_figures_equal_a_full_count_after_every_change_and_the_worker() {
    for engine in engines() {
        let app = TestApp::spawn(engine).await;
        let s = &app.services;
        let cli = app.cli();
        let now = mtls_ca::clock::now();
        let other = app.new_zone().await;
        let zones = [
            ZoneId::parse(&app.zone).expect("zone"),
            ZoneId::parse(&other).expect("zone"),
        ];
        let scoped = zone_caller(&app, &other, now).await;
        // Issued over the last 40 days (some before the charts' 30), expiring over the last days
        // and the next 20 weeks, today and later today included.
        let mut made = Vec::new();
        for i in 0..24i64 {
            let zone = &zones[usize::try_from(i % 2).expect("index")];
            let issued_at = now - (i * 41 / 24) * DAY - (i % 5) * 3_600;
            let validity_days =
                [1, 2, 7, 9, 30, 45, 60, 120][usize::try_from(i % 8).expect("index")];
            let cert = s
                .create_certificate(
                    &cli,
                    zone,
                    CreateRequest {
                        csr: csr_p256(&format!("figures-{i}")),
                        validity_days,
                    },
                    issued_at,
                )
                .await
                .expect("issue");
            made.push((zone.clone(), CertId::parse(&cert.id).expect("id")));
        }
        let issued = checked(&app, &cli, now, "issued").await;
        assert!(issued.issued_per_day.iter().sum::<i64>() > 0);
        assert!(issued.expiring_per_week.iter().sum::<i64>() > 0);
        checked(&app, &scoped, now, "issued, one zone").await;

        for (i, (zone, id)) in made.iter().enumerate().filter(|(i, _)| i % 3 == 0) {
            let at = now - i64::try_from(i).expect("small") * DAY / 2;
            s.revoke_certificate(&cli, zone, id, at)
                .await
                .expect("revoke");
        }
        let revoked = checked(&app, &cli, now, "revocations requested").await;
        assert!(revoked.revoked_per_day.iter().sum::<i64>() > 0);
        checked(&app, &scoped, now, "revocations requested, one zone").await;

        mtls_ca::worker::run_once(s, now).await.expect("worker");
        checked(&app, &cli, now, "revoked by the worker").await;

        for (zone, id) in made.iter().step_by(6) {
            s.reactivate_certificate(&cli, zone, id, true, now)
                .await
                .expect("reactivate");
        }
        checked(&app, &cli, now, "reactivations requested").await;
        mtls_ca::worker::run_once(s, now).await.expect("worker");
        checked(&app, &cli, now, "reactivated by the worker").await;

        // A second revocation request, on another day than the first.
        let (zone, id) = &made[0];
        s.revoke_certificate(&cli, zone, id, now - 3 * DAY)
            .await
            .expect("revoke again");
        checked(&app, &cli, now, "revoked again").await;
        mtls_ca::worker::run_once(s, now).await.expect("worker");
        let last = checked(&app, &cli, now, "after the last worker run").await;
        checked(&app, &scoped, now, "after the last worker run, one zone").await;
        // A day later, what was today moves one bar to the left.
        checked(&app, &cli, now + DAY, "a day later").await;

        let total: i64 = last.by_status.iter().map(|(_, n)| n).sum();
        assert_eq!(total, 24);
        app.stop().await;
    }
}
