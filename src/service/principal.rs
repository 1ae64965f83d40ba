//! Who a request acts as: a user's Global API Key, an API token with its policies, or the CLI's
//! operator; and the caller of one request (principal, client address, interface).

use std::net::IpAddr;
use std::sync::Arc;

use crate::model::condition::Condition;
use crate::model::policy::{self, PermissionGroup, Policy, Rights, Target};

/// A token as authentication found it.
#[derive(Debug, Clone)]
pub struct TokenGrant {
    /// The user who made it (`None`: the CLI).
    pub owner: Option<String>,
    /// The owner's email, `""` when none.
    pub owner_email: String,
    /// Its policies.
    pub policies: Vec<Policy>,
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
    Token(Arc<TokenGrant>),
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

    /// The rights held over the tokens of `owner` (`None`: the tokens the CLI made).
    pub fn token_rights(&self, owner: Option<&str>) -> Rights {
        self.rights(Target::Tokens {
            account: &self.account_id,
            owner,
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
