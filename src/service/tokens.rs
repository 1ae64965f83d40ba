//! API tokens as Cloudflare's `/user/tokens` has them: list, create, read, replace, delete, roll,
//! verify. A token needs API Tokens Read/Write over its owner's tokens; a token sees only tokens of
//! its own owner; nobody gives a new token rights they do not hold.

use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Value};

use super::audit::ResourceType;
use super::auth::{
    hash_secret, new_secret, token_by_secret, Caller, Principal, PrincipalKind, TOKEN_PREFIX,
};
use super::token_input::TokenSpec;
use super::Services;
use crate::clock::rfc3339;
use crate::db::tokens::{self as repo, TokenRow};
use crate::db::zones;
use crate::error::{codes, AuthFailure, Error, Result};
use crate::model::condition::Condition;
use crate::model::policy::{self, Effect, PermissionGroup, Policy, Resource, Rights, Target};
use crate::model::{random_hex_id, Permission, ZoneId};

/// A token's `status` at `now`.
pub fn status(row: &TokenRow, now: i64) -> &'static str {
    if row.disabled {
        "disabled"
    } else if row.expires_on.is_some_and(|at| now >= at) {
        "expired"
    } else {
        "active"
    }
}

/// The API object of a token (never its secret).
pub fn token_json(row: &TokenRow, now: i64) -> Value {
    let policies: Value = serde_json::from_str(&row.policies).unwrap_or(Value::Array(Vec::new()));
    let mut v = json!({
        "id": row.id,
        "name": row.name,
        "status": status(row, now),
        "issued_on": rfc3339(row.created_at),
        "modified_on": rfc3339(row.modified_at),
        "last_used_on": row.last_used_at.map(rfc3339),
        "policies": policies,
    });
    if let Some(at) = row.expires_on {
        v["expires_on"] = json!(rfc3339(at));
    }
    if let Some(at) = row.not_before {
        v["not_before"] = json!(rfc3339(at));
    }
    if let Some(c) = row
        .condition
        .as_deref()
        .and_then(|c| serde_json::from_str::<Value>(c).ok())
    {
        v["condition"] = c;
    }
    v
}

/// The rights a principal holds over the tokens of `owner`.
fn token_rights(p: &Principal, owner: Option<&str>) -> Rights {
    p.rights(Target::Tokens {
        account: &p.account_id,
        owner,
    })
}

/// True when `p` may see the token: a user or the CLI sees every token of the account; a token sees
/// those of its own owner, with API Tokens Read over them.
fn visible(p: &Principal, row: &TokenRow) -> bool {
    row.account_id == p.account_id
        && match &p.kind {
            PrincipalKind::User { .. } | PrincipalKind::Operator => true,
            PrincipalKind::Token(t) => {
                row.owner_user_id == t.owner
                    && token_rights(p, t.owner.as_deref()).has(PermissionGroup::TokensRead)
            }
        }
}

/// Checks that `p` holds every group of every allow policy over every resource it names.
fn check_within_rights(p: &Principal, policies: &[Policy]) -> Result<()> {
    let account = p.account_id.as_str();
    for (i, pol) in policies.iter().enumerate() {
        if pol.effect == Effect::Deny {
            continue;
        }
        for r in &pol.resources {
            let rights = match r {
                Resource::Zone(Some(z)) => p.zone_rights(z),
                Resource::AccountZones(_, zs) if zs.iter().all(Option::is_some) => zs
                    .iter()
                    .flatten()
                    .fold(Rights::ALL, |held, z| held.intersect(p.zone_rights(z))),
                Resource::User(u) => token_rights(p, u.as_deref().or(p.token_owner())),
                _ => p.rights(Target::Account(account)),
            };
            if let Some(g) = pol.groups.iter().find(|g| !rights.has(**g)) {
                return Err(Error::invalid(
                    codes::RIGHTS_EXCEEDED,
                    format!(
                        "a token cannot be given {} over resources its maker does not hold it on",
                        g.name()
                    ),
                    Some(&format!("/policies/{i}")),
                ));
            }
        }
    }
    Ok(())
}

