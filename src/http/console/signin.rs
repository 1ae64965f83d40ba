//! Sign-in (an API token, or a user's email and Global API Key) and sign-out.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Extension, Form, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use secrecy::SecretString;

use super::html::{bare_page, notice, t};
use super::session::{
    clear_cookie, cookie_value, same_origin, set_cookie, Change, ClientIp, OverTls,
};
use crate::clock;
use crate::error::{AuthFailure, Error, Result};
use crate::service::auth::{is_plausible_email, Credentials};
use crate::service::Services;

fn signin_page(status: StatusCode, error: Option<&str>, email: &str) -> Response {
    let error = error.map_or_else(String::new, |e| notice("error", e));
    let body = format!(
        "{error}<form method=\"post\" action=\"/console/signin\" class=\"card stack\" data-busy>\
         <fieldset><legend>With an API token</legend>\
         <label for=\"token\">API token</label>\
         <input id=\"token\" name=\"token\" type=\"password\" autocomplete=\"off\" spellcheck=\"false\">\
         </fieldset>\
         <p class=\"or\">or</p>\
         <fieldset><legend>With a user's Global API Key</legend>\
         <label for=\"email\">Email</label>\
         <input id=\"email\" name=\"email\" type=\"email\" autocomplete=\"username\" value=\"{}\">\
         <label for=\"key\">Global API Key</label>\
         <input id=\"key\" name=\"key\" type=\"password\" autocomplete=\"current-password\">\
         </fieldset>\
         <button type=\"submit\">Sign in</button></form>",
        t(email)
    );
    bare_page(status, "Sign in to mtls-ca", &body)
}

/// `GET /console/signin`.
pub async fn form() -> Response {
    signin_page(StatusCode::OK, None, "")
}

fn credentials(form: &HashMap<String, String>) -> Option<Credentials> {
    let field = |k: &str| form.get(k).map_or("", |v| v.trim());
    if !field("token").is_empty() {
        return Some(Credentials::Token(SecretString::from(
            field("token").to_owned(),
        )));
    }
    (is_plausible_email(field("email")) && !field("key").is_empty()).then(|| Credentials::Key {
        email: field("email").to_owned(),
        key: SecretString::from(field("key").to_owned()),
    })
}

/// `POST /console/signin`: opens a session and sets its cookie; a refusal shows the API's message.
pub async fn sign_in(
    State(s): State<Arc<Services>>,
    tls: Option<Extension<OverTls>>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response> {
    if !same_origin(&headers) {
        return Err(Error::Unauthenticated(AuthFailure::Csrf));
    }
    let email = form.get("email").map_or("", |v| v.trim()).to_owned();
    let Some(creds) = credentials(&form) else {
        return Ok(signin_page(
            StatusCode::BAD_REQUEST,
            Some("Enter an API token, or an email and its Global API Key."),
            &email,
        ));
    };
    let now = clock::now();
    match s.open_session(&creds, ip, now).await {
        Ok(opened) => {
            let mut res = Redirect::to("/console/").into_response();
            res.headers_mut()
                .insert(header::SET_COOKIE, set_cookie(&opened, now, tls.is_some()));
            Ok(res)
        }
        Err(Error::Unauthenticated(why)) => {
            let message = match why {
                AuthFailure::BadToken | AuthFailure::Expired | AuthFailure::NotYetValid => {
                    "That API token is not valid (unknown, disabled, expired or not yet valid)."
                }
                AuthFailure::BadKey => "Unknown email or Global API Key.",
                AuthFailure::Location(_) => "This token may not be used from your address.",
                _ => "Those credentials were refused.",
            };
            Ok(signin_page(StatusCode::UNAUTHORIZED, Some(message), &email))
        }
        Err(other) => Err(other),
    }
}

/// `POST /console/signout`: ends the session (CSRF-checked like every change).
pub async fn sign_out(
    State(s): State<Arc<Services>>,
    tls: Option<Extension<OverTls>>,
    headers: HeaderMap,
    change: Change,
) -> Result<Response> {
    if let Some(id) = cookie_value(&headers) {
        s.close_session(&change.session.caller.caller, &id, clock::now())
            .await?;
    }
    let mut res = Redirect::to("/console/signin").into_response();
    res.headers_mut()
        .insert(header::SET_COOKIE, clear_cookie(tls.is_some()));
    Ok(res)
}
