//! Sign-in and sign-out in the audit log as `console`.

use mtls_ca::service::audit::AuditScope;
use mtls_ca::service::paging::Paging;
use reqwest::{header, StatusCode};
use serde_json::Value;

use crate::console::{client, csrf, page_url, sign_in};
use crate::helpers::*;

async fn log(app: &TestApp) -> Vec<Value> {
    let paging = Paging {
        page: 1,
        per_page: 100,
    };
    app.services
        .list_audit(&app.cli(), AuditScope::Account, Default::default(), paging)
        .await
        .expect("audit log")
        .0
}

#[tokio::test]
async fn sign_in_and_sign_out_land_in_the_audit_log_as_console() {
    for engine in engines() {
        let app = TestApp::spawn(engine).await;
        let c = client(&app).await;
        let (_, cookie) = sign_in(&app, &c, &app.token).await;
        let token = csrf(&app, &c, &cookie).await;
        let out = c
            .post(page_url(&app, "/console/signout"))
            .header(header::COOKIE, &cookie)
            .form(&[("csrf", token.as_str())])
            .send()
            .await
            .expect("sign out");
        assert_eq!(out.status(), StatusCode::SEE_OTHER);
        let entries = log(&app).await;
        let token_id = entries
            .iter()
            .find(|e| e["action"]["type"] == "login")
            .expect("a login entry")["actor"]["id"]
            .clone();
        for action in ["login", "logout"] {
            let e = entries
                .iter()
                .find(|e| e["action"]["type"] == action)
                .unwrap_or_else(|| panic!("no {action} entry"));
            assert_eq!(e["interface"], "console", "{e}");
            assert_eq!(e["resource"]["type"], "token", "{e}");
            assert_eq!(e["resource"]["id"], token_id, "{e}");
            assert_eq!(e["actor"]["ip"], "127.0.0.1", "{e}");
        }
        // Signing out again with the dead cookie writes nothing more.
        let again = c
            .post(page_url(&app, "/console/signout"))
            .header(header::COOKIE, &cookie)
            .form(&[("csrf", token.as_str())])
            .send()
            .await
            .expect("sign out");
        assert_ne!(again.status(), StatusCode::OK);
        let logouts = log(&app)
            .await
            .iter()
            .filter(|e| e["action"]["type"] == "logout")
            .count();
        assert_eq!(logouts, 1);
        app.stop().await;
    }
}
