//! CA key pairs: generation per [`KeyAlgorithm`], loading from PKCS#8, and key identifiers.

use pkcs8::{PrivateKeyInfo, SecretDocument};
use rcgen::{KeyPair, SignatureAlgorithm};
use rsa::pkcs8::EncodePrivateKey;

use super::SignerError;
use crate::model::KeyAlgorithm;

/// The rcgen signature algorithm a CA of this key signs with.
pub(super) fn signature_algorithm(alg: KeyAlgorithm) -> &'static SignatureAlgorithm {
    match alg {
        KeyAlgorithm::EcdsaP256 => &rcgen::PKCS_ECDSA_P256_SHA256,
        KeyAlgorithm::EcdsaP384 => &rcgen::PKCS_ECDSA_P384_SHA384,
        KeyAlgorithm::Rsa2048 | KeyAlgorithm::Rsa3072 | KeyAlgorithm::Rsa4096 => {
            &rcgen::PKCS_RSA_SHA256
        }
        KeyAlgorithm::Ed25519 => &rcgen::PKCS_ED25519,
    }
}

/// Generates a fresh key pair. RSA takes seconds (ring cannot generate RSA keys, so the `rsa` crate does).
pub(super) fn generate(alg: KeyAlgorithm) -> Result<KeyPair, SignerError> {
    let bits = match alg {
        KeyAlgorithm::Rsa2048 => 2048,
        KeyAlgorithm::Rsa3072 => 3072,
        KeyAlgorithm::Rsa4096 => 4096,
        KeyAlgorithm::EcdsaP256 | KeyAlgorithm::EcdsaP384 => {
            return KeyPair::generate_for(signature_algorithm(alg))
                .map_err(|e| SignerError::KeyGeneration(e.to_string()));
        }
        KeyAlgorithm::Ed25519 => {
            let key = KeyPair::generate_for(signature_algorithm(alg))
                .map_err(|e| SignerError::KeyGeneration(e.to_string()))?;
            // ring writes PKCS#8 v2 (with the public key), which OpenSSL 3.0 cannot read; the v1 form
            // carries the same secret and ring reads it back.
            let mut info = PrivateKeyInfo::try_from(key.serialized_der())
                .map_err(|e| SignerError::KeyGeneration(e.to_string()))?;
            info.public_key = None;
            let v1 = SecretDocument::encode_msg(&info)
                .map_err(|e| SignerError::KeyGeneration(e.to_string()))?;
            return from_pkcs8(v1.as_bytes(), alg);
        }
    };
    let key = rsa::RsaPrivateKey::new(&mut rand_core::OsRng, bits)
        .map_err(|e| SignerError::KeyGeneration(e.to_string()))?;
    // SecretDocument zeroes its buffer on drop; the rsa key zeroes itself too.
    let pkcs8 = key
        .to_pkcs8_der()
        .map_err(|e| SignerError::KeyGeneration(e.to_string()))?;
    from_pkcs8(pkcs8.as_bytes(), alg)
}

/// Loads a plaintext PKCS#8 key, which must be a key of `alg`.
pub(super) fn from_pkcs8(pkcs8: &[u8], alg: KeyAlgorithm) -> Result<KeyPair, SignerError> {
    // rcgen (ring backend) tells the algorithm from the key itself and picks SHA-256 for RSA.
    let key = KeyPair::try_from(pkcs8)
        .map_err(|e| SignerError::CorruptKey(format!("not a usable PKCS#8 key ({e})")))?;
    if key.algorithm() != signature_algorithm(alg) {
        return Err(SignerError::KeyMismatch);
    }
    Ok(key)
}

/// The algorithm of a key pair rcgen read (RSA by its modulus size).
pub(super) fn algorithm_of(pair: &KeyPair) -> Result<KeyAlgorithm, SignerError> {
    use rcgen::PublicKeyData;
    let alg = pair.algorithm();
    if alg == &rcgen::PKCS_ECDSA_P256_SHA256 {
        return Ok(KeyAlgorithm::EcdsaP256);
    }
    if alg == &rcgen::PKCS_ECDSA_P384_SHA384 {
        return Ok(KeyAlgorithm::EcdsaP384);
    }
    if alg == &rcgen::PKCS_ED25519 {
        return Ok(KeyAlgorithm::Ed25519);
    }
    let unsupported = || SignerError::CorruptKey("a key of a kind no CA here may have".into());
    if alg != &rcgen::PKCS_RSA_SHA256 {
        return Err(unsupported());
    }
    use rsa::pkcs1::DecodeRsaPublicKey;
    use rsa::traits::PublicKeyParts;
    let public = rsa::RsaPublicKey::from_pkcs1_der(pair.der_bytes()).map_err(|_| unsupported())?;
    match public.n().bits() {
        2048 => Ok(KeyAlgorithm::Rsa2048),
        3072 => Ok(KeyAlgorithm::Rsa3072),
        4096 => Ok(KeyAlgorithm::Rsa4096),
        _ => Err(unsupported()),
    }
}

/// A random positive 20-byte serial; see [`positive_serial`].
pub(super) fn random_serial() -> [u8; 20] {
    positive_serial(crate::model::random_bytes::<20>())
}

/// Forces the first byte into 0x01..=0x7f so the DER INTEGER is exactly 20 bytes: no sign padding
/// (RFC 5280 allows at most 20 octets) and no leading zero to strip. 159 random bits remain.
pub(super) fn positive_serial(mut serial: [u8; 20]) -> [u8; 20] {
    serial[0] &= 0x7f;
    if serial[0] == 0 {
        serial[0] = 0x01;
    }
    serial
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcgen::PublicKeyData;

    #[test]
    fn serials_are_positive_and_twenty_bytes() {
        for _ in 0..200 {
            let s = random_serial();
            assert!((0x01..=0x7f).contains(&s[0]));
        }
        assert_ne!(random_serial(), random_serial());
        assert_eq!(positive_serial([0xff; 20])[0], 0x7f);
        assert_eq!(positive_serial([0x80; 20])[0], 0x01);
        assert_eq!(positive_serial([0x00; 20])[0], 0x01);
        assert_eq!(positive_serial([0x42; 20]), [0x42; 20]);
    }

    #[test]
    fn a_key_of_another_algorithm_is_a_mismatch() {
        let key = generate(KeyAlgorithm::Ed25519).unwrap();
        assert_eq!(key.algorithm(), &rcgen::PKCS_ED25519);
        let info = PrivateKeyInfo::try_from(key.serialized_der()).unwrap();
        assert_eq!(
            info.version(),
            pkcs8::Version::V1,
            "OpenSSL 3.0 reads only v1 Ed25519 keys"
        );
        let again = from_pkcs8(key.serialized_der(), KeyAlgorithm::Ed25519).unwrap();
        assert_eq!(again.der_bytes(), key.der_bytes());
        assert!(matches!(
            from_pkcs8(key.serialized_der(), KeyAlgorithm::EcdsaP256),
            Err(SignerError::KeyMismatch)
        ));
        assert!(matches!(
            from_pkcs8(b"not a key", KeyAlgorithm::Ed25519),
            Err(SignerError::CorruptKey(_))
        ));
    }
}
