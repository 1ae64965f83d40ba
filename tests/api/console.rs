//! The web console's session, CSRF and permission rules over plain HTTP (and the cookie over
//! HTTPS); the console in a real browser is `console_browser`.

use mtls_ca::model::Permission;
use reqwest::{header, StatusCode};

use crate::console_helpers::{audit_log, client, csrf, get_page, page_url, sign_in, sign_out};
use crate::helpers::*;

async fn revoke(
    app: &TestApp,
    c: &reqwest::Client,
    cookie: &str,
    id: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    c.post(page_url(app, &format!("/console/certificates/{id}/revoke")))
        .header(header::COOKIE, cookie)
        .form(form)
        .send()
        .await
        .expect("revoke")
}

#[tokio::test]
async fn a_session_cookie_is_httponly_and_samesite_strict_and_dies_at_sign_out() {
    for engine in engines() {
        let app = TestApp::spawn(engine).await;
        let c = client(&app).await;
        let (set, cookie) = sign_in(&app, &c, &app.token).await;
        assert!(set.starts_with("mtlsca_console=mtlscas_"), "{set}");
        for flag in ["HttpOnly", "SameSite=Strict", "Path=/console"] {
            assert!(set.contains(flag), "{set}");
        }
        assert_eq!(
            set.contains("Secure"),
            app.base.starts_with("https://"),
            "{set}"
        );
        let page = c
            .get(page_url(&app, "/console/"))
            .header(header::COOKIE, &cookie)
            .send()
            .await
            .expect("page");
        assert_eq!(page.status(), StatusCode::OK);
        assert!(page.headers()[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .expect("csp")
            .contains("script-src 'self'"));
        let token = csrf(&app, &c, &cookie).await;
        let out = sign_out(&app, &c, &cookie, &token).await;
        assert_eq!(out.status(), StatusCode::SEE_OTHER);
        assert!(out.headers()[header::SET_COOKIE]
            .to_str()
            .expect("ascii")
            .contains("Max-Age=0"));
        let after = c
            .get(page_url(&app, "/console/"))
            .header(header::COOKIE, &cookie)
            .send()
            .await
            .expect("page");
        assert_eq!(
            after.status(),
            StatusCode::SEE_OTHER,
            "a page after sign-out goes to sign-in"
        );
        let api = c
            .get(page_url(
                &app,
                "/console/api/certificates/00000000000000000000000000000000",
            ))
            .header(header::COOKIE, &cookie)
            .send()
            .await
            .expect("api");
        assert_eq!(api.status(), StatusCode::UNAUTHORIZED);
        let (_, body) = json_of(api).await;
        assert_eq!(body["errors"][0]["code"], 1464);
        app.stop().await;
    }
}

#[tokio::test]
async fn bad_credentials_and_a_cross_site_sign_in_are_refused() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let c = client(&app).await;
    let res = c
        .post(page_url(&app, "/console/signin"))
        .form(&[("token", "mtlsca_nope")])
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(res.headers().get(header::SET_COOKIE).is_none());
    assert!(res.text().await.expect("html").contains("not valid"));
    let res = c
        .post(page_url(&app, "/console/signin"))
        .header(header::ORIGIN, "http://evil.example")
        .form(&[("token", app.token.as_str())])
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(res.headers().get(header::SET_COOKIE).is_none());
    app.stop().await;
}

