//! Authentication benchmark: authenticated `GET /zones/{id}/client_certificates/{id}` against two
//! `mtls-ca serve` binaries in one run, alternating: this build (token policies, IP conditions,
//! validity windows, `last_used_on`) and a baseline binary built from an earlier commit. Each is run
//! with the credential cache off (every request reads and evaluates the token) and at its default.
//! Prints requests/s and p50/p99 per binary and setting, and the ratio to the baseline.
//!
//! ```text
//! git worktree add /tmp/baseline d46a0b6 && (cd /tmp/baseline && cargo build --release)
//! cargo bench --bench auth -- --baseline /tmp/baseline/target/release/mtls-ca [--requests N] [--runs R]
//! ```

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use tokio::process::{Child, Command};

#[derive(Parser, Debug)]
struct Args {
    /// The `mtls-ca` binary to compare with (built from the commit before the change measured).
    #[arg(long)]
    baseline: PathBuf,
    /// The binary measured (default: this build's).
    #[arg(long)]
    candidate: Option<PathBuf>,
    /// Requests per run (after a warm-up of 500).
    #[arg(long, default_value_t = 20000)]
    requests: usize,
    /// Concurrent connections.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// Runs of each binary and setting; the median is reported.
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Ignored (cargo bench passes it).
    #[arg(long, hide = true)]
    bench: bool,
}

/// A `serve` process on a fresh SQLite database, killed on drop.
struct Server {
    _child: Child,
    _dir: tempfile::TempDir,
    url: String,
    token: String,
}

async fn cli(bin: &Path, dir: &Path, args: &[&str]) -> anyhow::Result<String> {
    let out = Command::new(bin)
        .args(args)
        .current_dir(dir)
        .env("MTLS_CA_DATABASE_URL", "sqlite://ca.db")
        .stderr(Stdio::null())
        .output()
        .await?;
    anyhow::ensure!(out.status.success(), "{} {args:?} failed", bin.display());
    let stdout = String::from_utf8(out.stdout)?;
    Ok(stdout.lines().last().unwrap_or_default().to_owned())
}

async fn start(bin: &Path, cache_seconds: u64, client: &reqwest::Client) -> anyhow::Result<Server> {
    let dir = tempfile::tempdir()?;
    cli(bin, dir.path(), &["init"]).await?;
    let zone = cli(bin, dir.path(), &["zone", "create", "bench.example"]).await?;
    let token = cli(
        bin,
        dir.path(),
        &["token", "create", "--name", "r", "--permission", "read"],
    )
    .await?;
    let writer = cli(
        bin,
        dir.path(),
        &["token", "create", "--name", "w", "--permission", "write"],
    )
    .await?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let child = Command::new(bin)
        .arg("serve")
        .current_dir(dir.path())
        .env("MTLS_CA_DATABASE_URL", "sqlite://ca.db")
        .env("MTLS_CA_LISTEN", format!("127.0.0.1:{port}"))
        .env("MTLS_CA_WORKER_INTERVAL", "3600")
        .env("MTLS_CA_AUTH_CACHE_SECONDS", cache_seconds.to_string())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()?;
    let base = format!("http://127.0.0.1:{port}");
    for _ in 0..200 {
        if client.get(format!("{base}/healthz")).send().await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let key = rcgen::KeyPair::generate()?;
    let csr = rcgen::CertificateParams::new(vec!["bench.internal".to_owned()])?
        .serialize_request(&key)?
        .pem()?;
    let certs = format!("{base}/client/v4/zones/{zone}/client_certificates");
    let created: serde_json::Value = client
        .post(&certs)
        .bearer_auth(&writer)
        .json(&serde_json::json!({"csr": csr, "validity_days": 30}))
        .send()
        .await?
        .json()
        .await?;
    let id = created["result"]["id"]
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("no certificate: {created}"))?;
    Ok(Server {
        _child: child,
        _dir: dir,
        url: format!("{certs}/{id}"),
        token,
    })
}

/// `total` GETs on `concurrency` connections; their latencies.
async fn drive(
    client: &reqwest::Client,
    server: &Server,
    total: usize,
    concurrency: usize,
) -> anyhow::Result<Vec<Duration>> {
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let url = Arc::new(server.url.clone());
    let tasks: Vec<_> = (0..concurrency)
        .map(|_| {
            let (client, url, token, next) = (
                client.clone(),
                url.clone(),
                server.token.clone(),
                next.clone(),
            );
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
    let mut all = Vec::with_capacity(total);
    for t in tasks {
        all.extend(t.await??);
    }
    Ok(all)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let candidate = args
        .candidate
        .clone()
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_mtls-ca")));
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.concurrency)
        .http1_only()
        .build()?;
    println!(
        "authenticated GET of one certificate, keep-alive HTTP/1.1, SQLite: concurrency={} requests={}",
        args.concurrency, args.requests
    );
    println!("baseline:  {}", args.baseline.display());
    println!("candidate: {}", candidate.display());
    // (cache seconds, binary) -> runs of (requests/s, p50 ms, p99 ms).
    let settings = [0u64, 5];
    let bins = [("baseline", &args.baseline), ("candidate", &candidate)];
    let mut results = vec![vec![Vec::new(); bins.len()]; settings.len()];
    for run in 1..=args.runs {
        for (si, cache) in settings.iter().enumerate() {
            for (bi, (name, bin)) in bins.iter().enumerate() {
                let server = start(bin, *cache, &client).await?;
                drive(&client, &server, 500, args.concurrency).await?;
                let t = Instant::now();
                let mut lat = drive(&client, &server, args.requests, args.concurrency).await?;
                let rate = args.requests as f64 / t.elapsed().as_secs_f64();
                lat.sort();
                let pct = |p: f64| {
                    lat[((lat.len() as f64 * p) as usize).min(lat.len() - 1)].as_secs_f64() * 1e3
                };
                println!(
                    "run {run} cache={cache}s {name}: {rate:.0} requests/s  p50 {:.2} ms  p99 {:.2} ms",
                    pct(0.5),
                    pct(0.99)
                );
                results[si][bi].push((rate, pct(0.5), pct(0.99)));
            }
        }
    }
    for (si, cache) in settings.iter().enumerate() {
        let med = |bi: usize, f: fn(&(f64, f64, f64)) -> f64| {
            median(results[si][bi].iter().map(f).collect())
        };
        for (bi, (name, _)) in bins.iter().enumerate() {
            println!(
                "median of {} cache={cache}s {name}: {:.0} requests/s  p50 {:.2} ms  p99 {:.2} ms",
                args.runs,
                med(bi, |r| r.0),
                med(bi, |r| r.1),
                med(bi, |r| r.2)
            );
        }
        println!(
            "cache={cache}s candidate / baseline: {:.2}x",
            med(1, |r| r.0) / med(0, |r| r.0)
        );
    }
    Ok(())
}
