//! Operational endpoints: liveness, readiness, metrics; and the envelope for unknown routes.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

use super::envelope::fail;
use crate::error::codes;
use crate::service::Services;

/// `GET /healthz`: the process is up.
pub async fn healthz() -> &'static str {
    "ok\n"
}

/// `GET /readyz`: the database answers.
pub async fn readyz(State(s): State<Arc<Services>>) -> Response {
    if s.ready().await {
        (StatusCode::OK, "ready\n").into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unreachable\n").into_response()
    }
}

/// `GET /metrics`: Prometheus text format.
pub async fn metrics(State(s): State<Arc<Services>>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        s.metrics_text(crate::clock::now()).await,
    )
        .into_response()
}

/// Any unknown route.
pub async fn no_route() -> Response {
    fail(
        StatusCode::NOT_FOUND,
        codes::NO_ROUTE,
        "No route for that URI",
    )
}

/// A known route with a method it does not serve.
pub async fn method_not_allowed() -> Response {
    fail(
        StatusCode::METHOD_NOT_ALLOWED,
        codes::METHOD_NOT_ALLOWED,
        "Method not allowed for this route",
    )
}
