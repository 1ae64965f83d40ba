//! What a policy's `resources` name, how they are parsed, and which targets they cover.

use serde_json::{Map, Value};

use super::Target;

/// What a policy's `resources` name; `None` stands for `*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resource {
    /// `com.cloudflare.api.account.<id>: "*"`: the account and every zone in it.
    Account(Option<String>),
    /// `com.cloudflare.api.account.<id>: {zone keys}`: those zones of that account only.
    AccountZones(Option<String>, Vec<Option<String>>),
    /// `com.cloudflare.api.account.zone.<id>`.
    Zone(Option<String>),
    /// `com.cloudflare.api.user.<id>`: that user's tokens.
    User(Option<String>),
}

fn matches(pattern: &Option<String>, value: &str) -> bool {
    pattern.as_deref().is_none_or(|p| p == value)
}

impl Resource {
    pub(super) fn covers(&self, target: Target<'_>) -> bool {
        match (self, target) {
            (Self::Account(a), Target::Zone { account, .. })
            | (Self::Account(a), Target::Account(account))
            | (Self::Account(a), Target::Tokens { account, .. }) => matches(a, account),
            (Self::AccountZones(a, zones), Target::Zone { account, zone }) => {
                matches(a, account) && zones.iter().any(|z| matches(z, zone))
            }
            (Self::Zone(z), Target::Zone { zone, .. }) => matches(z, zone),
            (Self::User(u), Target::Tokens { owner, .. }) => match (u, owner) {
                (None, _) => true,
                (Some(u), Some(owner)) => u == owner,
                (Some(_), None) => false,
            },
            _ => false,
        }
    }
}

/// Parses one `resources` key (`com.cloudflare.api.account.zone.<id>` and the like).
pub fn parse_resource_key(key: &str) -> Option<Resource> {
    fn id(rest: &str) -> Option<Option<String>> {
        match rest {
            "*" => Some(None),
            "" => None,
            id if id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') => {
                Some(Some(id.to_ascii_lowercase()))
            }
            _ => None,
        }
    }
    if let Some(rest) = key.strip_prefix("com.cloudflare.api.account.zone.") {
        return id(rest).map(Resource::Zone);
    }
    if let Some(rest) = key.strip_prefix("com.cloudflare.api.account.") {
        return id(rest).map(Resource::Account);
    }
    if let Some(rest) = key.strip_prefix("com.cloudflare.api.user.") {
        return id(rest).map(Resource::User);
    }
    None
}

/// Parses a stored or sent `resources` object: keys as above, values `"*"`, or for an account an
/// object of zone keys (those zones of that account only). `Err` names the offending key.
pub fn parse_resources(map: &Map<String, Value>) -> Result<Vec<Resource>, String> {
    let mut out = Vec::new();
    for (key, value) in map {
        let resource = parse_resource_key(key).ok_or_else(|| key.clone())?;
        match (resource, value) {
            (r, Value::String(s)) if s == "*" => out.push(r),
            (Resource::Account(a), Value::Object(inner)) => {
                let mut zones = Vec::new();
                for (k, v) in inner {
                    match (parse_resource_key(k), v) {
                        (Some(Resource::Zone(z)), Value::String(s)) if s == "*" => zones.push(z),
                        _ => return Err(format!("{key}/{k}")),
                    }
                }
                out.push(Resource::AccountZones(a, zones));
            }
            _ => return Err(key.clone()),
        }
    }
    Ok(out)
}
