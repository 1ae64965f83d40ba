//! Storage: one `Db` enum over a SQLite or a Postgres pool, chosen by the URL scheme.
//!
//! Every statement is written once, with `$n` placeholders and portable types, and run on whichever
//! pool is live through [`db_run!`], so each one is type-checked against both drivers.

pub mod accounts;
pub mod audit;
pub mod audit_pages;
pub mod backup;
pub mod bindings;
pub mod cas;
pub mod cert_search;
pub mod certificate_pages;
pub mod certificates;
pub mod console_stats;
pub mod crl;
mod deltas;
mod keyset;
pub mod leases;
pub mod restore;
pub mod server_certs;
pub mod sessions;
pub mod signer_keys;
pub mod tokens;
pub mod users;
pub mod worker_runs;
pub mod zones;

#[cfg(test)]
pub(crate) mod test_db;

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use crate::config::redact_url;

/// Runs the same code on whichever pool is live: `db_run!(db, |pool| query(..).execute(pool).await)`.
macro_rules! db_run {
    ($db:expr, |$pool:ident| $body:expr) => {
        match $db {
            $crate::db::Db::Sqlite($pool) => $body,
            $crate::db::Db::Postgres($pool) => $body,
        }
    };
}
pub(crate) use db_run;

/// A storage failure, as the service layer needs to tell them apart.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The database cannot be reached or did not answer in time: retry later.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// A unique constraint was violated.
    #[error("unique constraint violated")]
    UniqueViolation,
    /// A foreign key points at a row that is not there (a zone deleted meanwhile).
    #[error("foreign key violated")]
    ForeignKeyViolation,
    /// A row held a value the code cannot read (edited by hand?).
    #[error("corrupt row: {0}")]
    Corrupt(String),
    /// Any other database error.
    #[error("database error: {0}")]
    Other(#[source] sqlx::Error),
}

impl From<sqlx::Error> for DbError {
    fn from(err: sqlx::Error) -> Self {
        match &err {
            sqlx::Error::Database(db) if db.is_unique_violation() => Self::UniqueViolation,
            sqlx::Error::Database(db) if db.is_foreign_key_violation() => Self::ForeignKeyViolation,
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
                Self::Unavailable(err.to_string())
            }
            sqlx::Error::Database(db) if is_unavailable_code(db.code().as_deref()) => {
                Self::Unavailable(err.to_string())
            }
            _ => Self::Other(err),
        }
    }
}

/// Postgres SQLSTATEs that mean "the server is going away or not there yet".
fn is_unavailable_code(code: Option<&str>) -> bool {
    matches!(code, Some(c) if c.starts_with("08") || c == "57P01" || c == "57P02" || c == "57P03")
}

/// Result alias for repository functions.
pub type DbResult<T> = Result<T, DbError>;

/// Pool settings.
#[derive(Debug, Clone, Copy)]
pub struct PoolSettings {
    /// Maximum open connections.
    pub max_connections: u32,
    /// How long a query waits for a connection before failing.
    pub acquire_timeout: Duration,
}

/// A connection pool on one of the two supported engines.
#[derive(Debug, Clone)]
pub enum Db {
    /// The embedded default.
    Sqlite(SqlitePool),
    /// Production, and several replicas on one database.
    Postgres(PgPool),
}

impl Db {
    /// Opens a pool for `sqlite://...` or `postgres://...`; creates a SQLite file and its folder.
    pub async fn connect(url: &str, pool: PoolSettings) -> anyhow::Result<Db> {
        Self::open(url, pool, true).await
    }

    /// Opens a pool like [`Db::connect`], but a SQLite file that does not exist is an error naming
    /// the absolute path looked at, and nothing is created (an admin command run from the wrong
    /// folder must not make a second database with a second CA).
    pub async fn connect_existing(url: &str, pool: PoolSettings) -> anyhow::Result<Db> {
        Self::open(url, pool, false).await
    }