impl Services {
    /// Checks the resources name this account and its zones.
    async fn check_resources(&self, policies: &[Policy]) -> Result<()> {
        let account = self.account_id.as_str();
        for (i, pol) in policies.iter().enumerate() {
            let at = format!("/policies/{i}/resources");
            for r in &pol.resources {
                let (acct, zone_ids): (Option<&String>, Vec<&String>) = match r {
                    Resource::Account(a) => (a.as_ref(), Vec::new()),
                    Resource::AccountZones(a, zs) => (a.as_ref(), zs.iter().flatten().collect()),
                    Resource::Zone(z) => (None, z.iter().collect()),
                    Resource::User(_) => (None, Vec::new()),
                };
                if acct.is_some_and(|a| a != account) {
                    return Err(Error::invalid(
                        codes::INVALID_ACCOUNT,
                        format!("the account in the resources is not this account ({account})"),
                        Some(&at),
                    ));
                }
                for z in zone_ids {
                    match zones::find_zone(&self.db, z).await? {
                        Some(row) if row.account_id == account => {}
                        _ => {
                            return Err(Error::invalid(
                                codes::INVALID_POLICY,
                                format!("no zone {z} in this account"),
                                Some(&at),
                            ))
                        }
                    }
                }
            }
        }
        Ok(())
    }

    fn forget_credentials(&self) {
        if let Some(cache) = &self.auth_cache {
            cache.forget_principals();
        }
    }

    /// The tokens the caller may see, oldest first.
    pub async fn list_tokens(&self, caller: &Caller, now: i64) -> Result<Vec<Value>> {
        let p = &caller.principal;
        if !visible_any(p) {
            return Err(Error::Forbidden);
        }
        let rows = repo::list(&self.db, &p.account_id).await?;
        Ok(rows
            .iter()
            .filter(|r| visible(p, r))
            .map(|r| token_json(r, now))
            .collect())
    }

    async fn visible_token(&self, p: &Principal, id: &str) -> Result<TokenRow> {
        if !visible_any(p) {
            return Err(Error::Forbidden);
        }
        match repo::get(&self.db, &p.account_id, id).await? {
            Some(row) if visible(p, &row) => Ok(row),
            _ => Err(Error::NotFound),
        }
    }

    fn writable(p: &Principal, row: &TokenRow) -> Result<()> {
        if token_rights(p, row.owner_user_id.as_deref()).has(PermissionGroup::TokensWrite) {
            Ok(())
        } else {
            Err(Error::Forbidden)
        }
    }

    /// One token.
    pub async fn get_token(&self, caller: &Caller, id: &str, now: i64) -> Result<Value> {
        Ok(token_json(
            &self.visible_token(&caller.principal, id).await?,
            now,
        ))
    }

    /// Creates a token for the caller's owner (a user's own, a token's owner's, the CLI's account
    /// tokens). Returns the object with `value`, the secret, shown this once.
    pub async fn create_token(
        &self,
        caller: &Caller,
        spec: TokenSpec,
        unique_name: bool,
        now: i64,
    ) -> Result<(Value, SecretString)> {
        let p = &caller.principal;
        let owner = p.token_owner().map(str::to_owned);
        if !token_rights(p, owner.as_deref()).has(PermissionGroup::TokensWrite) {
            return Err(Error::Forbidden);
        }
        check_within_rights(p, &spec.policies)?;
        self.check_resources(&spec.policies).await?;
        if unique_name && repo::name_taken(&self.db, &p.account_id, &spec.name).await? {
            return Err(Error::invalid(
                codes::INVALID_NAME,
                format!(
                    "a token named {:?} exists already in this account",
                    spec.name
                ),
                Some("/name"),
            ));
        }
        let secret = new_secret(TOKEN_PREFIX);
        let row = TokenRow {
            id: random_hex_id(),
            account_id: p.account_id.clone(),
            name: spec.name,
            secret_hash: hash_secret(secret.expose_secret()),
            policies: policy::to_stored(&spec.policies),
            condition: spec.condition.to_json().map(|c| c.to_string()),
            not_before: spec.not_before,
            expires_on: spec.expires_on,
            disabled: false,
            created_at: now,
            modified_at: now,
            last_used_at: None,
            owner_user_id: owner,
        };
        let view = token_json(&row, now);
        let audit = caller.audit(
            "create",
            ResourceType::Token,
            &row.id,
            None,
            Some(view.clone()),
            now,
        );
        repo::insert(&self.db, &row, &audit).await?;
        let mut answer = view;
        answer["value"] = json!(secret.expose_secret());
        Ok((answer, secret))
    }

