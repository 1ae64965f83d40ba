//! A server certificate read from PEM files and read again when they change (polled) or when asked
//! (SIGHUP), or one held in memory and replaced when renewed: new handshakes get the new
//! certificate, open connections keep theirs. A pair that does not load (a key written after its
//! certificate, say) leaves the old one in use until it does.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::SystemTime;

use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;

use super::{certs, key, provider, TlsError};

/// The modification time and length of a file, to notice a change.
type Stamp = Option<(SystemTime, u64)>;

fn stamp(path: &Path) -> Stamp {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.modified().ok()?, meta.len()))
}

/// The server certificate and key of files `cert` and `key` (or of memory, when both are empty).
pub struct ReloadingCert {
    cert: PathBuf,
    key: PathBuf,
    in_memory: bool,
    current: RwLock<Arc<CertifiedKey>>,
    stamps: Mutex<(Stamp, Stamp)>,
}

impl fmt::Debug for ReloadingCert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReloadingCert")
            .field("cert", &self.cert)
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

fn load(cert: &Path, key_path: &Path) -> Result<Arc<CertifiedKey>, TlsError> {
    let signing = provider()
        .key_provider
        .load_private_key(key(key_path)?)
        .map_err(|e| TlsError(format!("{}: {e}", key_path.display())))?;
    let certified = CertifiedKey::new(certs(cert)?, signing);
    certified.keys_match().map_err(|e| {
        TlsError(format!(
            "{} and {} are not a pair: {e}",
            cert.display(),
            key_path.display()
        ))
    })?;
    Ok(Arc::new(certified))
}

fn from_pem(chain_pem: &str, key_der: &[u8]) -> Result<Arc<CertifiedKey>, TlsError> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
    let chain = CertificateDer::pem_slice_iter(chain_pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError(format!("the server certificate: {e}")))?;
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key_der.to_vec()));
    let signing = provider()
        .key_provider
        .load_private_key(key)
        .map_err(|e| TlsError(format!("the server key: {e}")))?;
    let certified = CertifiedKey::new(chain, signing);
    certified.keys_match().map_err(|e| {
        TlsError(format!(
            "the server certificate and key are not a pair: {e}"
        ))
    })?;
    Ok(Arc::new(certified))
}

impl ReloadingCert {
    /// Reads the pair; an error names the file at fault.
    pub fn load(cert: &Path, key: &Path) -> Result<Arc<ReloadingCert>, TlsError> {
        let stamps = (stamp(cert), stamp(key));
        Ok(Arc::new(ReloadingCert {
            current: RwLock::new(load(cert, key)?),
            cert: cert.to_owned(),
            key: key.to_owned(),
            in_memory: false,
            stamps: Mutex::new(stamps),
        }))
    }

    /// A certificate chain (PEM, leaf first) and its key (PKCS#8 DER) held in memory.
    pub fn from_memory(chain_pem: &str, key_der: &[u8]) -> Result<Arc<ReloadingCert>, TlsError> {
        Ok(Arc::new(ReloadingCert {
            current: RwLock::new(from_pem(chain_pem, key_der)?),
            cert: PathBuf::new(),
            key: PathBuf::new(),
            in_memory: true,
            stamps: Mutex::new((None, None)),
        }))
    }

    /// Replaces an in-memory certificate (a renewal).
    pub fn replace(&self, chain_pem: &str, key_der: &[u8]) -> Result<(), TlsError> {
        let fresh = from_pem(chain_pem, key_der)?;
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = fresh;
        Ok(())
    }

    /// Reads the pair again; the old one stays in use when the new one does not load.
    pub fn reload(&self) -> Result<(), TlsError> {
        if self.in_memory {
            return Ok(());
        }
        let stamps = (stamp(&self.cert), stamp(&self.key));
        let fresh = load(&self.cert, &self.key)?;
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = fresh;
        *self.stamps.lock().unwrap_or_else(|p| p.into_inner()) = stamps;
        Ok(())
    }

    /// Reads the pair again when either file changed since it was last read; whether it did.
    pub fn reload_if_changed(&self) -> Result<bool, TlsError> {
        if self.in_memory {
            return Ok(false);
        }
        let now = (stamp(&self.cert), stamp(&self.key));
        if *self.stamps.lock().unwrap_or_else(|p| p.into_inner()) == now {
            return Ok(false);
        }
        self.reload().map(|()| true)
    }
}

impl ResolvesServerCert for ReloadingCert {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(Arc::clone(
            &self.current.read().unwrap_or_else(|p| p.into_inner()),
        ))
    }
}