    async fn open(url: &str, pool: PoolSettings, create: bool) -> anyhow::Result<Db> {
        if url.starts_with("sqlite:") {
            Self::connect_sqlite(url, pool, create).await
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let opts = PgConnectOptions::from_str(url)
                .map_err(|e| anyhow::anyhow!("invalid database URL {}: {e}", redact_url(url)))?;
            let pg = PgPoolOptions::new()
                .max_connections(pool.max_connections)
                .acquire_timeout(pool.acquire_timeout)
                .connect_with(opts)
                .await
                .map_err(|e| anyhow::anyhow!("cannot connect to {}: {e}", redact_url(url)))?;
            Ok(Db::Postgres(pg))
        } else {
            anyhow::bail!(
                "unsupported database URL {}: use sqlite://PATH or postgres://...",
                redact_url(url)
            )
        }
    }

    async fn connect_sqlite(url: &str, pool: PoolSettings, create: bool) -> anyhow::Result<Db> {
        let opts = SqliteConnectOptions::from_str(url)
            .map_err(|e| anyhow::anyhow!("invalid database URL {url}: {e}"))?;
        if !create && !opts.get_filename().exists() {
            anyhow::bail!(
                "no database at {} (MTLS_CA_DATABASE_URL={url}): run `mtls-ca init` (or `serve`) first, \
                 or run this command where that database is",
                absolute(opts.get_filename()).display()
            );
        }
        let opts = opts
            .create_if_missing(create)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            // Writers from other processes (the CLI next to `serve`) wait instead of failing.
            .busy_timeout(Duration::from_secs(30));
        if let Some(parent) = opts.get_filename().parent() {
            if !parent.as_os_str().is_empty() {
                std::fs::create_dir_all(parent).map_err(|e| {
                    anyhow::anyhow!("cannot create database folder {}: {e}", parent.display())
                })?;
            }
        }
        let sqlite = SqlitePoolOptions::new()
            .max_connections(pool.max_connections)
            .acquire_timeout(pool.acquire_timeout)
            .connect_with(opts)
            .await
            .map_err(|e| anyhow::anyhow!("cannot open {url}: {e}"))?;
        Ok(Db::Sqlite(sqlite))
    }

    /// Applies the engine's migrations. On SQLite they run on a connection of their own with foreign
    /// keys off, so a migration may rebuild a table that others reference (SQLite's documented way
    /// to change a table's constraints); the pool's connections keep them on.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        match self {
            Db::Sqlite(pool) => {
                use sqlx::Connection;
                let opts = (*pool.connect_options()).clone().foreign_keys(false);
                let mut conn = sqlx::SqliteConnection::connect_with(&opts).await?;
                let result = sqlx::migrate!("migrations/sqlite").run(&mut conn).await;
                conn.close().await?;
                result?
            }
            Db::Postgres(pool) => sqlx::migrate!("migrations/postgres").run(pool).await?,
        }
        Ok(())
    }

    /// True when a trivial query succeeds.
    pub async fn ping(&self) -> bool {
        db_run!(self, |pool| sqlx::query("SELECT 1")
            .execute(pool)
            .await
            .is_ok())
    }

    /// Closes every connection, waiting for those in use.
    pub async fn close(&self) {
        db_run!(self, |pool| pool.close().await)
    }

    /// Where the data is, for logs: the absolute path of a SQLite file, or the redacted Postgres URL.
    pub fn location(&self) -> String {
        match self {
            Db::Sqlite(pool) => absolute(pool.connect_options().get_filename())
                .display()
                .to_string(),
            Db::Postgres(pool) => {
                let o = pool.connect_options();
                format!(
                    "postgres://{}:{}/{}",
                    o.get_host(),
                    o.get_port(),
                    o.get_database().unwrap_or_default()
                )
            }
        }
    }

    /// The engine's name, for logs and metrics.
    pub fn engine(&self) -> &'static str {
        match self {
            Db::Sqlite(_) => "sqlite",
            Db::Postgres(_) => "postgres",
        }
    }
}

/// `path` made absolute against the current folder (not resolved further: no file need exist).
fn absolute(path: &std::path::Path) -> std::path::PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_owned())
}

#[cfg(test)]
mod tests {
    fn migration_names(engine: &str) -> Vec<String> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("migrations")
            .join(engine);
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .map(|d| {
                d.filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    }

    #[test]
    fn both_engines_have_the_same_migration_versions_and_names() {
        let sqlite = migration_names("sqlite");
        assert!(!sqlite.is_empty());
        assert_eq!(sqlite, migration_names("postgres"));
    }
}
