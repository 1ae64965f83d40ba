//! `restore`: the content of a backup made by [`Db::backup_to`] copied over the configured SQLite
//! database in one transaction, after the backup (in a staged copy) is brought to this version's schema.

use std::path::Path;

use anyhow::Context;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{ConnectOptions, Connection, Row};

use super::backup::{inspect, quoted, tables, Copied, CONTENT, POSTGRES_BACKUP};
use super::{absolute, Db};

impl Db {
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
            // The copy ran the count triggers on top of the copied counts: count again.
            let recount = super::certificate_pages::recount_statements()
                .into_iter()
                .chain(super::console_stats::recount_statements());
            for sql in recount {
                sqlx::query(&sql).execute(&mut conn).await?;
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
