//! The module and the token: one initialised context per module and process, logged-in sessions
//! kept for reuse, and the module's failures as signer errors (a token that went away is
//! `Unavailable`, so a request may be retried).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock, RwLock};

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error as CkError, RvError};
use cryptoki::session::Session;
use cryptoki::slot::Slot;

use crate::signer::SignerError;

/// A module is initialised once per process (a second C_Initialize fails); every custody on it
/// shares the context.
pub(super) fn context(module: &Path) -> Result<Pkcs11, SignerError> {
    static CONTEXTS: OnceLock<Mutex<HashMap<PathBuf, Pkcs11>>> = OnceLock::new();
    let mut all = CONTEXTS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    if let Some(ctx) = all.get(module) {
        return Ok(ctx.clone());
    }
    let ctx = Pkcs11::new(module).map_err(|e| {
        SignerError::Token(format!(
            "cannot load the module {} (MTLS_CA_PKCS11_MODULE): {e}",
            module.display()
        ))
    })?;
    match ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
        Ok(()) | Err(CkError::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => {}
        Err(e) => return Err(token_error("C_Initialize", e)),
    }
    all.insert(module.to_owned(), ctx.clone());
    Ok(ctx)
}

pub(super) fn token_error(what: &str, e: CkError) -> SignerError {
    match e {
        CkError::Pkcs11(
            rv @ (RvError::DeviceRemoved
            | RvError::DeviceError
            | RvError::TokenNotPresent
            | RvError::SessionHandleInvalid
            | RvError::SessionClosed),
            _,
        ) => SignerError::Unavailable(format!("{what}: {rv}")),
        other => SignerError::Token(format!("{what}: {other}")),
    }
}

/// The token, its logged-in sessions, and what signing needs.
pub(super) struct Token {
    pub(super) ctx: Pkcs11,
    pub(super) slot: Slot,
    pub(super) label: String,
    /// Idle sessions; signing takes one, so signatures run in parallel.
    pub(super) idle: Mutex<Vec<Session>>,
}

/// Object creation excludes every other use of a token in the process. SoftHSM 2.6 (Debian 12's)
/// reads a token's object files on every lookup and signature, and marks an object it finds
/// half-written as invalid, so a key pair generated while another thread signs or searches fails
/// with CKR_GENERAL_ERROR (softhsm/SoftHSMv2#573, fixed in 2.7). Generation is rare; signatures
/// still run side by side.
static OBJECT_WRITES: RwLock<()> = RwLock::new(());

impl Token {
    /// Runs `f` on an idle session (opening one when none is idle), beside other readers.
    pub(super) fn with_session<T>(
        &self,
        f: impl FnOnce(&Session) -> Result<T, CkError>,
        what: &str,
    ) -> Result<T, SignerError> {
        let _reading = OBJECT_WRITES.read().unwrap_or_else(|p| p.into_inner());
        self.on_session(f, what)
    }

    /// Runs `f`, which creates token objects, alone.
    pub(super) fn with_session_writing<T>(
        &self,
        f: impl FnOnce(&Session) -> Result<T, CkError>,
        what: &str,
    ) -> Result<T, SignerError> {
        let _writing = OBJECT_WRITES.write().unwrap_or_else(|p| p.into_inner());
        self.on_session(f, what)
    }

    fn on_session<T>(
        &self,
        f: impl FnOnce(&Session) -> Result<T, CkError>,
        what: &str,
    ) -> Result<T, SignerError> {
        let idle = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let session = match idle {
            Some(s) => s,
            None => self
                .ctx
                .open_rw_session(self.slot)
                .map_err(|e| token_error("C_OpenSession", e))?,
        };
        let result = f(&session);
        // A session the token broke is dropped rather than reused.
        if !matches!(
            result,
            Err(CkError::Pkcs11(RvError::SessionHandleInvalid, _))
        ) {
            self.idle
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(session);
        }
        result.map_err(|e| token_error(what, e))
    }
}
