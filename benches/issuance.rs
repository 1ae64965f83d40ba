//! Issuance benchmark: drives `POST /zones/{id}/client_certificates` over HTTP and prints
//! certificates/s and p50/p99 latency per run, then the median of the runs.
//!
//! `cargo bench --bench issuance -- [--requests N] [--concurrency C] [--runs R] [--batch-size B]
//!  [--database-url URL] [--signers local,pkcs11,remote] [--revoke]` — SQLite in a temp folder by default;
//! with a `postgres://` URL each run gets a fresh database created next to the one the URL names.
//! With several signers (key custodies) the runs alternate between them, and the added p50/p99
//! latency of each against the first is printed. With `--revoke`, each run then revokes the
//! certificates it issued (`DELETE`, one request each, same concurrency) and prints revocations/s.

use std::sync::Arc;
use std::time::{Duration, Instant};

mod common;
#[path = "common/custody.rs"]
mod custody;

use clap::Parser;
use common::fresh_database;
use mtls_ca::app::App;
use mtls_ca::config::Settings;
use mtls_ca::model::Permission;

#[derive(Parser, Debug)]
struct Args {
    /// Certificates issued per run (after a warm-up of 200).
    #[arg(long, default_value_t = 5000)]
    requests: usize,
    /// Concurrent HTTP connections.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// Runs; the median is reported.
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Most certificates per commit (1 = one commit per request).
    #[arg(long, default_value_t = 256)]
    batch_size: usize,
    /// `postgres://...` to benchmark Postgres; SQLite otherwise.
    #[arg(long)]
    database_url: Option<String>,
    /// Who holds the CA key, comma-separated: local, pkcs11 (a SoftHSM2 token), remote (an
    /// `mtls-ca signer` on a unix socket).
    #[arg(long, default_value = "local", value_delimiter = ',')]
    signers: Vec<String>,
    /// Then revoke every certificate issued, and time that too.
    #[arg(long)]
    revoke: bool,
    /// Ignored (cargo bench passes it).
    #[arg(long, hide = true)]
    bench: bool,
}

struct RunResult {
    per_second: f64,
    p50: Duration,
    p99: Duration,
    revoked: Option<Rates>,
}

/// Requests/s and latency percentiles of one timed phase.
struct Rates {
    per_second: f64,
    p50: Duration,
    p99: Duration,
}

fn rates(mut latencies: Vec<Duration>, elapsed: Duration) -> Rates {
    latencies.sort();
    let pct = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
    Rates {
        per_second: latencies.len() as f64 / elapsed.as_secs_f64(),
        p50: pct(0.50),
        p99: pct(0.99),
    }
}

/// DELETEs every certificate of `ids` at `concurrency` requests in flight; the latencies.
async fn revoke_all(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    ids: Vec<String>,
    concurrency: usize,
) -> anyhow::Result<Vec<Duration>> {
    let ids = Arc::new(ids);
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let tasks: Vec<_> = (0..concurrency)
        .map(|_| {
            let (client, url, token, ids, next) = (
                client.clone(),
                url.to_owned(),
                token.to_owned(),
                ids.clone(),
                next.clone(),
            );
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(id) = ids.get(i) else {
                        break;
                    };
                    let start = Instant::now();
                    let res = client
                        .delete(format!("{url}/{id}"))
                        .bearer_auth(&token)
                        .send()
                        .await?;
                    let status = res.status();
                    let _ = res.bytes().await?;
                    anyhow::ensure!(status.is_success(), "revocation failed with {status}");
                    latencies.push(start.elapsed());
                }
                Ok::<_, anyhow::Error>(latencies)
            })
        })
        .collect();
    let mut all = Vec::with_capacity(ids.len());
    for t in tasks {
        all.extend(t.await??);
    }
    Ok(all)
}

fn csr(i: usize) -> anyhow::Result<String> {
    let key = rcgen::KeyPair::generate()?;
    let mut params = rcgen::CertificateParams::new(vec![format!("svc-{i}.internal")])?;
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, format!("svc-{i}"));
    Ok(params.serialize_request(&key)?.pem()?)
}

