//! Credentials to principals, and what a principal may do. Secrets are random, prefixed, stored as
//! SHA-256 and compared in constant time. A token's rights come from its policies
//! ([`crate::model::policy`]); its validity window and IP condition are checked on every request
//! ([`Services::admit`]); authorisation checks the rights, then the zone's existence.

use std::net::IpAddr;
use std::sync::Arc;

use base64::Engine;
use ring::digest::{digest, SHA256};
use secrecy::{ExposeSecret, SecretString};
use subtle::ConstantTimeEq;

use super::Services;
use crate::db::{tokens, users, zones};
use crate::error::{AuthFailure, Error, Result};
use crate::model::condition::Condition;
use crate::model::policy::{self, PermissionGroup, Policy, Rights, Target};
use crate::model::{random_bytes, ZoneId};

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

/// A token as authentication found it.
#[derive(Debug, Clone)]
pub struct TokenGrant {
    /// The user who made it (`None`: the CLI).
    pub owner: Option<String>,
    /// The owner's email, `""` when none.
    pub owner_email: String,
    /// Its policies.
    pub policies: Arc<[Policy]>,
    /// Its IP condition.
    pub condition: Condition,
    /// Unix seconds before which it does not work.
    pub not_before: Option<i64>,
    /// Unix seconds from which it does not work.
    pub expires_on: Option<i64>,
}

/// Who a principal is.
#[derive(Debug, Clone)]
pub enum PrincipalKind {
    /// A user's Global API Key: everything in the account.
    User {
        /// The user's email.
        email: String,
    },
    /// An API token: what its policies allow.
    Token(TokenGrant),
    /// The `mtls-ca` CLI on the database's machine: everything; `id` is the OS user.
    Operator,
}

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Principal {
    /// Token id, user id, or the CLI's OS user; the key for rate limiting.
    pub id: String,
    /// The account it belongs to.
    pub account_id: String,
    /// Who it is and what it may do.
    pub kind: PrincipalKind,
}

impl Principal {
    /// The rights held on `target`.
    pub fn rights(&self, target: Target<'_>) -> Rights {
        match &self.kind {
            PrincipalKind::User { .. } | PrincipalKind::Operator => Rights::ALL,
            PrincipalKind::Token(t) => policy::rights(&t.policies, target),
        }
    }

    /// The rights held on a zone of this principal's account.
    pub fn zone_rights(&self, zone: &str) -> Rights {
        self.rights(Target::Zone {
            account: &self.account_id,
            zone,
        })
    }

    /// True when `group` is held on the account as a whole.
    pub fn has_on_account(&self, group: PermissionGroup) -> bool {
        self.rights(Target::Account(&self.account_id)).has(group)
    }

    /// The owner whose tokens this principal manages: a user's own id, a token's owner.
    pub fn token_owner(&self) -> Option<&str> {
        match &self.kind {
            PrincipalKind::User { .. } => Some(&self.id),
            PrincipalKind::Token(t) => t.owner.as_deref(),
            PrincipalKind::Operator => None,
        }
    }

    /// The email recorded as the actor in the audit log.
    pub fn email(&self) -> &str {
        match &self.kind {
            PrincipalKind::User { email } => email,
            PrincipalKind::Token(t) => &t.owner_email,
            PrincipalKind::Operator => "",
        }
    }
}

/// Through which interface a change was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interface {
    /// The HTTP API.
    Api,
    /// The `mtls-ca` command line.
    Cli,
    /// The web console.
    Console,
}

impl Interface {
    /// The audit log's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Api => "api",
            Self::Cli => "cli",
            Self::Console => "console",
        }
    }
}

/// A principal on one request: who, from where, through what.
#[derive(Debug, Clone)]
pub struct Caller {
    /// Who.
    pub principal: Principal,
    /// The client address (after trusted proxies), when known.
    pub ip: Option<IpAddr>,
    /// Through which interface.
    pub interface: Interface,
}

