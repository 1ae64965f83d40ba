//! Where a signer listens, as `MTLS_CA_SIGNER=remote:URL` and `signer --listen URL` spell it.

use std::path::PathBuf;

use crate::signer::SignerError;

/// Where the signer listens: `unix:/path` or `https://host:port`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// A unix socket.
    Unix(PathBuf),
    /// TCP with mutual TLS: `host:port`, and the host as the server certificate must name it.
    Https {
        /// `host:port`.
        authority: String,
    },
}

impl Endpoint {
    /// Parses `unix:/path` or `https://host:port`.
    pub fn parse(url: &str) -> Result<Endpoint, SignerError> {
        if url.starts_with("https://") {
            let bad = |why: &str| SignerError::Unsupported(format!("signer URL {url:?}: {why}"));
            let parsed = url::Url::parse(url).map_err(|e| bad(&e.to_string()))?;
            let host = parsed.host_str().ok_or_else(|| bad("no host"))?;
            let port = parsed.port().ok_or_else(|| bad("no port"))?;
            if !matches!(parsed.path(), "" | "/") || parsed.query().is_some() {
                return Err(bad("expected https://host:port and nothing after it"));
            }
            return Ok(Endpoint::Https {
                authority: format!("{host}:{port}"),
            });
        }
        if let Some(path) = url.strip_prefix("unix:") {
            let path = path.strip_prefix("//").unwrap_or(path);
            if path.is_empty() {
                return Err(SignerError::Unsupported(format!("{url:?}: no socket path")));
            }
            return Ok(Endpoint::Unix(PathBuf::from(path)));
        }
        Err(SignerError::Unsupported(format!(
            "signer URL {url:?}: expected unix:/path/to/socket or https://host:port"
        )))
    }
}
