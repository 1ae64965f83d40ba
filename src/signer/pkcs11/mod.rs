//! `pkcs11` custody: keys generated inside a PKCS#11 token as sensitive, non-extractable objects,
//! found again by the RFC 7512 URI the database keeps, and used through the module (`cryptoki`).
//! No private key byte ever enters this process.

mod objects;
mod session;
mod uri;

use session::{context, token_error, Token};

use std::path::Path;
use std::sync::{Arc, Mutex};

use cryptoki::error::{Error as CkError, RvError};
use cryptoki::mechanism::eddsa::{EddsaParams, EddsaSignatureScheme};
use cryptoki::mechanism::Mechanism;
use cryptoki::object::ObjectHandle;
use cryptoki::session::UserType;
use ring::digest;
use secrecy::SecretString;

use super::custody::{KeyCustody, NewKey, StoredKey};
use super::key::{CaKey, SignKind};
use super::SignerError;
use crate::model::{Custody, KeyAlgorithm};

/// Keys in one token of one module.
pub struct Pkcs11Custody {
    token: Arc<Token>,
}

impl Pkcs11Custody {
    /// Loads `module`, finds the token labelled `token` and logs in with `pin`.
    pub fn open(
        module: &Path,
        token: &str,
        pin: &SecretString,
    ) -> Result<Pkcs11Custody, SignerError> {
        let ctx = context(module)?;
        let slots = ctx
            .get_slots_with_token()
            .map_err(|e| token_error("C_GetSlotList", e))?;
        let mut labels = Vec::new();
        let mut found = None;
        for slot in slots {
            let info = ctx
                .get_token_info(slot)
                .map_err(|e| token_error("C_GetTokenInfo", e))?;
            let label = info.label().trim().to_owned();
            if label == token {
                found = Some(slot);
                break;
            }
            labels.push(label);
        }
        let slot = found.ok_or_else(|| {
            SignerError::Token(format!(
                "no token labelled {token:?} (MTLS_CA_PKCS11_TOKEN) in {}; its tokens: {labels:?}",
                module.display()
            ))
        })?;
        let session = ctx
            .open_rw_session(slot)
            .map_err(|e| token_error("C_OpenSession", e))?;
        match session.login(UserType::User, Some(pin)) {
            Ok(()) | Err(CkError::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => {}
            Err(CkError::Pkcs11(RvError::PinIncorrect, _)) => {
                return Err(SignerError::Token(format!(
                    "the PIN (MTLS_CA_PKCS11_PIN or MTLS_CA_PKCS11_PIN_FILE) is wrong for token {token:?}"
                )))
            }
            Err(e) => return Err(token_error("C_Login", e)),
        }
        Ok(Pkcs11Custody {
            token: Arc::new(Token {
                ctx,
                slot,
                label: token.to_owned(),
                idle: Mutex::new(vec![session]),
            }),
        })
    }
}

impl KeyCustody for Pkcs11Custody {
    fn kind(&self) -> Custody {
        Custody::Pkcs11
    }

    fn generate(&self, alg: KeyAlgorithm, label: &str) -> Result<NewKey, SignerError> {
        let id = crate::model::random_bytes::<16>().to_vec();
        let (private, public) = objects::generate(&self.token, alg, label, &id)?;
        let uri = uri::uri(&self.token.label, label, &id);
        Ok(NewKey {
            stored: StoredKey::Reference(uri),
            key: Arc::new(Pkcs11Key {
                token: Arc::clone(&self.token),
                algorithm: alg,
                private,
                public,
            }),
        })
    }

    fn open(&self, stored: &StoredKey, alg: KeyAlgorithm) -> Result<Arc<dyn CaKey>, SignerError> {
        let StoredKey::Reference(uri) = stored else {
            return Err(SignerError::WrongCustody(
                "the key is sealed in the database (local custody), not in a PKCS#11 token: \
                 use MTLS_CA_SIGNER=local for it"
                    .into(),
            ));
        };
        let (token, id) = uri::parse_uri(uri)?;
        if token != self.token.label {
            return Err(SignerError::WrongCustody(format!(
                "the key {uri} is in token {token:?}, not in {:?} (MTLS_CA_PKCS11_TOKEN)",
                self.token.label
            )));
        }
        let (private, public) = objects::find(&self.token, alg, &id, uri)?;
        Ok(Arc::new(Pkcs11Key {
            token: Arc::clone(&self.token),
            algorithm: alg,
            private,
            public,
        }))
    }

    fn import(&self, _pkcs8: &[u8], _label: &str) -> Result<NewKey, SignerError> {
        Err(SignerError::Unsupported(
            "ca import does not copy a key into a PKCS#11 token (a key that existed outside a \
             token was never non-extractable); make a new CA in the token with ca rotate or \
             ca request, or import this CA with MTLS_CA_SIGNER=local"
                .into(),
        ))
    }
}

/// A private key object in the token, and its public key.
struct Pkcs11Key {
    token: Arc<Token>,
    algorithm: KeyAlgorithm,
    private: ObjectHandle,
    public: Vec<u8>,
}

impl CaKey for Pkcs11Key {
    fn algorithm(&self) -> KeyAlgorithm {
        self.algorithm
    }

    fn public_key(&self) -> &[u8] {
        &self.public
    }

    fn sign(&self, _kind: SignKind, tbs: &[u8]) -> Result<Vec<u8>, SignerError> {
        let key = self.private;
        match self.algorithm {
            KeyAlgorithm::EcdsaP256 | KeyAlgorithm::EcdsaP384 => {
                let hash = if self.algorithm == KeyAlgorithm::EcdsaP256 {
                    digest::digest(&digest::SHA256, tbs)
                } else {
                    digest::digest(&digest::SHA384, tbs)
                };
                let raw = self.token.with_session(
                    |s| s.sign(&Mechanism::Ecdsa, key, hash.as_ref()),
                    "C_Sign (ECDSA)",
                )?;
                objects::ecdsa_der(&raw)
            }
            KeyAlgorithm::Rsa2048 | KeyAlgorithm::Rsa3072 | KeyAlgorithm::Rsa4096 => {
                self.token.with_session(
                    |s| s.sign(&Mechanism::Sha256RsaPkcs, key, tbs),
                    "C_Sign (RSA)",
                )
            }
            KeyAlgorithm::Ed25519 => {
                let mechanism = Mechanism::Eddsa(EddsaParams::new(EddsaSignatureScheme::Pure));
                self.token
                    .with_session(|s| s.sign(&mechanism, key, tbs), "C_Sign (EdDSA)")
            }
        }
    }
}
