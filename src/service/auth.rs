//! Credentials to principals, and what a principal may do. A token's rights come from its policies
//! ([`crate::model::policy`]); its validity window and IP condition are checked on every request
//! ([`Services::admit`]); authorisation checks the rights, then the zone's existence.

use std::net::IpAddr;

use secrecy::{ExposeSecret, SecretString};

use super::Services;
use crate::db::{tokens, users, zones};
use crate::error::{AuthFailure, Error, Result};
use crate::model::condition::Condition;
use crate::model::policy::{self, PermissionGroup};
use crate::model::ZoneId;

pub use super::principal::{Caller, Interface, Principal, PrincipalKind, TokenGrant};
use super::secrets::same_hash;
pub use super::secrets::{hash_secret, is_plausible_email, new_secret, KEY_PREFIX, TOKEN_PREFIX};

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
        kind: PrincipalKind::Token(std::sync::Arc::new(TokenGrant {
            owner: t.owner_user_id,
            owner_email: row.owner_email.unwrap_or_default(),
            policies,
            condition,
            not_before: t.not_before,
            expires_on: t.expires_on,
        })),
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
        match zones::find_zone(&self.db, &p.account_id, zone.as_str()).await? {
            Some(z) => {
                if let Some(cache) = &self.auth_cache {
                    cache.remember_zone(zone.as_str(), &z.account_id);
                }
                Ok(())
            }
            None => Err(Error::NotFound),
        }
    }

    /// Forgets remembered principals after a token or user changed, so this process applies the
    /// change to the next request.
    pub(crate) fn forget_credentials(&self) {
        if let Some(cache) = &self.auth_cache {
            cache.forget_principals();
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
