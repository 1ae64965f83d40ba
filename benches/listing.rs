//! Listing benchmark: pages of one zone holding `--stored` certificates (1,000,000 by default;
//! 90% active, 7% revoked, 3% pending revocation), in process, on SQLite (or the Postgres
//! `--database-url` names).
//!
//! For the first, middle and last page (per_page 50), with and without `status=active` and
//! `status=revoked`, it prints the median time of `--runs` calls of the list service (the server's
//! time for a GET without HTTP framing), and in the same run the median of the same page found the
//! way lists were found before migration 0010: `COUNT(*)` of the filtered rows, then `OFFSET`.
//!
//! `cargo bench --bench listing -- [--stored N] [--runs R] [--database-url URL]`

use std::time::Instant;

mod common;

use clap::Parser;
use common::{fresh_database, insert};
use mtls_ca::app::App;
use mtls_ca::config::Settings;
use mtls_ca::db::certificates::{self as repo, Filter};
use mtls_ca::model::{CertStatus, ZoneId};
use mtls_ca::service::auth::Caller;
use mtls_ca::service::listing::ListQuery;

#[derive(Parser, Debug)]
struct Args {
    /// Certificates stored in the zone.
    #[arg(long, default_value_t = 1_000_000)]
    stored: usize,
    /// Calls per page; the median is reported.
    #[arg(long, default_value_t = 21)]
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
    let ca = s.cas.issuing()?.id.clone();
    let t = Instant::now();
    // Interleaved in chunks, so every status spreads over the whole sequence.
    let chunk = (args.stored / 100).max(1);
    let mut left = args.stored;
    while left > 0 {
        for (status, share) in [
            (CertStatus::Active, 90),
            (CertStatus::Revoked, 7),
            (CertStatus::PendingRevocation, 3),
        ] {
            let n = (chunk * share / 100).min(left);
            insert(&s, &ca, &zone, status, n, now).await?;
            left -= n;
        }
    }
    s.fold_certificate_counts().await?;
    println!(
        "setup ({engine}): {} certificates in one zone in {:.1} s",
        args.stored,
        t.elapsed().as_secs_f64()
    );

    let caller = Caller::cli(s.account_id.as_str());
    let zone_id = ZoneId::parse(&zone)?;
    println!("page                      | status filter      | total     | now     | count+offset");
    for status in [None, Some(CertStatus::Active), Some(CertStatus::Revoked)] {
        let filter = Filter {
            status,
            expires_before: None,
        };
        let total = repo::count(&s.db, &zone, filter).await?;
        let pages = (total as u64).div_ceil(50).max(1);
        for (name, page) in [("first", 1), ("middle", pages / 2), ("last", pages)] {
            let query = ListQuery {
                status,
                expires_before: None,
                page,
                per_page: 50,
                offset: 0,
                limit: None,
            };
            let mut new = Vec::new();
            let mut old = Vec::new();
            for _ in 0..args.runs {
                let t = Instant::now();
                let (certs, info) = s.list_certificates(&caller, &zone_id, &query).await?;
                new.push(t.elapsed().as_secs_f64());
                assert_eq!(info.total_count, total as u64);
                assert!(!certs.is_empty());
                let t = Instant::now();
                let counted = repo::count(&s.db, &zone, filter).await?;
                let rows = repo::list(&s.db, &zone, filter, ((page - 1) * 50) as i64, 50).await?;
                old.push(t.elapsed().as_secs_f64());
                assert_eq!((counted, rows.len()), (total, certs.len()));
            }
            println!(
                "{:<25} | {:<18} | {:>9} | {:>5.2} ms | {:>8.1} ms",
                format!("{name} ({page} of {pages})"),
                status.map_or("none", |st| st.as_str()),
                total,
                median(new) * 1e3,
                median(old) * 1e3
            );
        }
    }
    Ok(())
}
