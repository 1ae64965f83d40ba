//! Credentials: API tokens and Global API Keys. Secrets are random, prefixed, stored as SHA-256 and
//! compared in constant time; authorisation checks permission, then zone scope, then zone existence.

use base64::Engine;
use ring::digest::{digest, SHA256};
use secrecy::{ExposeSecret, SecretString};
use subtle::ConstantTimeEq;

use super::Services;
use crate::db::{credentials, zones};
use crate::error::{AuthFailure, Error, Result};
use crate::model::{random_bytes, Permission, ZoneId};

/// Prefix of API token secrets, so a leaked one is recognisable.
pub const TOKEN_PREFIX: &str = "mtlsca_";
/// Prefix of Global API Keys.
pub const KEY_PREFIX: &str = "mtlscak_";

/// What a request presented.
#[derive(Clone)]
pub enum Credentials {
    /// `Authorization: Bearer <token>`.
    Token(SecretString),
    /// `X-Auth-Email` + `X-Auth-Key`.
    Key {
        /// The user's email.
        email: String,
        /// The Global API Key.
        key: SecretString,
    },
}

/// Which zones a principal may touch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Every zone of the account.
    AllZones,
    /// Only the zones listed for this token id.
    Token(String),
}

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Principal {
    /// Token or user id, the key for rate limiting.
    pub id: String,
    /// The account it belongs to.
    pub account_id: String,
    /// What it may do.
    pub permission: Permission,
    /// Where it may do it.
    pub scope: Scope,
}

/// Hex SHA-256 of a secret: the only form in which secrets are stored.
pub fn hash_secret(secret: &str) -> String {
    hex::encode(digest(&SHA256, secret.as_bytes()))
}

fn same_hash(a: &str, b: &str) -> bool {
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

impl Services {
    /// Resolves credentials to a principal (remembered for a few seconds when caching is on).
    pub async fn authenticate(&self, creds: &Credentials) -> Result<Principal> {
        let key = match creds {
            Credentials::Token(secret) => hash_secret(secret.expose_secret()),
            Credentials::Key { email, key } => {
                format!("{email}\n{}", hash_secret(key.expose_secret()))
            }
        };
        if let Some(p) = self.auth_cache.as_ref().and_then(|c| c.principal(&key)) {
            return Ok(p);
        }
        let principal = self.authenticate_uncached(creds).await?;
        if let Some(cache) = &self.auth_cache {
            cache.remember_principal(key, &principal);
        }
        Ok(principal)
    }

    async fn authenticate_uncached(&self, creds: &Credentials) -> Result<Principal> {
        match creds {
            Credentials::Token(secret) => {
                let hash = hash_secret(secret.expose_secret());
                let row = credentials::find_token_by_hash(&self.db, &hash).await?;
                match row {
                    Some(t) if !t.disabled && same_hash(&t.secret_hash, &hash) => {
                        let permission = t.permission.parse().map_err(|e| {
                            Error::Internal(format!("token {} has a bad permission: {e}", t.id))
                        })?;
                        let scope = if t.all_zones {
                            Scope::AllZones
                        } else {
                            Scope::Token(t.id.clone())
                        };
                        Ok(Principal {
                            id: t.id,
                            account_id: t.account_id,
                            permission,
                            scope,
                        })
                    }
                    _ => Err(Error::Unauthenticated(AuthFailure::BadToken)),
                }
            }
            Credentials::Key { email, key } => {
                let hash = hash_secret(key.expose_secret());
                let row = credentials::find_user_by_email(&self.db, email).await?;
                // Compare against something even for an unknown email, so timing tells nothing.
                let stored = row.as_ref().map_or("", |u| u.key_hash.as_str());
                let matches = same_hash(stored, &hash);
                match row {
                    Some(u) if matches && !u.disabled => Ok(Principal {
                        id: u.id,
                        account_id: u.account_id,
                        permission: Permission::Write,
                        scope: Scope::AllZones,
                    }),
                    _ => Err(Error::Unauthenticated(AuthFailure::BadKey)),
                }
            }
        }
    }

    /// Checks that the principal may act on the zone with `needed`, and that the zone exists.
    /// Outside a token's scope the answer is 403 whether or not the zone exists.
    pub async fn authorize(&self, p: &Principal, zone: &ZoneId, needed: Permission) -> Result<()> {
        if needed == Permission::Write && p.permission == Permission::Read {
            return Err(Error::Forbidden);
        }
        let scope = match &p.scope {
            Scope::AllZones => "*",
            Scope::Token(token_id) => token_id.as_str(),
        };
        let cached = self
            .auth_cache
            .as_ref()
            .and_then(|c| c.grant(scope, zone.as_str()));
        if let Some(account) = cached {
            return if account == p.account_id {
                Ok(())
            } else {
                Err(Error::NotFound)
            };
        }
        if let Scope::Token(token_id) = &p.scope {
            if !credentials::token_has_zone(&self.db, token_id, zone.as_str()).await? {
                return Err(Error::Forbidden);
            }
        }
        match zones::find_zone(&self.db, zone.as_str()).await? {
            Some(z) if z.account_id == p.account_id => {
                if let Some(cache) = &self.auth_cache {
                    cache.remember_grant(scope, zone.as_str(), &z.account_id);
                }
                Ok(())
            }
            _ => Err(Error::NotFound),
        }
    }

    /// Applies the per-credential rate limit, if one is configured.
    pub fn check_rate(&self, p: &Principal) -> Result<()> {
        match &self.limiter {
            Some(limiter) => limiter.check(&p.id),
            None => Ok(()),
        }
    }
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
