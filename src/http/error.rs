//! The one place a domain error becomes an HTTP answer. 5xx causes are logged here, never sent.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::envelope::{fail, failure, ChainItem, ErrorItem, Source};
use crate::error::{codes, AuthFailure, Error};

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        match self {
            Error::Invalid(inv) => {
                let status = match inv.code {
                    codes::UNSUPPORTED_CONTENT_TYPE => StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    codes::BODY_TOO_LARGE => StatusCode::PAYLOAD_TOO_LARGE,
                    _ => StatusCode::BAD_REQUEST,
                };
                failure(
                    status,
                    vec![ErrorItem {
                        code: inv.code,
                        message: inv.message,
                        source: inv.pointer.map(|pointer| Source { pointer }),
                        error_chain: Vec::new(),
                    }],
                )
            }
            Error::Unauthenticated(AuthFailure::Missing) => fail(
                StatusCode::BAD_REQUEST,
                codes::NO_CREDENTIALS,
                "Missing X-Auth-Key, X-Auth-Email or Authorization headers",
            ),
            Error::Unauthenticated(AuthFailure::Malformed(sub, message)) => failure(
                StatusCode::BAD_REQUEST,
                vec![ErrorItem {
                    code: codes::BAD_HEADERS,
                    message: "Invalid request headers".into(),
                    source: None,
                    error_chain: vec![ChainItem {
                        code: sub,
                        message: message.into(),
                    }],
                }],
            ),
            Error::Unauthenticated(AuthFailure::BadToken) => fail(
                StatusCode::UNAUTHORIZED,
                codes::INVALID_TOKEN,
                "Invalid API Token",
            ),
            Error::Unauthenticated(AuthFailure::BadKey) => fail(
                StatusCode::UNAUTHORIZED,
                codes::INVALID_KEY,
                "Unknown X-Auth-Key or X-Auth-Email",
            ),
            Error::Unauthenticated(AuthFailure::Expired) => fail(
                StatusCode::UNAUTHORIZED,
                codes::INVALID_TOKEN,
                "Invalid API Token: it has expired",
            ),
            Error::Unauthenticated(AuthFailure::NotYetValid) => fail(
                StatusCode::UNAUTHORIZED,
                codes::INVALID_TOKEN,
                "Invalid API Token: it is not valid yet",
            ),
            Error::Unauthenticated(AuthFailure::Location(ip)) => fail(
                StatusCode::FORBIDDEN,
                codes::BAD_LOCATION,
                format!("Cannot use the access token from location: {ip}"),
            ),
            Error::Unauthenticated(AuthFailure::Certificate(why)) => {
                let (code, message) = why.code_and_message();
                fail(StatusCode::UNAUTHORIZED, code, message)
            }
            Error::Unauthenticated(AuthFailure::Session) => fail(
                StatusCode::UNAUTHORIZED,
                codes::SESSION_ENDED,
                "The console session has ended; sign in again",
            ),
            Error::Unauthenticated(AuthFailure::Csrf) => fail(
                StatusCode::FORBIDDEN,
                codes::CSRF_MISMATCH,
                "The request did not carry this session's CSRF token",
            ),
            Error::Forbidden => fail(
                StatusCode::FORBIDDEN,
                codes::FORBIDDEN,
                "Authentication error",
            ),
            Error::NotFound => fail(
                StatusCode::NOT_FOUND,
                codes::NOT_FOUND,
                "Could not route to the requested object, perhaps your object identifier is invalid?",
            ),
            Error::RateLimited(secs) => {
                let mut res = fail(
                    StatusCode::TOO_MANY_REQUESTS,
                    codes::RATE_LIMITED,
                    "Please wait and consider throttling your request speed",
                );
                if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                    res.headers_mut().insert(header::RETRY_AFTER, v);
                }
                res
            }
            Error::Unavailable(cause) => {
                tracing::warn!(%cause, "answering 503");
                let mut res = fail(
                    StatusCode::SERVICE_UNAVAILABLE,
                    codes::UNAVAILABLE,
                    "The service is temporarily unavailable; try again shortly",
                );
                res.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
                res
            }
            Error::Internal(cause) | Error::KeyUnavailable(cause) => {
                tracing::error!(%cause, "internal error");
                fail(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    codes::INTERNAL,
                    "Internal error",
                )
            }
        }
    }
}
