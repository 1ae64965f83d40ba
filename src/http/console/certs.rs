//! The certificates page: search, filters, and keyset pages.

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;

use super::html::{page, status_badge, t};
use super::session::Session;
use crate::clock;
use crate::error::{codes, Error, Result};
use crate::http::extract::QueryMap;
use crate::model::{CertStatus, ZoneId};
use crate::service::cert_search::{CertPage, CertQuery};
use crate::service::Services;

fn parse(params: &std::collections::HashMap<String, String>) -> Result<CertQuery> {
    let get = |k: &str| params.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
    let zone = get("zone")
        .map(|z| ZoneId::parse(z).map_err(|_| Error::NotFound))
        .transpose()?;
    let status = match get("status") {
        None | Some("all") => None,
        Some(st) => Some(st.parse::<CertStatus>().map_err(|_| {
            Error::invalid(
                codes::INVALID_QUERY,
                format!("unknown status {st:?}"),
                Some("/status"),
            )
        })?),
    };
    let expiring_within_days = get("expiring")
        .map(|d| {
            d.parse::<i64>().map_err(|_| {
                Error::invalid(
                    codes::INVALID_QUERY,
                    format!("expiring within must be a number of days, not {d:?}"),
                    Some("/expiring"),
                )
            })
        })
        .transpose()?;
    Ok(CertQuery {
        zone,
        status,
        term: get("q").unwrap_or("").to_owned(),
        expiring_within_days,
        cursor: get("cursor").map(str::to_owned),
    })
}

fn option(value: &str, label: &str, selected: bool) -> String {
    let sel = if selected { " selected" } else { "" };
    format!("<option value=\"{}\"{sel}>{}</option>", t(value), t(label))
}

fn filters(s: &Session, q: &CertQuery) -> String {
    let zone = q.zone.as_ref().map(ZoneId::as_str);
    let mut zones = option("", "All zones", zone.is_none());
    for (id, name, _) in &s.abilities.zones {
        zones.push_str(&option(id, name, zone == Some(id.as_str())));
    }
    let mut statuses = option("all", "Any status", q.status.is_none());
    for st in CertStatus::ALL {
        statuses.push_str(&option(
            st.as_str(),
            &st.as_str().replace('_', " "),
            q.status == Some(st),
        ));
    }
    let expiring = q
        .expiring_within_days
        .map_or_else(String::new, |d| d.to_string());
    format!(
        "<form method=\"get\" action=\"/console/certificates\" class=\"filters\" role=\"search\" data-busy>\
         <div><label for=\"q\">Common name, serial, fingerprint or id</label>\
         <input id=\"q\" name=\"q\" type=\"search\" value=\"{}\" placeholder=\"svc-1 or 3f2a…\"></div>\
         <div><label for=\"zone\">Zone</label><select id=\"zone\" name=\"zone\">{zones}</select></div>\
         <div><label for=\"status\">Status</label><select id=\"status\" name=\"status\">{statuses}</select></div>\
         <div><label for=\"expiring\">Expiring within (days)</label>\
         <input id=\"expiring\" name=\"expiring\" type=\"number\" min=\"0\" max=\"3650\" inputmode=\"numeric\" value=\"{}\"></div>\
         <div><button type=\"submit\">Search</button></div></form>",
        t(&q.term),
        t(&expiring)
    )
}

fn table(s: &Session, result: &CertPage) -> String {
    if result.items.is_empty() {
        return "<p role=\"status\">No certificates match.</p>".to_owned();
    }
    let rows: String = result
        .items
        .iter()
        .zip(&result.zones)
        .map(|(c, zone)| {
            format!(
                "<tr><td><a href=\"/console/certificates/{0}\">{1}</a></td><td>{2}</td><td>{3}</td>\
                 <td><code>{4}</code></td><td>{5}</td><td>{6}</td></tr>",
                t(&c.id),
                t(if c.common_name.is_empty() { "(no CN)" } else { &c.common_name }),
                status_badge(&c.status),
                t(s.abilities.zone_name(zone).unwrap_or(zone)),
                t(&c.serial_number),
                t(&c.issued_on),
                t(&c.expires_on)
            )
        })
        .collect();
    format!(
        "<div class=\"scroll\"><table class=\"certs\"><caption class=\"visually-hidden\">Certificates</caption>\
         <thead><tr><th scope=\"col\">Common name</th><th scope=\"col\">Status</th><th scope=\"col\">Zone</th>\
         <th scope=\"col\">Serial</th><th scope=\"col\">Issued</th><th scope=\"col\">Expires</th></tr></thead>\
         <tbody>{rows}</tbody></table></div>"
    )
}

fn next_link(params: &std::collections::HashMap<String, String>, next: &str) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in params.iter().filter(|(k, _)| k.as_str() != "cursor") {
        query.append_pair(k, v);
    }
    query.append_pair("cursor", next);
    format!(
        "<nav aria-label=\"Pages\" class=\"pager\"><a href=\"/console/certificates\">First page</a>\
         <a href=\"/console/certificates?{}\" rel=\"next\">Next page</a></nav>",
        t(&query.finish())
    )
}

/// `GET /console/certificates`.
pub async fn list(
    State(s): State<Arc<Services>>,
    session: Session,
    QueryMap(params): QueryMap,
) -> Result<Response> {
    let q = parse(&params)?;
    let result = s
        .search_certificates(&session.caller.caller, &q, clock::now())
        .await?;
    let order = if q.expiring_within_days.is_some() {
        "soonest expiry first"
    } else if !q.term.is_empty() {
        "by common name"
    } else {
        "newest first"
    };
    let pager = match &result.next {
        Some(next) => next_link(&params, next),
        None if q.cursor.is_some() => "<nav aria-label=\"Pages\" class=\"pager\"><a href=\"/console/certificates\">First page</a></nav>".to_owned(),
        None => String::new(),
    };
    let body = format!(
        "{}<p class=\"muted\">{} shown, {order}.</p>{}{pager}",
        filters(&session, &q),
        result.items.len(),
        table(&session, &result)
    );
    Ok(page(&session, "Certificates", "Certificates", &body))
}
