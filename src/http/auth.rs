//! The authentication extractor: headers to credentials to a principal, then the rate limit.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::HeaderMap;
use secrecy::SecretString;

use crate::error::{AuthFailure, Error};
use crate::service::auth::{is_plausible_email, Credentials, Principal};
use crate::service::Services;

/// The authenticated caller of a v4 API request.
pub struct Auth(pub Principal);

const BAD_AUTHORIZATION: AuthFailure =
    AuthFailure::Malformed(6111, "Invalid format for Authorization header");
const BAD_EMAIL: AuthFailure =
    AuthFailure::Malformed(6102, "Invalid format for X-Auth-Email header");
const BAD_KEY: AuthFailure = AuthFailure::Malformed(6103, "Invalid format for X-Auth-Key header");

fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~+/=".contains(c)
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
        let creds = credentials(&parts.headers).map_err(Error::Unauthenticated)?;
        let principal = services.authenticate(&creds).await?;
        services.check_rate(&principal)?;
        Ok(Auth(principal))
    }
}
