//! `local` custody: the key is sealed (PKCS#8, encrypted with the passphrase when one is set) into
//! the CA's database row, and unsealed into this process to sign.
//!
//! What remains in memory: ring's key pair and rcgen's copy of the PKCS#8 bytes are not zeroised on
//! drop (neither crate offers it); the unsealed buffer, the `rsa` crate's key and aws-lc's copy of
//! an RSA key (freed with its numbers cleared) are.

use std::sync::Arc;

use rcgen::{KeyPair, PublicKeyData, SigningKey};
use secrecy::{ExposeSecret, SecretString};

use super::custody::{KeyCustody, NewKey, StoredKey};
use super::key::{CaKey, SignKind};
use super::{keys, sealed, SignerError};
use crate::model::{Custody, KeyAlgorithm};

/// A key unsealed into this process.
pub struct LocalKey {
    algorithm: KeyAlgorithm,
    pair: KeyPair,
    /// The same RSA key in aws-lc, which signs with it about twice as fast as ring does; ring
    /// keeps the elliptic-curve keys, where it is as fast.
    rsa: Option<aws_lc_rs::rsa::KeyPair>,
}

impl LocalKey {
    /// Wraps a key pair of `algorithm`.
    pub(super) fn new(pair: KeyPair, algorithm: KeyAlgorithm) -> LocalKey {
        let rsa = match algorithm.is_rsa() {
            // A key aws-lc refuses is still signed with by ring.
            true => aws_lc_rs::rsa::KeyPair::from_pkcs8(pair.serialized_der()).ok(),
            false => None,
        };
        LocalKey {
            algorithm,
            pair,
            rsa,
        }
    }
}

impl CaKey for LocalKey {
    fn algorithm(&self) -> KeyAlgorithm {
        self.algorithm
    }

    fn public_key(&self) -> &[u8] {
        self.pair.der_bytes()
    }

    fn sign(&self, _kind: SignKind, tbs: &[u8]) -> Result<Vec<u8>, SignerError> {
        let failed =
            |e: &dyn std::fmt::Display| SignerError::Certificate(format!("signing failed: {e}"));
        match &self.rsa {
            Some(rsa) => {
                let mut signature = vec![0; rsa.public_modulus_len()];
                let rng = aws_lc_rs::rand::SystemRandom::new();
                rsa.sign(
                    &aws_lc_rs::signature::RSA_PKCS1_SHA256,
                    &rng,
                    tbs,
                    &mut signature,
                )
                .map_err(|e| failed(&e))?;
                Ok(signature)
            }
            None => self.pair.sign(tbs).map_err(|e| failed(&e)),
        }
    }

    /// A certificate's signature is not verified again: the key was proven to be the CA
    /// certificate's when it was loaded ([`super::Signer::load`]), and ring and aws-lc cannot
    /// return a signature over bytes other than those they were given. Their RSA signing verifies
    /// its own result against fault attacks; ring's ECDSA signing does not.
    fn signs_in_process(&self) -> bool {
        true
    }
}

/// Keys sealed with an optional passphrase.
pub struct LocalCustody {
    passphrase: Option<SecretString>,
}

impl LocalCustody {
    /// Refuses an empty passphrase.
    pub fn new(passphrase: Option<SecretString>) -> Result<LocalCustody, SignerError> {
        sealed::check_passphrase(passphrase.as_ref())?;
        Ok(LocalCustody { passphrase })
    }

    /// Seals a plaintext PKCS#8 key as this custody stores keys.
    pub fn seal(&self, pkcs8: &[u8]) -> Result<sealed::SealedKey, SignerError> {
        sealed::seal(pkcs8, self.passphrase.as_ref())
    }

    /// Unseals a stored key of `alg`.
    pub fn unseal(
        &self,
        key: &sealed::SealedKey,
        alg: KeyAlgorithm,
    ) -> Result<LocalKey, SignerError> {
        let plain = sealed::unseal(key, self.passphrase.as_ref())?;
        Ok(LocalKey::new(
            keys::from_pkcs8(plain.expose_secret(), alg)?,
            alg,
        ))
    }
}

impl KeyCustody for LocalCustody {
    fn kind(&self) -> Custody {
        Custody::Local
    }

    fn generate(&self, alg: KeyAlgorithm, _label: &str) -> Result<NewKey, SignerError> {
        let pair = keys::generate(alg)?;
        let stored = StoredKey::Sealed(self.seal(pair.serialized_der())?);
        Ok(NewKey {
            stored,
            key: Arc::new(LocalKey::new(pair, alg)),
        })
    }

    fn open(&self, stored: &StoredKey, alg: KeyAlgorithm) -> Result<Arc<dyn CaKey>, SignerError> {
        match stored {
            StoredKey::Sealed(key) => Ok(Arc::new(self.unseal(key, alg)?)),
            StoredKey::Reference(r) => Err(SignerError::WrongCustody(format!(
                "the key {r:?} is not sealed in the database"
            ))),
        }
    }

    fn import(&self, pkcs8: &[u8], _label: &str) -> Result<NewKey, SignerError> {
        let pair = KeyPair::try_from(pkcs8)
            .map_err(|e| SignerError::CorruptKey(format!("not a usable CA key ({e})")))?;
        let alg = keys::algorithm_of(&pair)?;
        let stored = StoredKey::Sealed(self.seal(pkcs8)?);
        Ok(NewKey {
            stored,
            key: Arc::new(LocalKey::new(pair, alg)),
        })
    }
}
