//! The console's stylesheet and scripts, compiled into the binary: nothing is fetched at run time.

use axum::extract::Path;
use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::error::Error;

const CSS: &str = include_str!("assets/console.css");
const JS: &str = include_str!("assets/console.js");
const ISSUE_JS: &str = include_str!("assets/issue.js");
const PKCS10_JS: &str = include_str!("assets/pkcs10.js");

/// `GET /console/assets/{name}`.
pub async fn serve(Path(name): Path<String>) -> Result<Response, Error> {
    let (body, kind) = match name.as_str() {
        "console.css" => (CSS, "text/css; charset=utf-8"),
        "console.js" => (JS, "text/javascript; charset=utf-8"),
        "issue.js" => (ISSUE_JS, "text/javascript; charset=utf-8"),
        "pkcs10.js" => (PKCS10_JS, "text/javascript; charset=utf-8"),
        _ => return Err(Error::NotFound),
    };
    Ok((
        [
            (header::CONTENT_TYPE, kind),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response())
}
