//! Online copies of a SQLite database (`VACUUM INTO`); `restore.rs` brings one back.
//!
//! A backup is one consistent snapshot even while `serve` writes: `VACUUM INTO` reads inside one read
//! transaction, so the WAL's committed pages are in it and nothing half-written is. Keys are copied
//! as stored: a CA key sealed with a passphrase stays sealed. Postgres has its own tools (`pg_dump`,
//! `pg_restore`); both commands say so rather than half-doing it.

use std::path::{Path, PathBuf};

use anyhow::Context;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{ConnectOptions, Connection};

use super::{absolute, Db};

/// What a backup or a restore holds: the file and the rows of the tables an operator cares about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Copied {
    /// The absolute path of the file written (the backup) or restored into.
    pub path: PathBuf,
    /// Its size in bytes.
    pub bytes: u64,
    /// Rows per table, in name order, for every table of the schema.
    pub rows: Vec<(String, i64)>,
}

impl Copied {
    /// Rows of one table (0 when the table is not there).
    pub fn rows_of(&self, table: &str) -> i64 {
        self.rows
            .iter()
            .find(|(t, _)| t == table)
            .map_or(0, |(_, n)| *n)
    }
}

pub(super) const POSTGRES_BACKUP: &str = "backup and restore copy SQLite databases; on Postgres use its own tools: \
     `pg_dump --format=custom --file=mtls-ca.dump \"$MTLS_CA_DATABASE_URL\"` and, into an empty database, \
     `pg_restore --no-owner --dbname=\"$MTLS_CA_DATABASE_URL\" mtls-ca.dump` (README, \"Backup and restore\")";

/// The tables that make a database non-empty for `restore`.
pub(super) const CONTENT: [&str; 4] = [
    "certificate_authorities",
    "client_certificates",
    "zones",
    "api_tokens",
];

impl Db {
    /// Writes a consistent copy of this SQLite database to `dest`, which must not exist: written
    /// under a temporary name in the same folder, flushed to disk, checked, then renamed.
    pub async fn backup_to(&self, dest: &Path) -> anyhow::Result<Copied> {
        let Db::Sqlite(pool) = self else {
            anyhow::bail!("{POSTGRES_BACKUP}");
        };
        let dest = absolute(dest);
        if dest.exists() {
            anyhow::bail!(
                "{} already exists; a backup never overwrites a file",
                dest.display()
            );
        }
        let name = dest
            .file_name()
            .with_context(|| format!("{} is not a file name", dest.display()))?;
        let partial = dest.with_file_name(format!(
            ".{}.partial-{}",
            name.to_string_lossy(),
            std::process::id()
        ));
        let result = async {
            // A connection of its own: a big database takes seconds, which is no slow statement here.
            let opts = (*pool.connect_options())
                .clone()
                .disable_statement_logging();
            let mut conn = SqliteConnection::connect_with(&opts).await?;
            let vacuum = sqlx::query("VACUUM INTO $1")
                .bind(partial.to_string_lossy().into_owned())
                .execute(&mut conn)
                .await;
            conn.close().await?;
            vacuum.with_context(|| format!("writing the backup to {}", partial.display()))?;
            sync_file(&partial)?;
            let copied = inspect(&partial).await?;
            std::fs::rename(&partial, &dest)
                .with_context(|| format!("renaming the backup to {}", dest.display()))?;
            sync_parent(&dest)?;
            Ok(Copied {
                path: dest.clone(),
                ..copied
            })
        }
        .await;
        if result.is_err() {
            let _ = std::fs::remove_file(&partial);
        }
        result
    }
}

/// Opens the file read-only, runs SQLite's integrity check, and counts the rows of every table.
pub(super) async fn inspect(path: &Path) -> anyhow::Result<Copied> {
    let opts = SqliteConnectOptions::new()
        .filename(path)
        .read_only(true)
        .disable_statement_logging();
    let mut conn = SqliteConnection::connect_with(&opts)
        .await
        .with_context(|| format!("opening {}", path.display()))?;
    let check: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&mut conn)
        .await
        .with_context(|| format!("checking {}", path.display()))?;
    if check != "ok" {
        anyhow::bail!("{} fails SQLite's integrity check: {check}", path.display());
    }
    let mut rows = Vec::new();
    for table in tables(&mut conn).await? {
        let n: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {}", quoted(&table)))
            .fetch_one(&mut conn)
            .await?;
        rows.push((table, n));
    }
    conn.close().await?;
    let bytes = std::fs::metadata(path)
        .with_context(|| format!("reading the size of {}", path.display()))?
        .len();
    Ok(Copied {
        path: path.to_owned(),
        bytes,
        rows,
    })
}

/// The schema's own tables in `main` (not SQLite's, not the migration ledger), by name.
pub(super) async fn tables(conn: &mut SqliteConnection) -> anyhow::Result<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT name FROM main.sqlite_master WHERE type = 'table' \
         AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations' ORDER BY name",
    )
    .fetch_all(conn)
    .await?)
}

pub(super) fn quoted(identifier: &str) -> String {
    format!("\"{}\"", identifier.replace('"', "\"\""))
}

fn sync_file(path: &Path) -> anyhow::Result<()> {
    std::fs::File::open(path)
        .and_then(|f| f.sync_all())
        .with_context(|| format!("flushing {} to disk", path.display()))
}

fn sync_parent(path: &Path) -> anyhow::Result<()> {
    match path.parent() {
        Some(dir) => std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .with_context(|| format!("flushing the folder {}", dir.display())),
        None => Ok(()),
    }
}
