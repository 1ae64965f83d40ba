//! API tokens: list, create with a policy (permission groups over the account or chosen zones),
//! disable, enable, roll and delete. A new or rolled secret is shown once.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use secrecy::ExposeSecret;
use serde_json::{json, Value};

use super::html::{button_form, csrf_field, notice, page, t};
use super::session::{Change, Session};
use crate::clock;
use crate::error::{Error, Result};
use crate::model::policy::PermissionGroup;
use crate::service::token_input::parse_spec;
use crate::service::Services;

/// The API Tokens groups are about tokens, not zones: the form puts them in a policy of their own
/// over the account (the tokens of the new token's owner), whatever zone it names for the others.
fn is_tokens_group(id: &str) -> bool {
    [PermissionGroup::TokensRead, PermissionGroup::TokensWrite]
        .iter()
        .any(|g| g.id() == id)
}

fn policy_text(policies: &Value) -> String {
    let items: Vec<String> = policies
        .as_array()
        .map(|ps| {
            ps.iter()
                .map(|p| {
                    let groups: Vec<&str> = p["permission_groups"]
                        .as_array()
                        .map(|g| g.iter().filter_map(|g| g["name"].as_str()).collect())
                        .unwrap_or_default();
                    let resources: Vec<String> = p["resources"]
                        .as_object()
                        .map(|r| {
                            r.keys()
                                .map(|k| k.replace("com.cloudflare.api.", ""))
                                .collect()
                        })
                        .unwrap_or_default();
                    format!(
                        "{} {} on {}",
                        p["effect"].as_str().unwrap_or(""),
                        groups.join(", "),
                        resources.join(", ")
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    items.iter().map(|i| format!("<li>{}</li>", t(i))).collect()
}

async fn tokens_page(s: &Services, session: &Session, note: &str) -> Result<Response> {
    let now = clock::now();
    let tokens = s.list_tokens(&session.caller.caller, now).await?;
    let write = session.abilities.write_tokens;
    let rows: String = tokens
        .iter()
        .map(|tok| {
            let id = tok["id"].as_str().unwrap_or("");
            let status = tok["status"].as_str().unwrap_or("");
            let actions = if write {
                let toggle = if status == "disabled" { "enable" } else { "disable" };
                [toggle, "roll", "delete"]
                    .iter()
                    .map(|a| {
                        let label = format!("{}{}", a[..1].to_uppercase(), &a[1..]);
                        let class = if *a == "delete" { "danger small" } else { "small" };
                        button_form(&session.caller, &format!("/console/tokens/{id}/{a}"), &label, class)
                    })
                    .collect::<String>()
            } else {
                String::new()
            };
            format!(
                "<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td><ul class=\"plain\">{}</ul></td><td>{}</td><td class=\"actions\">{actions}</td></tr>",
                t(tok["name"].as_str().unwrap_or("")),
                t(id),
                t(status),
                policy_text(&tok["policies"]),
                t(tok["last_used_on"].as_str().unwrap_or("never")),
            )
        })
        .collect();
    let create = if write {
        create_form(session)
    } else {
        String::new()
    };
    let body = format!(
        "{note}{create}<div class=\"scroll\"><table><thead><tr><th scope=\"col\">Name</th><th scope=\"col\">Id</th>\
         <th scope=\"col\">Status</th><th scope=\"col\">Policies</th><th scope=\"col\">Last used</th>\
         <th scope=\"col\"><span class=\"visually-hidden\">Actions</span></th></tr></thead><tbody>{rows}</tbody></table></div>"
    );
    Ok(page(session, "API tokens", "Tokens", &body))
}

fn create_form(session: &Session) -> String {
    let groups: String = PermissionGroup::ALL
        .iter()
        .map(|g| {
            format!(
                "<label class=\"check\"><input type=\"checkbox\" name=\"group\" value=\"{}\"> {}</label>",
                g.id(),
                g.name()
            )
        })
        .collect();
    let zones: String = session
        .abilities
        .zones
        .iter()
        .map(|(id, name, _)| format!("<option value=\"{}\">{}</option>", t(id), t(name)))
        .collect();
    format!(
        "<details class=\"card\"><summary>Create a token</summary>\
         <form method=\"post\" action=\"/console/tokens\" class=\"stack\" data-busy>{}\
         <label for=\"tname\">Name</label><input id=\"tname\" name=\"name\" required maxlength=\"120\">\
         <fieldset><legend>Permission groups</legend>{groups}</fieldset>\
         <label for=\"scope\">Over</label><select id=\"scope\" name=\"scope\">\
         <option value=\"account\">every zone of the account</option>{zones}</select>\
         <label for=\"expires\">Expires on (RFC 3339, optional)</label>\
         <input id=\"expires\" name=\"expires_on\" placeholder=\"2027-01-31T00:00:00Z\">\
         <button type=\"submit\">Create token</button></form></details>",
        csrf_field(&session.caller)
    )
}

/// `GET /console/tokens`.
pub async fn list(State(s): State<Arc<Services>>, session: Session) -> Result<Response> {
    tokens_page(&s, &session, "").await
}

fn shown_once(what: &str, secret: &str) -> String {
    format!(
        "{}<p class=\"secret\"><label for=\"secret\">{}</label><input id=\"secret\" readonly value=\"{}\"></p>",
        notice("ok", "Copy the secret now: it is shown only once."),
        t(what),
        t(secret)
    )
}

/// `POST /console/tokens`: the body the API's `POST /user/tokens` takes, made from the form.
pub async fn create(State(s): State<Arc<Services>>, change: Change) -> Result<Response> {
    let caller = &change.session.caller.caller;
    let (tokens, zones): (Vec<&str>, Vec<&str>) = change
        .values("group")
        .into_iter()
        .partition(|id| is_tokens_group(id));
    let account = format!("com.cloudflare.api.account.{}", caller.principal.account_id);
    let resource = match change.field("scope") {
        "account" | "" => account.clone(),
        zone => format!("com.cloudflare.api.account.zone.{zone}"),
    };
    let policy = |groups: &[&str], resource: &str| {
        let groups: Vec<Value> = groups.iter().map(|id| json!({"id": id})).collect();
        json!({"effect": "allow", "permission_groups": groups, "resources": {resource: "*"}})
    };
    let mut policies = Vec::new();
    if !zones.is_empty() || tokens.is_empty() {
        policies.push(policy(&zones, &resource));
    }
    if !tokens.is_empty() {
        policies.push(policy(&tokens, &account));
    }
    let mut body = json!({
        "name": change.field("name"),
        "policies": policies,
    });
    if !change.field("expires_on").is_empty() {
        body["expires_on"] = json!(change.field("expires_on"));
    }
    let spec = parse_spec(body.as_object().ok_or(Error::NotFound)?)?;
    let (token, secret) = s.create_token(caller, spec, false, clock::now()).await?;
    let what = format!("Secret of token {}", token["name"].as_str().unwrap_or(""));
    tokens_page(
        &s,
        &change.session,
        &shown_once(&what, secret.expose_secret()),
    )
    .await
}

/// `POST /console/tokens/{id}/{disable|enable|roll|delete}`.
pub async fn action(
    State(s): State<Arc<Services>>,
    Path((id, action)): Path<(String, String)>,
    change: Change,
) -> Result<Response> {
    let caller = &change.session.caller.caller;
    let now = clock::now();
    match action.as_str() {
        "disable" | "enable" => {
            s.set_token_disabled(caller, &id, action == "disable", now)
                .await?;
        }
        "delete" => {
            s.delete_token(caller, &id, now).await?;
        }
        "roll" => {
            let secret = s.roll_token(caller, &id, now).await?;
            let what = format!("New secret of token {id}");
            return tokens_page(
                &s,
                &change.session,
                &shown_once(&what, secret.expose_secret()),
            )
            .await;
        }
        _ => return Err(Error::NotFound),
    }
    Ok(Redirect::to("/console/tokens").into_response())
}
