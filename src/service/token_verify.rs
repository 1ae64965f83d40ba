//! `GET /user/tokens/verify`: what the presented token is, whatever its state.

use std::net::IpAddr;

use secrecy::SecretString;
use serde_json::{json, Value};

use super::auth::{grant_of, token_by_secret, PrincipalKind};
use super::token_view::status;
use super::Services;
use crate::clock::rfc3339;
use crate::error::{AuthFailure, Error, Result};

impl Services {
    /// `GET /user/tokens/verify`: the presented token's id and status. A disabled or expired
    /// token is answered with its status; the IP condition and `not_before` still apply.
    pub async fn verify_token(
        &self,
        secret: &SecretString,
        ip: Option<IpAddr>,
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
        let principal = grant_of(row)?;
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
