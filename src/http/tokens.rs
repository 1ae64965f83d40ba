//! Handlers of `/user/tokens`: list, create, read, replace, delete, roll, verify, permission groups.

use std::sync::Arc;

use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::response::Response;
use secrecy::ExposeSecret;

use super::auth::{client_ip, credentials, Auth};
use super::envelope::{ok, ok_list, ok_with_message};
use super::extract::{JsonObject, OptionalJsonObject, QueryMap};
use crate::clock;
use crate::error::{AuthFailure, Error, Result};
use crate::model::{CertId, TokenId};
use crate::service::auth::Credentials;
use crate::service::paging::Paging;
use crate::service::token_input::parse_spec;
use crate::service::token_view::permission_groups;
use crate::service::Services;

/// `{token_id}` of the path; anything but 32 hex digits is an unknown token.
pub struct TokenPath(pub String);

impl<S: Send + Sync> FromRequestParts<S> for TokenPath {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Error> {
        let Path(id) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| Error::NotFound)?;
        TokenId::parse(&id.to_ascii_lowercase())
            .map(|id| TokenPath(id.to_string()))
            .map_err(|_| Error::NotFound)
    }
}

/// `{token_id}` and `{certificate_id}` of the path; malformed ids are unknown objects (404).
pub struct BindingPath(pub TokenId, pub CertId);

impl<S: Send + Sync> FromRequestParts<S> for BindingPath {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Error> {
        let Path((token, cert)) = Path::<(String, String)>::from_request_parts(parts, state)
            .await
            .map_err(|_| Error::NotFound)?;
        Ok(BindingPath(
            TokenId::parse(&token.to_ascii_lowercase()).map_err(|_| Error::NotFound)?,
            CertId::parse(&cert.to_ascii_lowercase()).map_err(|_| Error::NotFound)?,
        ))
    }
}

/// `GET /user/tokens`.
pub async fn list(
    State(s): State<Arc<Services>>,
    Auth(caller): Auth,
    QueryMap(params): QueryMap,
) -> Result<Response> {
    let paging = Paging::parse(&params, 20, 5, 50)?;
    let all = s.list_tokens(&caller, clock::now()).await?;
    let (page, info) = paging.slice(all);
    Ok(ok_list(page, info))
}

/// `POST /user/tokens`: the answer carries `value`, the secret, this once.
pub async fn create(
    State(s): State<Arc<Services>>,
    Auth(caller): Auth,
    JsonObject(body): JsonObject,
) -> Result<Response> {
    let spec = parse_spec(&body)?;
    let (token, _secret) = s.create_token(&caller, spec, false, clock::now()).await?;
    Ok(ok(token))
}

/// `GET /user/tokens/{token_id}`.
pub async fn get_one(
    State(s): State<Arc<Services>>,
    Auth(caller): Auth,
    TokenPath(id): TokenPath,
) -> Result<Response> {
    Ok(ok(s.get_token(&caller, &id, clock::now()).await?))
}

/// `PUT /user/tokens/{token_id}`: replaces name, policies, condition, validity (and status if
/// sent); a body with neither name nor policies changes only what it sends.
pub async fn update(
    State(s): State<Arc<Services>>,
    Auth(caller): Auth,
    TokenPath(id): TokenPath,
    JsonObject(body): JsonObject,
) -> Result<Response> {
    Ok(ok(s.put_token(&caller, &id, &body, clock::now()).await?))
}

/// `DELETE /user/tokens/{token_id}`.
pub async fn delete(
    State(s): State<Arc<Services>>,
    Auth(caller): Auth,
    TokenPath(id): TokenPath,
) -> Result<Response> {
    Ok(ok(s.delete_token(&caller, &id, clock::now()).await?))
}

/// `PUT /user/tokens/{token_id}/value`: a new secret; the old one stops working at once.
pub async fn roll(
    State(s): State<Arc<Services>>,
    Auth(caller): Auth,
    TokenPath(id): TokenPath,
    _body: Result<OptionalJsonObject, Error>,
) -> Result<Response> {
    let secret = s.roll_token(&caller, &id, clock::now()).await?;
    Ok(ok(secret.expose_secret()))
}

/// `GET /user/tokens/permission_groups` (`name`, `scope`): needs any valid credential.
pub async fn groups(Auth(_caller): Auth, QueryMap(params): QueryMap) -> Result<Response> {
    let filter = |key: &str| {
        params
            .get(key)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    };
    Ok(ok(permission_groups(filter("name"), filter("scope"))))
}

/// `GET /user/tokens/verify`: the presented token's id and status; a bearer token only.
pub async fn verify(State(s): State<Arc<Services>>, parts: Parts) -> Result<Response> {
    let creds = credentials(&parts.headers).map_err(Error::Unauthenticated)?;
    let Credentials::Token(secret) = creds else {
        return Err(Error::Unauthenticated(AuthFailure::Missing));
    };
    let ip = client_ip(&parts, &s.trusted_proxies);
    let result = s.verify_token(&secret, ip, clock::now()).await?;
    let message = match result["status"].as_str() {
        Some("active") => "This API Token is valid and active".to_owned(),
        other => format!("This API Token is {}", other.unwrap_or("unknown")),
    };
    Ok(ok_with_message(result, 10000, &message))
}

/// `GET /user/tokens/{token_id}/certificates` (mtls-ca): the ids of the client certificates that
/// authenticate as the token.
pub async fn certificates(
    State(s): State<Arc<Services>>,
    Auth(caller): Auth,
    TokenPath(id): TokenPath,
) -> Result<Response> {
    let id = TokenId::parse(&id).map_err(|_| Error::NotFound)?;
    Ok(ok(s.token_certificates(&caller, &id).await?))
}

/// `PUT /user/tokens/{token_id}/certificates/{certificate_id}` (mtls-ca): bind.
pub async fn bind(
    State(s): State<Arc<Services>>,
    Auth(caller): Auth,
    BindingPath(token, cert): BindingPath,
    _body: Result<OptionalJsonObject, Error>,
) -> Result<Response> {
    Ok(ok(s
        .bind_certificate(&caller, &token, &cert, clock::now())
        .await?))
}

/// `DELETE /user/tokens/{token_id}/certificates/{certificate_id}` (mtls-ca): unbind.
pub async fn unbind(
    State(s): State<Arc<Services>>,
    Auth(caller): Auth,
    BindingPath(token, cert): BindingPath,
) -> Result<Response> {
    Ok(ok(s
        .unbind_certificate(&caller, &token, &cert, clock::now())
        .await?))
}
