//! API tokens as Cloudflare's `/user/tokens` has them: list, create, read, replace, delete, roll,
//! verify. A token needs API Tokens Read/Write over its owner's tokens; a token sees only tokens of
//! its own owner; nobody gives a new token rights they do not hold.

use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Map, Value};

use super::audit::ResourceType;
use super::auth::{hash_secret, new_secret, Caller, Principal, TOKEN_PREFIX};
use super::policy_input::cli_policy;
use super::token_input::{parse_spec, TokenSpec};
use super::token_rights::{check_within_rights, visible, visible_any, writable};
use super::token_view::token_json;
use super::Services;
use crate::db::tokens::{self as repo, TokenRow};
use crate::db::zones;
use crate::error::{codes, Error, Result};
use crate::model::policy::{self, PermissionGroup};
use crate::model::{random_hex_id, Permission, ZoneId};

impl Services {
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
        if !p
            .token_rights(owner.as_deref())
            .has(PermissionGroup::TokensWrite)
        {
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
            disabled: spec.disabled.unwrap_or(false),
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
        let policy = cli_policy(permission, self.account_id.as_str(), zone_ids)?;
        let spec = TokenSpec::of_policy(name, policy)?;
        for z in zone_ids {
            if zones::find_zone(&self.db, self.account_id.as_str(), z.as_str())
                .await?
                .is_none()
            {
                return Err(Error::NotFound);
            }
        }
        self.create_token(caller, spec, true, now).await
    }

    /// `PUT /user/tokens/{id}`. A body with `name` or `policies` replaces the token (see
    /// [`Self::update_token`]); one with neither changes only the fields it sends and keeps the
    /// rest, because the Go SDK's `TokenUpdateParams` makes every field optional: `Update` with
    /// only `Status` sends `{"status":"disabled"}`, where Python and TypeScript require both.
    pub async fn put_token(
        &self,
        caller: &Caller,
        id: &str,
        body: &Map<String, Value>,
        now: i64,
    ) -> Result<Value> {
        let spec = if body.contains_key("name") || body.contains_key("policies") {
            parse_spec(body)?
        } else {
            let old = token_json(&self.visible_token(&caller.principal, id).await?, now);
            let mut merged: Map<String, Value> =
                ["name", "policies", "condition", "not_before", "expires_on"]
                    .into_iter()
                    .filter_map(|k| old.get(k).map(|v| (k.to_owned(), v.clone())))
                    .collect();
            merged.extend(body.clone());
            parse_spec(&merged)?
        };
        self.update_token(caller, id, spec, now).await
    }

    /// Replaces a token's name, policies, condition and validity; `status` changes it only when sent.
    async fn update_token(
        &self,
        caller: &Caller,
        id: &str,
        spec: TokenSpec,
        now: i64,
    ) -> Result<Value> {
        let p = &caller.principal;
        let old = self.visible_token(p, id).await?;
        writable(p, &old)?;
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
        writable(p, &old)?;
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
        writable(p, &old)?;
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
        writable(p, &old)?;
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
}
