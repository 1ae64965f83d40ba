//! `mtls-ca zone|token|user|audit ...`: administration through the same services as the HTTP API
//! (same rules, same audit entries; the actor is the OS user, the interface `cli`).

use clap::Subcommand;
use secrecy::ExposeSecret;
use serde_json::Value;

use super::table::{cell, print_json_lines, print_table};
use super::user_error;
use crate::clock;
use crate::db::audit::AuditFilter;
use crate::model::{Permission, ZoneId};
use crate::service::audit::AuditScope;
use crate::service::auth::Caller;
use crate::service::paging::Paging;
use crate::service::users::user_json;
use crate::service::Services;

/// `zone ...`
#[derive(Debug, Subcommand)]
pub enum ZoneCommand {
    /// Create a zone; prints its id on the last line.
    Create {
        /// The zone's name, unique in the account (for example example.com).
        name: String,
    },
    /// List zones: id, then name (a table; --json: one zone object a line).
    List {
        /// One JSON object a line.
        #[arg(long)]
        json: bool,
    },
    /// Delete a zone that has no certificates (certificates are never deleted).
    Delete {
        /// The zone's id.
        zone_id: String,
    },
}

/// `token ...`
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token; prints a summary on stderr, then the secret (shown once, stored
    /// hashed) alone on the last stdout line. Refuses a name the account already has.
    Create {
        /// A name to recognise the token by.
        #[arg(long)]
        name: String,
        /// read (SSL and Certificates Read: GET) or write (SSL and Certificates Write: everything).
        #[arg(long, value_parser = ["read", "write"])]
        permission: String,
        /// Limit the token to this zone (repeatable); without it the token covers every zone.
        #[arg(long = "zone", value_name = "ZONE_ID")]
        zones: Vec<String>,
    },
    /// List tokens: id, name, status, rights, last use.
    List {
        /// One JSON object a line (the API's token object).
        #[arg(long)]
        json: bool,
    },
    /// Show one token (the API's token object, never its secret).
    Show {
        /// The token id.
        id: String,
    },
    /// Disable a token: it authenticates nothing until enabled.
    Disable {
        /// The token id.
        id: String,
    },
    /// Enable a disabled token.
    Enable {
        /// The token id.
        id: String,
    },
    /// Delete a token.
    Delete {
        /// The token id.
        id: String,
    },
    /// Give a token a new secret (the old one stops working at once); prints it alone on the
    /// last line.
    Roll {
        /// The token id.
        id: String,
    },
}

/// `user ...`
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user; prints its Global API Key (shown once, stored hashed) on the last line.
    Create {
        /// The user's email, sent as X-Auth-Email (compared case-insensitively).
        #[arg(long)]
        email: String,
    },
    /// List users: id, email, status.
    List {
        /// One JSON object a line.
        #[arg(long)]
        json: bool,
    },
    /// Disable a user: its key and its tokens stop working.
    Disable {
        /// The user's email.
        email: String,
    },
    /// Enable a disabled user.
    Enable {
        /// The user's email.
        email: String,
    },
}

/// `audit ...`
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// The audit log, oldest first: when, action, resource, actor, interface.
    List {
        /// Only entries at or after this time (RFC 3339, or a date).
        #[arg(long, value_name = "RFC3339")]
        since: Option<String>,
        /// One JSON object a line (Cloudflare's AuditLog shape).
        #[arg(long)]
        json: bool,
    },
}

fn token_id(id: &str) -> anyhow::Result<String> {
    anyhow::ensure!(
        id.len() == 32 && id.chars().all(|c| c.is_ascii_hexdigit()),
        "{id:?} is not a token id (32 hex digits; `mtls-ca token list` shows them)"
    );
    Ok(id.to_ascii_lowercase())
}

