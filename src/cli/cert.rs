//! `mtls-ca cert ...`: client certificates from the command line, through the same services (and
//! audit log) as the HTTP API.

use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;
use serde_json::Value;

use super::table::{cell, print_json_lines, print_table};
use super::user_error;
use crate::clock;
use crate::model::{CertId, CertStatus, ZoneId};
use crate::service::auth::Caller;
use crate::service::certificates::CreateRequest;
use crate::service::listing::ListQuery;
use crate::service::Services;

/// `cert ...`
#[derive(Debug, Subcommand)]
pub enum CertCommand {
    /// List a zone's certificates: id, common name, status, expiry, serial.
    List {
        /// The zone.
        #[arg(long, value_name = "ZONE_ID")]
        zone: String,
        /// Only this status: active, pending_revocation, revoked, pending_reactivation.
        #[arg(long)]
        status: Option<CertStatus>,
        /// Only certificates that expire within this many days.
        #[arg(long, value_name = "DAYS")]
        expiring_within: Option<u32>,
        /// One JSON object a line (the API's certificate object).
        #[arg(long)]
        json: bool,
    },
    /// Show one certificate (the API's certificate object).
    Show {
        /// The certificate id.
        id: String,
    },
    /// Issue a certificate from a CSR; prints the certificate, PEM.
    Issue {
        /// The zone.
        #[arg(long, value_name = "ZONE_ID")]
        zone: String,
        /// The PEM CSR file.
        #[arg(long, value_name = "FILE")]
        csr: PathBuf,
        /// Validity in days (1 to 3650).
        #[arg(long, value_name = "N")]
        days: i64,
    },
    /// Revoke (pending_revocation, then revoked by the worker; reactivate can lift it).
    Revoke {
        /// The certificate id.
        id: String,
    },
    /// Reactivate a revoked certificate.
    Reactivate {
        /// The certificate id.
        id: String,
    },
}

fn zone_id(z: &str) -> anyhow::Result<ZoneId> {
    ZoneId::parse(z).map_err(|e| anyhow::anyhow!("--zone {z}: {e}"))
}

async fn locate(s: &Services, id: &str) -> anyhow::Result<(ZoneId, CertId)> {
    let cert = CertId::parse(id).map_err(|e| anyhow::anyhow!("{id}: {e}"))?;
    let zone = s
        .certificate_zone(&cert)
        .await
        .map_err(|_| anyhow::anyhow!("no certificate {id}"))?;
    Ok((zone, cert))
}

/// Runs `cert ...`.
pub async fn run(s: &Services, cmd: CertCommand) -> anyhow::Result<()> {
    let caller = Caller::cli(s.account_id.as_str());
    let now = clock::now();
    match cmd {
        CertCommand::List {
            zone,
            status,
            expiring_within,
            json,
        } => {
            let zone = zone_id(&zone)?;
            let mut items: Vec<Value> = Vec::new();
            let mut page = 1;
            loop {
                let query = ListQuery {
                    status,
                    expires_before: expiring_within.map(|d| now + i64::from(d) * 86_400),
                    page,
                    per_page: 50,
                    offset: 0,
                    limit: None,
                };
                let (certs, info) = s
                    .list_certificates(&caller, &zone, &query)
                    .await
                    .map_err(user_error)?;
                let done = certs.is_empty() || page >= info.total_pages;
                for c in certs {
                    items.push(serde_json::to_value(c)?);
                }
                if done {
                    break;
                }
                page += 1;
            }
            if json {
                print_json_lines(&items);
            } else {
                let rows: Vec<Vec<String>> = items
                    .iter()
                    .map(|c| {
                        vec![
                            cell(c, "/id"),
                            cell(c, "/common_name"),
                            cell(c, "/status"),
                            cell(c, "/expires_on"),
                            cell(c, "/serial_number"),
                        ]
                    })
                    .collect();
                print_table(&["ID", "COMMON NAME", "STATUS", "EXPIRES", "SERIAL"], &rows);
            }
        }
        CertCommand::Show { id } => {
            let (zone, cert) = locate(s, &id).await?;
            let c = s
                .get_certificate(&caller, &zone, &cert)
                .await
                .map_err(user_error)?;
            println!("{}", serde_json::to_string_pretty(&c)?);
        }
        CertCommand::Issue { zone, csr, days } => {
            let zone = zone_id(&zone)?;
            let pem = std::fs::read_to_string(&csr)
                .with_context(|| format!("reading the CSR {}", csr.display()))?;
            let c = s
                .create_certificate(
                    &caller,
                    &zone,
                    CreateRequest {
                        csr: pem,
                        validity_days: days,
                    },
                    now,
                )
                .await
                .map_err(user_error)?;
            eprintln!("issued certificate {} (serial {})", c.id, c.serial_number);
            print!("{}", c.certificate);
        }
        CertCommand::Revoke { id } => {
            let (zone, cert) = locate(s, &id).await?;
            let c = s
                .revoke_certificate(&caller, &zone, &cert, now)
                .await
                .map_err(user_error)?;
            println!("{} {}", c.id, c.status);
        }
        CertCommand::Reactivate { id } => {
            let (zone, cert) = locate(s, &id).await?;
            let c = s
                .reactivate_certificate(&caller, &zone, &cert, true, now)
                .await
                .map_err(user_error)?;
            println!("{} {}", c.id, c.status);
        }
    }
    Ok(())
}
