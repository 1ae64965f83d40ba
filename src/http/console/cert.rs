//! One certificate: every API field, the decoded certificate, PEM download, revoke and reactivate
//! behind a confirmation, and the JSON status the page polls while the worker finishes a change.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::json;

use super::html::{csrf_field, page, status_badge, t};
use super::session::{Change, Session};
use crate::clock;
use crate::error::{Error, Result};
use crate::model::{CertId, ZoneId};
use crate::service::cert_search::describe_certificate;
use crate::service::view::ClientCertificate;
use crate::service::Services;

async fn load(s: &Services, session: &Session, id: &str) -> Result<(ZoneId, ClientCertificate)> {
    let id = CertId::parse(id).map_err(|_| Error::NotFound)?;
    let zone = s.certificate_zone(&id).await?;
    let cert = s
        .get_certificate(&session.caller.caller, &zone, &id)
        .await?;
    Ok((zone, cert))
}

fn fields(c: &ClientCertificate, zone: &str) -> String {
    let rows = [
        ("id", c.id.as_str()),
        ("zone", zone),
        ("common_name", &c.common_name),
        ("organization", &c.organization),
        ("organizational_unit", &c.organizational_unit),
        ("country", &c.country),
        ("state", &c.state),
        ("location", &c.location),
        ("serial_number", &c.serial_number),
        ("fingerprint_sha256", &c.fingerprint_sha256),
        ("ski", &c.ski),
        ("signature", &c.signature),
        ("issued_on", &c.issued_on),
        ("expires_on", &c.expires_on),
        ("certificate_authority.id", &c.certificate_authority.id),
        ("certificate_authority.name", &c.certificate_authority.name),
    ];
    let mut out: String = rows
        .iter()
        .map(|(k, v)| format!("<dt>{k}</dt><dd><code>{}</code></dd>", t(v)))
        .collect();
    out.push_str(&format!(
        "<dt>validity_days</dt><dd>{}</dd>",
        c.validity_days
    ));
    format!("<dl class=\"fields\">{out}</dl>")
}

fn decoded(c: &ClientCertificate) -> String {
    let Some(d) = describe_certificate(&c.certificate) else {
        return "<p>The certificate does not decode.</p>".to_owned();
    };
    let sans = if d.sans.is_empty() {
        "none".to_owned()
    } else {
        d.sans
            .iter()
            .map(|s| format!("<li>{}</li>", t(s)))
            .collect::<String>()
    };
    let exts: String = d
        .extensions
        .iter()
        .map(|e| {
            format!(
                "<tr><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
                t(&e.name),
                if e.critical { "yes" } else { "no" },
                t(&e.value)
            )
        })
        .collect();
    format!(
        "<dl class=\"fields\"><dt>Subject</dt><dd>{}</dd><dt>Issuer</dt><dd>{}</dd><dt>Version</dt><dd>{}</dd>\
         <dt>Not before</dt><dd>{}</dd><dt>Not after</dt><dd>{}</dd><dt>Key</dt><dd>{}</dd>\
         <dt>Signature algorithm</dt><dd>{}</dd><dt>Subject alternative names</dt><dd><ul class=\"plain\">{sans}</ul></dd></dl>\
         <div class=\"scroll\"><table><caption>Extensions</caption><thead><tr><th scope=\"col\">Extension</th>\
         <th scope=\"col\">Critical</th><th scope=\"col\">Value</th></tr></thead><tbody>{exts}</tbody></table></div>",
        t(&d.subject),
        t(&d.issuer),
        d.version,
        t(&d.validity.0),
        t(&d.validity.1),
        t(&d.key),
        t(&d.signature_algorithm)
    )
}

fn actions(session: &Session, c: &ClientCertificate, zone: &str) -> String {
    if !session.abilities.writes(zone) {
        return String::new();
    }
    let hide = |shown: &[&str]| {
        if shown.contains(&c.status.as_str()) {
            ""
        } else {
            " hidden"
        }
    };
    format!(
        "<p class=\"actions\"><a class=\"button danger\" href=\"/console/certificates/{0}/revoke\" \
         data-show-when=\"active pending_reactivation\"{1}>Revoke…</a>\
         <a class=\"button\" href=\"/console/certificates/{0}/reactivate\" \
         data-show-when=\"revoked pending_revocation\"{2}>Reactivate…</a></p>",
        t(&c.id),
        hide(&["active", "pending_reactivation"]),
        hide(&["revoked", "pending_revocation"])
    )
}

