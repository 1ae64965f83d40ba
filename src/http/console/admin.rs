//! Zones and users: list, create, delete a zone, disable or enable a user. Secrets made here (a
//! user's Global API Key) are shown once.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use secrecy::ExposeSecret;

use super::html::{button_form, csrf_field, notice, page, t, time};
use super::session::{Change, Session};
use crate::clock;
use crate::error::{Error, Result};
use crate::model::ZoneId;
use crate::service::Services;

async fn zones_page(s: &Services, session: &Session, note: &str) -> Result<Response> {
    let zones = s.list_zones(&session.caller.caller, None).await?;
    let p = &session.caller.caller.principal;
    let rows: String = zones
        .iter()
        .map(|z| {
            let delete = if p
                .zone_rights(&z.id)
                .has(crate::model::policy::PermissionGroup::ZoneWrite)
            {
                button_form(&session.caller, &format!("/console/zones/{}/delete", z.id), "Delete", "danger small")
            } else {
                String::new()
            };
            format!(
                "<tr><td><a href=\"/console/certificates?zone={0}\">{1}</a></td><td><code>{0}</code></td><td>{2}</td><td>{delete}</td></tr>",
                t(&z.id),
                t(&z.name),
                time(z.created_at)
            )
        })
        .collect();
    let create = if session.abilities.create_zones {
        format!(
            "<form method=\"post\" action=\"/console/zones\" class=\"row\" data-busy>{}\
             <div><label for=\"name\">New zone name</label><input id=\"name\" name=\"name\" required></div>\
             <div><button type=\"submit\">Create zone</button></div></form>",
            csrf_field(&session.caller)
        )
    } else {
        String::new()
    };
    let body = format!(
        "{note}{create}<div class=\"scroll\"><table><thead><tr><th scope=\"col\">Name</th><th scope=\"col\">Id</th>\
         <th scope=\"col\">Created</th><th scope=\"col\"><span class=\"visually-hidden\">Actions</span></th></tr></thead><tbody>{rows}</tbody></table></div>"
    );
    Ok(page(session, "Zones", "Zones", &body))
}

/// `GET /console/zones`.
pub async fn zones(State(s): State<Arc<Services>>, session: Session) -> Result<Response> {
    zones_page(&s, &session, "").await
}

/// `POST /console/zones`.
pub async fn create_zone(State(s): State<Arc<Services>>, change: Change) -> Result<Response> {
    let zone = s
        .create_zone(
            &change.session.caller.caller,
            change.field("name"),
            clock::now(),
        )
        .await?;
    let note = notice("ok", &format!("Zone {} created.", zone.name));
    zones_page(&s, &change.session, &note).await
}

/// `POST /console/zones/{id}/delete`.
pub async fn delete_zone(
    State(s): State<Arc<Services>>,
    Path(id): Path<String>,
    change: Change,
) -> Result<Response> {
    let zone = ZoneId::parse(&id).map_err(|_| Error::NotFound)?;
    s.delete_zone(&change.session.caller.caller, &zone, clock::now())
        .await?;
    Ok(Redirect::to("/console/zones").into_response())
}

async fn users_page(s: &Services, session: &Session, note: &str) -> Result<Response> {
    let users = s.list_users(&session.caller.caller).await?;
    let rows: String = users
        .iter()
        .map(|u| {
            let (label, action) = if u.disabled {
                ("Enable", "enable")
            } else {
                ("Disable", "disable")
            };
            let path = format!(
                "/console/users/{}/{action}",
                url::form_urlencoded::byte_serialize(u.email.as_bytes()).collect::<String>()
            );
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                t(&u.email),
                if u.disabled { "disabled" } else { "active" },
                time(u.created_at),
                button_form(&session.caller, &path, label, "small")
            )
        })
        .collect();
    let body = format!(
        "{note}<form method=\"post\" action=\"/console/users\" class=\"row\" data-busy>{}\
         <div><label for=\"email\">New user's email</label><input id=\"email\" name=\"email\" type=\"email\" required></div>\
         <div><button type=\"submit\">Create user</button></div></form>\
         <div class=\"scroll\"><table><thead><tr><th scope=\"col\">Email</th><th scope=\"col\">State</th><th scope=\"col\">Created</th>\
         <th scope=\"col\"><span class=\"visually-hidden\">Actions</span></th></tr></thead><tbody>{rows}</tbody></table></div>",
        csrf_field(&session.caller)
    );
    Ok(page(session, "Users", "Users", &body))
}

/// `GET /console/users`.
pub async fn users(State(s): State<Arc<Services>>, session: Session) -> Result<Response> {
    users_page(&s, &session, "").await
}

/// `POST /console/users`: the new Global API Key is shown this once.
pub async fn create_user(State(s): State<Arc<Services>>, change: Change) -> Result<Response> {
    let email = change.field("email").to_owned();
    let key = s
        .create_user(&change.session.caller.caller, &email, clock::now())
        .await?;
    let note = format!(
        "{}<p class=\"secret\"><label for=\"secret\">Global API Key of {}</label>\
         <input id=\"secret\" readonly value=\"{}\"></p>",
        notice(
            "ok",
            "User created. Copy the key now: it is shown only once."
        ),
        t(&email),
        t(key.expose_secret())
    );
    users_page(&s, &change.session, &note).await
}

/// `POST /console/users/{email}/{disable|enable}`.
pub async fn user_action(
    State(s): State<Arc<Services>>,
    Path((email, action)): Path<(String, String)>,
    change: Change,
) -> Result<Response> {
    let disabled = match action.as_str() {
        "disable" => true,
        "enable" => false,
        _ => return Err(Error::NotFound),
    };
    s.set_user_disabled(
        &change.session.caller.caller,
        &email,
        disabled,
        clock::now(),
    )
    .await?;
    Ok(Redirect::to("/console/users").into_response())
}
