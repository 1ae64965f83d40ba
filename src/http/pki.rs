//! The public PKI endpoints: the CA certificate, the CRL, the OCSP responder, the trust bundle and
//! the index of CAs. Unauthenticated, outside the v4 envelope: errors are a plain-text status (404
//! for an unknown CA), and the OCSP responder answers every request it routes with an OCSPResponse.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use base64::Engine;
use time::macros::format_description;
use time::OffsetDateTime;

use crate::clock;
use crate::error::Error;
use crate::service::Services;

/// `/pki/bundle.pem`, `/pki/index.json` and `/pki/{ca_id}/...`.
pub fn routes() -> Router<Arc<Services>> {
    Router::new()
        .route("/pki/bundle.pem", get(bundle_pem))
        .route("/pki/index.json", get(index_json))
        .route("/pki/{ca_id}/ca.pem", get(ca_pem))
        .route("/pki/{ca_id}/ca.der", get(ca_der))
        .route("/pki/{ca_id}/chain.pem", get(chain_pem))
        .route("/pki/{ca_id}/crl", get(crl))
        .route("/pki/{ca_id}/ocsp", post(ocsp_post))
        .route("/pki/{ca_id}/ocsp/{*request}", get(ocsp_get))
}

fn pem_answer(result: Result<String, Error>) -> Response {
    match result {
        Ok(pem) => ([(header::CONTENT_TYPE, "application/x-pem-file")], pem).into_response(),
        Err(e) => plain_error(e),
    }
}

/// `GET /pki/{ca_id}/ca.pem`.
pub async fn ca_pem(State(s): State<Arc<Services>>, Path(ca_id): Path<String>) -> Response {
    pem_answer(s.ca_certificate_pem(&ca_id).await)
}

/// `GET /pki/{ca_id}/chain.pem`: the CA and the chain above it, up to the root.
pub async fn chain_pem(State(s): State<Arc<Services>>, Path(ca_id): Path<String>) -> Response {
    pem_answer(s.ca_chain_pem(&ca_id).await)
}

/// `GET /pki/bundle.pem`: every CA whose certificates may still be valid (for TLS servers).
pub async fn bundle_pem(State(s): State<Arc<Services>>) -> Response {
    let mut res = pem_answer(s.trust_bundle_pem(clock::now()).await);
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    res
}

/// `GET /pki/index.json`: `{"certificate_authorities": [{id, name, role, not_after}]}`, the CAs
/// of the bundle whose CRLs are kept fresh, oldest first (what `crl sync --url` syncs).
pub async fn index_json(State(s): State<Arc<Services>>) -> Response {
    match s.pki_index(clock::now()).await {
        Ok(cas) => (
            [(header::CACHE_CONTROL, "no-cache")],
            axum::Json(serde_json::json!({ "certificate_authorities": cas })),
        )
            .into_response(),
        Err(e) => plain_error(e),
    }
}

/// `GET /pki/{ca_id}/ca.der`.
pub async fn ca_der(State(s): State<Arc<Services>>, Path(ca_id): Path<String>) -> Response {
    match s.ca_certificate_der(&ca_id).await {
        Ok(der) => ([(header::CONTENT_TYPE, "application/pkix-cert")], der).into_response(),
        Err(e) => plain_error(e),
    }
}

