//! The overview page: counts by status, the three charts, the CAs, the CRLs, the worker.

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;

use super::charts::bars;
use super::html::{page, status_badge, t, time};
use super::session::Session;
use crate::clock::{self, rfc3339};
use crate::error::Result;
use crate::service::overview::{Overview, DAYS, WEEKS};
use crate::service::Services;

const DAY: i64 = 86_400;

fn day_labels(from: i64, n: i64, step: i64) -> Vec<String> {
    (0..n)
        .map(|i| rfc3339(from + i * step).get(5..10).unwrap_or("").to_owned())
        .collect()
}

fn counts(o: &Overview) -> String {
    let cells: String = o
        .figures
        .by_status
        .iter()
        .map(|(status, n)| {
            format!(
                "<div class=\"stat\"><a href=\"/console/certificates?status={0}\">{1}</a><strong>{n}</strong></div>",
                status.as_str(),
                status_badge(status.as_str())
            )
        })
        .collect();
    let total: i64 = o.figures.by_status.iter().map(|(_, n)| n).sum();
    format!("<section aria-labelledby=\"counts\"><h2 id=\"counts\">Certificates ({total})</h2><div class=\"stats\">{cells}</div></section>")
}

fn authorities(o: &Overview, now: i64) -> String {
    let rows: String = o
        .cas
        .iter()
        .map(|ca| {
            let crl = o.crls.iter().find(|c| c.ca_id == ca.id);
            let crl = crl.map_or_else(
                || "<td colspan=\"3\">no CRL yet</td>".to_owned(),
                |c| format!("<td>{}</td><td>{}</td><td>{}</td>", c.crl_number, time(c.this_update), time(c.next_update)),
            );
            let expiry = ca.not_after().map_or_else(
                || "pending".to_owned(),
                |at| format!("{} ({} days)", time(at), (at - now) / DAY),
            );
            format!(
                "<tr><td><a href=\"/console/cas#ca-{0}\">{1}</a></td><td>{2}</td><td>{expiry}</td>{crl}</tr>",
                t(&ca.id),
                t(&ca.name),
                ca.role.as_str()
            )
        })
        .collect();
    format!(
        "<section aria-labelledby=\"cas\"><h2 id=\"cas\">Certificate authorities and CRLs</h2><div class=\"scroll\"><table>\
         <thead><tr><th scope=\"col\">CA</th><th scope=\"col\">Role</th><th scope=\"col\">Expires</th>\
         <th scope=\"col\">CRL number</th><th scope=\"col\">thisUpdate</th><th scope=\"col\">nextUpdate</th></tr></thead>\
         <tbody>{rows}</tbody></table></div></section>"
    )
}

fn worker(o: &Overview, now: i64) -> String {
    let text = match &o.worker {
        Some(w) => format!(
            "Last run {} ({} s ago) on instance <code>{}</code>, {} ms: {} revoked, {} reactivated.",
            time(w.finished_at),
            now - w.finished_at,
            t(&w.holder),
            w.duration_ms,
            w.revoked,
            w.reactivated
        ),
        None => "The worker has not run yet.".to_owned(),
    };
    format!(
        "<section aria-labelledby=\"worker\"><h2 id=\"worker\">Worker</h2><p>{text}</p></section>"
    )
}

/// `GET /console/`.
pub async fn show(State(s): State<Arc<Services>>, session: Session) -> Result<Response> {
    let now = clock::now();
    let o = s.overview(&session.caller.caller, now).await?;
    let days = day_labels(o.figures.days_from, DAYS, DAY);
    let weeks = day_labels(now, WEEKS, 7 * DAY);
    let body = format!(
        "{}<section aria-labelledby=\"charts\"><h2 id=\"charts\">Activity</h2><div class=\"charts\">{}{}{}</div></section>{}{}",
        counts(&o),
        bars("issued", "Certificates issued per day, last 30 days", &days, &o.figures.issued_per_day, 5),
        bars("revoked", "Revocations requested per day, last 30 days", &days, &o.figures.revoked_per_day, 5),
        bars("expiring", "Active certificates expiring per week, next 12 weeks (week starting)", &weeks, &o.figures.expiring_per_week, 2),
        authorities(&o, now),
        worker(&o, now)
    );
    Ok(page(&session, "Overview", "Overview", &body))
}
