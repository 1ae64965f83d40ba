//! CA keys that do not come with a self-signed certificate: a key made here for an intermediate that
//! an outside root certifies ([`request_ca`]), and an existing CA's key brought in ([`import_key`]).
//! Either way the key is sealed at once, like a generated one.

use rcgen::{CertificateParams, DistinguishedName, KeyPair};
use secrecy::{ExposeSecret, SecretString};

use super::sealed::{self, SealedKey};
use super::{keys, SignerError};
use crate::model::KeyAlgorithm;

/// A new CA key and the CSR to have it certified.
#[derive(Debug, Clone)]
pub struct CaRequest {
    /// PKCS#10, PEM, signed by the new key, subject as requested.
    pub csr_pem: String,
    /// The new key, sealed.
    pub key: SealedKey,
}

/// Generates a CA key of `alg` and a CSR for `subject` signed by it. The root that signs it
/// decides the extensions (it must make it a CA: basicConstraints cA, keyCertSign, cRLSign).
pub fn request_ca(
    alg: KeyAlgorithm,
    subject: DistinguishedName,
    passphrase: Option<&SecretString>,
) -> Result<CaRequest, SignerError> {
    sealed::check_passphrase(passphrase)?;
    let key = keys::generate(alg)?;
    let mut params = CertificateParams::default();
    params.distinguished_name = subject;
    let csr = params.serialize_request(&key)?;
    Ok(CaRequest {
        csr_pem: csr.pem()?,
        key: sealed::seal(key.serialized_der(), passphrase)?,
    })
}

/// Reads an existing CA key (PEM PKCS#8, `PRIVATE KEY`, or `ENCRYPTED PRIVATE KEY` opened with
/// `key_passphrase`) and seals it with `seal_passphrase`. Legacy SEC1/PKCS#1 PEM is refused with
/// the command that converts it.
pub fn import_key(
    pem_text: &str,
    key_passphrase: Option<&SecretString>,
    seal_passphrase: Option<&SecretString>,
) -> Result<SealedKey, SignerError> {
    sealed::check_passphrase(seal_passphrase)?;
    let block = pem::parse(pem_text.trim())
        .map_err(|e| SignerError::CorruptKey(format!("the key file is not PEM ({e})")))?;
    let plain = match block.tag() {
        "PRIVATE KEY" => secrecy::SecretSlice::from(block.into_contents()),
        "ENCRYPTED PRIVATE KEY" => {
            let pass = key_passphrase.ok_or_else(|| {
                SignerError::CorruptKey(
                    "the key is encrypted: give its passphrase (--key-passphrase-file)".into(),
                )
            })?;
            let sealed = SealedKey {
                der: block.into_contents(),
                encrypted: true,
            };
            sealed::unseal(&sealed, Some(pass))?
        }
        tag @ ("EC PRIVATE KEY" | "RSA PRIVATE KEY") => {
            return Err(SignerError::CorruptKey(format!(
                "the key is a legacy {tag}: convert it to PKCS#8 first (openssl pkcs8 -topk8 -in KEY -out KEY.p8, which asks for a passphrase; add -nocrypt for none)"
            )))
        }
        other => {
            return Err(SignerError::CorruptKey(format!(
                "a {other} block where a PRIVATE KEY was expected"
            )))
        }
    };
    KeyPair::try_from(plain.expose_secret())
        .map_err(|e| SignerError::CorruptKey(format!("not a usable CA key ({e})")))?;
    sealed::seal(plain.expose_secret(), seal_passphrase)
}