async fn one_run(args: &Args, signer: &str, csrs: Arc<Vec<String>>) -> anyhow::Result<RunResult> {
    let dir = tempfile::tempdir()?;
    let mut settings = Settings {
        database_url: fresh_database(args.database_url.as_deref(), dir.path()).await?,
        listen: "127.0.0.1:0".parse()?,
        worker_interval: 3600,
        write_batch_size: args.batch_size,
        db_max_connections: 16,
        ..Settings::default()
    };
    let _custody = custody::apply(signer, &mut settings, dir.path())?;
    let app = App::build(settings).await?;
    let services = app.services.clone();
    let now = mtls_ca::clock::now();
    let zone = common::bench_zone(&services, now).await?;
    let token = common::bench_token(&services, "bench", Permission::Write, now).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!(
        "http://{}/client/v4/zones/{zone}/client_certificates",
        listener.local_addr()?
    );
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.serve(listener, async move {
        let _ = stopped.await;
    }));
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.concurrency)
        .build()?;

    let drive = |total: usize| {
        let (client, url, token, csrs) = (client.clone(), url.clone(), token.clone(), csrs.clone());
        let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let tasks: Vec<_> = (0..args.concurrency)
            .map(|_| {
                let (client, url, token, csrs, next) = (
                    client.clone(),
                    url.clone(),
                    token.clone(),
                    csrs.clone(),
                    next.clone(),
                );
                tokio::spawn(async move {
                    let mut latencies = Vec::new();
                    let mut ids = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        if i >= total {
                            break;
                        }
                        let body =
                            serde_json::json!({"csr": csrs[i % csrs.len()], "validity_days": 30});
                        let start = Instant::now();
                        let res = client
                            .post(&url)
                            .bearer_auth(&token)
                            .json(&body)
                            .send()
                            .await?;
                        let status = res.status();
                        let body = res.bytes().await?;
                        anyhow::ensure!(status.is_success(), "issuance failed with {status}");
                        latencies.push(start.elapsed());
                        let v: serde_json::Value = serde_json::from_slice(&body)?;
                        ids.push(v["result"]["id"].as_str().unwrap_or_default().to_owned());
                    }
                    Ok::<_, anyhow::Error>((latencies, ids))
                })
            })
            .collect();
        async move {
            let mut all = Vec::with_capacity(total);
            let mut ids = Vec::with_capacity(total);
            for t in tasks {
                let (l, i) = t.await??;
                all.extend(l);
                ids.extend(i);
            }
            Ok::<_, anyhow::Error>((all, ids))
        }
    };

    drive(200).await?;
    let start = Instant::now();
    let (latencies, ids) = drive(args.requests).await?;
    let issued = rates(latencies, start.elapsed());
    let revoked = if args.revoke {
        let start = Instant::now();
        let latencies = revoke_all(&client, &url, &token, ids, args.concurrency).await?;
        Some(rates(latencies, start.elapsed()))
    } else {
        None
    };
    let result = RunResult {
        per_second: issued.per_second,
        p50: issued.p50,
        p99: issued.p99,
        revoked,
    };
    let _ = stop.send(());
    server.await??;
    Ok(result)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    // The token is made, and this process pointed at it, before the runtime starts its threads.
    let hsm = tempfile::tempdir()?;
    if args.signers.iter().any(|s| s == "pkcs11") {
        custody::softhsm_token(hsm.path())?;
    }
    tokio::runtime::Runtime::new()?.block_on(run(args))
}

async fn run(args: Args) -> anyhow::Result<()> {
    let engine = if args.database_url.is_some() {
        "postgres"
    } else {
        "sqlite"
    };
    let csrs = Arc::new((0..64).map(csr).collect::<anyhow::Result<Vec<_>>>()?);
    println!(
        "issuance over HTTP: engine={engine} CA=ecdsa-p256 CSR=p256 concurrency={} requests={} batch_size={} signers={}",
        args.concurrency,
        args.requests,
        args.batch_size,
        args.signers.join(",")
    );
    let mut results: Vec<Vec<RunResult>> = args.signers.iter().map(|_| Vec::new()).collect();
    for run in 1..=args.runs {
        for (signer, out) in args.signers.iter().zip(&mut results) {
            let r = one_run(&args, signer, csrs.clone()).await?;
            println!(
                "run {run} {signer}: {:.0} certificates/s  p50 {:.2} ms  p99 {:.2} ms",
                r.per_second,
                r.p50.as_secs_f64() * 1e3,
                r.p99.as_secs_f64() * 1e3
            );
            if let Some(v) = &r.revoked {
                println!(
                    "run {run} {signer}: {:.0} revocations/s  p50 {:.2} ms  p99 {:.2} ms",
                    v.per_second,
                    v.p50.as_secs_f64() * 1e3,
                    v.p99.as_secs_f64() * 1e3
                );
            }
            out.push(r);
        }
    }
    let mut baseline = None;
    for (signer, runs) in args.signers.iter().zip(&results) {
        let rate = median(runs.iter().map(|r| r.per_second).collect());
        let p50 = median(runs.iter().map(|r| r.p50.as_secs_f64() * 1e3).collect());
        let p99 = median(runs.iter().map(|r| r.p99.as_secs_f64() * 1e3).collect());
        print!(
            "median of {} {signer}: {rate:.0} certificates/s  p50 {p50:.2} ms  p99 {p99:.2} ms",
            args.runs
        );
        match baseline {
            None => {
                baseline = Some((signer.clone(), rate, p50, p99));
                println!();
            }
            Some((ref base, r0, p50_0, p99_0)) => println!(
                "  ({:.2}x of {base}; added p50 {:+.2} ms, p99 {:+.2} ms)",
                rate / r0,
                p50 - p50_0,
                p99 - p99_0
            ),
        }
        let revocations: Vec<&Rates> = runs.iter().filter_map(|r| r.revoked.as_ref()).collect();
        if !revocations.is_empty() {
            let rate = median(revocations.iter().map(|r| r.per_second).collect());
            let p50 = median(
                revocations
                    .iter()
                    .map(|r| r.p50.as_secs_f64() * 1e3)
                    .collect(),
            );
            let p99 = median(
                revocations
                    .iter()
                    .map(|r| r.p99.as_secs_f64() * 1e3)
                    .collect(),
            );
            println!(
                "median of {} {signer}: {rate:.0} revocations/s  p50 {p50:.2} ms  p99 {p99:.2} ms",
                args.runs
            );
        }
    }
    Ok(())
}
