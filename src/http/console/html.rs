//! HTML for the console, written by hand: every dynamic value goes through [`t`], which escapes
//! it; the layout (navigation by what the credential may do, the CSRF token, skip link) is here.

use std::fmt;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::session::Session;
use crate::clock::rfc3339;
use crate::service::console_sessions::SessionCaller;

/// Text escaped for HTML content and attribute values.
pub struct T<'a>(pub &'a str);

impl fmt::Display for T<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in self.0.chars() {
            match c {
                '&' => f.write_str("&amp;")?,
                '<' => f.write_str("&lt;")?,
                '>' => f.write_str("&gt;")?,
                '"' => f.write_str("&quot;")?,
                '\'' => f.write_str("&#39;")?,
                c => fmt::Write::write_char(f, c)?,
            }
        }
        Ok(())
    }
}

/// Escapes `s` for HTML.
pub fn t(s: &str) -> T<'_> {
    T(s)
}

/// A `<time>` for unix seconds.
pub fn time(at: i64) -> String {
    let text = rfc3339(at);
    format!("<time datetime=\"{0}\">{0}</time>", t(&text))
}

/// The hidden CSRF field of a form that changes something.
pub fn csrf_field(s: &SessionCaller) -> String {
    format!(
        "<input type=\"hidden\" name=\"csrf\" value=\"{}\">",
        t(&s.csrf)
    )
}

/// A form that POSTs to `action` with one button (and the CSRF token).
pub fn button_form(s: &SessionCaller, action: &str, label: &str, class: &str) -> String {
    format!(
        "<form method=\"post\" action=\"{}\" class=\"inline\">{}<button type=\"submit\" class=\"{}\">{}</button></form>",
        t(action),
        csrf_field(s),
        t(class),
        t(label)
    )
}

/// A status badge.
pub fn status_badge(status: &str) -> String {
    format!(
        "<span class=\"badge status-{0}\">{1}</span>",
        t(status),
        t(&status.replace('_', " "))
    )
}

/// An error or notice box (`role=alert` for errors).
pub fn notice(kind: &str, text: &str) -> String {
    let role = if kind == "error" { "alert" } else { "status" };
    format!(
        "<div class=\"notice {kind}\" role=\"{role}\">{}</div>",
        t(text)
    )
}

fn head(title: &str, csrf: Option<&str>) -> String {
    let csrf = csrf.map_or_else(String::new, |c| {
        format!("<meta name=\"csrf-token\" content=\"{}\">", t(c))
    });
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{} · mtls-ca console</title>{csrf}<link rel=\"icon\" href=\"data:,\">\
         <link rel=\"stylesheet\" href=\"/console/assets/console.css\">\
         <script src=\"/console/assets/console.js\" defer></script></head>",
        t(title)
    )
}

fn nav(s: &Session, current: &str) -> String {
    let p = &s.caller.caller.principal;
    let a = &s.abilities;
    let mut items = vec![
        ("/console/", "Overview"),
        ("/console/certificates", "Certificates"),
    ];
    if a.issue() {
        items.push(("/console/issue", "Issue"));
    }
    items.push(("/console/zones", "Zones"));
    if a.tokens {
        items.push(("/console/tokens", "Tokens"));
    }
    if a.users {
        items.push(("/console/users", "Users"));
    }
    items.push(("/console/cas", "CAs"));
    items.push(("/console/audit", "Audit log"));
    let links: String = items
        .iter()
        .map(|(href, label)| {
            let here = if *label == current {
                " aria-current=\"page\""
            } else {
                ""
            };
            format!("<li><a href=\"{href}\"{here}>{label}</a></li>")
        })
        .collect();
    let who = match p.email() {
        "" => format!("token {}", &p.id),
        email => email.to_owned(),
    };
    format!(
        "<header><nav aria-label=\"Main\"><a class=\"brand\" href=\"/console/\">mtls-ca</a><ul>{links}</ul>\
         <div class=\"who\"><span>{}</span>{}</div></nav></header>",
        t(&who),
        button_form(&s.caller, "/console/signout", "Sign out", "link")
    )
}

/// The headers every console answer carries: no caching, no framing, scripts and styles only from
/// the console itself.
pub fn secure(mut res: Response) -> Response {
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        ),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

fn html(status: StatusCode, body: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response()
}

/// A page of the signed-in console: the layout around `body`, `current` naming the nav entry.
pub fn page(s: &Session, title: &str, current: &str, body: &str) -> Response {
    html(
        StatusCode::OK,
        format!(
            "{}<body><a class=\"skip\" href=\"#main\">Skip to content</a>{}\
             <main id=\"main\" tabindex=\"-1\"><h1>{}</h1>{body}</main></body></html>",
            head(title, Some(&s.caller.csrf)),
            nav(s, current),
            t(title)
        ),
    )
}

/// A page outside a session (sign-in, errors).
pub fn bare_page(status: StatusCode, title: &str, body: &str) -> Response {
    html(
        status,
        format!(
            "{}<body class=\"bare\"><main id=\"main\"><h1>{}</h1>{body}</main></body></html>",
            head(title, None),
            t(title)
        ),
    )
}