/// `GET /console/certificates/{id}`.
pub async fn show(
    State(s): State<Arc<Services>>,
    session: Session,
    Path(id): Path<String>,
) -> Result<Response> {
    let (zone, c) = load(&s, &session, &id).await?;
    let body = format!(
        "<p>Status: <span id=\"status\" aria-live=\"polite\" data-poll=\"/console/api/certificates/{0}\" data-status=\"{1}\">{2}</span></p>\
         {3}<p><a href=\"/console/certificates/{0}/certificate.pem\" download>Download certificate (PEM)</a></p>\
         <section aria-labelledby=\"api\"><h2 id=\"api\">API fields</h2>{4}</section>\
         <section aria-labelledby=\"dec\"><h2 id=\"dec\">Decoded certificate</h2>{5}</section>\
         <section aria-labelledby=\"pems\"><h2 id=\"pems\">PEM</h2><details><summary>Certificate</summary><pre>{6}</pre></details>\
         <details><summary>CSR as sent</summary><pre>{7}</pre></details></section>",
        t(&c.id),
        t(&c.status),
        status_badge(&c.status),
        actions(&session, &c, zone.as_str()),
        fields(&c, session.abilities.zone_name(zone.as_str()).unwrap_or(zone.as_str())),
        decoded(&c),
        t(&c.certificate),
        t(&c.csr)
    );
    let title = if c.common_name.is_empty() {
        "Certificate"
    } else {
        &c.common_name
    };
    Ok(page(&session, title, "Certificates", &body))
}

/// `GET /console/certificates/{id}/certificate.pem`.
pub async fn pem(
    State(s): State<Arc<Services>>,
    session: Session,
    Path(id): Path<String>,
) -> Result<Response> {
    let (_, c) = load(&s, &session, &id).await?;
    let disposition = format!("attachment; filename=\"{}.pem\"", c.id);
    Ok((
        [
            (header::CONTENT_TYPE, "application/x-pem-file".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        c.certificate,
    )
        .into_response())
}

fn verb(action: &str) -> Result<(&'static str, &'static str)> {
    match action {
        "revoke" => Ok(("Revoke", "It is published as revoked (CRL and OCSP) by the worker's next run; it can be reactivated later.")),
        "reactivate" => Ok(("Reactivate", "It leaves the CRL at the worker's next run and reads active again.")),
        _ => Err(Error::NotFound),
    }
}

/// `GET /console/certificates/{id}/{revoke|reactivate}`: the confirmation.
pub async fn confirm(
    State(s): State<Arc<Services>>,
    session: Session,
    Path((id, action)): Path<(String, String)>,
) -> Result<Response> {
    let (label, effect) = verb(&action)?;
    let (zone, c) = load(&s, &session, &id).await?;
    if !session.abilities.writes(zone.as_str()) {
        return Err(Error::Forbidden);
    }
    let body = format!(
        "<p>{label} the certificate <strong>{}</strong> (serial <code>{}</code>), now {}? {effect}</p>\
         <form method=\"post\" action=\"/console/certificates/{}/{}\" data-busy>{}\
         <button type=\"submit\" class=\"danger\">{label}</button> <a href=\"/console/certificates/{3}\">Cancel</a></form>",
        t(&c.common_name),
        t(&c.serial_number),
        status_badge(&c.status),
        t(&c.id),
        t(&action),
        csrf_field(&session.caller)
    );
    Ok(page(
        &session,
        &format!("{label} certificate?"),
        "Certificates",
        &body,
    ))
}

/// `POST /console/certificates/{id}/{revoke|reactivate}`.
pub async fn change(
    State(s): State<Arc<Services>>,
    Path((id, action)): Path<(String, String)>,
    change: Change,
) -> Result<Response> {
    verb(&action)?;
    let caller = &change.session.caller.caller;
    let cert = CertId::parse(&id).map_err(|_| Error::NotFound)?;
    let zone = s.certificate_zone(&cert).await?;
    let now = clock::now();
    if action == "revoke" {
        s.revoke_certificate(caller, &zone, &cert, now).await?;
    } else {
        s.reactivate_certificate(caller, &zone, &cert, true, now)
            .await?;
    }
    Ok(Redirect::to(&format!("/console/certificates/{}", cert.as_str())).into_response())
}

/// `GET /console/api/certificates/{id}`: `{id, status}` for the page's polling.
pub async fn status(
    State(s): State<Arc<Services>>,
    session: Session,
    Path(id): Path<String>,
) -> Result<Response> {
    let (_, c) = load(&s, &session, &id).await?;
    Ok((
        StatusCode::OK,
        axum::Json(json!({"id": c.id, "status": c.status})),
    )
        .into_response())
}
