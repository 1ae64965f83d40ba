//! The authentication extractor: headers to credentials to a principal; then the token's validity
//! window and IP condition (the client address behind trusted proxies), then the rate limit.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::HeaderMap;
use ipnet::IpNet;
use secrecy::SecretString;

use crate::clock;
use crate::error::{AuthFailure, Error};
use crate::service::auth::{is_plausible_email, Caller, Credentials, Interface};
use crate::service::Services;

/// The authenticated caller of a v4 API request.
pub struct Auth(pub Caller);

/// The peer of a connection, as `serve` records it for each request (whatever the listener: plain
/// TCP or TLS): its address, and the client certificate it presented (DER), if any.
#[derive(Debug, Clone)]
pub struct PeerAddr {
    /// The peer's address.
    pub addr: SocketAddr,
    /// The end-entity certificate of a TLS client that sent one.
    pub client_cert: Option<Arc<[u8]>>,
}

/// The client address of a request: the peer, or, when the peer is a trusted proxy, the last
/// address in `X-Forwarded-For` that is not a trusted proxy.
pub fn client_ip(parts: &Parts, trusted: &[IpNet]) -> Option<IpAddr> {
    let peer = parts
        .extensions
        .get::<ConnectInfo<PeerAddr>>()
        .map(|ConnectInfo(peer)| peer.addr.ip().to_canonical())?;
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|n| n.contains(ip));
    if !is_trusted(&peer) {
        return Some(peer);
    }
    let mut client = peer;
    let hops = parts
        .headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim);
    for hop in hops.rev() {
        let Ok(ip) = hop.parse::<IpAddr>().map(|ip| ip.to_canonical()) else {
            break;
        };
        client = ip;
        if !is_trusted(&ip) {
            break;
        }
    }
    Some(client)
}

const BAD_AUTHORIZATION: AuthFailure =
    AuthFailure::Malformed(6111, "Invalid format for Authorization header");
const BAD_EMAIL: AuthFailure =
    AuthFailure::Malformed(6102, "Invalid format for X-Auth-Email header");
const BAD_KEY: AuthFailure = AuthFailure::Malformed(6103, "Invalid format for X-Auth-Key header");

fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~+/=".contains(c)
}

/// The client certificate the connection presented.
fn client_cert(parts: &Parts) -> Option<Arc<[u8]>> {
    parts
        .extensions
        .get::<ConnectInfo<PeerAddr>>()
        .and_then(|ConnectInfo(peer)| peer.client_cert.clone())
}

/// Reads the credentials a request carries; a token wins when both schemes are sent.
pub fn credentials(headers: &HeaderMap) -> Result<Credentials, AuthFailure> {
    if let Some(value) = headers.get("authorization") {
        let text = value.to_str().map_err(|_| BAD_AUTHORIZATION)?;
        let (scheme, token) = text.trim().split_once(' ').ok_or(BAD_AUTHORIZATION)?;
        let token = token.trim();
        if !scheme.eq_ignore_ascii_case("bearer")
            || token.is_empty()
            || !token.chars().all(is_token_char)
        {
            return Err(BAD_AUTHORIZATION);
        }
        return Ok(Credentials::Token(SecretString::from(token.to_owned())));
    }
    let email = headers.get("x-auth-email");
    let key = headers.get("x-auth-key");
    if email.is_none() && key.is_none() {
        return Err(AuthFailure::Missing);
    }
    let email = email
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|e| is_plausible_email(e))
        .ok_or(BAD_EMAIL)?;
    let key = key
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.chars().all(is_token_char))
        .ok_or(BAD_KEY)?;
    Ok(Credentials::Key {
        email: email.to_owned(),
        key: SecretString::from(key.to_owned()),
    })
}

impl FromRequestParts<Arc<Services>> for Auth {
    type Rejection = Error;

    async fn from_request_parts(
        parts: &mut Parts,
        services: &Arc<Services>,
    ) -> Result<Self, Error> {
        let now = clock::now();
        // Credentials in headers win; without any, a client certificate may stand for a token.
        let principal = match (credentials(&parts.headers), client_cert(parts)) {
            (Err(AuthFailure::Missing), Some(der)) => {
                services.authenticate_certificate(&der, now).await?
            }
            (creds, _) => {
                let creds = creds.map_err(Error::Unauthenticated)?;
                services.authenticate(&creds, now).await?
            }
        };
        let ip = client_ip(parts, &services.trusted_proxies);
        services.admit(&principal, ip, now)?;
        services.check_rate(&principal)?;
        Ok(Auth(Caller {
            principal,
            ip,
            interface: Interface::Api,
        }))
    }
}
