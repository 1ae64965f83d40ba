//! Admin use cases for credentials: API tokens with their zone scope, and users with a Global
//! API Key. The secret is returned once; only its hash is stored.

use secrecy::{ExposeSecret, SecretString};

use super::auth::{hash_secret, is_plausible_email, new_secret, KEY_PREFIX, TOKEN_PREFIX};
use super::Services;
use crate::db::{credentials, zones, DbError};
use crate::error::{Error, Result};
use crate::model::{random_hex_id, Permission, ZoneId};

impl Services {
    /// Creates an API token; `zones` empty means every zone of the account. Returns the secret once.
    pub async fn create_token(
        &self,
        name: &str,
        permission: Permission,
        zone_ids: &[ZoneId],
        now: i64,
    ) -> Result<SecretString> {
        if name.trim().is_empty() {
            return Err(Error::invalid(
                1401,
                "the token needs a name",
                Some("/name"),
            ));
        }
        for z in zone_ids {
            match zones::find_zone(&self.db, z.as_str()).await? {
                Some(row) if row.account_id == self.account_id.as_str() => {}
                _ => return Err(Error::NotFound),
            }
        }
        let secret = new_secret(TOKEN_PREFIX);
        let row = credentials::TokenRow {
            id: random_hex_id(),
            account_id: self.account_id.to_string(),
            name: name.to_owned(),
            secret_hash: hash_secret(secret.expose_secret()),
            permission: permission.as_str().to_owned(),
            all_zones: zone_ids.is_empty(),
            disabled: false,
            created_at: now,
        };
        let ids: Vec<String> = zone_ids.iter().map(|z| z.to_string()).collect();
        credentials::insert_token(&self.db, &row, &ids).await?;
        Ok(secret)
    }

    /// Creates a user with a Global API Key (write on every zone). Returns the key once.
    pub async fn create_user(&self, email: &str, now: i64) -> Result<SecretString> {
        if !is_plausible_email(email) {
            return Err(Error::invalid(
                1401,
                format!("{email:?} is not an email address"),
                Some("/email"),
            ));
        }
        let key = new_secret(KEY_PREFIX);
        let row = credentials::UserRow {
            id: random_hex_id(),
            account_id: self.account_id.to_string(),
            email: email.to_owned(),
            key_hash: hash_secret(key.expose_secret()),
            disabled: false,
            created_at: now,
        };
        match credentials::insert_user(&self.db, &row).await {
            Ok(()) => Ok(key),
            Err(DbError::UniqueViolation) => Err(Error::invalid(
                1401,
                format!("a user with email {email} exists already"),
                Some("/email"),
            )),
            Err(e) => Err(e.into()),
        }
    }
}