#[tokio::test]
async fn a_change_needs_the_sessions_csrf_token_and_lands_in_the_audit_log_as_console() {
    for engine in engines() {
        let app = TestApp::spawn(engine).await;
        let c = client(&app).await;
        let id = app.issue(&csr_p256("console-csrf"), 30).await["id"]
            .as_str()
            .expect("id")
            .to_owned();
        let (_, cookie) = sign_in(&app, &c, &app.token).await;
        for form in [vec![], vec![("csrf", "0123456789abcdef0123456789abcdef")]] {
            let res = revoke(&app, &c, &cookie, &id, &form).await;
            assert_eq!(res.status(), StatusCode::FORBIDDEN);
            assert!(res.text().await.expect("html").contains("CSRF"));
        }
        let token = csrf(&app, &c, &cookie).await;
        let res = c
            .post(page_url(
                &app,
                &format!("/console/certificates/{id}/revoke"),
            ))
            .header(header::COOKIE, &cookie)
            .header(header::ORIGIN, "http://evil.example")
            .form(&[("csrf", token.as_str())])
            .send()
            .await
            .expect("revoke");
        assert_eq!(
            res.status(),
            StatusCode::FORBIDDEN,
            "another origin is refused"
        );
        let (_, cert) = app.on_cert(reqwest::Method::GET, &id).await;
        assert_eq!(cert["result"]["status"], "active");
        let res = revoke(&app, &c, &cookie, &id, &[("csrf", &token)]).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        let (_, cert) = app.on_cert(reqwest::Method::GET, &id).await;
        assert_eq!(cert["result"]["status"], "pending_revocation");
        let log = audit_log(&app, 50).await;
        let entry = log
            .iter()
            .find(|e| e["action"]["type"] == "revoke" && e["resource"]["id"] == id.as_str())
            .cloned()
            .expect("a revoke entry");
        assert_eq!(entry["interface"], "console");
        assert_eq!(entry["actor"]["ip"], "127.0.0.1");
        app.stop().await;
    }
}

#[tokio::test]
async fn a_read_token_gets_no_revoke_button_and_its_revoke_is_refused() {
    for engine in engines() {
        let app = TestApp::spawn(engine).await;
        let c = client(&app).await;
        let id = app.issue(&csr_p256("console-read"), 30).await["id"]
            .as_str()
            .expect("id")
            .to_owned();
        let read = app.new_token(Permission::Read, &[]).await;
        let (_, cookie) = sign_in(&app, &c, &read).await;
        let html = c
            .get(page_url(&app, &format!("/console/certificates/{id}")))
            .header(header::COOKIE, &cookie)
            .send()
            .await
            .expect("detail")
            .text()
            .await
            .expect("html");
        assert!(html.contains("console-read"), "{html}");
        assert!(
            !html.contains("Revoke…") && !html.contains("/console/issue"),
            "{html}"
        );
        let token = csrf(&app, &c, &cookie).await;
        let res = revoke(&app, &c, &cookie, &id, &[("csrf", &token)]).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        let (_, cert) = app.on_cert(reqwest::Method::GET, &id).await;
        assert_eq!(cert["result"]["status"], "active");
        app.stop().await;
    }
}

#[tokio::test]
async fn over_https_the_session_cookie_is_secure() {
    let db = TestDb::new(Engine::Sqlite).await;
    let mut s = settings(&db.url);
    s.tls_self_issued = Some("127.0.0.1,localhost".into());
    let app = TestApp::start_on(db, s, Engine::Sqlite).await;
    assert!(app.base.starts_with("https://"));
    let c = client(&app).await;
    let (set, _) = sign_in(&app, &c, &app.token).await;
    assert!(set.contains("; Secure"), "{set}");
    app.stop().await;
}

#[tokio::test]
async fn the_certificates_page_finds_by_name_prefix_serial_fingerprint_and_id() {
    for engine in engines() {
        let app = TestApp::spawn(engine).await;
        let c = client(&app).await;
        let mut made = Vec::new();
        for i in 0..3 {
            made.push(app.issue(&csr_p256(&format!("findme-{i}")), 30).await);
        }
        app.issue(&csr_p256("other"), 30).await;
        let (_, cookie) = sign_in(&app, &c, &app.token).await;
        let get = |q: String| {
            get_page(
                &c,
                page_url(&app, &format!("/console/certificates?{q}")),
                &cookie,
            )
        };
        let (_, html) = get("q=findme-".into()).await;
        for i in 0..3 {
            assert!(html.contains(&format!(">findme-{i}<")), "{html}");
        }
        assert!(!html.contains(">other<"), "{html}");
        for key in ["serial_number", "fingerprint_sha256", "id"] {
            let term = made[0][key].as_str().expect("hex").to_uppercase();
            let (_, html) = get(format!("q={term}")).await;
            assert!(
                html.contains(">findme-0<") && !html.contains(">findme-1<"),
                "{key}: {html}"
            );
        }
        let (_, html) = get("expiring=31".into()).await;
        assert!(
            html.contains(">findme-2<") && html.contains(">other<"),
            "{html}"
        );
        let (_, html) = get("expiring=1".into()).await;
        assert!(html.contains("No certificates match"), "{html}");
        let (status, _) = get("cursor=nope".into()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        app.stop().await;
    }
}
