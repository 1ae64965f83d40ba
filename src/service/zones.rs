//! Zones as Cloudflare's `/zones` has them: create, list (filter by name and account, paged), read,
//! delete (refused while the zone has a certificate that is not revoked). Zone Read sees, Zone
//! Write changes; a token sees only the zones its policies name.

use serde_json::{json, Value};

use super::audit::ResourceType;
use super::auth::{Caller, Principal};
use super::{Services, DEFAULT_ACCOUNT};
use crate::clock::rfc3339;
use crate::db::accounts;
use crate::db::zones::{self, ZoneDeletion, ZoneRow};
use crate::db::DbError;
use crate::error::{codes, Error, Result};
use crate::model::policy::PermissionGroup;
use crate::model::ZoneId;

/// Cloudflare's zone object, with plain values where mtls-ca has no such notion. The services
/// serve the account named [`DEFAULT_ACCOUNT`], so that is the account's name.
pub fn zone_json(row: &ZoneRow, account_name: &str) -> Value {
    json!({
        "id": row.id,
        "name": row.name,
        "status": "active",
        "paused": false,
        "type": "full",
        "development_mode": 0,
        "name_servers": [],
        "original_name_servers": [],
        "original_registrar": null,
        "original_dnshost": null,
        "vanity_name_servers": [],
        "permissions": [],
        "account": {"id": row.account_id, "name": account_name},
        "owner": {"id": row.account_id, "name": account_name, "type": "organization"},
        "plan": {"id": "mtls-ca", "name": "mtls-ca", "price": 0, "currency": "USD", "frequency": "",
                 "is_subscribed": true, "can_subscribe": false, "legacy_id": "mtls-ca",
                 "legacy_discount": false, "externally_managed": false},
        "meta": {"step": 4, "custom_certificate_quota": 0, "page_rule_quota": 0,
                 "phishing_detected": false, "cdn_only": false, "dns_only": false, "foundation_dns": false},
        "activated_on": rfc3339(row.created_at),
        "created_on": rfc3339(row.created_at),
        "modified_on": rfc3339(row.modified_at),
    })
}

/// True when the principal may see the zone (any right on it).
fn sees(p: &Principal, zone: &str) -> bool {
    !p.zone_rights(zone).is_empty()
}

fn check_name(name: &str) -> Result<String> {
    let name = name.trim();
    if name.is_empty()
        || name.len() > 253
        || name.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(Error::invalid(
            codes::INVALID_NAME,
            format!("{name:?} is not a valid zone name"),
            Some("/name"),
        ));
    }
    Ok(name.to_owned())
}

impl Services {
    /// Creates a zone named `name` (unique in the account); needs Zone Write over the account.
    pub async fn create_zone(&self, caller: &Caller, name: &str, now: i64) -> Result<ZoneRow> {
        let p = &caller.principal;
        if !p.has_on_account(PermissionGroup::ZoneWrite) {
            return Err(Error::Forbidden);
        }
        let name = check_name(name)?;
        let row = ZoneRow {
            id: ZoneId::generate().to_string(),
            account_id: p.account_id.clone(),
            name: name.clone(),
            created_at: now,
            modified_at: now,
        };
        let view = zone_json(&row, DEFAULT_ACCOUNT);
        let audit = caller.audit("create", ResourceType::Zone, &row.id, None, Some(view), now);
        match zones::insert_zone(&self.db, &row, &audit).await {
            Ok(()) => Ok(row),
            Err(DbError::UniqueViolation) => Err(Error::invalid(
                codes::INVALID_NAME,
                format!("a zone named {name} exists already"),
                Some("/name"),
            )),
            Err(e) => Err(e.into()),
        }
    }

    /// The zones the caller may see, oldest first (only the one named `name`, when given).
    pub async fn list_zones(&self, caller: &Caller, name: Option<&str>) -> Result<Vec<ZoneRow>> {
        let p = &caller.principal;
        Ok(zones::list_zones(&self.db, &p.account_id, name)
            .await?
            .into_iter()
            .filter(|z| sees(p, &z.id))
            .collect())
    }

    /// The zones as API objects.
    pub fn zone_views(&self, rows: &[ZoneRow]) -> Vec<Value> {
        rows.iter().map(|r| zone_json(r, DEFAULT_ACCOUNT)).collect()
    }

    /// One zone; 403 outside the caller's rights, 404 when it does not exist.
    pub async fn get_zone(&self, caller: &Caller, zone: &ZoneId) -> Result<Value> {
        let p = &caller.principal;
        if !sees(p, zone.as_str()) {
            return Err(Error::Forbidden);
        }
        match zones::find_zone(&self.db, &p.account_id, zone.as_str()).await? {
            Some(row) => Ok(zone_json(&row, DEFAULT_ACCOUNT)),
            None => Err(Error::NotFound),
        }
    }

    /// Deletes a zone; needs Zone Write on it. Returns `{id}`. A zone whose certificates are all
    /// revoked or pending revocation is deleted too (Terraform destroys a zone after revoking its
    /// certificates): they stay stored, in the CRL and in OCSP, and leave the API with the zone.
    /// One with a certificate that is active or pending reactivation is refused.
    pub async fn delete_zone(&self, caller: &Caller, zone: &ZoneId, now: i64) -> Result<Value> {
        let p = &caller.principal;
        if !p.zone_rights(zone.as_str()).has(PermissionGroup::ZoneWrite) {
            return Err(Error::Forbidden);
        }
        let old = zones::find_zone(&self.db, &p.account_id, zone.as_str())
            .await?
            .ok_or(Error::NotFound)?;
        let view = zone_json(&old, DEFAULT_ACCOUNT);
        let audit = caller.audit("delete", ResourceType::Zone, &old.id, Some(view), None, now);
        match zones::delete_zone(&self.db, &p.account_id, zone.as_str(), now, &audit).await? {
            ZoneDeletion::Deleted | ZoneDeletion::Retired(_) => {
                if let Some(cache) = &self.auth_cache {
                    cache.forget_zone(zone.as_str());
                }
                Ok(json!({ "id": old.id }))
            }
            ZoneDeletion::Missing => Err(Error::NotFound),
            ZoneDeletion::HasLiveCertificates(n) => Err(Error::invalid(
                codes::ZONE_NOT_EMPTY,
                format!(
                    "zone {} still has {n} client certificate(s) that are active or pending \
                     reactivation; revoke them first (certificates are never deleted: a zone whose \
                     certificates are all revoked is deleted, and they stay revoked)",
                    old.name
                ),
                None,
            )),
        }
    }

    /// The caller's accounts (the one it belongs to) as Cloudflare's account objects.
    pub async fn list_accounts(&self, caller: &Caller) -> Result<Vec<Value>> {
        Ok(vec![
            self.get_account(caller, &caller.principal.account_id)
                .await?,
        ])
    }

    /// The caller's account; any other id is unknown (404).
    pub async fn get_account(&self, caller: &Caller, id: &str) -> Result<Value> {
        if id != caller.principal.account_id {
            return Err(Error::NotFound);
        }
        let row = accounts::find_account(&self.db, id)
            .await?
            .ok_or(Error::NotFound)?;
        Ok(json!({
            "id": row.id,
            "name": row.name,
            "type": "standard",
            "created_on": rfc3339(row.created_at),
            "settings": {"enforce_twofactor": false, "abuse_contact_email": null},
        }))
    }
}
