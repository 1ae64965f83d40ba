//! Seeds a database with real certificates, for measuring what operators see on a big CA (backup
//! size and time, console pages, list and CRL speed): each one made from its own P-256 key and CSR
//! and issued through the same service call as `POST /zones/{id}/client_certificates`.
//!
//! `cargo run --release --example seed -- --database-url URL [--certificates N] [--zones Z]
//!  [--revoked-percent P] [--concurrency C] [--copies-to M] [--audit-to A]`
//!
//! The CA is created 120 days in the past (on an empty database) and certificates are issued at
//! instants spread over the last 60 days with validities of 7, 30, 90 and 365 days, so that expiry
//! and per-day figures have something to show. A share of them is revoked (DELETE, then the worker).
//! The database is the one `MTLS_CA_DATABASE_URL` would name; it is created when missing.
//!
//! `--copies-to M` then copies certificates by SQL until there are M (see `top_up.rs`), and
//! `--audit-to A` adds synthetic audit entries until the log holds A: the console's 1,000,000-row
//! figures come from `--certificates 20000 --copies-to 1000000 --audit-to 1000000`.

mod top_up;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use clap::Parser;
use mtls_ca::config::Settings;
use mtls_ca::model::{CertId, ZoneId};
use mtls_ca::service::auth::Caller;
use mtls_ca::service::certificates::CreateRequest;
use mtls_ca::service::Services;

const DAY: i64 = 86_400;

#[derive(Parser, Debug)]
struct Args {
    /// `sqlite://PATH` or `postgres://...`.
    #[arg(long)]
    database_url: String,
    /// Certificates to issue.
    #[arg(long, default_value_t = 100_000)]
    certificates: usize,
    /// Zones to spread them over (created as seed-N.example).
    #[arg(long, default_value_t = 10)]
    zones: usize,
    /// Share of the certificates revoked at the end, in percent.
    #[arg(long, default_value_t = 3)]
    revoked_percent: usize,
    /// Issuances in flight at once (the writer commits them in batches).
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// Then copy certificates by SQL until the database holds this many.
    #[arg(long)]
    copies_to: Option<i64>,
    /// Then add synthetic audit entries until the log holds this many.
    #[arg(long)]
    audit_to: Option<i64>,
}

fn csr(n: usize) -> anyhow::Result<String> {
    let key = rcgen::KeyPair::generate()?;
    let mut params = rcgen::CertificateParams::new(vec![format!("svc-{n}.seed.internal")])?;
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, format!("svc-{n}"));
    params
        .distinguished_name
        .push(rcgen::DnType::OrganizationName, "Seed Ltd");
    Ok(params.serialize_request(&key)?.pem()?)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let settings = Settings {
        database_url: args.database_url.clone(),
        ..Settings::default()
    };
    let now = mtls_ca::clock::now();
    let s = Services::open(&settings, now - 120 * DAY).await?;
    let cli = Caller::cli(s.account_id.as_str());
    let mut zones = Vec::new();
    for z in 0..args.zones.max(1) {
        let zone = s
            .create_zone(&cli, &format!("seed-{z}-{now}.example"), now)
            .await?;
        zones.push(ZoneId::parse(&zone.id)?);
    }
    let zones = Arc::new(zones);
    let started = Instant::now();
    let next = Arc::new(AtomicUsize::new(0));
    let revoke_every = if args.revoked_percent == 0 {
        usize::MAX
    } else {
        100 / args.revoked_percent.min(100)
    };
    let mut tasks = Vec::new();
    for _ in 0..args.concurrency.max(1) {
        let (s, cli, zones, next) = (s.clone(), cli.clone(), zones.clone(), next.clone());
        let total = args.certificates;
        tasks.push(tokio::spawn(async move {
            let mut revoked = 0usize;
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= total {
                    return anyhow::Ok(revoked);
                }
                let zone = &zones[n % zones.len()];
                let issued_at = now - i64::try_from(n % (60 * 24)).unwrap_or(0) * (DAY / 24);
                let validity_days = [7, 30, 90, 365][n % 4];
                let pem = tokio::task::spawn_blocking(move || csr(n)).await??;
                let cert = s
                    .create_certificate(
                        &cli,
                        zone,
                        CreateRequest {
                            csr: pem,
                            validity_days,
                        },
                        issued_at,
                    )
                    .await?;
                if n % revoke_every == 0 {
                    s.revoke_certificate(&cli, zone, &CertId::parse(&cert.id)?, now)
                        .await?;
                    revoked += 1;
                }
                if n > 0 && n % 10_000 == 0 {
                    println!(
                        "{n} certificates in {:.0} s",
                        started.elapsed().as_secs_f64()
                    );
                }
            }
        }));
    }
    let mut revoked = 0;
    for t in tasks {
        revoked += t.await??;
    }
    if let Some(target) = args.copies_to {
        top_up::certificates(&s.db, target).await?;
    }
    if let Some(target) = args.audit_to {
        top_up::audit(&s.db, s.account_id.as_str(), target, now).await?;
    }
    let outcome = mtls_ca::worker::run_once(&s, now).await?;
    println!(
        "seeded {} certificates ({} revoked, worker moved {}) in {} zones of {} in {:.1} s",
        args.certificates,
        revoked,
        outcome.revoked,
        zones.len(),
        s.db.location(),
        started.elapsed().as_secs_f64()
    );
    s.db.close().await;
    Ok(())
}
