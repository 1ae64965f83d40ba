//! Cloudflare's token model: six permission groups, allow and deny policies over resources, and the
//! rights they add up to on a zone, on the account or on a user's tokens. Pure values: parsing from
//! the API's JSON lives in `service::token_input`, storage in `db::tokens`.

mod groups;
mod resources;
mod stored;

use serde_json::{Map, Value};

pub use groups::{PermissionGroup, Rights};
pub use resources::{parse_resource_key, parse_resources, Resource};
pub use stored::{parse_stored, policy_json, to_stored};

/// Allow or deny.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// Adds the groups over the resources.
    Allow,
    /// Takes them away again.
    Deny,
}

impl Effect {
    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Allow => "allow",
            Self::Deny => "deny",
        }
    }
}

/// One policy of a token.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// 32 hex.
    pub id: String,
    /// Allow or deny.
    pub effect: Effect,
    /// The groups it names.
    pub groups: Vec<PermissionGroup>,
    /// What they apply to, parsed.
    pub resources: Vec<Resource>,
    /// The `resources` object as it was sent, answered back unchanged.
    pub resources_json: Map<String, Value>,
}

/// What a request acts on.
#[derive(Debug, Clone, Copy)]
pub enum Target<'a> {
    /// A zone of an account.
    Zone {
        /// The zone's account.
        account: &'a str,
        /// The zone.
        zone: &'a str,
    },
    /// The account as a whole (creating zones, listing every zone).
    Account(&'a str),
    /// The tokens of a user (`None`: the tokens the CLI made, which belong to the account).
    Tokens {
        /// The account of the tokens.
        account: &'a str,
        /// Their owner.
        owner: Option<&'a str>,
    },
}

/// The rights the policies add up to on `target`: the union of the allow policies that cover it,
/// minus the union of the deny policies that cover it.
pub fn rights(policies: &[Policy], target: Target<'_>) -> Rights {
    let mut allowed = 0u8;
    let mut denied = 0u8;
    for p in policies {
        if !p.resources.iter().any(|r| r.covers(target)) {
            continue;
        }
        for g in &p.groups {
            match p.effect {
                Effect::Allow => allowed |= g.grants().0,
                Effect::Deny => denied |= g.denies().0,
            }
        }
    }
    // Token groups apply to tokens only; SSL and zone groups to zones and the account.
    let applicable = match target {
        Target::Tokens { .. } => {
            PermissionGroup::TokensRead.bit() | PermissionGroup::TokensWrite.bit()
        }
        _ => !(PermissionGroup::TokensRead.bit() | PermissionGroup::TokensWrite.bit()),
    };
    Rights(allowed & !denied & applicable)
}

#[cfg(test)]
mod tests;
