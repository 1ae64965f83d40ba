//! Transport benchmark: authenticated `GET /zones/{id}/client_certificates/{id}` over plain HTTP and
//! over HTTPS (self-issued certificate, keep-alive, HTTP/1.1), alternating in one run; prints
//! requests/s and p50/p99 of each and the HTTPS/HTTP ratio.
//!
//! `cargo bench --bench transport -- [--requests N] [--concurrency C] [--runs R]`

use std::sync::Arc;
use std::time::{Duration, Instant};

mod common;

use clap::Parser;
use common::fresh_database;
use mtls_ca::app::App;
use mtls_ca::config::Settings;
use mtls_ca::model::Permission;

#[derive(Parser, Debug)]
struct Args {
    /// Requests per run (after a warm-up of 500).
    #[arg(long, default_value_t = 20000)]
    requests: usize,
    /// Concurrent connections.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// Runs of each transport; the median is reported.
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Ignored (cargo bench passes it).
    #[arg(long, hide = true)]
    bench: bool,
}

struct RunResult {
    per_second: f64,
    p50: Duration,
    p99: Duration,
}

async fn one_run(args: &Args, https: bool) -> anyhow::Result<RunResult> {
    let dir = tempfile::tempdir()?;
    let settings = Settings {
        database_url: fresh_database(None, dir.path()).await?,
        listen: "127.0.0.1:0".parse()?,
        worker_interval: 3600,
        tls_self_issued: https.then(|| "127.0.0.1".to_owned()),
        // Every request authenticates for real.
        auth_cache_seconds: 0,
        ..Settings::default()
    };
    let app = App::build(settings).await?;
    let services = app.services.clone();
    let now = mtls_ca::clock::now();
    let zone = common::bench_zone(&services, now).await?;
    let token = common::bench_token(&services, "bench", Permission::Read, now).await?;
    let writer = common::bench_token(&services, "writer", Permission::Write, now).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let scheme = if https { "https" } else { "http" };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.serve(listener, async move {
        let _ = stopped.await;
    }));
    let mut builder = reqwest::Client::builder()
        .pool_max_idle_per_host(args.concurrency)
        .http1_only();
    if https {
        builder = builder.tls_built_in_root_certs(false);
        for root in
            reqwest::Certificate::from_pem_bundle(services.cas.bundle_pem(now).await?.as_bytes())?
        {
            builder = builder.add_root_certificate(root);
        }
    }
    let client = builder.build()?;
    let key = rcgen::KeyPair::generate()?;
    let csr = rcgen::CertificateParams::new(vec!["bench.internal".to_owned()])?
        .serialize_request(&key)?
        .pem()?;
    let base = format!("{scheme}://{addr}/client/v4/zones/{zone}/client_certificates");
    let created: serde_json::Value = client
        .post(&base)
        .bearer_auth(&writer)
        .json(&serde_json::json!({"csr": csr, "validity_days": 30}))
        .send()
        .await?
        .json()
        .await?;
    let id = created["result"]["id"]
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("no certificate: {created}"))?;
    let url = Arc::new(format!("{base}/{id}"));
    let drive = |total: usize| {
        let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let tasks: Vec<_> = (0..args.concurrency)
            .map(|_| {
                let (client, url, token, next) =
                    (client.clone(), url.clone(), token.clone(), next.clone());
                tokio::spawn(async move {
                    let mut latencies = Vec::new();
                    while next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < total {
                        let start = Instant::now();
                        let res = client.get(url.as_str()).bearer_auth(&token).send().await?;
                        let status = res.status();
                        let _ = res.bytes().await?;
                        anyhow::ensure!(status.is_success(), "GET failed with {status}");
                        latencies.push(start.elapsed());
                    }
                    Ok::<_, anyhow::Error>(latencies)
                })
            })
            .collect();
        async move {
            let mut all = Vec::with_capacity(total);
            for t in tasks {
                all.extend(t.await??);
            }
            Ok::<_, anyhow::Error>(all)
        }
    };
    drive(500).await?;
    let start = Instant::now();
    let mut latencies = drive(args.requests).await?;
    let elapsed = start.elapsed();
    latencies.sort();
    let pct = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
    let result = RunResult {
        per_second: args.requests as f64 / elapsed.as_secs_f64(),
        p50: pct(0.50),
        p99: pct(0.99),
    };
    let _ = stop.send(());
    server.await??;
    Ok(result)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    println!(
        "authenticated GET of one certificate, keep-alive HTTP/1.1: concurrency={} requests={}",
        args.concurrency, args.requests
    );
    let mut rates = [Vec::new(), Vec::new()];
    let mut p50s = [Vec::new(), Vec::new()];
    let mut p99s = [Vec::new(), Vec::new()];
    for run in 1..=args.runs {
        for (i, https) in [false, true].into_iter().enumerate() {
            let r = one_run(&args, https).await?;
            println!(
                "run {run} {}: {:.0} requests/s  p50 {:.2} ms  p99 {:.2} ms",
                if https { "https" } else { "http" },
                r.per_second,
                r.p50.as_secs_f64() * 1e3,
                r.p99.as_secs_f64() * 1e3
            );
            rates[i].push(r.per_second);
            p50s[i].push(r.p50.as_secs_f64() * 1e3);
            p99s[i].push(r.p99.as_secs_f64() * 1e3);
        }
    }
    let (http, https) = (median(rates[0].clone()), median(rates[1].clone()));
    for (i, name) in ["http", "https"].into_iter().enumerate() {
        println!(
            "median of {} {name}: {:.0} requests/s  p50 {:.2} ms  p99 {:.2} ms",
            args.runs,
            median(rates[i].clone()),
            median(p50s[i].clone()),
            median(p99s[i].clone())
        );
    }
    println!("https / http: {:.2}x", https / http);
    Ok(())
}
