//! The HTTP surface: the Cloudflare v4 API (under `/client/v4` and at the root), the public PKI
//! endpoints (`/pki/{ca_id}/...`) and operations.

pub mod auth;
pub mod certificates;
pub mod console;
pub mod envelope;
pub mod error;
pub mod extract;
pub mod ops;
pub mod pki;
pub mod tokens;
pub mod zones;

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use axum::Router;

use tower_http::catch_panic::CatchPanicLayer;

use crate::error::Error;
use crate::service::Services;

fn v4_api() -> Router<Arc<Services>> {
    Router::new()
        .route(
            "/zones/{zone_id}/client_certificates",
            get(certificates::list).post(certificates::create),
        )
        .route(
            "/zones/{zone_id}/client_certificates/{cert_id}",
            get(certificates::get_one)
                .delete(certificates::revoke)
                .patch(certificates::reactivate),
        )
        .route("/zones", get(zones::list).post(zones::create))
        .route(
            "/zones/{zone_id}",
            get(zones::get_one).delete(zones::delete),
        )
        .route("/accounts", get(zones::accounts))
        .route("/accounts/{account_id}", get(zones::account))
        .route(
            "/accounts/{account_id}/audit_logs",
            get(zones::account_audit),
        )
        .route("/user/audit_logs", get(zones::user_audit))
        .route("/user/tokens", get(tokens::list).post(tokens::create))
        .route("/user/tokens/verify", get(tokens::verify))
        .route("/user/tokens/permission_groups", get(tokens::groups))
        .route(
            "/user/tokens/{token_id}",
            get(tokens::get_one)
                .put(tokens::update)
                .delete(tokens::delete),
        )
        .route("/user/tokens/{token_id}/value", put(tokens::roll))
        .route(
            "/user/tokens/{token_id}/certificates",
            get(tokens::certificates),
        )
        .route(
            "/user/tokens/{token_id}/certificates/{certificate_id}",
            put(tokens::bind).delete(tokens::unbind),
        )
        .method_not_allowed_fallback(ops::method_not_allowed)
}

/// Limits of the HTTP layer.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest request body, bytes.
    pub body: usize,
    /// Longest a request may take before it is answered 503.
    pub timeout: Duration,
}

/// The whole application router.
pub fn router(services: Arc<Services>, limits: Limits) -> Router {
    let routes = Router::new()
        .nest("/client/v4", v4_api())
        .merge(v4_api())
        .merge(pki::routes())
        .merge(console::routes())
        .route("/metrics", get(ops::metrics));
    finish(routes, services, limits)
}

/// The relying parties' router for the plain-HTTP PKI listener: `/pki/*`, `/healthz`, `/readyz`,
/// and nothing that takes a credential.
pub fn pki_router(services: Arc<Services>, limits: Limits) -> Router {
    finish(pki::routes(), services, limits)
}

/// `Strict-Transport-Security` on every answer over HTTPS.
pub async fn hsts(mut res: Response) -> Response {
    res.headers_mut().insert(
        axum::http::header::STRICT_TRANSPORT_SECURITY,
        axum::http::HeaderValue::from_static("max-age=31536000"),
    );
    res
}

/// Health, the fallbacks, panic catching, the request log, the timeout and the body limit.
fn finish(routes: Router<Arc<Services>>, services: Arc<Services>, limits: Limits) -> Router {
    routes
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .fallback(ops::no_route)
        .method_not_allowed_fallback(ops::method_not_allowed)
        // A bug that panics is still answered in the envelope (and logged), never a dropped connection.
        .layer(CatchPanicLayer::custom(|_| {
            Error::Internal("a request handler panicked".into()).into_response()
        }))
        .layer(middleware::from_fn_with_state(
            (services.clone(), limits.timeout),
            observe,
        ))
        .layer(DefaultBodyLimit::max(limits.body))
        .with_state(services)
}

/// One log line and one metric sample per request: method, matched route, status, latency.
/// A request that takes longer than the timeout (a stalled body, a database that does not answer)
/// is answered 503, never 408, which the SDKs would retry blindly.
async fn observe(
    State((s, timeout)): State<(Arc<Services>, Duration)>,
    req: Request,
    next: Next,
) -> Response {
    let start = Instant::now();
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |m| m.as_str().to_owned());
    let res = match tokio::time::timeout(timeout, next.run(req)).await {
        Ok(res) => res,
        Err(_) => Error::Unavailable("the request took too long".into()).into_response(),
    };
    let elapsed = start.elapsed();
    let status = res.status().as_u16();
    s.metrics
        .record_request(method.as_str(), &route, status, elapsed.as_secs_f64());
    tracing::info!(
        method = %method,
        route = %route,
        status,
        latency_ms = format_args!("{:.2}", elapsed.as_secs_f64() * 1000.0),
        "request"
    );
    res
}
