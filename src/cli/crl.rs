//! `mtls-ca crl sync`: keeps a folder of CRLs and the trust bundle fresh for TLS servers, and runs
//! their reload command when something changed.
//!
//! The folder holds, for each live CA, `<ca_id>.crl.pem` and `<ca_id>.crl.der`; `crls.pem`, every
//! live CA's CRL one after the other (what nginx's `ssl_crl` and HAProxy's `crl-file` take: they
//! check every CA of the chain, so every CA of the bundle needs its CRL there); and `bundle.pem`,
//! the trust bundle. Nothing is written unless every CRL checks against its CA and that CA is in
//! the bundle, so a server that is down or answers nonsense leaves the old files in place.

mod files;
mod source;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Subcommand};

use crate::clock;
use crate::config::Settings;
use crate::service::crl_status::{lateness, Lateness};
use crate::service::Services;
use crate::x509::crl::{check_crl, CrlWindow};
use crate::x509::pem_encode;
use source::{HttpSource, Material, Source};

/// `crl ...`
#[derive(Debug, Subcommand)]
pub enum CrlCommand {
    /// Write every live CA's CRL (<ca_id>.crl.pem, <ca_id>.crl.der, all of them in crls.pem) and
    /// the trust bundle (bundle.pem) into DIR, each atomically and only when it changed; then run
    /// CMD if anything changed (or it failed last time). From the database, or from a running
    /// server with --url.
    Sync(SyncArgs),
}

/// `crl sync` options.
#[derive(Debug, Args)]
pub struct SyncArgs {
    /// The folder to keep the files in (created if missing).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Read from a running server's public PKI endpoints (/pki/index.json, /pki/bundle.pem,
    /// /pki/{ca_id}/ca.der, /pki/{ca_id}/crl) instead of the database.
    #[arg(long, value_name = "URL")]
    url: Option<String>,
    /// PEM roots to trust for an https:// --url.
    #[arg(long, value_name = "FILE", requires = "url")]
    cacert: Option<PathBuf>,
    /// The reload command, run with `sh -c` after files changed: `nginx -s reload`,
    /// `systemctl reload haproxy`. A failure is reported and the command runs again next time.
    #[arg(long, value_name = "CMD")]
    exec: Option<String>,
    /// Keep running: sync again every --interval seconds; a failure is logged and retried, and
    /// the files already written stay.
    #[arg(long)]
    watch: bool,
    /// Seconds between two syncs with --watch.
    #[arg(long, value_name = "SECONDS", default_value_t = 60, requires = "watch",
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    interval: u64,
}

/// Runs a `crl` subcommand.
pub async fn run(settings: &Settings, cmd: CrlCommand) -> anyhow::Result<()> {
    let CrlCommand::Sync(args) = cmd;
    let dir = files::ensure_dir(&args.out)?;
    let source = match &args.url {
        Some(url) => Source::Http(HttpSource::new(url, args.cacert.as_deref())?),
        None => Source::Database(Services::open_existing(settings, clock::now()).await?),
    };
    let result = if args.watch {
        watch(&source, &dir, &args).await
    } else {
        let mut seen = HashMap::new();
        let expired = sync_once(&source, &dir, args.exec.as_deref(), &mut seen, false).await;
        match expired?.first() {
            Some(ca_id) => Err(anyhow::anyhow!(
                "the CRL of CA {ca_id} is past its nextUpdate: nobody re-signed it (is `mtls-ca \
                 serve` running, and can it sign?); TLS servers that check it refuse every client"
            )),
            None => Ok(()),
        }
    };
    if let Source::Database(s) = &source {
        s.db.close().await;
    }
    result
}

/// Syncs every `--interval` seconds until SIGINT or SIGTERM; failures are logged and retried.
async fn watch(source: &Source, dir: &Path, args: &SyncArgs) -> anyhow::Result<()> {
    println!(
        "watching: syncing {} every {} s",
        dir.display(),
        args.interval
    );
    let mut seen = HashMap::new();
    let shutdown = super::serve::shutdown_signal();
    tokio::pin!(shutdown);
    loop {
        if let Err(e) = sync_once(source, dir, args.exec.as_deref(), &mut seen, true).await {
            tracing::error!(
                error = format!("{e:#}"),
                "crl sync failed; the files stay as they were, retrying"
            );
        }
        tokio::select! {
            () = &mut shutdown => return Ok(()),
            () = tokio::time::sleep(Duration::from_secs(args.interval)) => {}
        }
    }
}

