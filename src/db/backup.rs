//! Online copies of a SQLite database (`VACUUM INTO`), and restoring one into the configured database.
//!
//! A backup is one consistent snapshot even while `serve` writes: `VACUUM INTO` reads inside one read
//! transaction, so the WAL's committed pages are in it and nothing half-written is. Keys are copied
//! as stored: a CA key sealed with a passphrase stays sealed. Postgres has its own tools (`pg_dump`,
//! `pg_restore`); both commands say so rather than half-doing it.

use std::path::{Path, PathBuf};

use anyhow::Context;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{ConnectOptions, Connection, Row};

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

const POSTGRES_BACKUP: &str = "backup and restore copy SQLite databases; on Postgres use its own tools: \
     `pg_dump --format=custom --file=mtls-ca.dump \"$MTLS_CA_DATABASE_URL\"` and, into an empty database, \
     `pg_restore --no-owner --dbname=\"$MTLS_CA_DATABASE_URL\" mtls-ca.dump` (README, \"Backup and restore\")";

/// The tables that make a database non-empty for `restore`.
const CONTENT: [&str; 4] = [
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

    /// Replaces the content of this SQLite database with the backup at `src`, in one transaction.
    /// A database that already holds a CA, a zone, a token or a certificate is refused unless
    /// `force`. The backup itself is never modified: an older one is brought to the current schema in
    /// a temporary copy first.
    pub async fn restore_from(&self, src: &Path, force: bool) -> anyhow::Result<Copied> {
        let Db::Sqlite(pool) = self else {
            anyhow::bail!("{POSTGRES_BACKUP}");
        };
        let src = absolute(src);
        if !src.is_file() {
            anyhow::bail!("no backup file at {}", src.display());
        }
        let target = absolute(pool.connect_options().get_filename());
        let staging = target.with_file_name(format!(".restore-{}.db", std::process::id()));
        let result = async {
            std::fs::copy(&src, &staging)
                .with_context(|| format!("copying {} next to the database", src.display()))?;
            let backup = inspect(&staging).await.with_context(|| {
                format!("{} is not a readable SQLite database", src.display())
            })?;
            if backup.rows_of("accounts") == 0 || backup.rows_of("certificate_authorities") == 0 {
                anyhow::bail!(
                    "{} is not an mtls-ca backup (it has no account or CA)",
                    src.display()
                );
            }
            upgrade(&staging).await.with_context(|| {
                format!(
                    "{} cannot be brought to this version's schema (a backup from a newer mtls-ca?)",
                    src.display()
                )
            })?;
            self.migrate().await?;
            let here = inspect(&target).await?;
            let held: Vec<String> = CONTENT
                .iter()
                .filter(|t| here.rows_of(t) > 0)
                .map(|t| format!("{} {t}", here.rows_of(t)))
                .collect();
            if !held.is_empty() && !force {
                anyhow::bail!(
                    "the database at {} is not empty ({}); `restore --force` replaces everything in it",
                    target.display(),
                    held.join(", ")
                );
            }
            copy_tables(pool.connect_options().as_ref(), &staging).await?;
            let restored = inspect(&target).await?;
            Ok(restored)
        }
        .await;
        let _ = std::fs::remove_file(&staging);
        result
    }
}

/// Copies every table of `staging` over the same table of the database `opts` names, in one
/// `BEGIN IMMEDIATE` transaction on a connection of its own (foreign keys off while rows move, then
/// checked before the commit).
async fn copy_tables(opts: &SqliteConnectOptions, staging: &Path) -> anyhow::Result<()> {
    let opts = opts.clone().foreign_keys(false).disable_statement_logging();
    let mut conn = SqliteConnection::connect_with(&opts).await?;
    sqlx::query("ATTACH DATABASE $1 AS restore_src")
        .bind(staging.to_string_lossy().into_owned())
        .execute(&mut conn)
        .await
        .context("opening the staged backup")?;
    let result = async {
        sqlx::query("BEGIN IMMEDIATE").execute(&mut conn).await?;
        let copied = async {
            for table in tables(&mut conn).await? {
                let columns: Vec<String> =
                    sqlx::query_scalar("SELECT name FROM pragma_table_info($1, 'main')")
                        .bind(&table)
                        .fetch_all(&mut conn)
                        .await?;
                let cols = columns
                    .iter()
                    .map(|c| quoted(c))
                    .collect::<Vec<_>>()
                    .join(", ");
                let t = quoted(&table);
                sqlx::query(&format!("DELETE FROM main.{t}"))
                    .execute(&mut conn)
                    .await?;
                sqlx::query(&format!(
                    "INSERT INTO main.{t} ({cols}) SELECT {cols} FROM restore_src.{t}"
                ))
                .execute(&mut conn)
                .await
                .with_context(|| format!("copying table {table}"))?;
            }
            let sequences: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM restore_src.sqlite_master WHERE name = 'sqlite_sequence'",
            )
            .fetch_one(&mut conn)
            .await?;
            if sequences > 0 {
                sqlx::query("DELETE FROM main.sqlite_sequence")
                    .execute(&mut conn)
                    .await?;
                sqlx::query(
                    "INSERT INTO main.sqlite_sequence (name, seq) SELECT name, seq FROM restore_src.sqlite_sequence",
                )
                .execute(&mut conn)
                .await?;
            }
            let broken = sqlx::query("PRAGMA main.foreign_key_check")
                .fetch_all(&mut conn)
                .await?;
            if let Some(row) = broken.first() {
                let table: String = row.try_get(0).unwrap_or_default();
                anyhow::bail!(
                    "the backup has rows whose references are missing (first in table {table})"
                );
            }
            anyhow::Ok(())
        }
        .await;
        match copied {
            Ok(()) => {
                sqlx::query("COMMIT").execute(&mut conn).await?;
                Ok(())
            }
            Err(e) => {
                let _ = sqlx::query("ROLLBACK").execute(&mut conn).await;
                Err(e)
            }
        }
    }
    .await;
    let _ = sqlx::query("DETACH DATABASE restore_src")
        .execute(&mut conn)
        .await;
    conn.close().await?;
    result
}

/// Applies this version's migrations to a staged copy.
async fn upgrade(path: &Path) -> anyhow::Result<()> {
    let opts = SqliteConnectOptions::new()
        .filename(path)
        .foreign_keys(false);
    let mut conn = SqliteConnection::connect_with(&opts).await?;
    let result = sqlx::migrate!("migrations/sqlite").run(&mut conn).await;
    conn.close().await?;
    Ok(result?)
}

/// Opens the file read-only, runs SQLite's integrity check, and counts the rows of every table.
async fn inspect(path: &Path) -> anyhow::Result<Copied> {
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
async fn tables(conn: &mut SqliteConnection) -> anyhow::Result<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT name FROM main.sqlite_master WHERE type = 'table' \
         AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations' ORDER BY name",
    )
    .fetch_all(conn)
    .await?)
}

fn quoted(identifier: &str) -> String {
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
