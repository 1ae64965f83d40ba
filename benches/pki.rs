//! Revocation benchmark, in process on a temporary SQLite database:
//!
//! 1. the time to rebuild and sign a CRL listing `--revoked` certificates (100,000 by default)
//!    through the worker's own code path (`Services::publish_crl`), median of `--runs`;
//! 2. OCSP responses/s over HTTP at `--concurrency` connections (64), p50/p99, median of `--runs`,
//!    for nonce-less requests (answered from the cache of signed responses) and for requests with
//!    a nonce (each one signed).
//!
//! `cargo bench --bench pki -- [--revoked N] [--requests N] [--concurrency C] [--runs R]`

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

mod common;

use clap::Parser;
use common::{insert, DAY};
use mtls_ca::app::App;
use mtls_ca::config::Settings;
use mtls_ca::model::CertStatus;
use ring::digest;
use x509_cert::der::asn1::{Null, ObjectIdentifier, OctetString};
use x509_cert::der::{Any, Encode};
use x509_cert::ext::Extension;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::AlgorithmIdentifierOwned;
use x509_ocsp::{CertId, OcspRequest, Request, TbsRequest};
use x509_parser::prelude::{FromDer, X509Certificate};

#[derive(Parser, Debug)]
struct Args {
    /// Revoked certificates in the CRL.
    #[arg(long, default_value_t = 100_000)]
    revoked: usize,
    /// OCSP requests per run (after a warm-up).
    #[arg(long, default_value_t = 50_000)]
    requests: usize,
    /// Concurrent HTTP connections.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// Runs; the median is reported.
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Ignored (cargo bench passes it).
    #[arg(long, hide = true)]
    bench: bool,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// DER OCSP requests (SHA-1 CertIDs, as openssl sends) about each serial; with a nonce if asked.
fn ocsp_requests(ca_der: &[u8], serials: &[[u8; 20]], nonce: bool) -> anyhow::Result<Vec<Vec<u8>>> {
    let (_, ca) = X509Certificate::from_der(ca_der)?;
    let sha1 =
        |b: &[u8]| OctetString::new(digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, b).as_ref());
    let name_hash = sha1(ca.subject().as_raw())?;
    let key_hash = sha1(&ca.public_key().subject_public_key.data)?;
    serials
        .iter()
        .map(|serial| {
            let req_cert = CertId {
                hash_algorithm: AlgorithmIdentifierOwned {
                    oid: ObjectIdentifier::new("1.3.14.3.2.26")?,
                    parameters: Some(Any::from(Null)),
                },
                issuer_name_hash: name_hash.clone(),
                issuer_key_hash: key_hash.clone(),
                serial_number: SerialNumber::new(serial)?,
            };
            let request_extensions = if nonce {
                let value =
                    OctetString::new(mtls_ca::model::random_bytes::<16>().to_vec())?.to_der()?;
                Some(vec![Extension {
                    extn_id: ObjectIdentifier::new("1.3.6.1.5.5.7.48.1.2")?,
                    critical: false,
                    extn_value: OctetString::new(value)?,
                }])
            } else {
                None
            };
            Ok(OcspRequest {
                tbs_request: TbsRequest {
                    request_list: vec![Request {
                        req_cert,
                        single_request_extensions: None,
                    }],
                    request_extensions,
                    ..TbsRequest::default()
                },
                optional_signature: None,
            }
            .to_der()?)
        })
        .collect()
}

/// POSTs `total` requests over `concurrency` connections; returns (responses/s, sorted latencies).
async fn drive(
    url: &str,
    requests: Arc<Vec<Vec<u8>>>,
    total: usize,
    concurrency: usize,
) -> anyhow::Result<(f64, Vec<Duration>)> {
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let tasks: Vec<_> = (0..concurrency)
        .map(|_| {
            let (url, requests, next) = (url.to_owned(), requests.clone(), next.clone());
            tokio::spawn(async move {
                // One client per task: one keep-alive connection each.
                let client = reqwest::Client::builder()
                    .pool_max_idle_per_host(1)
                    .build()?;
                let mut latencies = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= total {
                        break;
                    }
                    let t = Instant::now();
                    let res = client
                        .post(&url)
                        .header("content-type", "application/ocsp-request")
                        .body(requests[i % requests.len()].clone())
                        .send()
                        .await?;
                    let status = res.status();
                    let body = res.bytes().await?;
                    anyhow::ensure!(status.is_success() && successful(&body), "bad OCSP answer");
                    latencies.push(t.elapsed());
                }
                Ok::<_, anyhow::Error>(latencies)
            })
        })
        .collect();
    let mut all = Vec::with_capacity(total);
    for t in tasks {
        all.extend(t.await??);
    }
    let rate = total as f64 / start.elapsed().as_secs_f64();
    all.sort();
    Ok((rate, all))
}