/// A token's rights in a line: `SSL and Certificates Write on zone 0123…, account`.
pub fn rights_summary(token: &Value) -> String {
    let mut parts = Vec::new();
    for p in token["policies"].as_array().into_iter().flatten() {
        let groups: Vec<&str> = p["permission_groups"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|g| g["name"].as_str())
            .collect();
        let resources: Vec<String> = p["resources"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, _)| {
                if let Some(z) = k.strip_prefix("com.cloudflare.api.account.zone.") {
                    format!("zone {z}")
                } else if k.starts_with("com.cloudflare.api.account.") {
                    "every zone".to_owned()
                } else if let Some(u) = k.strip_prefix("com.cloudflare.api.user.") {
                    format!("tokens of user {u}")
                } else {
                    k.clone()
                }
            })
            .collect();
        let effect = if p["effect"] == "deny" { "deny " } else { "" };
        parts.push(format!(
            "{effect}{} on {}",
            groups.join(" + "),
            resources.join(", ")
        ));
    }
    parts.join("; ")
}

fn print_tokens(tokens: &[Value], json: bool) {
    if json {
        return print_json_lines(tokens);
    }
    let rows: Vec<Vec<String>> = tokens
        .iter()
        .map(|t| {
            vec![
                cell(t, "/id"),
                cell(t, "/name"),
                cell(t, "/status"),
                cell(t, "/last_used_on"),
                rights_summary(t),
            ]
        })
        .collect();
    print_table(&["ID", "NAME", "STATUS", "LAST USED", "RIGHTS"], &rows);
}

/// Runs `zone ...`.
pub async fn zone(s: &Services, cmd: ZoneCommand) -> anyhow::Result<()> {
    let caller = Caller::cli(s.account_id.as_str());
    match cmd {
        ZoneCommand::Create { name } => {
            let zone = s
                .create_zone(&caller, &name, clock::now())
                .await
                .map_err(user_error)?;
            println!("{}", zone.id);
        }
        ZoneCommand::List { json } => {
            let rows = s.list_zones(&caller, None).await.map_err(user_error)?;
            if json {
                print_json_lines(&s.zone_views(&rows).await.map_err(user_error)?);
            } else {
                for zone in rows {
                    println!("{} {}", zone.id, zone.name);
                }
            }
        }
        ZoneCommand::Delete { zone_id } => {
            let zone = ZoneId::parse(&zone_id).map_err(|e| anyhow::anyhow!("{zone_id}: {e}"))?;
            s.delete_zone(&caller, &zone, clock::now())
                .await
                .map_err(user_error)?;
            eprintln!("deleted zone {zone}");
        }
    }
    Ok(())
}

