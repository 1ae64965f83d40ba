//! Issue a certificate: paste a CSR, or let the page make a P-256 key and its CSR with WebCrypto
//! (`pkcs10.js`); the private key never leaves the browser, which offers it as a download next
//! to the certificate.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::html::{csrf_field, notice, page, t};
use super::session::{Change, Session};
use crate::clock;
use crate::error::{codes, Error, Result};
use crate::model::ZoneId;
use crate::service::certificates::CreateRequest;
use crate::service::Services;

/// `GET /console/issue`.
pub async fn form(session: Session) -> Result<Response> {
    let zones: String = session
        .abilities
        .zones
        .iter()
        .filter(|(_, _, write)| *write)
        .map(|(id, name, _)| format!("<option value=\"{}\">{}</option>", t(id), t(name)))
        .collect();
    if zones.is_empty() {
        let body = notice(
            "error",
            "This credential may not issue certificates in any zone.",
        );
        return Ok(page(&session, "Issue a certificate", "Issue", &body));
    }
    let body = format!(
        "<form id=\"issue\" method=\"post\" action=\"/console/issue\" class=\"stack\" data-busy>{}\
         <div class=\"row\"><div><label for=\"zone\">Zone</label><select id=\"zone\" name=\"zone\">{zones}</select></div>\
         <div><label for=\"validity_days\">Validity (days)</label>\
         <input id=\"validity_days\" name=\"validity_days\" type=\"number\" min=\"1\" max=\"3650\" value=\"365\" required></div></div>\
         <fieldset id=\"keygen\" class=\"needs-js\" hidden><legend>Make the key in this browser (ECDSA P-256)</legend>\
         <p class=\"muted\">The private key is made here and never sent; download it below once the certificate is issued.</p>\
         <div class=\"row\"><div><label for=\"cn\">Common name</label><input id=\"cn\" name=\"cn\" autocomplete=\"off\"></div>\
         <div><label for=\"dns\">DNS name (optional)</label><input id=\"dns\" name=\"dns\" autocomplete=\"off\"></div></div>\
         <button type=\"button\" id=\"generate\">Generate key pair and CSR</button> <span id=\"keygen-status\" role=\"status\"></span>\
         </fieldset>\
         <label for=\"csr\">CSR (PEM)</label>\
         <textarea id=\"csr\" name=\"csr\" rows=\"10\" spellcheck=\"false\" required \
         placeholder=\"-----BEGIN CERTIFICATE REQUEST-----\"></textarea>\
         <button type=\"submit\" id=\"submit\">Issue certificate</button></form>\
         <div id=\"issue-error\" role=\"alert\" class=\"notice error\" hidden></div>\
         <section id=\"issued\" hidden aria-labelledby=\"issued-h\"><h2 id=\"issued-h\" tabindex=\"-1\">Issued</h2>\
         <p><a id=\"issued-link\" href=\"#\">View the certificate</a></p>\
         <p><a id=\"download-cert\" class=\"button\" download=\"certificate.pem\" href=\"#\">Download certificate</a> \
         <a id=\"download-key\" class=\"button\" download=\"private-key.pem\" href=\"#\" hidden>Download private key</a></p></section>\
         <script type=\"module\" src=\"/console/assets/issue.js\"></script>",
        csrf_field(&session.caller)
    );
    Ok(page(&session, "Issue a certificate", "Issue", &body))
}

/// `POST /console/issue`: JSON for the page's script (`Accept: application/json`), else a page.
pub async fn submit(
    State(s): State<Arc<Services>>,
    headers: HeaderMap,
    change: Change,
) -> Result<Response> {
    let zone = ZoneId::parse(change.field("zone")).map_err(|_| Error::NotFound)?;
    let validity_days = change.field("validity_days").parse::<i64>().map_err(|_| {
        Error::invalid(
            codes::VALIDITY_OUT_OF_RANGE,
            "validity_days must be a whole number from 1 to 3650",
            Some("/validity_days"),
        )
    })?;
    let req = CreateRequest {
        csr: change.form.get("csr").cloned().unwrap_or_default(),
        validity_days,
    };
    let cert = s
        .create_certificate(&change.session.caller.caller, &zone, req, clock::now())
        .await?;
    let wants_json = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/json"));
    if wants_json {
        return Ok(axum::Json(json!({
            "id": cert.id,
            "common_name": cert.common_name,
            "certificate": cert.certificate,
            "status": cert.status,
        }))
        .into_response());
    }
    let body = format!(
        "{}<p><a href=\"/console/certificates/{}\">View the certificate</a></p><pre>{}</pre>",
        notice("ok", "The certificate was issued."),
        t(&cert.id),
        t(&cert.certificate)
    );
    Ok(page(&change.session, "Issued", "Issue", &body))
}
