//! The CA private key at rest: PKCS#8, encrypted with PBES2 (scrypt + AES-256-CBC) when a passphrase is set.

use std::fmt;

use pkcs8::pkcs5::{pbes2, scrypt};
use pkcs8::{EncryptedPrivateKeyInfo, PrivateKeyInfo};
use secrecy::{ExposeSecret, SecretSlice, SecretString};

use super::SignerError;
use crate::model::random_bytes;

/// scrypt cost: N = 2^14, r = 8, p = 1 needs 16 MiB, under OpenSSL's default 32 MiB `maxmem`, so
/// `openssl pkcs8` can still decrypt the key (2^15 would need exactly 32 MiB plus overhead and fails).
const SCRYPT_LOG_N: u8 = 14;
const SCRYPT_R: u32 = 8;
const SCRYPT_P: u32 = 1;
/// AES-256 key length.
const KEY_LEN: usize = 32;

/// The CA private key as stored: a PKCS#8 `PrivateKeyInfo` in DER, or an `EncryptedPrivateKeyInfo` in DER
/// when `encrypted`. `Debug` never shows the bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct SealedKey {
    /// DER of `PrivateKeyInfo`, or of `EncryptedPrivateKeyInfo` when `encrypted`.
    pub der: Vec<u8>,
    /// Whether `der` is encrypted with a passphrase.
    pub encrypted: bool,
}

impl fmt::Debug for SealedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SealedKey")
            .field("der", &format_args!("[redacted, {} bytes]", self.der.len()))
            .field("encrypted", &self.encrypted)
            .finish()
    }
}

/// Rejects an empty passphrase before any slow work is done.
pub(super) fn check_passphrase(passphrase: Option<&SecretString>) -> Result<(), SignerError> {
    match passphrase {
        Some(p) if p.expose_secret().is_empty() => Err(SignerError::EmptyPassphrase),
        _ => Ok(()),
    }
}

/// Seals a plaintext PKCS#8 key: encrypted with a fresh salt and IV when a passphrase is given.
pub(super) fn seal(
    pkcs8: &[u8],
    passphrase: Option<&SecretString>,
) -> Result<SealedKey, SignerError> {
    check_passphrase(passphrase)?;
    let Some(passphrase) = passphrase else {
        return Ok(SealedKey {
            der: pkcs8.to_vec(),
            encrypted: false,
        });
    };
    let info = PrivateKeyInfo::try_from(pkcs8)
        .map_err(|e| SignerError::CorruptKey(format!("not a PKCS#8 private key: {e}")))?;
    let salt = random_bytes::<16>();
    let iv = random_bytes::<16>();
    let cost = scrypt::Params::new(SCRYPT_LOG_N, SCRYPT_R, SCRYPT_P, KEY_LEN)
        .map_err(|e| SignerError::CorruptKey(format!("scrypt parameters: {e}")))?;
    let params = pbes2::Parameters::scrypt_aes256cbc(cost, &salt, &iv)
        .map_err(|e| SignerError::CorruptKey(format!("PBES2 parameters: {e}")))?;
    let sealed = info
        .encrypt_with_params(params, passphrase.expose_secret().as_bytes())
        .map_err(|e| SignerError::CorruptKey(format!("encryption failed: {e}")))?;
    Ok(SealedKey {
        der: sealed.as_bytes().to_vec(),
        encrypted: true,
    })
}

/// Encrypts a key that was stored unencrypted, for a CA created before a passphrase was set.
/// An already encrypted key is returned as it is (changing passphrases is not this function's job).
pub fn encrypt_stored_key(
    key: &SealedKey,
    passphrase: &SecretString,
) -> Result<SealedKey, SignerError> {
    if key.encrypted {
        return Ok(key.clone());
    }
    seal(&key.der, Some(passphrase))
}

