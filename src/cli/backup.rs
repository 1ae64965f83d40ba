//! `mtls-ca backup FILE` and `mtls-ca restore FILE [--force]`.

use std::path::Path;
use std::time::Instant;

use crate::config::Settings;
use crate::db::backup::Copied;
use crate::db::Db;

/// Writes a consistent copy of the configured SQLite database to `file` (also while `serve` runs).
pub(super) async fn backup(settings: &Settings, file: &Path) -> anyhow::Result<()> {
    let db = Db::connect_existing(&settings.database_url, super::pool(settings)).await?;
    let started = Instant::now();
    let result = db.backup_to(file).await;
    db.close().await;
    let copied = result?;
    println!(
        "backup of {} written to {}",
        db.location(),
        describe(&copied, started)
    );
    Ok(())
}

/// Replaces the configured database's content with the backup `file` (creating the database when
/// missing); a database with content needs `force`.
pub(super) async fn restore(settings: &Settings, file: &Path, force: bool) -> anyhow::Result<()> {
    let db = Db::connect(&settings.database_url, super::pool(settings)).await?;
    let started = Instant::now();
    let result = db.restore_from(file, force).await;
    db.close().await;
    let copied = result?;
    println!(
        "restored {} into {}",
        file.display(),
        describe(&copied, started)
    );
    println!("restart any running `mtls-ca serve` on this database so that it reloads its CAs");
    Ok(())
}

fn describe(c: &Copied, started: Instant) -> String {
    format!(
        "{} ({} bytes, {} certificates, {} CAs, {} zones, {} tokens, {} audit entries) in {:.2} s",
        c.path.display(),
        c.bytes,
        c.rows_of("client_certificates"),
        c.rows_of("certificate_authorities"),
        c.rows_of("zones"),
        c.rows_of("api_tokens"),
        c.rows_of("audit_logs"),
        started.elapsed().as_secs_f64()
    )
}
