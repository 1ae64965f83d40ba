//! Secrets: random, prefixed, stored only as SHA-256 and compared in constant time.

use base64::Engine;
use ring::digest::{digest, SHA256};
use secrecy::SecretString;
use subtle::ConstantTimeEq;

use crate::model::random_bytes;

/// Prefix of API token secrets, so a leaked one is recognisable.
pub const TOKEN_PREFIX: &str = "mtlsca_";
/// Prefix of Global API Keys.
pub const KEY_PREFIX: &str = "mtlscak_";

/// Hex SHA-256 of a secret: the only form in which secrets are stored.
pub fn hash_secret(secret: &str) -> String {
    hex::encode(digest(&SHA256, secret.as_bytes()))
}

pub(crate) fn same_hash(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

/// A new random secret: the prefix and 240 bits, base64url.
pub fn new_secret(prefix: &str) -> SecretString {
    let bytes = random_bytes::<30>();
    SecretString::from(format!(
        "{prefix}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    ))
}

/// Loose email shape check: one `@`, something on each side, no spaces or control characters.
pub fn is_plausible_email(email: &str) -> bool {
    match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.is_empty()
                && !domain.contains('@')
                && email.len() <= 254
                && email
                    .chars()
                    .all(|c| c.is_ascii_graphic() || (!c.is_ascii() && !c.is_control()))
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    #[test]
    fn secrets_are_prefixed_random_and_long() {
        let a = new_secret(TOKEN_PREFIX);
        let b = new_secret(TOKEN_PREFIX);
        assert!(a.expose_secret().starts_with(TOKEN_PREFIX));
        assert_ne!(a.expose_secret(), b.expose_secret());
        // 30 random bytes = 240 bits, 40 base64 characters.
        assert_eq!(a.expose_secret().len(), TOKEN_PREFIX.len() + 40);
        assert_eq!(hash_secret("abc").len(), 64);
        assert_ne!(hash_secret(a.expose_secret()), a.expose_secret().to_owned());
    }

    #[test]
    fn email_shapes() {
        assert!(is_plausible_email("ops@example.com"));
        assert!(!is_plausible_email("ops example.com"));
        assert!(!is_plausible_email("@example.com"));
        assert!(!is_plausible_email("a@b@c"));
        assert!(!is_plausible_email("a b@c"));
    }
}
