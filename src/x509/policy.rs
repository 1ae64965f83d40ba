//! Which public keys may be certified: RSA 2048 to 8192 bits with e = 65537, ECDSA P-256 or P-384, Ed25519.
//!
//! The same classification tells a loaded CA certificate's algorithm.

use x509_parser::public_key::PublicKey;
use x509_parser::x509::SubjectPublicKeyInfo;

use crate::model::KeyAlgorithm;

/// What every refusal ends with, so users learn what would be accepted.
const ACCEPTED: &str =
    "accepted keys are RSA (2048 to 8192 bits, exponent 65537), ECDSA P-256 or P-384, and Ed25519";

const RSA_ENCRYPTION: &str = "1.2.840.113549.1.1.1";
const RSASSA_PSS: &str = "1.2.840.113549.1.1.10";
const EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
const DSA: &str = "1.2.840.10040.4.1";
const X25519: &str = "1.3.101.110";
const X448: &str = "1.3.101.111";
const ED25519: &str = "1.3.101.112";
const ED448: &str = "1.3.101.113";
const P256: &str = "1.2.840.10045.3.1.7";
const P384: &str = "1.3.132.0.34";

/// An accepted public key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyKind {
    /// RSA with this many modulus bits and exponent 65537.
    Rsa(usize),
    /// ECDSA on P-256, uncompressed point.
    EcdsaP256,
    /// ECDSA on P-384, uncompressed point.
    EcdsaP384,
    /// Ed25519.
    Ed25519,
}

impl KeyKind {
    /// The CA algorithm this key would be, when it is one a CA may have.
    pub(crate) fn ca_algorithm(self) -> Option<KeyAlgorithm> {
        match self {
            Self::Rsa(2048) => Some(KeyAlgorithm::Rsa2048),
            Self::Rsa(3072) => Some(KeyAlgorithm::Rsa3072),
            Self::Rsa(4096) => Some(KeyAlgorithm::Rsa4096),
            Self::Rsa(_) => None,
            Self::EcdsaP256 => Some(KeyAlgorithm::EcdsaP256),
            Self::EcdsaP384 => Some(KeyAlgorithm::EcdsaP384),
            Self::Ed25519 => Some(KeyAlgorithm::Ed25519),
        }
    }
}

/// Classifies a public key, or says in a sentence why it is not accepted.
pub(crate) fn classify(spki: &SubjectPublicKeyInfo<'_>) -> Result<KeyKind, String> {
    let refuse = |why: String| Err(format!("{why}; {ACCEPTED}"));
    let key = spki.subject_public_key.data.as_ref();
    match spki.algorithm.algorithm.to_id_string().as_str() {
        RSA_ENCRYPTION => {
            let Ok(PublicKey::RSA(rsa)) = spki.parsed() else {
                return refuse("the RSA public key cannot be decoded".into());
            };
            // These messages already say what is accepted, so they skip the general list.
            let bits = bit_length(rsa.modulus);
            if !(2048..=8192).contains(&bits) {
                return Err(format!("RSA key of {bits} bits; 2048 to 8192 are accepted"));
            }
            match rsa.try_exponent() {
                Ok(65537) => Ok(KeyKind::Rsa(bits)),
                Ok(e) => Err(format!(
                    "RSA key with public exponent {e}; only 65537 is accepted"
                )),
                Err(_) => {
                    Err("RSA key with an oversized public exponent; only 65537 is accepted".into())
                }
            }
        }
        EC_PUBLIC_KEY => {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok());
            let Some(curve) = curve else {
                return refuse(
                    "ECDSA key with explicit curve parameters instead of a named curve".into(),
                );
            };
            let (kind, len) = match curve.to_id_string().as_str() {
                P256 => (KeyKind::EcdsaP256, 65),
                P384 => (KeyKind::EcdsaP384, 97),
                other => return refuse(format!("ECDSA key on curve {}", curve_name(other))),
            };
            if key.first() != Some(&4) {
                return refuse("ECDSA key with a compressed point; send it uncompressed".into());
            }
            if key.len() != len {
                return refuse(format!(
                    "ECDSA point of {} bytes is not a valid point",
                    key.len()
                ));
            }
            Ok(kind)
        }
        ED25519 if key.len() == 32 => Ok(KeyKind::Ed25519),
        ED25519 => refuse(format!("Ed25519 key of {} bytes instead of 32", key.len())),
        ED448 => refuse("Ed448 key".into()),
        X25519 | X448 => refuse("key-agreement key (X25519/X448), which cannot sign".into()),
        RSASSA_PSS => refuse("RSA-PSS key (id-RSASSA-PSS); use an rsaEncryption key".into()),
        DSA => refuse("DSA key".into()),
        other => refuse(format!("public key algorithm {other}")),
    }
}

/// Bits in a big-endian unsigned integer, ignoring leading zero bytes and bits.
fn bit_length(bytes: &[u8]) -> usize {
    let trimmed: &[u8] = match bytes.iter().position(|&b| b != 0) {
        Some(i) => &bytes[i..],
        None => return 0,
    };
    trimmed.len() * 8 - trimmed[0].leading_zeros() as usize
}

fn curve_name(oid: &str) -> String {
    match oid {
        "1.3.132.0.35" => "P-521".into(),
        "1.3.132.0.10" => "secp256k1".into(),
        "1.2.840.10045.3.1.1" => "P-192".into(),
        "1.3.132.0.33" => "P-224".into(),
        "1.3.36.3.3.2.8.1.1.7" => "brainpoolP256r1".into(),
        "1.3.36.3.3.2.8.1.1.11" => "brainpoolP384r1".into(),
        "1.3.36.3.3.2.8.1.1.13" => "brainpoolP512r1".into(),
        other => other.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_length_ignores_leading_zeros() {
        assert_eq!(bit_length(&[]), 0);
        assert_eq!(bit_length(&[0, 0]), 0);
        assert_eq!(bit_length(&[0x00, 0x80, 0x00]), 16);
        assert_eq!(bit_length(&[0x01, 0xff]), 9);
        let mut modulus = vec![0u8; 257];
        modulus[1] = 0xc1;
        assert_eq!(bit_length(&modulus), 2048);
    }

    #[test]
    fn only_rsa_sizes_a_ca_can_have_map_to_an_algorithm() {
        assert_eq!(
            KeyKind::Rsa(3072).ca_algorithm(),
            Some(KeyAlgorithm::Rsa3072)
        );
        assert_eq!(KeyKind::Rsa(8192).ca_algorithm(), None);
        assert_eq!(KeyKind::Ed25519.ca_algorithm(), Some(KeyAlgorithm::Ed25519));
    }
}
