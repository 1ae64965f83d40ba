//! The `mtls-ca` command line: clap subcommands of the contract. Calls services, never SQL.

use anyhow::Context;
use clap::{Parser, Subcommand};

mod admin;
mod backup;
mod ca;
mod cert;
mod crl;
mod serve;
mod table;
mod tokens;

pub use admin::{AuditCommand, UserCommand, ZoneCommand};
pub use ca::CaCommand;
pub use cert::CertCommand;
pub use crl::CrlCommand;
pub use tokens::TokenCommand;

use crate::config::Settings;
use crate::service::Services;
use crate::{clock, db};

/// A self-hosted CA for mutual-TLS client certificates with a Cloudflare-compatible API.
///
/// Configuration: built-in defaults, then config/default.toml (or the file MTLS_CA_CONFIG names),
/// then MTLS_CA_* environment variables (MTLS_CA_DATABASE_URL, MTLS_CA_LISTEN, MTLS_CA_PUBLIC_URL,
/// MTLS_CA_WORKER_INTERVAL, MTLS_CA_KEY_ALGORITHM, MTLS_CA_KEY_PASSPHRASE).
#[derive(Debug, Parser)]
#[command(name = "mtls-ca", version)]
pub struct Cli {
    /// The config file (default: MTLS_CA_CONFIG, else config/default.toml when it exists).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<std::path::PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP API and the background worker (applies migrations, creates the CA on first run).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Create the database (if missing), the default account and its CA; print where they are.
    Init,
    /// Manage zones.
    #[command(subcommand)]
    Zone(ZoneCommand),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Manage users with a Global API Key.
    #[command(subcommand)]
    User(UserCommand),
    /// Client certificates: list, show, issue, revoke, reactivate.
    #[command(subcommand)]
    Cert(CertCommand),
    /// The audit log of every change.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// The effective configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// The account's CAs: list, export, rotate, request/install an intermediate, import.
    #[command(subcommand)]
    Ca(CaCommand),
    /// Write a consistent copy of the SQLite database to FILE, also while serve runs.
    Backup {
        /// The backup file to write; it must not exist.
        file: std::path::PathBuf,
    },
    /// Replace the configured database's content with a backup (a database with content needs
    /// --force). Stop or restart serve afterwards.
    Restore {
        /// The backup file written by `mtls-ca backup`.
        file: std::path::PathBuf,
        /// Replace a database that already holds a CA, zones, tokens or certificates.
        #[arg(long)]
        force: bool,
    },
    /// CRLs for TLS servers: keep a folder of every CA's CRL and the trust bundle fresh.
    #[command(subcommand)]
    Crl(CrlCommand),
    /// Run the signing service, the only process that holds CA keys (serve uses it with
    /// MTLS_CA_SIGNER=remote:URL). Its keys: MTLS_CA_SIGNER=local (sealed in its own database,
    /// MTLS_CA_DATABASE_URL) or pkcs11.
    Signer {
        /// Where to listen: unix:/path/to/socket.
        #[arg(long, value_name = "URL")]
        listen: String,
    },
}

/// `config ...`
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print every setting, secrets redacted, and where it came from (default, file, environment).
    Show,
}

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let (settings, sources) = Settings::load_from(cli.config.as_deref())?;
    match cli.command {
        Command::Config(ConfigCommand::Show) => {
            for line in sources.describe(&settings) {
                println!("{line}");
            }
            Ok(())
        }
        Command::Serve => serve::serve(settings).await,
        Command::Signer { listen } => {
            crate::keyserver::run(&settings, &listen, serve::shutdown_signal()).await
        }
        Command::Migrate => {
            let database = db::Db::connect(&settings.database_url, pool(&settings)).await?;
            database.migrate().await.context("applying migrations")?;
            database.close().await;
            Ok(())
        }
        Command::Init => {
            let s = Services::open(&settings, clock::now()).await?;
            let ca = s.cas.issuing().map_err(user_error)?;
            println!("database: {}", s.db.location());
            println!("issuing CA: {} ({})", ca.id, ca.name);
            s.db.close().await;
            Ok(())
        }
        Command::Backup { file } => backup::backup(&settings, &file).await,
        Command::Restore { file, force } => backup::restore(&settings, &file, force).await,
        Command::Zone(cmd) => with_services(&settings, |s| Box::pin(admin::zone(s, cmd))).await,
        Command::Token(cmd) => with_services(&settings, |s| Box::pin(tokens::run(s, cmd))).await,
        Command::User(cmd) => with_services(&settings, |s| Box::pin(admin::user(s, cmd))).await,
        Command::Audit(cmd) => with_services(&settings, |s| Box::pin(admin::audit(s, cmd))).await,
        Command::Cert(cmd) => with_services(&settings, |s| Box::pin(cert::run(s, cmd))).await,
        Command::Crl(cmd) => crl::run(&settings, cmd).await,
        Command::Ca(cmd) => {
            let s = Services::open_existing(&settings, clock::now()).await?;
            let result = ca::run(&s, cmd).await;
            s.db.close().await;
            result
        }
    }
}

type CommandFuture<'a> =
    std::pin::Pin<Box<dyn std::future::Future<Output = anyhow::Result<()>> + 'a>>;

/// Opens the services on an existing database, runs `f`, closes the database (also on failure).
async fn with_services<F>(settings: &Settings, f: F) -> anyhow::Result<()>
where
    F: for<'a> FnOnce(&'a Services) -> CommandFuture<'a>,
{
    let s = Services::open_existing(settings, clock::now()).await?;
    let result = f(&s).await;
    s.db.close().await;
    result
}

fn pool(settings: &Settings) -> db::PoolSettings {
    db::PoolSettings {
        max_connections: settings.db_max_connections,
        acquire_timeout: std::time::Duration::from_secs(settings.db_acquire_timeout),
    }
}

pub(crate) fn user_error(e: crate::error::Error) -> anyhow::Error {
    match e {
        crate::error::Error::Invalid(inv) => anyhow::anyhow!(inv.message),
        crate::error::Error::NotFound => {
            anyhow::anyhow!("not found (no such zone, token or certificate in this account)")
        }
        other => anyhow::anyhow!(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
