//! Users with a Global API Key (made and managed by the CLI and the console): create, list, disable, enable. The
//! key is returned once; only its hash is stored. Disabling a user also stops its tokens.

use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Value};

use super::audit::ResourceType;
use super::auth::{hash_secret, is_plausible_email, new_secret, Caller, KEY_PREFIX};
use super::auth::{Principal, PrincipalKind};
use super::Services;
use crate::clock::rfc3339;
use crate::db::users::{self as repo, UserRow};
use crate::db::DbError;
use crate::error::{codes, Error, Result};
use crate::model::random_hex_id;

/// The user object (never the key).
pub fn user_json(u: &UserRow) -> Value {
    json!({
        "id": u.id,
        "email": u.email,
        "status": if u.disabled { "disabled" } else { "active" },
        "created_on": rfc3339(u.created_at),
        "modified_on": rfc3339(u.modified_at),
    })
}

/// True when `p` may see and administer users: a user's Global API Key or the CLI, which hold
/// everything in the account; never a token (tokens cannot name users in their policies).
pub fn administers_users(p: &Principal) -> bool {
    matches!(p.kind, PrincipalKind::User { .. } | PrincipalKind::Operator)
}

impl Services {
    /// Creates a user with a Global API Key (everything in the account). Returns the key once.
    pub async fn create_user(
        &self,
        caller: &Caller,
        email: &str,
        now: i64,
    ) -> Result<SecretString> {
        if !administers_users(&caller.principal) {
            return Err(Error::Forbidden);
        }
        let email = email.trim();
        if !is_plausible_email(email) {
            return Err(Error::invalid(
                codes::MISSING_FIELD,
                format!("{email:?} is not an email address"),
                Some("/email"),
            ));
        }
        let key = new_secret(KEY_PREFIX);
        let row = UserRow {
            id: random_hex_id(),
            account_id: caller.principal.account_id.clone(),
            email: email.to_owned(),
            key_hash: hash_secret(key.expose_secret()),
            disabled: false,
            created_at: now,
            modified_at: now,
        };
        let audit = caller.audit(
            "create",
            ResourceType::User,
            &row.id,
            None,
            Some(user_json(&row)),
            now,
        );
        match repo::insert(&self.db, &row, &audit).await {
            Ok(()) => Ok(key),
            Err(DbError::UniqueViolation) => Err(Error::invalid(
                codes::MISSING_FIELD,
                format!("a user with email {email} exists already"),
                Some("/email"),
            )),
            Err(e) => Err(e.into()),
        }
    }

    /// The account's users.
    pub async fn list_users(&self, caller: &Caller) -> Result<Vec<UserRow>> {
        if !administers_users(&caller.principal) {
            return Err(Error::Forbidden);
        }
        Ok(repo::list(&self.db, &caller.principal.account_id).await?)
    }

    /// Disables or enables the user with this email (case-insensitive). Returns the user as it is.
    pub async fn set_user_disabled(
        &self,
        caller: &Caller,
        email: &str,
        disabled: bool,
        now: i64,
    ) -> Result<UserRow> {
        if !administers_users(&caller.principal) {
            return Err(Error::Forbidden);
        }
        let old = match repo::find_by_email(&self.db, email).await? {
            Some(u) if u.account_id == caller.principal.account_id => u,
            _ => return Err(Error::NotFound),
        };
        let new = UserRow {
            disabled,
            modified_at: now,
            ..old.clone()
        };
        if old.disabled == disabled {
            return Ok(old);
        }
        let action = if disabled { "disable" } else { "enable" };
        let audit = caller.audit(
            action,
            ResourceType::User,
            &old.id,
            Some(user_json(&old)),
            Some(user_json(&new)),
            now,
        );
        repo::set_disabled(&self.db, &old.id, disabled, now, &audit).await?;
        self.forget_credentials();
        Ok(new)
    }
}
