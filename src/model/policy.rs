//! Cloudflare's token model: six permission groups, allow and deny policies over resources, and the
//! rights they add up to on a zone, on the account or on a user's tokens. Pure values: parsing from
//! the API's JSON lives in `service::policy_input`, storage in `db::tokens`.

use serde_json::{Map, Value};

/// The permission groups a token policy may name (ids as at Cloudflare).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PermissionGroup {
    /// GET on client certificates.
    SslRead,
    /// Everything on client certificates.
    SslWrite,
    /// Read zones.
    ZoneRead,
    /// Create and delete zones.
    ZoneWrite,
    /// Read API tokens.
    TokensRead,
    /// Create, change, roll and delete API tokens.
    TokensWrite,
}

impl PermissionGroup {
    /// Every group, in the order the permission-groups endpoint lists them.
    pub const ALL: [Self; 6] = [
        Self::SslRead,
        Self::SslWrite,
        Self::ZoneRead,
        Self::ZoneWrite,
        Self::TokensRead,
        Self::TokensWrite,
    ];

    /// Cloudflare's id of the group.
    pub fn id(self) -> &'static str {
        match self {
            Self::SslRead => "7b7216b327b04b8fbc8f524e1f9b7531",
            Self::SslWrite => "c03055bc037c4ea9afb9a9f104b7b721",
            Self::ZoneRead => "c8fed203ed3043cba015a93ad1616f1f",
            Self::ZoneWrite => "e6d2666161e84845a636613608cee8d5",
            Self::TokensRead => "0cc3a61731504c89b99ec1be78b77aa0",
            Self::TokensWrite => "686d18d5ac6c441c867cbf6771e58a0a",
        }
    }

    /// The fixed name.
    pub fn name(self) -> &'static str {
        match self {
            Self::SslRead => "SSL and Certificates Read",
            Self::SslWrite => "SSL and Certificates Write",
            Self::ZoneRead => "Zone Read",
            Self::ZoneWrite => "Zone Write",
            Self::TokensRead => "API Tokens Read",
            Self::TokensWrite => "API Tokens Write",
        }
    }

    /// The resource kind it applies to, as the permission-groups endpoint says.
    pub fn scope(self) -> &'static str {
        match self {
            Self::TokensRead | Self::TokensWrite => "com.cloudflare.api.user",
            _ => "com.cloudflare.api.account.zone",
        }
    }

    /// The group with this id.
    pub fn by_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|g| g.id() == id)
    }

    /// The group with this name (case-insensitive).
    pub fn by_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|g| g.name().eq_ignore_ascii_case(name.trim()))
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }

    /// What an allow of this group grants: a write group also reads.
    fn grants(self) -> Rights {
        Rights(
            self.bit()
                | match self {
                    Self::SslWrite => Self::SslRead.bit(),
                    Self::ZoneWrite => Self::ZoneRead.bit(),
                    Self::TokensWrite => Self::TokensRead.bit(),
                    _ => 0,
                },
        )
    }

    /// What a deny of this group takes away: denying a read group denies its write group too.
    fn denies(self) -> Rights {
        Rights(
            self.bit()
                | match self {
                    Self::SslRead => Self::SslWrite.bit(),
                    Self::ZoneRead => Self::ZoneWrite.bit(),
                    Self::TokensRead => Self::TokensWrite.bit(),
                    _ => 0,
                },
        )
    }
}

/// A set of permission groups held on one target.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rights(u8);

impl Rights {
    /// Every group (a Global API Key, the CLI).
    pub const ALL: Rights = Rights(0b11_1111);

    /// True when the group is held.
    pub fn has(self, group: PermissionGroup) -> bool {
        self.0 & group.bit() != 0
    }

    /// What both hold.
    pub fn intersect(self, other: Rights) -> Rights {
        Rights(self.0 & other.0)
    }