/// Whether a DER OCSPResponse says `successful`: SEQUENCE { ENUMERATED 0, ... }.
fn successful(der: &[u8]) -> bool {
    let header = match der.get(1) {
        Some(&len) if len < 0x80 => 2,
        Some(&len) => 2 + usize::from(len & 0x7f),
        None => return false,
    };
    der.get(header..header + 3) == Some(&[0x0a, 0x01, 0x00][..])
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)].as_secs_f64() * 1e3
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let dir = tempfile::tempdir()?;
    let settings = Settings {
        database_url: format!("sqlite://{}", dir.path().join("bench.db").display()),
        listen: "127.0.0.1:0".parse()?,
        worker_interval: 3600,
        ..Settings::default()
    };
    let app = App::build(settings).await?;
    let services = app.services.clone();
    let now = mtls_ca::clock::now();
    let zone = common::bench_zone(&services, now).await?;
    let ca_id = services.cas.issuing()?.id.clone();
    let t = Instant::now();
    let revoked = insert(
        &services,
        &ca_id,
        &zone,
        CertStatus::Revoked,
        args.revoked,
        now,
    )
    .await?;
    let good = insert(&services, &ca_id, &zone, CertStatus::Active, 1_000, now).await?;
    println!(
        "setup: {} revoked + 1000 active fabricated rows inserted in {:.1} s",
        args.revoked,
        t.elapsed().as_secs_f64()
    );

    println!("CRL rebuild (snapshot query + sign + store), CA=ecdsa-p256, engine=sqlite:");
    let mut secs = Vec::new();
    for run in 1..=args.runs {
        // Each run is half a validity later than the last, which forces a re-signing.
        let at = now + (run as i64) * 4 * DAY;
        let t = Instant::now();
        let p = services
            .publish_crl(&ca_id, at)
            .await?
            .ok_or_else(|| anyhow::anyhow!("lost a race"))?;
        let elapsed = t.elapsed().as_secs_f64();
        anyhow::ensure!(p.rebuilt, "the CRL was not rebuilt");
        let size = services.current_crl(&ca_id, at).await?.der.len();
        println!(
            "run {run}: CRL {} with {} entries, {} bytes, in {:.3} s",
            p.crl_number, args.revoked, size, elapsed
        );
        secs.push(elapsed);
    }
    println!(
        "median of {}: {:.3} s to rebuild and sign a {}-entry CRL",
        args.runs,
        median(secs),
        args.revoked
    );

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/pki/{}/ocsp", listener.local_addr()?, ca_id);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.serve(listener, async move {
        let _ = stopped.await;
    }));
    let ca_der = services.cas.issuing()?.der().to_vec();
    // Half of the asked-about serials revoked, half good.
    let mut asked: Vec<[u8; 20]> = revoked.iter().take(1_000).copied().collect();
    asked.extend(good.iter().copied());
    let t = Instant::now();
    let first = ocsp_requests(&ca_der, &asked[..1], false)?;
    drive(&url, Arc::new(first), 1, 1).await?;
    println!(
        "first OCSP answer after the rebuild (loads the {}-entry CRL): {:.3} s",
        args.revoked,
        t.elapsed().as_secs_f64()
    );
    for (label, nonce) in [
        ("without nonce (cached signed answers)", false),
        ("with nonce (signed per request)", true),
    ] {
        let requests = Arc::new(ocsp_requests(&ca_der, &asked, nonce)?);
        drive(&url, requests.clone(), 2_000, args.concurrency).await?;
        println!(
            "OCSP POST {label}, {} connections, {} requests per run:",
            args.concurrency, args.requests
        );
        let (mut rates, mut p50s, mut p99s) = (Vec::new(), Vec::new(), Vec::new());
        for run in 1..=args.runs {
            let (rate, lat) =
                drive(&url, requests.clone(), args.requests, args.concurrency).await?;
            println!(
                "run {run}: {rate:.0} responses/s  p50 {:.2} ms  p99 {:.2} ms",
                pct(&lat, 0.5),
                pct(&lat, 0.99)
            );
            rates.push(rate);
            p50s.push(pct(&lat, 0.5));
            p99s.push(pct(&lat, 0.99));
        }
        println!(
            "median of {}: {:.0} responses/s  p50 {:.2} ms  p99 {:.2} ms",
            args.runs,
            median(rates),
            median(p50s),
            median(p99s)
        );
    }
    let _ = stop.send(());
    server.await??;
    Ok(())
}
