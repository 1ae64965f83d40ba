//! What a principal may do, as the console's navigation and buttons need to know it (the services
//! check every action anyway: a button left out is a courtesy, not the control).

use super::auth::Caller;
use super::users::administers_users;
use super::Services;
use crate::error::Result;
use crate::model::policy::PermissionGroup;

/// The console's view of a caller's rights.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Abilities {
    /// Zones whose certificates it may read: `(id, name, may write)`.
    pub zones: Vec<(String, String, bool)>,
    /// May create zones (Zone Write over the account).
    pub create_zones: bool,
    /// May see tokens (API Tokens Read over its owner's tokens).
    pub tokens: bool,
    /// May change tokens.
    pub write_tokens: bool,
    /// May see and administer users.
    pub users: bool,
}

impl Abilities {
    /// May issue in some zone.
    pub fn issue(&self) -> bool {
        self.zones.iter().any(|(_, _, w)| *w)
    }

    /// May change certificates of `zone`.
    pub fn writes(&self, zone: &str) -> bool {
        self.zones.iter().any(|(id, _, w)| id == zone && *w)
    }

    /// The name of a zone it may read.
    pub fn zone_name(&self, zone: &str) -> Option<&str> {
        self.zones
            .iter()
            .find(|(id, _, _)| id == zone)
            .map(|(_, n, _)| n.as_str())
    }
}

impl Services {
    /// The caller's abilities.
    pub async fn abilities(&self, caller: &Caller) -> Result<Abilities> {
        let p = &caller.principal;
        let zones = self
            .list_zones(caller, None)
            .await?
            .into_iter()
            .filter_map(|z| {
                let rights = p.zone_rights(&z.id);
                rights.has(PermissionGroup::SslRead).then(|| {
                    let write = rights.has(PermissionGroup::SslWrite);
                    (z.id, z.name, write)
                })
            })
            .collect();
        let tokens = p.token_rights(p.token_owner());
        Ok(Abilities {
            zones,
            create_zones: p.has_on_account(PermissionGroup::ZoneWrite),
            tokens: tokens.has(PermissionGroup::TokensRead),
            write_tokens: tokens.has(PermissionGroup::TokensWrite),
            users: administers_users(p),
        })
    }
}