    /// True when nothing is held.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

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

fn matches(pattern: &Option<String>, value: &str) -> bool {
    pattern.as_deref().is_none_or(|p| p == value)
}

impl Resource {
    fn covers(&self, target: Target<'_>) -> bool {
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

/// The zones the policies name explicitly (for listing what a scoped token may see), and whether
/// some policy covers every zone of `account`.
pub fn named_zones(policies: &[Policy], account: &str) -> (bool, Vec<String>) {
    let mut every = false;
    let mut zones = Vec::new();
    for p in policies.iter().filter(|p| p.effect == Effect::Allow) {
        for r in &p.resources {
            match r {
                Resource::Account(a) if matches(a, account) => every = true,
                Resource::Zone(None) => every = true,
                Resource::Zone(Some(z)) => zones.push(z.clone()),
                Resource::AccountZones(a, zs) if matches(a, account) => {
                    for z in zs {
                        match z {
                            Some(z) => zones.push(z.clone()),
                            None => every = true,
                        }
                    }
                }
                _ => {}
            }
        }
    }
    (every, zones)
}

/// The policy wire form: `{id, effect, permission_groups: [{id, name}], resources}`.
pub fn policy_json(p: &Policy) -> Value {
    serde_json::json!({
        "id": p.id,
        "effect": p.effect.as_str(),
        "permission_groups": p.groups.iter().map(|g| serde_json::json!({"id": g.id(), "name": g.name()})).collect::<Vec<_>>(),
        "resources": Value::Object(p.resources_json.clone()),
    })
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

/// Parses stored policies (written by this service, so any error is a bug worth reporting).
pub fn parse_stored(json: &str) -> Result<Vec<Policy>, String> {
    let value: Value = serde_json::from_str(json).map_err(|e| e.to_string())?;
    let Value::Array(items) = value else {
        return Err("policies are not an array".into());
    };
    items
        .iter()
        .map(|item| {
            let id = item["id"].as_str().unwrap_or_default().to_owned();
            let effect = match item["effect"].as_str() {
                Some("allow") => Effect::Allow,
                Some("deny") => Effect::Deny,
                other => return Err(format!("policy {id}: effect {other:?}")),
            };
            let groups = item["permission_groups"]
                .as_array()
                .map(|gs| {
                    gs.iter()
                        .filter_map(|g| g["id"].as_str().and_then(PermissionGroup::by_id))
                        .collect()
                })
                .unwrap_or_default();
            let resources_json = item["resources"].as_object().cloned().unwrap_or_default();
            let resources = parse_resources(&resources_json)
                .map_err(|k| format!("policy {id}: resource {k}"))?;
            Ok(Policy {
                id,
                effect,
                groups,
                resources,
                resources_json,
            })
        })
        .collect()
}

/// Serialises policies for storage (the wire form).
pub fn to_stored(policies: &[Policy]) -> String {
    Value::Array(policies.iter().map(policy_json).collect()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn policy(effect: Effect, groups: &[PermissionGroup], resources: Value) -> Policy {
        let resources_json = resources.as_object().cloned().unwrap_or_default();
        Policy {
            id: "p".into(),
            effect,
            groups: groups.to_vec(),
            resources: parse_resources(&resources_json).expect("resources"),
            resources_json,
        }
    }

    const A: &str = "acc";
    fn zone(z: &str) -> Target<'_> {
        Target::Zone {
            account: A,
            zone: z,
        }
    }

    #[test]
    fn a_zone_policy_grants_on_that_zone_only_and_write_implies_read() {
        use PermissionGroup::*;
        let ps = [policy(
            Effect::Allow,
            &[SslWrite],
            json!({"com.cloudflare.api.account.zone.z1": "*"}),
        )];
        let r = rights(&ps, zone("z1"));
        assert!(r.has(SslWrite) && r.has(SslRead) && !r.has(ZoneRead));
        assert!(rights(&ps, zone("z2")).is_empty());
        assert!(rights(&ps, Target::Account(A)).is_empty());
    }

    #[test]
    fn deny_takes_away_and_denying_read_denies_write() {
        use PermissionGroup::*;
        let ps = [
            policy(
                Effect::Allow,
                &[SslWrite, ZoneRead],
                json!({"com.cloudflare.api.account.acc": "*"}),
            ),
            policy(
                Effect::Deny,
                &[SslRead],
                json!({"com.cloudflare.api.account.zone.z2": "*"}),
            ),
        ];
        let r1 = rights(&ps, zone("z1"));
        assert!(r1.has(SslWrite) && r1.has(ZoneRead));
        let r2 = rights(&ps, zone("z2"));
        assert!(!r2.has(SslRead) && !r2.has(SslWrite) && r2.has(ZoneRead));
        assert!(rights(&ps, Target::Account(A)).has(SslWrite));
        assert!(rights(
            &ps,
            Target::Zone {
                account: "other",
                zone: "z1"
            }
        )
        .is_empty());
    }

    #[test]
    fn nested_account_resources_cover_the_zones_named_only() {
        use PermissionGroup::*;
        let ps = [policy(
            Effect::Allow,
            &[ZoneRead],
            json!({"com.cloudflare.api.account.acc": {"com.cloudflare.api.account.zone.z1": "*"}}),
        )];
        assert!(rights(&ps, zone("z1")).has(ZoneRead));
        assert!(rights(&ps, zone("z2")).is_empty());
        assert!(rights(&ps, Target::Account(A)).is_empty());
        assert_eq!(named_zones(&ps, A), (false, vec!["z1".to_owned()]));
    }

    #[test]
    fn token_groups_apply_to_the_owner_named() {
        use PermissionGroup::*;
        let ps = [policy(
            Effect::Allow,
            &[TokensWrite],
            json!({"com.cloudflare.api.user.u1": "*"}),
        )];
        let mine = Target::Tokens {
            account: A,
            owner: Some("u1"),
        };
        let theirs = Target::Tokens {
            account: A,
            owner: Some("u2"),
        };
        assert!(rights(&ps, mine).has(TokensRead));
        assert!(rights(&ps, theirs).is_empty());
        assert!(rights(&ps, zone("z1")).is_empty());
        let account_wide = [policy(
            Effect::Allow,
            &[TokensRead, SslRead],
            json!({"com.cloudflare.api.account.acc": "*"}),
        )];
        let on_zone = rights(&account_wide, zone("z1"));
        assert!(
            on_zone.has(SslRead) && !on_zone.has(TokensRead),
            "token groups are not zone rights"
        );
        let on_tokens = rights(&account_wide, mine);
        assert!(on_tokens.has(TokensRead) && !on_tokens.has(SslRead));
    }

    #[test]
    fn resources_and_stored_policies_round_trip() {
        assert!(parse_resources(json!({"com.example": "*"}).as_object().unwrap()).is_err());
        assert!(parse_resources(
            json!({"com.cloudflare.api.account.zone.z1": "read"})
                .as_object()
                .unwrap()
        )
        .is_err());
        let ps = vec![policy(
            Effect::Deny,
            &[PermissionGroup::ZoneWrite],
            json!({"com.cloudflare.api.account.zone.*": "*"}),
        )];
        assert_eq!(parse_stored(&to_stored(&ps)).expect("parses"), ps);
        for g in PermissionGroup::ALL {
            assert_eq!(PermissionGroup::by_id(g.id()), Some(g));
            assert_eq!(PermissionGroup::by_name(&g.name().to_uppercase()), Some(g));
        }
    }
}