impl Caller {
    /// The operator at the CLI, named after the OS user.
    pub fn cli(account_id: &str) -> Self {
        let user = std::env::var("USER")
            .ok()
            .filter(|u| !u.is_empty())
            .unwrap_or_else(|| "operator".to_owned());
        Caller {
            principal: Principal {
                id: user,
                account_id: account_id.to_owned(),
                kind: PrincipalKind::Operator,
            },
            ip: None,
            interface: Interface::Cli,
        }
    }
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

/// A token found by its secret, whatever its state (for `/user/tokens/verify`).
pub(crate) async fn token_by_secret(
    s: &Services,
    secret: &SecretString,
) -> Result<Option<tokens::TokenAuthRow>> {
    let hash = hash_secret(secret.expose_secret());
    Ok(tokens::find_by_hash(&s.db, &hash)
        .await?
        .filter(|row| same_hash(&row.token.secret_hash, &hash)))
}

/// The principal of a token row, or why it does not authenticate.
pub(crate) fn token_principal(row: tokens::TokenAuthRow) -> Result<Principal> {
    if row.token.disabled || row.owner_disabled == Some(true) {
        return Err(Error::Unauthenticated(AuthFailure::BadToken));
    }
    grant_of(row)
}

/// The principal a token row describes, whatever its state.
pub(crate) fn grant_of(row: tokens::TokenAuthRow) -> Result<Principal> {
    let t = row.token;
    let policies = policy::parse_stored(&t.policies)
        .map_err(|e| Error::Internal(format!("token {} has bad policies: {e}", t.id)))?;
    let condition = match &t.condition {
        Some(json) => serde_json::from_str(json)
            .map_err(|e| e.to_string())
            .and_then(|v| Condition::from_json(&v))
            .map_err(|e| Error::Internal(format!("token {} has a bad condition: {e}", t.id)))?,
        None => Condition::default(),
    };
    Ok(Principal {
        id: t.id,
        account_id: t.account_id,
        kind: PrincipalKind::Token(TokenGrant {
            owner: t.owner_user_id,
            owner_email: row.owner_email.unwrap_or_default(),
            policies: policies.into(),
            condition,
            not_before: t.not_before,
            expires_on: t.expires_on,
        }),
    })
}

impl Services {
    /// Resolves credentials to a principal (remembered for a few seconds when caching is on).
    pub async fn authenticate(&self, creds: &Credentials, now: i64) -> Result<Principal> {
        let key = match creds {
            Credentials::Token(secret) => hash_secret(secret.expose_secret()),
            Credentials::Key { email, key } => {
                format!(
                    "{}\n{}",
                    email.to_lowercase(),
                    hash_secret(key.expose_secret())
                )
            }
        };
        let principal = match self.auth_cache.as_ref().and_then(|c| c.principal(&key)) {
            Some(p) => p,
            None => {
                let p = self.authenticate_uncached(creds).await?;
                if let Some(cache) = &self.auth_cache {
                    cache.remember_principal(key, &p);
                }
                p
            }
        };
        if let PrincipalKind::Token(_) = principal.kind {
            self.usage.record(self, &principal.id, now);
        }
        Ok(principal)
    }

    async fn authenticate_uncached(&self, creds: &Credentials) -> Result<Principal> {
        match creds {
            Credentials::Token(secret) => match token_by_secret(self, secret).await? {
                Some(row) => token_principal(row),
                None => Err(Error::Unauthenticated(AuthFailure::BadToken)),
            },
            Credentials::Key { email, key } => {
                let hash = hash_secret(key.expose_secret());
                let row = users::find_by_email(&self.db, email).await?;
                // Compare against something even for an unknown email, so timing tells nothing.
                let stored = row.as_ref().map_or("", |u| u.key_hash.as_str());
                let matches = same_hash(stored, &hash);
                match row {
                    Some(u) if matches && !u.disabled => Ok(Principal {
                        id: u.id,
                        account_id: u.account_id,
                        kind: PrincipalKind::User { email: u.email },
                    }),
                    _ => Err(Error::Unauthenticated(AuthFailure::BadKey)),
                }
            }
        }
    }

    /// Checks what a token must satisfy on every request: its validity window and its IP
    /// condition (the client address as the HTTP layer determined it).
    pub fn admit(&self, p: &Principal, ip: Option<IpAddr>, now: i64) -> Result<()> {
        let PrincipalKind::Token(t) = &p.kind else {
            return Ok(());
        };
        if t.expires_on.is_some_and(|at| now >= at) {
            return Err(Error::Unauthenticated(AuthFailure::Expired));
        }
        if t.not_before.is_some_and(|at| now < at) {
            return Err(Error::Unauthenticated(AuthFailure::NotYetValid));
        }
        if !t.condition.allows(ip) {
            return Err(Error::Unauthenticated(AuthFailure::Location(
                ip.map(|ip| ip.to_string()).unwrap_or_default(),
            )));
        }
        Ok(())
    }

    /// Checks that the caller holds `needed` on the zone, and that the zone exists in its account.
    /// Without the right the answer is 403 whether or not the zone exists.
    pub async fn authorize(
        &self,
        p: &Principal,
        zone: &ZoneId,
        needed: PermissionGroup,
    ) -> Result<()> {
        if !p.zone_rights(zone.as_str()).has(needed) {
            return Err(Error::Forbidden);
        }
        if let Some(account) = self.auth_cache.as_ref().and_then(|c| c.zone(zone.as_str())) {
            return if account == p.account_id {
                Ok(())
            } else {
                Err(Error::NotFound)
            };
        }
        match zones::find_zone(&self.db, zone.as_str()).await? {
            Some(z) if z.account_id == p.account_id => {
                if let Some(cache) = &self.auth_cache {
                    cache.remember_zone(zone.as_str(), &z.account_id);
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
