//! CA hierarchy benchmark, in process, on SQLite (or the Postgres `--database-url` names):
//!
//! 1. the time of `ca rotate` (new key, self-signed certificate, one transaction that retires the
//!    old CA, registry reload) with `--stored` certificates (100,000 by default) in the database,
//!    median of `--runs` rotations;
//! 2. one worker run that rebuilds the CRLs of two CAs with `--revoked-per-ca` revoked
//!    certificates each (50,000 by default), forced to re-sign, median of `--runs`.
//!
//! `cargo bench --bench rotation -- [--stored N] [--revoked-per-ca N] [--runs R] [--database-url URL]`

use std::time::Instant;

mod common;

use clap::Parser;
use common::{fresh_database, insert, DAY};
use mtls_ca::app::App;
use mtls_ca::config::Settings;
use mtls_ca::model::CertStatus;

#[derive(Parser, Debug)]
struct Args {
    /// Certificates stored before the rotations.
    #[arg(long, default_value_t = 100_000)]
    stored: usize,
    /// Revoked certificates in each of the two CRLs.
    #[arg(long, default_value_t = 50_000)]
    revoked_per_ca: usize,
    /// Runs; the median is reported.
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// A Postgres server (role with CREATEDB) to run on instead of SQLite.
    #[arg(long)]
    database_url: Option<String>,
    /// Ignored (cargo bench passes it).
    #[arg(long, hide = true)]
    bench: bool,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let dir = tempfile::tempdir()?;
    let url = fresh_database(args.database_url.as_deref(), dir.path()).await?;
    let engine = if url.starts_with("sqlite") {
        "sqlite"
    } else {
        "postgres"
    };
    let settings = Settings {
        database_url: url,
        listen: "127.0.0.1:0".parse()?,
        worker_interval: 3600,
        ..Settings::default()
    };
    let app = App::build(settings).await?;
    let s = app.services.clone();
    let now = mtls_ca::clock::now();
    let zone = common::bench_zone(&s, now).await?;
    let first = s.cas.issuing()?.id.clone();
    let t = Instant::now();
    insert(&s, &first, &zone, CertStatus::Active, args.stored, now).await?;
    println!(
        "setup ({engine}): {} stored certificates in {:.1} s",
        args.stored,
        t.elapsed().as_secs_f64()
    );

    let mut secs = Vec::new();
    for run in 1..=args.runs {
        let t = Instant::now();
        let cli = mtls_ca::service::auth::Caller::cli(s.account_id.as_str());
        let new = s.cas.rotate(&cli, None, now).await?;
        let elapsed = t.elapsed().as_secs_f64();
        println!(
            "run {run}: rotated to {} ({}) in {:.1} ms",
            new.id,
            new.algorithm.as_str(),
            elapsed * 1e3
        );
        secs.push(elapsed);
    }
    println!(
        "median of {}: {:.1} ms to rotate the issuing CA (ecdsa-p256) with {} certificates stored ({engine})",
        args.runs,
        median(secs) * 1e3,
        args.stored
    );

    // Two CAs with the same number of revoked certificates: the retired first CA and the issuing one.
    let issuing = s.cas.issuing()?.id.clone();
    let t = Instant::now();
    for ca in [&first, &issuing] {
        insert(&s, ca, &zone, CertStatus::Revoked, args.revoked_per_ca, now).await?;
    }
    println!(
        "setup: {} revoked certificates for each of 2 CAs in {:.1} s",
        args.revoked_per_ca,
        t.elapsed().as_secs_f64()
    );
    let mut secs = Vec::new();
    for run in 1..=args.runs {
        // Each run is half a CRL validity later than the last, which forces both CRLs to be re-signed.
        let at = now + (run as i64) * 4 * DAY;
        let t = Instant::now();
        mtls_ca::worker::run_once(&s, at).await?;
        let elapsed = t.elapsed().as_secs_f64();
        let sizes = [
            s.current_crl(&first, at).await?.der.len(),
            s.current_crl(&issuing, at).await?.der.len(),
        ];
        println!(
            "run {run}: worker rebuilt 2 CRLs ({} and {} bytes) in {:.3} s",
            sizes[0], sizes[1], elapsed
        );
        secs.push(elapsed);
    }
    println!(
        "median of {}: {:.3} s for one worker run rebuilding two CRLs of {} entries each ({engine})",
        args.runs,
        median(secs),
        args.revoked_per_ca
    );
    s.db.close().await;
    if let (Some(admin), mtls_ca::db::Db::Postgres(pool)) = (&args.database_url, &s.db) {
        use sqlx::Connection;
        if let Some(name) = pool.connect_options().get_database() {
            let mut conn = sqlx::PgConnection::connect(admin).await?;
            sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut conn)
                .await?;
        }
    }
    Ok(())
}