/// `GET /pki/{ca_id}/crl`: the stored CRL with `ETag` (its CRL number) and `Last-Modified` (its
/// thisUpdate); `If-None-Match` naming the current one gets 304.
pub async fn crl(
    State(s): State<Arc<Services>>,
    Path(ca_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let crl = match s.current_crl(&ca_id, clock::now()).await {
        Ok(crl) => crl,
        Err(e) => return plain_error(e),
    };
    let etag = format!("\"{}\"", crl.crl_number);
    let mut cache = vec![
        (header::ETAG, etag.clone()),
        // Revalidate every time: a stale copy would hide a revocation.
        (header::CACHE_CONTROL, "no-cache".to_owned()),
    ];
    if let Some(date) = http_date(crl.this_update) {
        cache.push((header::LAST_MODIFIED, date));
    }
    let mut res = if matches_etag(&headers, &etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        ([(header::CONTENT_TYPE, "application/pkix-crl")], crl.der).into_response()
    };
    for (name, value) in cache {
        if let Ok(v) = HeaderValue::from_str(&value) {
            res.headers_mut().insert(name, v);
        }
    }
    res
}

/// `POST /pki/{ca_id}/ocsp` with a DER OCSPRequest body.
pub async fn ocsp_post(
    State(s): State<Arc<Services>>,
    Path(ca_id): Path<String>,
    body: Bytes,
) -> Response {
    ocsp_answer(s.ocsp(&ca_id, &body, clock::now()).await)
}

/// `GET /pki/{ca_id}/ocsp/{request}`: the DER request base64-encoded, then URL-encoded (RFC 6960
/// A.1; axum has already percent-decoded it). Plain, unpadded or URL-safe base64 is accepted too.
pub async fn ocsp_get(
    State(s): State<Arc<Services>>,
    Path((ca_id, request)): Path<(String, String)>,
) -> Response {
    // An undecodable request is as malformed as an unparsable one: the empty body says so.
    let der = decode_base64(&request).unwrap_or_default();
    ocsp_answer(s.ocsp(&ca_id, &der, clock::now()).await)
}

fn ocsp_answer(result: Result<Vec<u8>, Error>) -> Response {
    match result {
        Ok(der) => (
            [
                (header::CONTENT_TYPE, "application/ocsp-response"),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            der,
        )
            .into_response(),
        Err(e) => plain_error(e),
    }
}

/// Standard or URL-safe alphabet, padded or not, surrounding whitespace ignored.
pub fn decode_base64(text: &str) -> Option<Vec<u8>> {
    use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
    let text = text.trim().trim_end_matches('=');
    STANDARD_NO_PAD
        .decode(text)
        .or_else(|_| URL_SAFE_NO_PAD.decode(text))
        .ok()
}

fn matches_etag(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == etag || t == "*")
}

/// RFC 9110 IMF-fixdate.
fn http_date(unix: i64) -> Option<String> {
    let format = format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    OffsetDateTime::from_unix_timestamp(unix)
        .ok()?
        .format(&format)
        .ok()
}

fn plain_error(e: Error) -> Response {
    let (status, text) = match e {
        Error::NotFound => (StatusCode::NOT_FOUND, "unknown certificate authority\n"),
        Error::Unavailable(cause) => {
            tracing::warn!(%cause, "PKI endpoint answering 503");
            (StatusCode::SERVICE_UNAVAILABLE, "temporarily unavailable\n")
        }
        other => {
            tracing::error!(error = %other, "PKI endpoint failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error\n")
        }
    };
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        text,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_in_every_accepted_form_decodes() {
        let bytes = vec![0xfb, 0xff, 0x3e, 0x00, 0x01];
        for text in ["+/8+AAE=", "+/8+AAE", "-_8-AAE", " +/8+AAE=\n"] {
            assert_eq!(decode_base64(text), Some(bytes.clone()), "{text}");
        }
        assert_eq!(decode_base64("not base64!"), None);
    }

    #[test]
    fn if_none_match_accepts_lists_weak_tags_and_star() {
        let mut h = HeaderMap::new();
        h.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_static("\"3\", W/\"7\""),
        );
        assert!(matches_etag(&h, "\"7\""));
        assert!(!matches_etag(&h, "\"8\""));
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_static("*"));
        assert!(matches_etag(&h, "\"8\""));
    }

    #[test]
    fn last_modified_is_an_imf_fixdate() {
        assert_eq!(
            http_date(784_111_777).as_deref(),
            Some("Sun, 06 Nov 1994 08:49:37 GMT")
        );
    }
}
