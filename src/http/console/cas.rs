//! The CAs: role, key, validity, chain and bundle downloads, and where a rotation stands.

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;

use super::html::{page, t, time};
use super::session::Session;
use crate::clock;
use crate::error::Result;
use crate::model::CaRole;
use crate::service::Services;

/// `GET /console/cas`.
pub async fn list(State(s): State<Arc<Services>>, session: Session) -> Result<Response> {
    let now = clock::now();
    let live: Vec<String> = s
        .cas
        .live(now)
        .await?
        .iter()
        .map(|c| c.id.clone())
        .collect();
    let all = s.cas.all();
    let pending = all.iter().filter(|c| c.role == CaRole::Pending).count();
    let retired_live = all
        .iter()
        .filter(|c| c.role == CaRole::Retired && live.contains(&c.id))
        .count();
    let state = match (pending, retired_live) {
        (0, 0) => "One issuing CA; no rotation under way.".to_owned(),
        (0, n) => format!("Rotation overlap: {n} retired CA(s) still have unexpired certificates and stay in the trust bundle."),
        (n, _) => format!("{n} requested CA(s) wait for their signed certificate (`mtls-ca ca install`)."),
    };
    let rows: String = all
        .iter()
        .map(|ca| {
            let validity = ca.not_after().map_or_else(
                || "pending".to_owned(),
                |at| format!("{} ({} days left)", time(at), (at - now) / 86_400),
            );
            let downloads = if ca.certificate.is_some() {
                format!(
                    "<a href=\"/pki/{0}/ca.pem\" download>ca.pem</a> · <a href=\"/pki/{0}/chain.pem\" download>chain.pem</a> · <a href=\"/pki/{0}/crl\" download>CRL</a>",
                    t(&ca.id)
                )
            } else {
                String::new()
            };
            format!(
                "<tr id=\"ca-{0}\"><td>{1}<br><code>{0}</code></td><td>{2}</td><td>{3}</td><td>{4}</td><td>{validity}</td><td>{5}</td><td>{downloads}</td></tr>",
                t(&ca.id),
                t(&ca.name),
                ca.role.as_str(),
                ca.algorithm.as_str(),
                ca.activated_at.map_or_else(|| "—".to_owned(), time),
                if live.contains(&ca.id) { "yes" } else { "no" },
            )
        })
        .collect();
    let body = format!(
        "<p>{}</p><p><a class=\"button\" href=\"/pki/bundle.pem\" download>Download the trust bundle</a></p>\
         <div class=\"scroll\"><table><thead><tr><th scope=\"col\">CA</th><th scope=\"col\">Role</th><th scope=\"col\">Key</th>\
         <th scope=\"col\">Issuing since</th><th scope=\"col\">Expires</th><th scope=\"col\">In bundle</th><th scope=\"col\">Downloads</th></tr></thead>\
         <tbody>{rows}</tbody></table></div>",
        t(&state)
    );
    Ok(page(&session, "Certificate authorities", "CAs", &body))
}
