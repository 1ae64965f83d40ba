//! Re-reads the API's certificate when its files change (polled every few seconds) or on SIGHUP.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use super::ReloadingCert;

const POLL: Duration = Duration::from_secs(2);

/// Until `stop` completes, reloads `cert` when its files change or the process gets SIGHUP.
pub async fn watch(cert: Arc<ReloadingCert>, stop: impl Future<Output = ()>) {
    let mut hup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
    tokio::pin!(stop);
    loop {
        let asked = async {
            match hup.as_mut() {
                Some(h) => h.recv().await.is_some(),
                None => std::future::pending().await,
            }
        };
        let forced = tokio::select! {
            () = &mut stop => return,
            () = tokio::time::sleep(POLL) => false,
            got = asked => got,
        };
        let result = if forced {
            cert.reload().map(|()| true)
        } else {
            cert.reload_if_changed()
        };
        match result {
            Ok(true) => tracing::info!("reloaded the API's TLS certificate"),
            Ok(false) => {}
            Err(e) => {
                tracing::warn!(error = %e, "the new TLS certificate does not load; keeping the old one")
            }
        }
    }
}
