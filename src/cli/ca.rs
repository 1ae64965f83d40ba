//! `mtls-ca ca ...`: the account's CAs, listed, exported, rotated, requested from an outside root,
//! installed and imported (CONTRACT section 6). Only the commands that sign load a key.

use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;
use secrecy::SecretString;
use serde_json::json;

use super::user_error;
use crate::clock;
use crate::model::KeyAlgorithm;
use crate::service::view::rfc3339;
use crate::service::{CaEntry, Services};

/// `ca ...`
#[derive(Debug, Subcommand)]
pub enum CaCommand {
    /// Print the issuing CA certificate (or --ca ID), PEM; --bundle: every CA whose certificates
    /// may still be valid, with their chains (what TLS servers should trust).
    Export {
        /// The CA to print (default: the issuing one).
        #[arg(long = "ca", value_name = "ID", conflicts_with = "bundle")]
        ca: Option<String>,
        /// Print the trust bundle instead.
        #[arg(long)]
        bundle: bool,
    },
    /// List every CA: id, name, key algorithm, role (issuing/retired/pending), notAfter.
    List {
        /// One JSON object a line (id, name, key_algorithm, role, not_after).
        #[arg(long)]
        json: bool,
    },
    /// Make a new self-signed CA the issuing one; the old one is retired (it keeps publishing its
    /// CRL and answering OCSP for what it issued). Prints the new CA id on the last line.
    Rotate {
        /// Key of the new CA (default: the issuing CA's algorithm).
        #[arg(long, value_name = "ALG")]
        key_algorithm: Option<KeyAlgorithm>,
    },
    /// Generate a CA key in the signer and write a CSR for an outside root to sign; the CA is
    /// pending until `ca install`. Prints the pending CA id on the last line.
    Request {
        /// The CA's subject: /C=US/O=Example/CN=Example Issuing CA, or CN=...,O=...,C=US.
        #[arg(long, value_name = "DN")]
        subject: String,
        /// Key of the new CA (default: the issuing CA's algorithm).
        #[arg(long, value_name = "ALG")]
        key_algorithm: Option<KeyAlgorithm>,
        /// Where to write the CSR (PEM).
        #[arg(long, value_name = "FILE")]
        csr_out: PathBuf,
    },
    /// Complete a requested CA with the certificate the outside root signed; it becomes the
    /// issuing CA.
    Install {
        /// The pending CA's id (from `ca request`).
        #[arg(long = "ca", value_name = "ID")]
        ca: String,
        /// The signed CA certificate, PEM (it may be followed by its chain).
        #[arg(long, value_name = "FILE")]
        cert: PathBuf,
        /// The issuers' certificates up to the root, PEM, issuer first.
        #[arg(long, value_name = "FILE")]
        chain: Option<PathBuf>,
    },
    /// Import an existing CA (certificate and PKCS#8 key, plain or encrypted); it becomes the
    /// issuing CA and its key is sealed like a generated one. Prints the new CA id on the last line.
    Import {
        /// The CA certificate, PEM (it may be followed by its chain).
        #[arg(long, value_name = "FILE")]
        cert: PathBuf,
        /// The CA's private key: PEM PKCS#8 (PRIVATE KEY or ENCRYPTED PRIVATE KEY).
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
        /// The issuers' certificates up to the root, PEM, issuer first.
        #[arg(long, value_name = "FILE")]
        chain: Option<PathBuf>,
        /// A file holding the passphrase of an encrypted key file (first line).
        #[arg(long, value_name = "FILE")]
        key_passphrase_file: Option<PathBuf>,
    },
}

fn read(path: &PathBuf) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}

fn not_after(entry: &CaEntry) -> Option<String> {
    entry.not_after().map(rfc3339)
}

/// Runs a `ca` subcommand.
pub async fn run(s: &Services, cmd: CaCommand) -> anyhow::Result<()> {
    let now = clock::now();
    let cas = &s.cas;
    let caller = crate::service::auth::Caller::cli(s.account_id.as_str());
    match cmd {
        CaCommand::Export {
            ca: None,
            bundle: true,
        } => {
            print!("{}", cas.bundle_pem(now).await.map_err(user_error)?)
        }
        CaCommand::Export { ca, .. } => {
            let entry = match ca {
                Some(id) => cas
                    .get(&id)
                    .with_context(|| format!("there is no CA {id} (see ca list)"))?,
                None => cas.issuing().map_err(user_error)?,
            };
            let cert = entry.certificate.as_ref().with_context(|| {
                format!("CA {} is pending: it has no certificate yet", entry.id)
            })?;
            print!("{}", cert.pem());
        }
        CaCommand::List { json } => {
            for e in cas.all() {
                if json {
                    println!(
                        "{}",
                        json!({"id": e.id, "name": e.name, "key_algorithm": e.algorithm.as_str(),
                               "role": e.role.as_str(), "not_after": not_after(&e)})
                    );
                } else {
                    println!(
                        "{}  {:<8} {:<10} {:<20} {}",
                        e.id,
                        e.role.as_str(),
                        e.algorithm.as_str(),
                        not_after(&e).unwrap_or_else(|| "-".into()),
                        e.name
                    );
                }
            }
        }
        CaCommand::Rotate { key_algorithm } => {
            let new = cas
                .rotate(&caller, key_algorithm, now)
                .await
                .map_err(user_error)?;
            eprintln!(
                "{} is now the issuing CA; TLS servers should load the bundle (mtls-ca ca export --bundle, or /pki/bundle.pem)",
                new.name
            );
            println!("{}", new.id);
        }
        CaCommand::Request {
            subject,
            key_algorithm,
            csr_out,
        } => {
            let pending = cas
                .request(&caller, &subject, key_algorithm, now)
                .await
                .map_err(user_error)?;
            let csr = pending.request_pem.clone().unwrap_or_default();
            std::fs::write(&csr_out, csr)
                .with_context(|| format!("cannot write {}", csr_out.display()))?;
            eprintln!(
                "wrote the CSR to {}; have it signed as a CA certificate, then run ca install --ca {}",
                csr_out.display(),
                pending.id
            );
            println!("{}", pending.id);
        }
        CaCommand::Install { ca, cert, chain } => {
            let chain = chain.as_ref().map(read).transpose()?;
            let installed = cas
                .install(&caller, &ca, &read(&cert)?, chain.as_deref(), now)
                .await
                .map_err(user_error)?;
            eprintln!("{} is now the issuing CA", installed.name);
            println!("{}", installed.id);
        }
        CaCommand::Import {
            cert,
            key,
            chain,
            key_passphrase_file,
        } => {
            let chain = chain.as_ref().map(read).transpose()?;
            let pass = key_passphrase_file
                .as_ref()
                .map(read)
                .transpose()?
                .map(|p| SecretString::from(p.lines().next().unwrap_or_default().to_owned()));
            let imported = cas
                .import(
                    &caller,
                    &read(&cert)?,
                    &read(&key)?,
                    chain.as_deref(),
                    pass,
                    now,
                )
                .await
                .map_err(user_error)?;
            eprintln!("{} is now the issuing CA", imported.name);
            println!("{}", imported.id);
        }
    }
    Ok(())
}
