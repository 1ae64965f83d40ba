//! Side by side with cfssl: the release `mtls-ca serve` and Debian's `cfssl serve`, each with an
//! equivalent CA and a certificate store, under the same external load: `wrk` (a separate process,
//! as a user's clients would be) posting one P-256 CSR for `--duration` seconds on `--connections`
//! connections. Per configuration (P-256 CA on SQLite, P-256 CA on Postgres, RSA-2048 CA on SQLite)
//! it runs `--pairs` alternating pairs, each side on a fresh database after a short warm-up, and
//! prints per pair requests/s and p99 of each and the ratio, then the median ratio; and the CPU
//! each server process used per request (user and system, from `/proc/PID/stat`; a Postgres
//! server's own backends are not in it).
//!
//! Both sides must really issue: wrk's non-2xx, timeout and socket-error counts must be 0, and the
//! rows each store holds afterwards must cover every 2xx wrk counted. A run that fails a check is
//! printed with what the server logged about it, and the bench then exits non-zero.
//!
//! ```text
//! apt-get install golang-cfssl wrk
//! BENCH_DATABASE_URL=postgres://mtlsca:PASSWORD@127.0.0.1/postgres cargo bench --bench vs_cfssl
//! cargo bench --bench vs_cfssl -- [--pairs N] [--duration S] [--connections C] [--threads T]
//!   [--configs p256-sqlite,p256-postgres,rsa2048-sqlite] [--database-url postgres://...]
//! ```
//!
//! Durability as shipped on both sides: mtls-ca's SQLite is WAL with `synchronous=FULL`; cfssl's
//! certdb is opened `_journal_mode=WAL&_synchronous=FULL` (go-sqlite3 on Debian's libsqlite3, whose
//! WAL default is FULL too). Postgres is one local cluster with `synchronous_commit=on` for both.
//! cfssl's tables are its own migrations (`certdb/{sqlite,pg}/migrations/001_CreateCertificates.sql`
//! at the Debian package's commit 7fb22c8). Postgres configurations run only with a database URL
//! (a role that may create databases); each side gets a new database, dropped afterwards.

mod cfssl;
mod config;
mod measure;
mod mtls;
mod report;
mod server;
mod wrk;

use std::path::PathBuf;

use clap::Parser;
use tokio::process::Command;

use config::{config, Side};
use measure::measure;
use report::{load_average, median};

#[derive(Parser, Debug)]
pub struct Args {
    /// Alternating pairs (mtls-ca then cfssl, then cfssl then mtls-ca, ...) per configuration.
    #[arg(long, default_value_t = 3)]
    pub pairs: usize,
    /// Seconds of each measured wrk run.
    #[arg(long, default_value_t = 10)]
    pub duration: u64,
    /// Seconds of the unmeasured wrk run before it, on the same server.
    #[arg(long, default_value_t = 2)]
    pub warmup: u64,
    /// wrk connections.
    #[arg(long, default_value_t = 64)]
    pub connections: usize,
    /// wrk's per-request timeout, seconds: answers slower than this would be errors and be left
    /// out of wrk's latencies (its default of 2 s hides a loaded server's slowest answers).
    #[arg(long, default_value_t = 30)]
    pub timeout: u64,
    /// wrk threads.
    #[arg(long, default_value_t = 2)]
    pub threads: usize,
    /// Configurations, comma-separated: p256-sqlite, p256-postgres, rsa2048-sqlite.
    #[arg(
        long,
        default_value = "p256-sqlite,p256-postgres,rsa2048-sqlite",
        value_delimiter = ','
    )]
    pub configs: Vec<String>,
    /// `postgres://...` of a role that may create databases (default: $BENCH_DATABASE_URL).
    #[arg(long)]
    pub database_url: Option<String>,
    /// The cfssl binary.
    #[arg(long, default_value = "cfssl")]
    pub cfssl: PathBuf,
    /// The mtls-ca binary (default: this build's).
    #[arg(long)]
    pub mtls_ca: Option<PathBuf>,
    /// Ignored (cargo bench passes it).
    #[arg(long, hide = true)]
    pub bench: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = Args::parse();
    if args.database_url.is_none() {
        args.database_url = std::env::var("BENCH_DATABASE_URL").ok();
    }
    let cfssl_version = Command::new(&args.cfssl).arg("version").output().await?;
    let key = rcgen::KeyPair::generate()?;
    let mut params = rcgen::CertificateParams::new(vec!["svc.bench.internal".to_owned()])?;
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "svc.bench.internal");
    let csr = params.serialize_request(&key)?.pem()?;
    println!(
        "POST of one P-256 CSR, wrk -t{} -c{} -d{}s --timeout={}s (after {}s warm-up), {} alternating pairs",
        args.threads, args.connections, args.duration, args.timeout, args.warmup, args.pairs
    );
    println!(
        "cfssl: {}",
        String::from_utf8_lossy(&cfssl_version.stdout).replace('\n', " ")
    );
    println!("load average at start: {}", load_average().trim());
    let mut summary = Vec::new();
    let mut failures = Vec::new();
    for name in &args.configs {
        let cfg = config(name)?;
        if cfg.postgres && args.database_url.is_none() {
            println!("### {name}: skipped (no --database-url or BENCH_DATABASE_URL)");
            continue;
        }
        println!("### {name}");
        let mut ratios = Vec::new();
        let mut p99_ratios = Vec::new();
        for pair in 1..=args.pairs {
            let order = if pair % 2 == 1 {
                [Side::MtlsCa, Side::Cfssl]
            } else {
                [Side::Cfssl, Side::MtlsCa]
            };
            let mut loads = Vec::new();
            for side in order {
                let (load, failed) = measure(&args, side, &cfg, &csr).await?;
                for f in &failed {
                    println!("  CHECK FAILED, pair {pair}: {f}");
                }
                failures.extend(
                    failed
                        .into_iter()
                        .map(|f| format!("{name} pair {pair}: {f}")),
                );
                loads.push((side, load));
            }
            loads.sort_by_key(|(side, _)| *side == Side::Cfssl);
            let (ratio, p99_ratio) = report::pair(pair, &loads[0].1, &loads[1].1);
            ratios.push(ratio);
            p99_ratios.push(p99_ratio);
        }
        let (r, p) = (median(ratios), median(p99_ratios));
        println!("{name}: median ratio {r:.2}x, median p99 mtls-ca/cfssl {p:.2}");
        summary.push((name.clone(), r, p));
    }
    println!("load average at end: {}", load_average().trim());
    for (name, r, p) in summary {
        println!("summary {name}: {r:.2}x cfssl, p99 {p:.2} of cfssl's");
    }
    anyhow::ensure!(
        failures.is_empty(),
        "{} run(s) failed a check:\n{}",
        failures.len(),
        failures.join("\n")
    );
    Ok(())
}