    /// The CLI's `token create --permission read|write [--zone Z]...`: one allow policy of the SSL
    /// group over the zones (or the whole account). Refuses a name the account already has.
    pub async fn create_cli_token(
        &self,
        caller: &Caller,
        name: &str,
        permission: Permission,
        zone_ids: &[ZoneId],
        now: i64,
    ) -> Result<(Value, SecretString)> {
        let group = match permission {
            Permission::Read => PermissionGroup::SslRead,
            Permission::Write => PermissionGroup::SslWrite,
        };
        let mut resources_json = serde_json::Map::new();
        if zone_ids.is_empty() {
            resources_json.insert(
                format!("com.cloudflare.api.account.{}", self.account_id),
                json!("*"),
            );
        }
        for z in zone_ids {
            resources_json.insert(format!("com.cloudflare.api.account.zone.{z}"), json!("*"));
        }
        let resources = policy::parse_resources(&resources_json)
            .map_err(|k| Error::Internal(format!("bad resource {k}")))?;
        let spec = TokenSpec {
            name: super::token_input::parse_name(Some(&json!(name)))?,
            policies: vec![Policy {
                id: random_hex_id(),
                effect: Effect::Allow,
                groups: vec![group],
                resources,
                resources_json,
            }],
            condition: Condition::default(),
            not_before: None,
            expires_on: None,
            disabled: None,
        };
        for z in zone_ids {
            match zones::find_zone(&self.db, z.as_str()).await? {
                Some(row) if row.account_id == self.account_id.as_str() => {}
                _ => return Err(Error::NotFound),
            }
        }
        self.create_token(caller, spec, true, now).await
    }

    /// Replaces a token's name, policies, condition and validity; `status` changes it only when sent.
    pub async fn update_token(
        &self,
        caller: &Caller,
        id: &str,
        spec: TokenSpec,
        now: i64,
    ) -> Result<Value> {
        let p = &caller.principal;
        let old = self.visible_token(p, id).await?;
        Self::writable(p, &old)?;
        check_within_rights(p, &spec.policies)?;
        self.check_resources(&spec.policies).await?;
        let new = TokenRow {
            name: spec.name,
            policies: policy::to_stored(&spec.policies),
            condition: spec.condition.to_json().map(|c| c.to_string()),
            not_before: spec.not_before,
            expires_on: spec.expires_on,
            disabled: spec.disabled.unwrap_or(old.disabled),
            modified_at: now,
            ..old.clone()
        };
        self.write_token(caller, &old, new, "update", now).await
    }

    /// Disables or enables a token (the CLI's `token disable|enable`).
    pub async fn set_token_disabled(
        &self,
        caller: &Caller,
        id: &str,
        disabled: bool,
        now: i64,
    ) -> Result<Value> {
        let p = &caller.principal;
        let old = self.visible_token(p, id).await?;
        Self::writable(p, &old)?;
        let new = TokenRow {
            disabled,
            modified_at: now,
            ..old.clone()
        };
        self.write_token(caller, &old, new, "update", now).await
    }

