//! One side of a pair: a fresh server, the warm-up and the measured run, then the checks that it
//! really issued (no wrk errors, a stored row for every answer).

use std::path::PathBuf;
use std::time::Duration;

use crate::cfssl::start_cfssl;
use crate::config::{Config, Side};
use crate::mtls::start_mtls;
use crate::wrk::{wrk, Load};
use crate::Args;

/// One side of a pair: a fresh server, warm-up, the measured run, then the store checked.
/// The run's figures, and what failed the checks (wrk's errors, rows missing from the store).
pub async fn measure(
    args: &Args,
    side: Side,
    cfg: &Config,
    csr: &str,
) -> anyhow::Result<(Load, Vec<String>)> {
    let dir = tempfile::tempdir()?;
    let admin = args.database_url.as_deref();
    let server = match side {
        Side::MtlsCa => {
            let bin = args
                .mtls_ca
                .clone()
                .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_mtls-ca")));
            start_mtls(&bin, cfg, admin, dir.path(), csr).await?
        }
        Side::Cfssl => start_cfssl(&args.cfssl, cfg, admin, dir.path(), csr).await?,
    };
    let warm = wrk(args, &server, args.warmup).await?;
    let load = wrk(args, &server, args.duration).await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let stored = server.store.count().await?;
    let answered = (warm.requests + load.requests) as i64;
    let in_flight = 2 * args.connections as i64;
    let log = std::fs::read_to_string(dir.path().join("serve.log"))?;
    // What the server said about failed requests: cfssl's `[ERROR]` lines and request lines
    // without a 200, mtls-ca's ERROR/WARN lines (its request lines carry `status=`).
    let complaints: Vec<&str> = log
        .lines()
        .filter(|l| {
            l.contains("ERROR")
                || (l.contains("WARN") && !l.contains("[WARNING]"))
                || (l.contains("\"POST ") && !l.ends_with(" 200"))
                || (l.contains("status=") && !l.contains("status=200"))
        })
        .take(3)
        .collect();
    let mut failures = Vec::new();
    if warm.errors + load.errors > 0 {
        failures.push(format!(
            "{}: wrk counted errors (connect, read, write, status, timeout) {:?} in the warm-up, \
             {:?} in the run; the server logged {complaints:?}",
            side.name(),
            warm.error_kinds,
            load.error_kinds,
        ));
    }
    if stored < answered || stored > answered + in_flight {
        failures.push(format!(
            "{}: {stored} certificates stored for {answered} answered",
            side.name()
        ));
    }
    drop(server.child);
    server.store.drop_database().await?;
    Ok((load, failures))
}
