//! The audit log: filtered by action, actor email and time, newest first, in keyset pages
//! ("older" / "newer" links carry a cursor; nothing counts the log).

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;

use super::html::{page, t};
use super::session::Session;
use crate::error::Result;
use crate::http::extract::QueryMap;
use crate::service::audit::{parse_filter, AuditScope};
use crate::service::paging::Paging;
use crate::service::Services;

fn input(id: &str, label: &str, value: &str, placeholder: &str) -> String {
    format!(
        "<div><label for=\"{id}\">{label}</label><input id=\"{id}\" name=\"{id}\" value=\"{}\" placeholder=\"{placeholder}\"></div>",
        t(value)
    )
}

/// `GET /console/audit`: the account's log when the credential may read it, else its own actions.
pub async fn list(
    State(s): State<Arc<Services>>,
    session: Session,
    QueryMap(mut params): QueryMap,
) -> Result<Response> {
    params.retain(|_, v| !v.trim().is_empty());
    let filter = parse_filter(&params)?;
    let paging = Paging::parse(&params, 50, 10, 200)?;
    let caller = &session.caller.caller;
    let scope = if session.abilities.tokens {
        AuditScope::Account
    } else {
        AuditScope::User
    };
    let cursor = params.get("cursor").map(String::as_str);
    let per_page = i64::try_from(paging.per_page).unwrap_or(50);
    let audit = s
        .audit_page(caller, scope, filter, cursor, per_page)
        .await?;
    let get = |k: &str| params.get(k).map_or("", String::as_str);
    let rows: String = audit
        .entries
        .iter()
        .map(|e| {
            format!(
                "<tr><td>{}</td><td>{}</td><td>{} {}</td><td>{}<br><span class=\"muted\">{}</span></td><td>{}</td><td><code>{}</code></td></tr>",
                t(e["when"].as_str().unwrap_or("")),
                t(e["action"]["type"].as_str().unwrap_or("")),
                t(e["resource"]["type"].as_str().unwrap_or("")),
                t(e["resource"]["id"].as_str().unwrap_or("")),
                t(e["actor"]["email"].as_str().filter(|m| !m.is_empty()).unwrap_or(e["actor"]["id"].as_str().unwrap_or(""))),
                t(e["actor"]["ip"].as_str().unwrap_or("")),
                t(e["interface"].as_str().unwrap_or("")),
                t(e["newValue"].as_str().unwrap_or("")),
            )
        })
        .collect();
    let link = |cursor: Option<&str>| {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in params
            .iter()
            .filter(|(k, _)| !matches!(k.as_str(), "page" | "cursor"))
        {
            q.append_pair(k, v);
        }
        if let Some(c) = cursor {
            q.append_pair("cursor", c);
        }
        format!("/console/audit?{}", q.finish())
    };
    let mut pager = String::new();
    if audit.newer.is_some() {
        pager.push_str(&format!("<a href=\"{}\">Newest</a>", t(&link(None))));
    }
    if let Some(c) = &audit.newer {
        pager.push_str(&format!(
            "<a href=\"{}\" rel=\"prev\">Newer</a>",
            t(&link(Some(c)))
        ));
    }
    if let Some(c) = &audit.older {
        pager.push_str(&format!(
            "<a href=\"{}\" rel=\"next\">Older</a>",
            t(&link(Some(c)))
        ));
    }
    let summary = match (audit.entries.is_empty(), audit.about) {
        (true, _) => "No entries match.".to_owned(),
        (false, Some(n)) => format!("About {n} entries in the log; newest first."),
        (false, None) => "Matching entries, newest first.".to_owned(),
    };
    let body = format!(
        "<form method=\"get\" action=\"/console/audit\" class=\"filters\" data-busy>{}{}{}{}<div><button type=\"submit\">Filter</button></div></form>\
         <p class=\"muted\">{summary}</p>\
         <div class=\"scroll\"><table><thead><tr><th scope=\"col\">When</th><th scope=\"col\">Action</th><th scope=\"col\">Resource</th>\
         <th scope=\"col\">Actor</th><th scope=\"col\">Interface</th><th scope=\"col\">New value</th></tr></thead><tbody>{rows}</tbody></table></div>\
         <nav aria-label=\"Pages\" class=\"pager\">{pager}</nav>",
        input("action.type", "Action", get("action.type"), "revoke"),
        input("actor.email", "Actor email", get("actor.email"), "ops@example.com"),
        input("since", "Since", get("since"), "2027-01-01T00:00:00Z"),
        input("before", "Before", get("before"), ""),
    );
    Ok(page(&session, "Audit log", "Audit log", &body))
}
