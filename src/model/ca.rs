//! The domain values of a CA: its role in the registry and its key algorithm.

use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::ParseError;

/// The role of a CA in its account's registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CaRole {
    /// Signs every new client certificate; exactly one per account.
    Issuing,
    /// Replaced by another; still publishes its CRL and answers OCSP for what it issued.
    Retired,
    /// Requested from an outside root: a key and a CSR, waiting for its certificate.
    Pending,
}

impl CaRole {
    /// Every role.
    pub const ALL: [CaRole; 3] = [Self::Issuing, Self::Retired, Self::Pending];

    /// The stored and displayed spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Issuing => "issuing",
            Self::Retired => "retired",
            Self::Pending => "pending",
        }
    }
}

impl FromStr for CaRole {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| ParseError(format!("unknown CA role {s:?}")))
    }
}

/// The key algorithm of a CA, chosen when the CA is created.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyAlgorithm {
    /// ECDSA on P-256 with SHA-256 (the default).
    #[serde(rename = "ecdsa-p256")]
    EcdsaP256,
    /// ECDSA on P-384 with SHA-384.
    #[serde(rename = "ecdsa-p384")]
    EcdsaP384,
    /// RSA 2048 with SHA-256.
    #[serde(rename = "rsa-2048")]
    Rsa2048,
    /// RSA 3072 with SHA-256.
    #[serde(rename = "rsa-3072")]
    Rsa3072,
    /// RSA 4096 with SHA-256.
    #[serde(rename = "rsa-4096")]
    Rsa4096,
    /// Ed25519.
    #[serde(rename = "ed25519")]
    Ed25519,
}

impl KeyAlgorithm {
    /// Every algorithm.
    pub const ALL: [KeyAlgorithm; 6] = [
        Self::EcdsaP256,
        Self::EcdsaP384,
        Self::Rsa2048,
        Self::Rsa3072,
        Self::Rsa4096,
        Self::Ed25519,
    ];

    /// The configuration spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::EcdsaP256 => "ecdsa-p256",
            Self::EcdsaP384 => "ecdsa-p384",
            Self::Rsa2048 => "rsa-2048",
            Self::Rsa3072 => "rsa-3072",
            Self::Rsa4096 => "rsa-4096",
            Self::Ed25519 => "ed25519",
        }
    }

    /// Whether the key is RSA.
    pub fn is_rsa(self) -> bool {
        matches!(self, Self::Rsa2048 | Self::Rsa3072 | Self::Rsa4096)
    }

    /// The OID of the signature algorithm a CA of this key signs with (RFC 5758, RFC 4055, RFC 8410).
    pub fn signature_oid(self) -> &'static str {
        match self {
            Self::EcdsaP256 => "1.2.840.10045.4.3.2",
            Self::EcdsaP384 => "1.2.840.10045.4.3.3",
            Self::Rsa2048 | Self::Rsa3072 | Self::Rsa4096 => "1.2.840.113549.1.1.11",
            Self::Ed25519 => "1.3.101.112",
        }
    }

    /// The signature algorithm a CA of this key signs with, in Go's spelling (Cloudflare's `signature`).
    pub fn signature_name(self) -> &'static str {
        match self {
            Self::EcdsaP256 => "ECDSAWithSHA256",
            Self::EcdsaP384 => "ECDSAWithSHA384",
            Self::Rsa2048 | Self::Rsa3072 | Self::Rsa4096 => "SHA256WithRSA",
            Self::Ed25519 => "Ed25519",
        }
    }
}

impl FromStr for KeyAlgorithm {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        Self::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<_> = Self::ALL.iter().map(|a| a.as_str()).collect();
                ParseError(format!(
                    "unknown key algorithm {s:?}; expected one of {}",
                    names.join(", ")
                ))
            })
    }
}

/// Who holds a CA's private key (`MTLS_CA_SIGNER`), as recorded with the CA.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Custody {
    /// Sealed in the database, used in-process.
    Local,
    /// Generated in a PKCS#11 token and never leaving it.
    Pkcs11,
    /// Held by a separate `mtls-ca signer` process.
    Remote,
}

impl Custody {
    /// Every kind of custody.
    pub const ALL: [Custody; 3] = [Self::Local, Self::Pkcs11, Self::Remote];

    /// The stored spelling (and the `MTLS_CA_SIGNER` word).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Local => "local",
            Self::Pkcs11 => "pkcs11",
            Self::Remote => "remote",
        }
    }
}

impl FromStr for Custody {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        Self::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| ParseError(format!("unknown key custody {s:?}")))
    }
}