/// Runs `token ...`.
pub async fn token(s: &Services, cmd: TokenCommand) -> anyhow::Result<()> {
    let caller = Caller::cli(s.account_id.as_str());
    let now = clock::now();
    match cmd {
        TokenCommand::Create {
            name,
            permission,
            zones,
        } => {
            let permission: Permission = permission.parse()?;
            let zones = zones
                .iter()
                .map(|z| ZoneId::parse(z).map_err(|e| anyhow::anyhow!("--zone {z}: {e}")))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let (token, secret) = s
                .create_cli_token(&caller, &name, permission, &zones, now)
                .await
                .map_err(user_error)?;
            eprintln!("token id: {}", cell(&token, "/id"));
            eprintln!("name:     {}", cell(&token, "/name"));
            eprintln!("rights:   {}", rights_summary(&token));
            eprintln!(
                "zones:    {}",
                if zones.is_empty() {
                    "every zone of the account".to_owned()
                } else {
                    zones
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            );
            eprintln!("the secret below is shown once; only its hash is stored");
            println!("{}", secret.expose_secret());
        }
        TokenCommand::List { json } => {
            print_tokens(
                &s.list_tokens(&caller, now).await.map_err(user_error)?,
                json,
            );
        }
        TokenCommand::Show { id } => {
            let token = s
                .get_token(&caller, &token_id(&id)?, now)
                .await
                .map_err(user_error)?;
            println!("{}", serde_json::to_string_pretty(&token)?);
        }
        TokenCommand::Disable { id } => {
            s.set_token_disabled(&caller, &token_id(&id)?, true, now)
                .await
                .map_err(user_error)?;
            eprintln!("token {id} disabled");
        }
        TokenCommand::Enable { id } => {
            s.set_token_disabled(&caller, &token_id(&id)?, false, now)
                .await
                .map_err(user_error)?;
            eprintln!("token {id} enabled");
        }
        TokenCommand::Delete { id } => {
            s.delete_token(&caller, &token_id(&id)?, now)
                .await
                .map_err(user_error)?;
            eprintln!("token {id} deleted");
        }
        TokenCommand::Roll { id } => {
            let secret = s
                .roll_token(&caller, &token_id(&id)?, now)
                .await
                .map_err(user_error)?;
            eprintln!("token {id} rolled; the old secret no longer works");
            println!("{}", secret.expose_secret());
        }
    }
    Ok(())
}

/// Runs `user ...`.
pub async fn user(s: &Services, cmd: UserCommand) -> anyhow::Result<()> {
    let caller = Caller::cli(s.account_id.as_str());
    let now = clock::now();
    match cmd {
        UserCommand::Create { email } => {
            let key = s
                .create_user(&caller, &email, now)
                .await
                .map_err(user_error)?;
            println!("{}", key.expose_secret());
        }
        UserCommand::List { json } => {
            let users: Vec<Value> = s
                .list_users(&caller)
                .await
                .map_err(user_error)?
                .iter()
                .map(user_json)
                .collect();
            if json {
                print_json_lines(&users);
            } else {
                let rows: Vec<Vec<String>> = users
                    .iter()
                    .map(|u| {
                        vec![
                            cell(u, "/id"),
                            cell(u, "/email"),
                            cell(u, "/status"),
                            cell(u, "/created_on"),
                        ]
                    })
                    .collect();
                print_table(&["ID", "EMAIL", "STATUS", "CREATED"], &rows);
            }
        }
        UserCommand::Disable { email } => {
            s.set_user_disabled(&caller, &email, true, now)
                .await
                .map_err(|e| user_error_for(e, &email))?;
            eprintln!("user {email} disabled");
        }
        UserCommand::Enable { email } => {
            s.set_user_disabled(&caller, &email, false, now)
                .await
                .map_err(|e| user_error_for(e, &email))?;
            eprintln!("user {email} enabled");
        }
    }
    Ok(())
}

fn user_error_for(e: crate::error::Error, email: &str) -> anyhow::Error {
    match e {
        crate::error::Error::NotFound => anyhow::anyhow!("no user with email {email}"),
        other => user_error(other),
    }
}

/// Runs `audit ...`.
pub async fn audit(s: &Services, cmd: AuditCommand) -> anyhow::Result<()> {
    let caller = Caller::cli(s.account_id.as_str());
    let AuditCommand::List { since, json } = cmd;
    let since = match since {
        Some(text) => Some(clock::parse_instant(&text).ok_or_else(|| {
            anyhow::anyhow!("--since {text:?} is not an RFC 3339 time such as 2027-01-31T00:00:00Z")
        })?),
        None => None,
    };
    let filter = AuditFilter {
        since,
        ascending: true,
        ..AuditFilter::default()
    };
    let mut page = 1;
    let mut entries = Vec::new();
    loop {
        let paging = Paging {
            page,
            per_page: 1000,
        };
        let (items, info) = s
            .list_audit(&caller, AuditScope::Account, filter.clone(), paging)
            .await
            .map_err(user_error)?;
        let done = items.is_empty() || page >= info.total_pages;
        entries.extend(items);
        if done {
            break;
        }
        page += 1;
    }
    if json {
        print_json_lines(&entries);
        return Ok(());
    }
    let rows: Vec<Vec<String>> = entries
        .iter()
        .map(|e| {
            let actor = match cell(e, "/actor/email").as_str() {
                "-" => cell(e, "/actor/id"),
                email => email.to_owned(),
            };
            vec![
                cell(e, "/when"),
                cell(e, "/action/type"),
                format!("{} {}", cell(e, "/resource/type"), cell(e, "/resource/id")),
                actor,
                cell(e, "/actor/ip"),
                cell(e, "/interface"),
            ]
        })
        .collect();
    print_table(
        &["WHEN", "ACTION", "RESOURCE", "ACTOR", "IP", "INTERFACE"],
        &rows,
    );
    Ok(())
}
