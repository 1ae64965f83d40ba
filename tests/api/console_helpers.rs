//! Typed requests of the console tests: a client that shows redirects, sign-in by API token or by
//! a user's email and Global API Key, the CSRF token, a page, sign-out, and the account's audit log.

use mtls_ca::service::audit::AuditScope;
use mtls_ca::service::paging::Paging;
use reqwest::{header, StatusCode};
use secrecy::ExposeSecret;
use serde_json::Value;

use crate::helpers::*;

/// A client that shows redirects instead of following them (and trusts the app's CA over HTTPS).
pub(crate) async fn client(app: &TestApp) -> reqwest::Client {
    let mut builder = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none());
    if app.base.starts_with("https://") {
        let bundle = app
            .services
            .cas
            .bundle_pem(mtls_ca::clock::now())
            .await
            .expect("bundle");
        builder = builder.tls_built_in_root_certs(false);
        for root in reqwest::Certificate::from_pem_bundle(bundle.as_bytes()).expect("bundle") {
            builder = builder.add_root_certificate(root);
        }
    }
    builder.build().expect("client")
}

pub(crate) fn page_url(app: &TestApp, path: &str) -> String {
    format!("{}{path}", app.base)
}

/// Posts the sign-in `form`; the `Set-Cookie` header and the `name=value` to send back.
async fn sign_in_with(
    app: &TestApp,
    c: &reqwest::Client,
    form: &[(&str, &str)],
) -> (String, String) {
    let res = c
        .post(page_url(app, "/console/signin"))
        .form(form)
        .send()
        .await
        .expect("sign in");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let set = res.headers()[header::SET_COOKIE]
        .to_str()
        .expect("ascii")
        .to_owned();
    let pair = set.split(';').next().expect("pair").to_owned();
    (set, pair)
}

/// Signs in with `token`; the `Set-Cookie` header and the `name=value` to send back.
pub(crate) async fn sign_in(app: &TestApp, c: &reqwest::Client, token: &str) -> (String, String) {
    sign_in_with(app, c, &[("token", token)]).await
}

/// Creates a user with a fresh email starting with `prefix` and signs in with its Global API Key;
/// the email and the `name=value` of the cookie to send back.
pub(crate) async fn sign_in_user(
    app: &TestApp,
    c: &reqwest::Client,
    prefix: &str,
) -> (String, String) {
    let email = format!(
        "{prefix}-{}@console.example",
        mtls_ca::model::random_hex_id()
    );
    let key = app
        .services
        .create_user(&app.cli(), &email, mtls_ca::clock::now())
        .await
        .expect("user");
    let form = [("email", email.as_str()), ("key", key.expose_secret())];
    let (_, cookie) = sign_in_with(app, c, &form).await;
    (email, cookie)
}

/// The CSRF token a console page carries.
pub(crate) async fn csrf(app: &TestApp, c: &reqwest::Client, cookie: &str) -> String {
    let html = c
        .get(page_url(app, "/console/"))
        .header(header::COOKIE, cookie)
        .send()
        .await
        .expect("overview")
        .text()
        .await
        .expect("html");
    let at = html
        .find("name=\"csrf-token\" content=\"")
        .expect("csrf meta")
        + 27;
    html[at..at + 32].to_owned()
}

/// `GET url` with the session `cookie`: the status and the page.
pub(crate) async fn get_page(
    c: &reqwest::Client,
    url: String,
    cookie: &str,
) -> (StatusCode, String) {
    let res = c
        .get(url)
        .header(header::COOKIE, cookie)
        .send()
        .await
        .expect("page");
    (res.status(), res.text().await.expect("html"))
}

/// Posts the sign-out form with the session `cookie` and its CSRF `token`.
pub(crate) async fn sign_out(
    app: &TestApp,
    c: &reqwest::Client,
    cookie: &str,
    token: &str,
) -> reqwest::Response {
    c.post(page_url(app, "/console/signout"))
        .header(header::COOKIE, cookie)
        .form(&[("csrf", token)])
        .send()
        .await
        .expect("sign out")
}

/// The first `per_page` entries of the account's audit log, newest first.
pub(crate) async fn audit_log(app: &TestApp, per_page: u64) -> Vec<Value> {
    let paging = Paging { page: 1, per_page };
    app.services
        .list_audit(&app.cli(), AuditScope::Account, Default::default(), paging)
        .await
        .expect("audit log")
        .0
}
