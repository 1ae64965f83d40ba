//! What every change of an account's CAs checks and how it refuses: a CA certificate (and its
//! chain) that may issue, a key proven to be the certificate's, and the refusals (code 1440).

use std::sync::Arc;

use super::custody::{self, key_error};
use crate::error::{codes, Error, Result};
use crate::signer::{CaKey, Signer, SignerError};
use crate::x509::{self, CaCertificate};

/// A refusal of a CA change (400, code 1440); nothing was changed.
pub(super) fn refused(message: impl Into<String>) -> Error {
    Error::invalid(codes::CA_REFUSED, message, None)
}

/// Another process changed the issuing CA first.
pub(super) fn lost_race() -> Error {
    refused("the issuing CA changed meanwhile (another rotation?); nothing was changed, try again")
}

/// Runs key work off the executor.
pub(super) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::Internal(format!("signer task failed: {e}")))
}

/// A certificate file (the CA, possibly followed by its chain) and an optional chain file, checked:
/// the CA may issue at `now` and the chain certifies it up to a root.
pub(super) fn checked_ca(
    cert_pem: &str,
    chain_pem: Option<&str>,
    now: i64,
) -> Result<(CaCertificate, Vec<CaCertificate>)> {
    let mut ders = x509::parse_certificates_pem(cert_pem)
        .map_err(|e| refused(format!("the certificate file: {e}")))?;
    if let Some(chain) = chain_pem {
        ders.extend(
            x509::parse_certificates_pem(chain)
                .map_err(|e| refused(format!("the chain file: {e}")))?,
        );
    }
    let mut parsed = ders
        .iter()
        .map(|der| CaCertificate::parse(der).map_err(|e| refused(e.0)))
        .collect::<Result<Vec<_>>>()?;
    let ca = parsed.remove(0);
    ca.check_can_issue(now).map_err(|e| refused(e.0))?;
    // A root given as its own chain adds nothing.
    parsed.retain(|c| c.der() != ca.der());
    ca.verify_chain(&parsed, now).map_err(|e| refused(e.0))?;
    Ok((ca, parsed))
}

/// A failure to make a new key: 503 when the signer is unreachable, otherwise a clear refusal.
pub(super) fn creation_error(what: &str, e: SignerError) -> Error {
    match e {
        SignerError::Unavailable(_) => custody::signing_error(what, e),
        other => refused(format!("{what} failed: {other}")),
    }
}

/// The chain as stored: the certificates above the CA, PEM, issuer first.
pub(super) fn chain_text(chain: &[CaCertificate]) -> String {
    chain.iter().map(CaCertificate::pem).collect()
}

/// Loads `cert` with `key`: proves the key is the certificate's (`mismatch` is the refusal when it
/// is not), and that the CA's subject can be written as the issuer of its certificates.
pub(super) async fn prove_key(
    cert: &CaCertificate,
    key: Arc<dyn CaKey>,
    mismatch: String,
) -> Result<Signer> {
    let (der, name) = (cert.der().to_vec(), cert.common_name().to_owned());
    blocking(move || Signer::load(&der, key))
        .await?
        .map_err(|e| match e {
            SignerError::KeyMismatch => refused(mismatch),
            SignerError::Unavailable(_) => key_error(&name, e),
            other => refused(format!("{name:?} cannot be used: {other}")),
        })
}
