//! Who may see and change which tokens, and what a new token may be given: a token sees only its
//! owner's tokens, needs API Tokens Read/Write over them, and nobody grants rights they lack.

use super::auth::{Principal, PrincipalKind};
use super::Services;
use crate::db::tokens::TokenRow;
use crate::db::zones;
use crate::error::{codes, Error, Result};
use crate::model::policy::{Effect, PermissionGroup, Policy, Resource, Rights, Target};

/// True when `p` may see the token: a user or the CLI sees every token of the account; a token sees
/// those of its own owner, with API Tokens Read over them.
pub(super) fn visible(p: &Principal, row: &TokenRow) -> bool {
    row.account_id == p.account_id
        && match &p.kind {
            PrincipalKind::User { .. } | PrincipalKind::Operator => true,
            PrincipalKind::Token(t) => {
                row.owner_user_id == t.owner
                    && p.token_rights(t.owner.as_deref())
                        .has(PermissionGroup::TokensRead)
            }
        }
}

/// Checks that `p` holds every group of every allow policy over every resource it names.
pub(super) fn check_within_rights(p: &Principal, policies: &[Policy]) -> Result<()> {
    let account = p.account_id.as_str();
    for (i, pol) in policies.iter().enumerate() {
        if pol.effect == Effect::Deny {
            continue;
        }
        for r in &pol.resources {
            let rights = match r {
                Resource::Zone(Some(z)) => p.zone_rights(z),
                Resource::AccountZones(_, zs) if zs.iter().all(Option::is_some) => zs
                    .iter()
                    .flatten()
                    .fold(Rights::ALL, |held, z| held.intersect(p.zone_rights(z))),
                Resource::User(u) => p.token_rights(u.as_deref().or(p.token_owner())),
                _ => p.rights(Target::Account(account)),
            };
            if let Some(g) = pol.groups.iter().find(|g| !rights.has(**g)) {
                return Err(Error::invalid(
                    codes::RIGHTS_EXCEEDED,
                    format!(
                        "a token cannot be given {} over resources its maker does not hold it on",
                        g.name()
                    ),
                    Some(&format!("/policies/{i}")),
                ));
            }
        }
    }
    Ok(())
}

/// Whether the principal may look at tokens at all.
pub(super) fn visible_any(p: &Principal) -> bool {
    match &p.kind {
        PrincipalKind::User { .. } | PrincipalKind::Operator => true,
        PrincipalKind::Token(t) => p
            .token_rights(t.owner.as_deref())
            .has(PermissionGroup::TokensRead),
    }
}

/// Checks that `p` may change the token.
pub(super) fn writable(p: &Principal, row: &TokenRow) -> Result<()> {
    if p.token_rights(row.owner_user_id.as_deref())
        .has(PermissionGroup::TokensWrite)
    {
        Ok(())
    } else {
        Err(Error::Forbidden)
    }
}

impl Services {
    /// Checks the resources name this account and its zones.
    pub(super) async fn check_resources(&self, policies: &[Policy]) -> Result<()> {
        let account = self.account_id.as_str();
        for (i, pol) in policies.iter().enumerate() {
            let at = format!("/policies/{i}/resources");
            for r in &pol.resources {
                let (acct, zone_ids): (Option<&String>, Vec<&String>) = match r {
                    Resource::Account(a) => (a.as_ref(), Vec::new()),
                    Resource::AccountZones(a, zs) => (a.as_ref(), zs.iter().flatten().collect()),
                    Resource::Zone(z) => (None, z.iter().collect()),
                    Resource::User(_) => (None, Vec::new()),
                };
                if acct.is_some_and(|a| a != account) {
                    return Err(Error::invalid(
                        codes::INVALID_ACCOUNT,
                        format!("the account in the resources is not this account ({account})"),
                        Some(&at),
                    ));
                }
                for z in zone_ids {
                    match zones::find_zone(&self.db, account, z).await? {
                        Some(_) => {}
                        None => {
                            return Err(Error::invalid(
                                codes::INVALID_POLICY,
                                format!("no zone {z} in this account"),
                                Some(&at),
                            ))
                        }
                    }
                }
            }
        }
        Ok(())
    }
}