/// Opens a sealed key, giving the plaintext PKCS#8 DER in a buffer that is zeroed on drop.
///
/// A passphrase given for an unencrypted key is ignored.
pub(super) fn unseal(
    key: &SealedKey,
    passphrase: Option<&SecretString>,
) -> Result<SecretSlice<u8>, SignerError> {
    if !key.encrypted {
        PrivateKeyInfo::try_from(key.der.as_slice())
            .map_err(|e| SignerError::CorruptKey(format!("not a PKCS#8 private key: {e}")))?;
        return Ok(SecretSlice::from(key.der.clone()));
    }
    let passphrase = passphrase.ok_or(SignerError::PassphraseRequired)?;
    let info = EncryptedPrivateKeyInfo::try_from(key.der.as_slice())
        .map_err(|e| SignerError::CorruptKey(format!("not a PKCS#8 encrypted private key: {e}")))?;
    let plain = info
        .decrypt(passphrase.expose_secret().as_bytes())
        .map_err(|e| match e {
            // pkcs5 0.7.1 reports a bad CBC padding as EncryptFailed even when decrypting.
            pkcs8::Error::EncryptedPrivateKey(
                pkcs8::pkcs5::Error::DecryptFailed | pkcs8::pkcs5::Error::EncryptFailed,
            ) => SignerError::WrongPassphrase,
            // A wrong passphrase passes the CBC padding check about once in 256 tries; `decrypt` then
            // fails to parse the garbage as DER, which is still a wrong passphrase.
            pkcs8::Error::Asn1(_) | pkcs8::Error::KeyMalformed => SignerError::WrongPassphrase,
            other => SignerError::CorruptKey(format!("cannot decrypt: {other}")),
        })?;
    // Garbage that happens to be DER is still not a PrivateKeyInfo.
    PrivateKeyInfo::try_from(plain.as_bytes()).map_err(|_| SignerError::WrongPassphrase)?;
    Ok(SecretSlice::from(plain.as_bytes().to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pass(s: &str) -> SecretString {
        SecretString::from(s)
    }

    fn sample_pkcs8() -> Vec<u8> {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        key.serialize_der()
    }

    #[test]
    fn a_sealed_key_opens_only_with_its_passphrase() {
        let plain = sample_pkcs8();
        let sealed = seal(&plain, Some(&pass("correct horse"))).unwrap();
        assert!(sealed.encrypted);
        assert_ne!(sealed.der, plain);
        let opened = unseal(&sealed, Some(&pass("correct horse"))).unwrap();
        assert_eq!(opened.expose_secret(), plain.as_slice());
        assert!(matches!(
            unseal(&sealed, Some(&pass("battery staple"))),
            Err(SignerError::WrongPassphrase)
        ));
        assert!(matches!(
            unseal(&sealed, None),
            Err(SignerError::PassphraseRequired)
        ));
    }

    #[test]
    fn every_wrong_passphrase_is_called_wrong_even_when_the_padding_happens_to_check() {
        // A cheap scrypt so that thousands of tries are quick: about one wrong passphrase in 256 yields
        // valid CBC padding, and what it decrypts to must still be reported as a wrong passphrase.
        let plain = sample_pkcs8();
        let info = PrivateKeyInfo::try_from(plain.as_slice()).unwrap();
        let cost = scrypt::Params::new(1, 1, 1, KEY_LEN).unwrap();
        let params = pbes2::Parameters::scrypt_aes256cbc(cost, &[7; 16], &[9; 16]).unwrap();
        let sealed = SealedKey {
            der: info
                .encrypt_with_params(params, b"right")
                .unwrap()
                .as_bytes()
                .to_vec(),
            encrypted: true,
        };
        for i in 0..3000 {
            let got = unseal(&sealed, Some(&pass(&format!("wrong {i}"))));
            assert!(
                matches!(got, Err(SignerError::WrongPassphrase)),
                "try {i}: {:?}",
                got.err()
            );
        }
        assert!(unseal(&sealed, Some(&pass("right"))).is_ok());
    }

    #[test]
    fn each_sealing_uses_a_fresh_salt_and_iv() {
        let plain = sample_pkcs8();
        let a = seal(&plain, Some(&pass("p"))).unwrap();
        let b = seal(&plain, Some(&pass("p"))).unwrap();
        assert_ne!(a.der, b.der);
    }

    #[test]
    fn without_a_passphrase_the_key_is_stored_as_plain_pkcs8() {
        let plain = sample_pkcs8();
        let sealed = seal(&plain, None).unwrap();
        assert!(!sealed.encrypted);
        assert_eq!(sealed.der, plain);
        let opened = unseal(&sealed, Some(&pass("ignored"))).unwrap();
        assert_eq!(opened.expose_secret(), plain.as_slice());
    }

    #[test]
    fn empty_passphrases_and_garbage_are_rejected() {
        let plain = sample_pkcs8();
        assert!(matches!(
            seal(&plain, Some(&pass(""))),
            Err(SignerError::EmptyPassphrase)
        ));
        let garbage = SealedKey {
            der: vec![0x30, 0x03, 0x02, 0x01, 0x00],
            encrypted: true,
        };
        assert!(matches!(
            unseal(&garbage, Some(&pass("p"))),
            Err(SignerError::CorruptKey(_))
        ));
    }

    #[test]
    fn debug_output_never_shows_the_key_bytes() {
        let plain = sample_pkcs8();
        let sealed = seal(&plain, None).unwrap();
        let shown = format!("{sealed:?}");
        assert!(shown.contains("redacted"), "{shown}");
        assert!(!shown.contains(&hex::encode(&plain[..8])));
        assert!(!shown.contains(&format!("{:?}", &plain[..4])));
    }
}