/// One sync: fetch, check, write what changed, reload; returns the CAs whose CRL is past its
/// nextUpdate. `seen` remembers the late CRLs already logged (per CA: its thisUpdate and how
/// late), so watch mode logs each once; an expired one is logged only if `log_expired`.
async fn sync_once(
    source: &Source,
    dir: &Path,
    exec: Option<&str>,
    seen: &mut HashMap<String, (i64, Lateness)>,
    log_expired: bool,
) -> anyhow::Result<Vec<String>> {
    let now = clock::now();
    let material = source.fetch(now).await?;
    let (files, windows) = prepare(&material)?;
    for (name, bytes) in &files {
        if files::differs(dir, name, bytes)? {
            if let Some(cmd) = exec {
                files::mark_reload(dir, cmd)?;
            }
            files::write_atomic(dir, name, bytes)?;
            println!("wrote {}", dir.join(name).display());
        }
    }
    let expired = report_late(&windows, now, seen, log_expired);
    if let Some(cmd) = exec {
        if files::reload(dir, cmd).await? {
            println!("ran: {cmd}");
        }
    }
    Ok(expired)
}

/// Logs each late or expired CRL not reported yet; returns the CAs whose CRL has expired.
fn report_late(
    windows: &[(String, CrlWindow)],
    now: i64,
    seen: &mut HashMap<String, (i64, Lateness)>,
    log_expired: bool,
) -> Vec<String> {
    let mut expired = Vec::new();
    for (ca_id, w) in windows {
        let Some(late) = lateness(w.this_update, w.next_update, now) else {
            seen.remove(ca_id);
            continue;
        };
        if late == Lateness::Expired {
            expired.push(ca_id.clone());
        }
        if seen.insert(ca_id.clone(), (w.this_update, late)) == Some((w.this_update, late)) {
            continue;
        }
        let next_update = clock::rfc3339(w.next_update);
        match late {
            Lateness::Late => tracing::warn!(%ca_id, %next_update,
                "this CRL should have been re-signed by now (is `mtls-ca serve` running?)"),
            Lateness::Expired if log_expired => tracing::error!(%ca_id, %next_update,
                "this CRL is past its nextUpdate: nobody re-signed it (is `mtls-ca serve` running, \
                 and can it sign?); TLS servers that check it refuse every client"),
            Lateness::Expired => {}
        }
    }
    expired
}

type Prepared = (Vec<(String, Vec<u8>)>, Vec<(String, CrlWindow)>);

/// Checks the material and lays out the files: per CA, then `crls.pem`, then `bundle.pem`.
fn prepare(m: &Material) -> anyhow::Result<Prepared> {
    let bundle = pem::parse_many(&m.bundle_pem).context("the trust bundle is not PEM")?;
    if bundle.is_empty() || bundle.iter().any(|p| p.tag() != "CERTIFICATE") {
        anyhow::bail!("the trust bundle is not a list of certificates");
    }
    let mut out = Vec::new();
    let mut windows = Vec::new();
    let mut all = String::new();
    for ca in &m.cas {
        let canonical = uuid::Uuid::parse_str(&ca.ca_id).map(|u| u.to_string());
        if canonical.as_deref() != Ok(ca.ca_id.as_str()) {
            anyhow::bail!("CA id {:?} is not a UUID", ca.ca_id);
        }
        let window = check_crl(&ca.crl_der, &ca.ca_der)
            .map_err(|e| anyhow::anyhow!("the CRL of CA {}: {e}", ca.ca_id))?;
        if !bundle.iter().any(|p| p.contents() == ca.ca_der.as_slice()) {
            anyhow::bail!("CA {} is not in the trust bundle", ca.ca_id);
        }
        let pem = pem_encode("X509 CRL", &ca.crl_der);
        all.push_str(&pem);
        out.push((format!("{}.crl.der", ca.ca_id), ca.crl_der.clone()));
        out.push((format!("{}.crl.pem", ca.ca_id), pem.into_bytes()));
        windows.push((ca.ca_id.clone(), window));
    }
    out.push(("crls.pem".to_owned(), all.into_bytes()));
    out.push(("bundle.pem".to_owned(), m.bundle_pem.clone().into_bytes()));
    Ok((out, windows))
}
