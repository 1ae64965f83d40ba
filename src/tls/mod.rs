//! TLS with rustls (ring): mutual-TLS configurations from PEM files (the signer link), the API's
//! server configuration over a certificate that is re-read when it changes ([`ReloadingCert`]),
//! and a listener that hands axum only connections whose handshake completed. Knows no HTTP route.

mod client_auth;
mod listener;
mod reload;
mod watch;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{ClientConfig, RootCertStore, ServerConfig};

pub use listener::TlsListener;
pub use reload::ReloadingCert;
pub use watch::watch;

/// The files of one end of a mutual-TLS link: its own certificate (chain) and key, and the CA
/// that must have issued the other end's certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MutualTls {
    /// This end's certificate, PEM, leaf first.
    pub cert: PathBuf,
    /// This end's private key, PEM (PKCS#8, SEC1 or PKCS#1).
    pub key: PathBuf,
    /// The CA certificate(s), PEM, the other end's certificate must chain to.
    pub peer_ca: PathBuf,
}

/// Why TLS could not be set up.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct TlsError(pub String);

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
        .map_err(|e| TlsError(format!("{}: {e}", path.display())))?;
    if certs.is_empty() {
        return Err(TlsError(format!(
            "{}: no CERTIFICATE in it",
            path.display()
        )));
    }
    Ok(certs)
}

fn key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    PrivateKeyDer::from_pem_file(path).map_err(|e| TlsError(format!("{}: {e}", path.display())))
}

fn roots(path: &Path) -> Result<Arc<RootCertStore>, TlsError> {
    let mut roots = RootCertStore::empty();
    for cert in certs(path)? {
        roots
            .add(cert)
            .map_err(|e| TlsError(format!("{}: {e}", path.display())))?;
    }
    Ok(Arc::new(roots))
}

/// The API's HTTPS configuration: TLS 1.2 and 1.3 with rustls' safe defaults (no weak suites),
/// HTTP/2 or HTTP/1.1 by ALPN, the certificate from `cert`.
/// With `client_auth`, clients are asked for a certificate (not required; see [`client_auth`]).
pub fn api_server_config(
    cert: Arc<ReloadingCert>,
    client_auth: bool,
) -> Result<ServerConfig, TlsError> {
    let builder = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError(e.to_string()))?;
    let builder = if client_auth {
        builder
            .with_client_cert_verifier(Arc::new(client_auth::PossessionVerifier::new(provider())))
    } else {
        builder.with_no_client_auth()
    };
    let mut config = builder.with_cert_resolver(cert);
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

impl MutualTls {
    /// A server that asks every client for a certificate issued by `peer_ca` and refuses the
    /// handshake without one; HTTP/2 by ALPN.
    pub fn server_config(&self) -> Result<ServerConfig, TlsError> {
        let verifier =
            WebPkiClientVerifier::builder_with_provider(roots(&self.peer_ca)?, provider())
                .build()
                .map_err(|e| TlsError(format!("client verifier: {e}")))?;
        let mut config = ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsError(e.to_string()))?
            .with_client_cert_verifier(verifier)
            .with_single_cert(certs(&self.cert)?, key(&self.key)?)
            .map_err(|e| TlsError(format!("{}: {e}", self.cert.display())))?;
        config.alpn_protocols = vec![b"h2".to_vec()];
        Ok(config)
    }

    /// A client that presents this end's certificate and trusts only `peer_ca`; HTTP/2 by ALPN.
    pub fn client_config(&self) -> Result<ClientConfig, TlsError> {
        let mut config = ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsError(e.to_string()))?
            .with_root_certificates(roots(&self.peer_ca)?)
            .with_client_auth_cert(certs(&self.cert)?, key(&self.key)?)
            .map_err(|e| TlsError(format!("{}: {e}", self.cert.display())))?;
        config.alpn_protocols = vec![b"h2".to_vec()];
        Ok(config)
    }
}
