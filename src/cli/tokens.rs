//! `mtls-ca token ...`: API tokens from the command line, through the same services (rules, audit
//! entries) as `/user/tokens`.

use clap::Subcommand;
use secrecy::ExposeSecret;
use serde_json::Value;

use super::table::{cell, print_json_lines, print_table};
use super::user_error;
use crate::clock;
use crate::model::{CertId, Permission, TokenId, ZoneId};
use crate::service::auth::Caller;
use crate::service::Services;

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
    /// Let a client certificate of this CA authenticate as the token over HTTPS
    /// (MTLS_CA_TLS_CLIENT_AUTH=optional).
    Bind {
        /// The token id.
        id: String,
        /// The client certificate's id.
        #[arg(long = "certificate", value_name = "CERT_ID")]
        certificate: String,
    },
    /// Stop a client certificate authenticating as the token.
    Unbind {
        /// The token id.
        id: String,
        /// The client certificate's id.
        #[arg(long = "certificate", value_name = "CERT_ID")]
        certificate: String,
    },
}

fn token_id(id: &str) -> anyhow::Result<String> {
    TokenId::parse(&id.to_ascii_lowercase())
        .map(|id| id.to_string())
        .map_err(|_| {
            anyhow::anyhow!(
                "{id:?} is not a token id (32 hex digits; `mtls-ca token list` shows them)"
            )
        })
}

fn binding_ids(token: &str, cert: &str) -> anyhow::Result<(TokenId, CertId)> {
    let token = TokenId::parse(&token_id(token)?).map_err(|e| anyhow::anyhow!("{e}"))?;
    let cert = CertId::parse(&cert.to_ascii_lowercase()).map_err(|_| {
        anyhow::anyhow!("--certificate {cert:?} is not a certificate id (32 hex digits)")
    })?;
    Ok((token, cert))
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

/// Runs `token ...`.
pub async fn run(s: &Services, cmd: TokenCommand) -> anyhow::Result<()> {
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
        TokenCommand::Bind { id, certificate } => {
            let (token, cert) = binding_ids(&id, &certificate)?;
            s.bind_certificate(&caller, &token, &cert, now)
                .await
                .map_err(user_error)?;
            eprintln!("certificate {cert} now authenticates as token {token}");
        }
        TokenCommand::Unbind { id, certificate } => {
            let (token, cert) = binding_ids(&id, &certificate)?;
            s.unbind_certificate(&caller, &token, &cert, now)
                .await
                .map_err(user_error)?;
            eprintln!("certificate {cert} no longer authenticates as token {token}");
        }
    }
    Ok(())
}
