//! The Cloudflare v4 envelope: `{success, errors, messages, result, result_info?}`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use serde_json::{json, Value};

use crate::service::listing::ResultInfo;

/// One entry of `errors`.
#[derive(Debug, Clone, Serialize)]
pub struct ErrorItem {
    /// Numeric code.
    pub code: u32,
    /// Human-readable message.
    pub message: String,
    /// Where the offending input is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
    /// Finer-grained causes (Cloudflare uses it for header errors).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub error_chain: Vec<ChainItem>,
}

/// `source` of an error.
#[derive(Debug, Clone, Serialize)]
pub struct Source {
    /// JSON pointer of the field.
    pub pointer: String,
}

/// An entry of `error_chain`.
#[derive(Debug, Clone, Serialize)]
pub struct ChainItem {
    /// Numeric code.
    pub code: u32,
    /// Human-readable message.
    pub message: String,
}

/// A 200 with `result`.
pub fn ok<T: Serialize>(result: T) -> Response {
    Json(json!({
        "success": true,
        "errors": [],
        "messages": [],
        "result": result,
    }))
    .into_response()
}

/// A 200 with `result` and one message (token verify's "This API Token is valid and active").
pub fn ok_with_message<T: Serialize>(result: T, code: u32, message: &str) -> Response {
    Json(json!({
        "success": true,
        "errors": [],
        "messages": [{"code": code, "message": message, "type": null}],
        "result": result,
    }))
    .into_response()
}

/// A 200 with a list `result` and its `result_info`.
pub fn ok_list<T: Serialize>(result: Vec<T>, info: ResultInfo) -> Response {
    Json(json!({
        "success": true,
        "errors": [],
        "messages": [],
        "result": result,
        "result_info": info,
    }))
    .into_response()
}

/// A failure with `result: null`.
pub fn failure(status: StatusCode, errors: Vec<ErrorItem>) -> Response {
    let body: Value = json!({
        "success": false,
        "errors": errors,
        "messages": [],
        "result": null,
    });
    (status, Json(body)).into_response()
}

/// A failure with a single plain error.
pub fn fail(status: StatusCode, code: u32, message: impl Into<String>) -> Response {
    failure(
        status,
        vec![ErrorItem {
            code,
            message: message.into(),
            source: None,
            error_chain: Vec::new(),
        }],
    )
}
