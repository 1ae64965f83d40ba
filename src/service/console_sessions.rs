//! Console sessions: signing in with an API token or a user's Global API Key opens a server-side
//! session; each request resolves it back to the principal of that credential, looked up again by
//! its stored hash, so the console sees and may do exactly what the credential may, and a token
//! rolled, disabled or deleted (a user disabled) ends its sessions at once.

use std::net::IpAddr;

use secrecy::{ExposeSecret, SecretString};
use subtle::ConstantTimeEq;

use super::audit::ResourceType;
use super::auth::{hash_secret, new_secret, Caller, Credentials, Interface, Principal};
use super::auth::{token_principal, PrincipalKind};
use super::secrets::same_hash;
use super::Services;
use crate::db::{sessions as repo, tokens, users};
use crate::error::{AuthFailure, Error, Result};
use crate::model::random_hex_id;

/// How long a session lasts after sign-in.
pub const SESSION_SECONDS: i64 = 8 * 3600;
/// Prefix of session ids, so a leaked cookie value is recognisable.
pub const SESSION_PREFIX: &str = "mtlscas_";

/// A session just opened: the id for the cookie (shown to nobody else, stored hashed).
pub struct OpenedSession {
    /// The cookie's value.
    pub id: SecretString,
    /// Unix seconds at which it ends.
    pub expires_at: i64,
}

/// The caller of a console request, and the CSRF token its changes must carry.
pub struct SessionCaller {
    /// Who, from where, through the console.
    pub caller: Caller,
    /// The session's CSRF token.
    pub csrf: String,
}

impl SessionCaller {
    /// True when `presented` is this session's CSRF token (compared in constant time).
    pub fn csrf_matches(&self, presented: &str) -> bool {
        !presented.is_empty() && bool::from(presented.as_bytes().ct_eq(self.csrf.as_bytes()))
    }
}

/// What a sign-in's audit entry is about: the token, or the user whose key it was.
fn signed_in_as(p: &Principal) -> ResourceType {
    match p.kind {
        PrincipalKind::Token(_) => ResourceType::Token,
        _ => ResourceType::User,
    }
}

fn ended() -> Error {
    Error::Unauthenticated(AuthFailure::Session)
}

impl Services {
    /// Signs in: checks the credential as the API would (validity window, IP condition), then
    /// stores a session that acts as it.
    pub async fn open_session(
        &self,
        creds: &Credentials,
        ip: Option<IpAddr>,
        now: i64,
    ) -> Result<OpenedSession> {
        let principal = self.authenticate(creds, now).await?;
        self.admit(&principal, ip, now)?;
        let (credential, credential_hash, email) = match creds {
            Credentials::Token(secret) => ("token", hash_secret(secret.expose_secret()), ""),
            Credentials::Key { email, key } => {
                ("key", hash_secret(key.expose_secret()), email.as_str())
            }
        };
        let resource = signed_in_as(&principal);
        let caller = Caller {
            principal,
            ip,
            interface: Interface::Console,
        };
        let audit = caller.audit("login", resource, &caller.principal.id, None, None, now);
        let id = new_secret(SESSION_PREFIX);
        let row = repo::SessionRow {
            id_hash: hash_secret(id.expose_secret()),
            account_id: caller.principal.account_id.clone(),
            credential: credential.to_owned(),
            credential_hash,
            email: email.to_owned(),
            csrf_token: random_hex_id(),
            created_at: now,
            expires_at: now + SESSION_SECONDS,
        };
        repo::insert(&self.db, &row, &audit).await?;
        Ok(OpenedSession {
            id,
            expires_at: row.expires_at,
        })
    }

    /// The caller a session cookie stands for, checked as its credential is on every API request.
    pub async fn session_caller(
        &self,
        id: &str,
        ip: Option<IpAddr>,
        now: i64,
    ) -> Result<SessionCaller> {
        let row = repo::find(&self.db, &hash_secret(id), now)
            .await?
            .ok_or_else(ended)?;
        let principal = self.session_principal(&row).await?;
        self.admit(&principal, ip, now)?;
        self.check_rate(&principal)?;
        Ok(SessionCaller {
            caller: Caller {
                principal,
                ip,
                interface: Interface::Console,
            },
            csrf: row.csrf_token,
        })
    }

    async fn session_principal(&self, row: &repo::SessionRow) -> Result<Principal> {
        match row.credential.as_str() {
            "token" => {
                let token = tokens::find_by_hash(&self.db, &row.credential_hash)
                    .await?
                    .filter(|t| same_hash(&t.token.secret_hash, &row.credential_hash))
                    .ok_or_else(ended)?;
                token_principal(token).map_err(|e| match e {
                    Error::Unauthenticated(_) => ended(),
                    other => other,
                })
            }
            _ => match users::find_by_email(&self.db, &row.email).await? {
                Some(u) if same_hash(&u.key_hash, &row.credential_hash) && !u.disabled => {
                    Ok(Principal {
                        id: u.id,
                        account_id: u.account_id,
                        kind: PrincipalKind::User { email: u.email },
                    })
                }
                _ => Err(ended()),
            },
        }
    }

    /// Signs out: the session is gone, whatever its cookie says later; the audit log says who
    /// signed out (`caller`, the session's own caller).
    pub async fn close_session(&self, caller: &Caller, id: &str, now: i64) -> Result<()> {
        let resource = signed_in_as(&caller.principal);
        let audit = caller.audit("logout", resource, &caller.principal.id, None, None, now);
        repo::delete(&self.db, &hash_secret(id), &audit).await?;
        Ok(())
    }
}
