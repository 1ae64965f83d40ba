//! Our own extractors, so that every rejection is answered in the Cloudflare envelope.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use axum::http::{StatusCode, Uri};
use serde_json::Value;

use crate::error::{codes, Error};
use crate::model::{CertId, ZoneId};
use crate::service::Services;

/// A JSON object body: `application/json`, within the size limit, valid JSON, an object.
pub struct JsonObject(pub serde_json::Map<String, Value>);

/// An optional JSON object body: empty means `{}`; a content type is not required when empty.
pub struct OptionalJsonObject(pub serde_json::Map<String, Value>);

async fn read_body(req: Request, state: &Arc<Services>) -> Result<Bytes, Error> {
    Bytes::from_request(req, state).await.map_err(|rej| {
        if rej.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Error::invalid(codes::BODY_TOO_LARGE, "the request body is too large", None)
        } else {
            Error::invalid(
                codes::INVALID_JSON,
                format!("cannot read the request body: {rej}"),
                None,
            )
        }
    })
}

fn is_json(req: &Request) -> bool {
    req.headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|mime| {
            let mime = mime.trim().to_ascii_lowercase();
            mime == "application/json"
                || (mime.starts_with("application/") && mime.ends_with("+json"))
        })
        .unwrap_or(false)
}

/// The body of a [`JsonObject`]: valid JSON, an object.
pub(crate) fn parse_object(bytes: &[u8]) -> Result<serde_json::Map<String, Value>, Error> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(Error::invalid(
            codes::INVALID_JSON,
            "the request body must be a JSON object",
            Some(""),
        )),
        Err(e) => Err(Error::invalid(
            codes::INVALID_JSON,
            format!("the request body is not valid JSON: {e}"),
            Some(""),
        )),
    }
}

impl FromRequest<Arc<Services>> for JsonObject {
    type Rejection = Error;

    async fn from_request(req: Request, state: &Arc<Services>) -> Result<Self, Error> {
        if !is_json(&req) {
            return Err(Error::invalid(
                codes::UNSUPPORTED_CONTENT_TYPE,
                "the request body must be sent with Content-Type: application/json",
                None,
            ));
        }
        let bytes = read_body(req, state).await?;
        parse_object(&bytes).map(JsonObject)
    }
}

impl FromRequest<Arc<Services>> for OptionalJsonObject {
    type Rejection = Error;

    async fn from_request(req: Request, state: &Arc<Services>) -> Result<Self, Error> {
        let json = is_json(&req);
        let has_type = req.headers().contains_key(CONTENT_TYPE);
        let bytes = read_body(req, state).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(OptionalJsonObject(serde_json::Map::new()));
        }
        if has_type && !json {
            return Err(Error::invalid(
                codes::UNSUPPORTED_CONTENT_TYPE,
                "a request body must be sent with Content-Type: application/json",
                None,
            ));
        }
        parse_object(&bytes).map(OptionalJsonObject)
    }
}

/// `{zone_id}` of the path; a malformed id is an unknown zone (404).
pub struct ZonePath(pub ZoneId);

/// `{zone_id}` and `{cert_id}` of the path; malformed ids are unknown objects (404).
pub struct CertPath(pub ZoneId, pub CertId);

impl<S: Send + Sync> FromRequestParts<S> for ZonePath {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Error> {
        let Path(zone) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| Error::NotFound)?;
        Ok(ZonePath(ZoneId::parse(&zone).map_err(|_| Error::NotFound)?))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for CertPath {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Error> {
        let Path((zone, cert)) = Path::<(String, String)>::from_request_parts(parts, state)
            .await
            .map_err(|_| Error::NotFound)?;
        Ok(CertPath(
            ZoneId::parse(&zone).map_err(|_| Error::NotFound)?,
            CertId::parse(&cert).map_err(|_| Error::NotFound)?,
        ))
    }
}

/// The raw query string as a map; a query that is not `k=v&...` is a 400.
pub struct QueryMap(pub HashMap<String, String>);

impl<S: Send + Sync> FromRequestParts<S> for QueryMap {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Error> {
        query_map(&parts.uri).map(QueryMap)
    }
}

/// The query string of `uri` as a map (the last of repeated keys wins).
pub(crate) fn query_map(uri: &Uri) -> Result<HashMap<String, String>, Error> {
    let Query(map) = Query::<HashMap<String, String>>::try_from_uri(uri).map_err(|e| {
        Error::invalid(
            codes::INVALID_QUERY,
            format!("invalid query string: {e}"),
            None,
        )
    })?;
    Ok(map)
}
