//! `mtls-ca zone|token|user|audit ...`: administration through the same services as the HTTP API
//! (same rules, same audit entries; the actor is the OS user, the interface `cli`).

use clap::Subcommand;
use secrecy::ExposeSecret;
use serde_json::Value;

use super::table::{cell, print_json_lines, print_table};
use super::user_error;
use crate::clock;
use crate::db::audit::AuditFilter;
use crate::model::ZoneId;
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
    /// Delete a zone whose certificates, if any, are all revoked (they stay stored and revoked).
    Delete {
        /// The zone's id.
        zone_id: String,
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
                print_json_lines(&s.zone_views(&rows));
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
