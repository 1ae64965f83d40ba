//! Domain values with parse constructors: identifiers, permissions, statuses, key algorithms.
//!
//! Nothing here does I/O; every type that arrives from outside has a `parse` that rejects bad input.

use std::fmt;
use std::str::FromStr;

use ring::rand::{SecureRandom, SystemRandom};
use serde::{Deserialize, Serialize};

mod ca;
pub mod condition;
pub mod policy;

pub use ca::{CaRole, Custody, KeyAlgorithm};

/// Why a value could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParseError(pub String);

/// Fills `n` bytes from the operating system's CSPRNG.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    // SystemRandom only fails when the OS has no entropy source at all; nothing can go on then.
    #[allow(clippy::expect_used)]
    SystemRandom::new()
        .fill(&mut buf)
        .expect("the operating system random number generator failed");
    buf
}

/// A fresh random 128-bit identifier as 32 lowercase hex digits (tokens, users, accounts).
pub fn random_hex_id() -> String {
    hex::encode(random_bytes::<16>())
}

/// The first bytes of a time-ordered key: `now` (unix seconds) as four big-endian bytes.
/// B-tree indexes on such keys take each insert on their last pages, as they do sequence numbers,
/// instead of on a random page each: at a million rows, a random page is also a read.
fn time_prefix(now: i64) -> [u8; 4] {
    // Truncated: the order wraps in 2106, the uniqueness does not depend on it.
    (now as u32).to_be_bytes()
}

/// A fresh 128-bit identifier that sorts by creation second: `now` as 32 bits, then 96 random
/// bits; 32 lowercase hex digits, like [`random_hex_id`].
pub fn time_ordered_hex_id(now: i64) -> String {
    let mut id = [0u8; 16];
    id[..4].copy_from_slice(&time_prefix(now));
    id[4..].copy_from_slice(&random_bytes::<12>());
    hex::encode(id)
}

/// A certificate serial that sorts by issuance second: `0x01`, `now` as 32 bits, then 120 random
/// bits (CA/Browser Forum baseline requirements: at least 64 from a CSPRNG). Positive and 20 bytes
/// long as it is, so the signer keeps it unchanged.
pub fn time_ordered_serial(now: i64) -> [u8; 20] {
    let mut serial = [0u8; 20];
    serial[0] = 0x01;
    serial[1..5].copy_from_slice(&time_prefix(now));
    serial[5..].copy_from_slice(&random_bytes::<15>());
    serial
}

fn is_hex32(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

macro_rules! hex_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// A fresh random identifier (128 bits, 32 lowercase hex digits).
            pub fn generate() -> Self {
                Self(random_hex_id())
            }

            /// A fresh identifier that sorts by `now` (see [`time_ordered_hex_id`]).
            pub fn generate_at(now: i64) -> Self {
                Self(time_ordered_hex_id(now))
            }

            /// Accepts exactly 32 lowercase hex digits.
            pub fn parse(s: &str) -> Result<Self, ParseError> {
                if is_hex32(s) {
                    Ok(Self(s.to_owned()))
                } else {
                    Err(ParseError(format!(
                        "{} must be 32 lowercase hex digits",
                        stringify!($name)
                    )))
                }
            }

            /// The identifier as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

hex_id!(
    /// An account identifier.
    AccountId
);
hex_id!(
    /// A zone identifier.
    ZoneId
);
hex_id!(
    /// A client-certificate identifier.
    CertId
);
hex_id!(
    /// An API token identifier.
    TokenId
);

/// What a credential may do: read = GET, write = everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Permission {
    /// GET only.
    Read,
    /// Every method.
    Write,
}

impl Permission {
    /// The stored and displayed spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Write => "write",
        }
    }
}

impl FromStr for Permission {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        match s {
            "read" => Ok(Self::Read),
            "write" => Ok(Self::Write),
            other => Err(ParseError(format!(
                "permission must be read or write, not {other:?}"
            ))),
        }
    }
}

/// The life cycle of a client certificate.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CertStatus {
    /// Valid and not revoked.
    #[default]
    Active,
    /// A DELETE was accepted; the worker will revoke it.
    PendingRevocation,
    /// Published as revoked.
    Revoked,
    /// A PATCH was accepted; the worker will reactivate it.
    PendingReactivation,
}

impl CertStatus {
    /// Every status, in life-cycle order.
    pub const ALL: [CertStatus; 4] = [
        Self::Active,
        Self::PendingRevocation,
        Self::Revoked,
        Self::PendingReactivation,
    ];

    /// The stored and wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::PendingRevocation => "pending_revocation",
            Self::Revoked => "revoked",
            Self::PendingReactivation => "pending_reactivation",
        }
    }
}

impl FromStr for CertStatus {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        Self::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| ParseError(format!("unknown certificate status {s:?}")))
    }
}

/// `TryFrom<String>` through `FromStr`, for reading stored spellings (`#[sqlx(try_from = "String")]`).
macro_rules! try_from_string {
    ($($name:ident),*) => {$(
        impl TryFrom<String> for $name {
            type Error = ParseError;
            fn try_from(s: String) -> Result<Self, ParseError> {
                s.parse()
            }
        }
    )*};
}
try_from_string!(CaRole, CertStatus, Custody, KeyAlgorithm);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_ordered_ids_and_serials_sort_by_second_and_stay_unique() {
        let (earlier, later) = (1_796_000_000, 1_796_000_001);
        let a = CertId::generate_at(earlier).to_string();
        let b = CertId::generate_at(later).to_string();
        assert!(a < b, "{a} {b}");
        assert!(CertId::parse(&a).is_ok());
        assert_eq!(&a[..8], &format!("{earlier:08x}"));
        assert_ne!(a, CertId::generate_at(earlier).to_string());

        let s = time_ordered_serial(earlier);
        assert_eq!(s[0], 0x01, "positive, and 20 bytes with no leading zero");
        assert!(s < time_ordered_serial(later));
        assert_eq!(&s[1..5], &(earlier as u32).to_be_bytes());
        assert_ne!(s[5..], time_ordered_serial(earlier)[5..]);
    }

    #[test]
    fn hex_ids_accept_only_32_lowercase_hex_digits() {
        let id = ZoneId::generate();
        assert_eq!(ZoneId::parse(id.as_str()), Ok(id.clone()));
        assert!(
            ZoneId::parse(&id.as_str().to_uppercase()).is_err()
                || id.as_str().bytes().all(|b| b.is_ascii_digit())
        );
        assert!(ZoneId::parse("abc").is_err());
        assert!(ZoneId::parse(&"g".repeat(32)).is_err());
        assert!(CertId::parse(&"0".repeat(33)).is_err());
    }

    #[test]
    fn statuses_and_algorithms_round_trip_through_their_spelling() {
        for st in CertStatus::ALL {
            assert_eq!(st.as_str().parse::<CertStatus>(), Ok(st));
        }
        for alg in KeyAlgorithm::ALL {
            assert_eq!(alg.as_str().parse::<KeyAlgorithm>(), Ok(alg));
        }
        for role in CaRole::ALL {
            assert_eq!(CaRole::try_from(role.as_str().to_owned()), Ok(role));
        }
        assert!(CaRole::try_from("root".to_owned()).is_err());
        assert!("all".parse::<CertStatus>().is_err());
        assert!("dsa".parse::<KeyAlgorithm>().is_err());
        assert_eq!("write".parse::<Permission>(), Ok(Permission::Write));
        assert!("admin".parse::<Permission>().is_err());
    }
}