    async fn write_token(
        &self,
        caller: &Caller,
        old: &TokenRow,
        new: TokenRow,
        action: &str,
        now: i64,
    ) -> Result<Value> {
        let view = token_json(&new, now);
        let audit = caller.audit(
            action,
            ResourceType::Token,
            &old.id,
            Some(token_json(old, now)),
            Some(view.clone()),
            now,
        );
        if !repo::update(&self.db, &new, old.modified_at, &audit).await? {
            return Err(Error::Unavailable(
                "the token changed meanwhile; read it again and retry".into(),
            ));
        }
        self.forget_credentials();
        Ok(view)
    }

    /// Rolls a token: a new secret, the old one dead at once. Returns the new secret.
    pub async fn roll_token(&self, caller: &Caller, id: &str, now: i64) -> Result<SecretString> {
        let p = &caller.principal;
        let old = self.visible_token(p, id).await?;
        Self::writable(p, &old)?;
        let secret = new_secret(TOKEN_PREFIX);
        let new = TokenRow {
            secret_hash: hash_secret(secret.expose_secret()),
            modified_at: now,
            ..old.clone()
        };
        self.write_token(caller, &old, new, "roll", now).await?;
        Ok(secret)
    }

    /// Deletes a token. Returns its id.
    pub async fn delete_token(&self, caller: &Caller, id: &str, now: i64) -> Result<Value> {
        let p = &caller.principal;
        let old = self.visible_token(p, id).await?;
        Self::writable(p, &old)?;
        let audit = caller.audit(
            "delete",
            ResourceType::Token,
            &old.id,
            Some(token_json(&old, now)),
            None,
            now,
        );
        if !repo::delete(&self.db, &p.account_id, id, &audit).await? {
            return Err(Error::NotFound);
        }
        self.forget_credentials();
        Ok(json!({ "id": old.id }))
    }

    /// `GET /user/tokens/verify`: the presented token's id and status. A disabled or expired
    /// token is answered with its status; the IP condition and `not_before` still apply.
    pub async fn verify_token(
        &self,
        secret: &SecretString,
        ip: Option<std::net::IpAddr>,
        now: i64,
    ) -> Result<Value> {
        let Some(row) = token_by_secret(self, secret).await? else {
            return Err(Error::Unauthenticated(AuthFailure::BadToken));
        };
        let mut token = row.token.clone();
        token.disabled |= row.owner_disabled == Some(true);
        if token.not_before.is_some_and(|at| now < at) {
            return Err(Error::Unauthenticated(AuthFailure::NotYetValid));
        }
        let principal = super::auth::grant_of(row)?;
        self.check_rate(&principal)?;
        if let PrincipalKind::Token(t) = &principal.kind {
            if !t.condition.allows(ip) {
                return Err(Error::Unauthenticated(AuthFailure::Location(
                    ip.map(|ip| ip.to_string()).unwrap_or_default(),
                )));
            }
        }
        let mut v = json!({"id": token.id, "status": status(&token, now)});
        if let Some(at) = token.expires_on {
            v["expires_on"] = json!(rfc3339(at));
        }
        if let Some(at) = token.not_before {
            v["not_before"] = json!(rfc3339(at));
        }
        Ok(v)
    }
}

/// Whether the principal may look at tokens at all.
fn visible_any(p: &Principal) -> bool {
    match &p.kind {
        PrincipalKind::User { .. } | PrincipalKind::Operator => true,
        PrincipalKind::Token(t) => {
            token_rights(p, t.owner.as_deref()).has(PermissionGroup::TokensRead)
        }
    }
}

/// The permission groups, as `GET /user/tokens/permission_groups` lists them.
pub fn permission_groups() -> Vec<Value> {
    PermissionGroup::ALL
        .iter()
        .map(|g| json!({"id": g.id(), "name": g.name(), "scopes": [g.scope()]}))
        .collect()
}
