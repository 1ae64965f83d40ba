//! The console's extractors: the session cookie to a caller (with its abilities), and for every
//! change the form body with this session's CSRF token, checked in constant time, from a page of
//! this origin.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue};
use secrecy::ExposeSecret;

use crate::clock;
use crate::error::{AuthFailure, Error};
use crate::http::auth::client_ip;
use crate::service::abilities::Abilities;
use crate::service::console_sessions::{OpenedSession, SessionCaller};
use crate::service::Services;

/// The cookie that holds the session id.
pub const COOKIE: &str = "mtlsca_console";

/// Marks a router served over TLS: its session cookies are `Secure`.
#[derive(Debug, Clone, Copy)]
pub struct OverTls;

/// A signed-in console request.
pub struct Session {
    /// The caller and its CSRF token.
    pub caller: SessionCaller,
    /// What it may do (navigation and buttons).
    pub abilities: Abilities,
}

/// A console change: the session, and the form it sent with the right CSRF token.
pub struct Change {
    /// The session.
    pub session: Session,
    /// The form fields (`application/x-www-form-urlencoded`; the last of repeated ones).
    pub form: HashMap<String, String>,
    /// Every `(name, value)` pair in order.
    pub pairs: Vec<(String, String)>,
}

impl Change {
    /// A form field, trimmed, `""` when absent.
    pub fn field(&self, name: &str) -> &str {
        self.form.get(name).map_or("", |v| v.trim())
    }

    /// Every value of a repeated field.
    pub fn values(&self, name: &str) -> Vec<&str> {
        self.pairs
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

/// The session id a request's cookies carry.
pub fn cookie_value(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.to_owned())
}

/// `Set-Cookie` of a new session: HttpOnly, SameSite=Strict, Secure over TLS, for the console only.
pub fn set_cookie(opened: &OpenedSession, now: i64, tls: bool) -> HeaderValue {
    let secure = if tls { "; Secure" } else { "" };
    let value = format!(
        "{COOKIE}={}; Path=/console; Max-Age={}; HttpOnly; SameSite=Strict{secure}",
        opened.id.expose_secret(),
        opened.expires_at - now
    );
    HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// `Set-Cookie` that removes the session cookie.
pub fn clear_cookie(tls: bool) -> HeaderValue {
    if tls {
        HeaderValue::from_static(
            "mtlsca_console=; Path=/console; Max-Age=0; HttpOnly; SameSite=Strict; Secure",
        )
    } else {
        HeaderValue::from_static(
            "mtlsca_console=; Path=/console; Max-Age=0; HttpOnly; SameSite=Strict",
        )
    }
}

/// True when the request says it comes from a page of this origin, or says nothing
/// (`Origin`, else `Referer`, must name the `Host` it was sent to).
pub fn same_origin(headers: &HeaderMap) -> bool {
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let from = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .and_then(|v| v.to_str().ok());
    match (from, host) {
        (None, _) => true,
        (Some(from), Some(host)) => url::Url::parse(from).is_ok_and(|u| {
            let port = u.port().map_or_else(String::new, |p| format!(":{p}"));
            u.host_str().is_some_and(|h| format!("{h}{port}") == host)
        }),
        (Some(_), None) => false,
    }
}

/// The client address, as the API determines it (behind trusted proxies).
pub struct ClientIp(pub Option<std::net::IpAddr>);

impl FromRequestParts<Arc<Services>> for ClientIp {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, s: &Arc<Services>) -> Result<Self, Error> {
        Ok(ClientIp(client_ip(parts, &s.trusted_proxies)))
    }
}

impl FromRequestParts<Arc<Services>> for Session {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, s: &Arc<Services>) -> Result<Self, Error> {
        let id =
            cookie_value(&parts.headers).ok_or(Error::Unauthenticated(AuthFailure::Session))?;
        let ip = client_ip(parts, &s.trusted_proxies);
        let caller = s.session_caller(&id, ip, clock::now()).await?;
        let abilities = s.abilities(&caller.caller).await?;
        Ok(Session { caller, abilities })
    }
}

impl FromRequest<Arc<Services>> for Change {
    type Rejection = Error;

    async fn from_request(req: Request, s: &Arc<Services>) -> Result<Self, Error> {
        let (mut parts, body) = req.into_parts();
        let session = Session::from_request_parts(&mut parts, s).await?;
        let bytes = Bytes::from_request(Request::from_parts(parts.clone(), body), s)
            .await
            .map_err(|e| Error::invalid(crate::error::codes::INVALID_JSON, e.to_string(), None))?;
        let pairs: Vec<(String, String)> =
            url::form_urlencoded::parse(&bytes).into_owned().collect();
        let form: HashMap<String, String> = pairs.iter().cloned().collect();
        let presented = parts
            .headers
            .get("x-csrf-token")
            .and_then(|v| v.to_str().ok())
            .or_else(|| form.get("csrf").map(String::as_str))
            .unwrap_or("");
        if !same_origin(&parts.headers) || !session.caller.csrf_matches(presented) {
            return Err(Error::Unauthenticated(AuthFailure::Csrf));
        }
        Ok(Change {
            session,
            form,
            pairs,
        })
    }
}
