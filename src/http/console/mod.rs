//! The web console at `/console/`: server-rendered pages over the same services as the API, with
//! the signed-in principal; a little JavaScript (status polling, busy buttons, in-browser key
//! generation) embedded in the binary like the stylesheet. Errors keep the API's one mapping
//! ([`crate::http::error`]) and are shown as pages here.

mod admin;
mod assets;
mod audit;
mod cas;
mod cert;
mod certs;
mod charts;
pub mod html;
mod issue;
mod overview;
pub mod session;
mod signin;
mod tokens;

use std::sync::Arc;

use axum::body::to_bytes;
use axum::extract::Request;
use axum::http::{header, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::Value;

use crate::service::Services;

/// The console's routes, under `/console`.
pub fn routes() -> Router<Arc<Services>> {
    let pages = Router::new()
        .route("/console/", get(overview::show))
        .route("/console/signin", get(signin::form).post(signin::sign_in))
        .route("/console/signout", post(signin::sign_out))
        .route("/console/certificates", get(certs::list))
        .route("/console/certificates/{id}", get(cert::show))
        .route("/console/certificates/{id}/certificate.pem", get(cert::pem))
        .route(
            "/console/certificates/{id}/{action}",
            get(cert::confirm).post(cert::change),
        )
        .route("/console/api/certificates/{id}", get(cert::status))
        .route("/console/issue", get(issue::form).post(issue::submit))
        .route("/console/zones", get(admin::zones).post(admin::create_zone))
        .route("/console/zones/{id}/delete", post(admin::delete_zone))
        .route("/console/users", get(admin::users).post(admin::create_user))
        .route("/console/users/{id}/{action}", post(admin::user_action))
        .route("/console/tokens", get(tokens::list).post(tokens::create))
        .route("/console/tokens/{id}/{action}", post(tokens::action))
        .route("/console/cas", get(cas::list))
        .route("/console/audit", get(audit::list))
        .route("/console/assets/{name}", get(assets::serve))
        .layer(middleware::from_fn(as_page));
    pages.route(
        "/console",
        get(|| async { Redirect::permanent("/console/") }),
    )
}

/// The message of an envelope error answer.
fn envelope_message(body: &[u8]) -> String {
    serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| {
            v["errors"].as_array().map(|e| {
                e.iter()
                    .filter_map(|e| e["message"].as_str())
                    .collect::<Vec<_>>()
                    .join("; ")
            })
        })
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| "Something went wrong".to_owned())
}

/// Page requests get pages: an envelope error becomes an error page with the API's message (an
/// ended session, the sign-in page); requests that asked for JSON keep the envelope. Every answer
/// carries the console's security headers.
async fn as_page(req: Request, next: Next) -> Response {
    let wants_json = req.uri().path().starts_with("/console/api/")
        || req
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("application/json"));
    let is_get = req.method() == axum::http::Method::GET;
    let started = std::time::Instant::now();
    let mut res = next.run(req).await;
    // The server's own time, for the browser's developer tools and the console benchmark.
    let timing = format!("app;dur={:.2}", started.elapsed().as_secs_f64() * 1000.0);
    if let Ok(v) = axum::http::HeaderValue::from_str(&timing) {
        res.headers_mut().insert("server-timing", v);
    }
    let is_envelope = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with("application/json"));
    if wants_json
        || !is_envelope
        || !(res.status().is_client_error() || res.status().is_server_error())
    {
        return html::secure(res);
    }
    let status = res.status();
    let body = to_bytes(res.into_body(), 64 * 1024)
        .await
        .unwrap_or_default();
    let message = envelope_message(&body);
    if status == StatusCode::UNAUTHORIZED && is_get {
        return html::secure(Redirect::to("/console/signin").into_response());
    }
    let title = match status {
        StatusCode::UNAUTHORIZED => "Signed out",
        StatusCode::FORBIDDEN => "Not allowed",
        StatusCode::NOT_FOUND => "Not found",
        s if s.is_client_error() => "Not done",
        _ => "Server error",
    };
    let body = format!(
        "{}<p><a href=\"/console/\">Back to the overview</a> · <a href=\"/console/signin\">Sign in</a></p>",
        html::notice("error", &message)
    );
    html::secure(html::bare_page(status, title, &body))
}
