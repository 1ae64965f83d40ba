//! The audit log: entries made from the caller of a change, and read back in Cloudflare's
//! `AuditLog` shape. Values recorded are the API objects without secrets.

use std::collections::HashMap;

use serde_json::{json, Value};

use super::auth::{Caller, PrincipalKind};
use super::listing::ResultInfo;
use super::paging::Paging;
use super::Services;
use crate::clock::{parse_instant, rfc3339};
use crate::db::audit::{self as repo, AuditFilter, AuditRow};
use crate::error::{codes, Error, Result};
use crate::model::policy::PermissionGroup;

/// What a change was done to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceType {
    /// A client certificate.
    Certificate,
    /// An API token.
    Token,
    /// A zone.
    Zone,
    /// A user.
    User,
    /// A CA.
    CertificateAuthority,
}

impl ResourceType {
    fn as_str(self) -> &'static str {
        match self {
            Self::Certificate => "certificate",
            Self::Token => "token",
            Self::Zone => "zone",
            Self::User => "user",
            Self::CertificateAuthority => "certificate_authority",
        }
    }
}

impl Caller {
    /// The audit entry of a change this caller makes now.
    pub fn audit(
        &self,
        action: &str,
        resource: ResourceType,
        resource_id: &str,
        old_value: Option<Value>,
        new_value: Option<Value>,
        now: i64,
    ) -> AuditRow {
        let p = &self.principal;
        AuditRow {
            // Version 7: ordered by time, so the id index takes inserts on its last pages.
            id: uuid::Uuid::new_v7(uuid::Timestamp::from_unix(
                uuid::NoContext,
                now.max(0) as u64,
                0,
            ))
            .to_string(),
            account_id: p.account_id.clone(),
            at: now,
            action_type: action.to_owned(),
            action_result: true,
            actor_type: match p.kind {
                PrincipalKind::Operator => "admin",
                _ => "user",
            }
            .to_owned(),
            actor_id: p.id.clone(),
            actor_email: p.email().to_owned(),
            actor_ip: self.ip.map(|ip| ip.to_string()).unwrap_or_default(),
            interface: self.interface.as_str().to_owned(),
            resource_type: resource.as_str().to_owned(),
            resource_id: resource_id.to_owned(),
            old_value: old_value.map(|v| v.to_string()),
            new_value: new_value.map(|v| v.to_string()),
        }
    }
}

/// The `AuditLog` object of an entry.
pub fn audit_json(row: &AuditRow) -> Value {
    let parse = |v: &Option<String>| -> Value {
        v.as_deref()
            .and_then(|s| serde_json::from_str(s).ok())
            .unwrap_or(Value::Null)
    };
    json!({
        "id": row.id,
        "action": {"type": row.action_type, "result": row.action_result},
        "actor": {"id": row.actor_id, "email": row.actor_email, "ip": row.actor_ip, "type": row.actor_type},
        "interface": row.interface,
        "metadata": {},
        "newValue": row.new_value.clone().unwrap_or_default(),
        "newValueJson": parse(&row.new_value),
        "oldValue": row.old_value.clone().unwrap_or_default(),
        "oldValueJson": parse(&row.old_value),
        "owner": {"id": row.account_id},
        "resource": {"id": row.resource_id, "type": row.resource_type},
        "when": rfc3339(row.at),
    })
}

/// Whose entries a list covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditScope {
    /// `/accounts/{id}/audit_logs`: the whole account.
    Account,
    /// `/user/audit_logs`: the caller's own actions (everything for a Global API Key).
    User,
}

fn time_param(params: &HashMap<String, String>, name: &str) -> Result<Option<i64>> {
    match params.get(name).map(String::as_str) {
        None | Some("") => Ok(None),
        Some(raw) => parse_instant(raw).map(Some).ok_or_else(|| {
            Error::invalid(
                codes::INVALID_TIME,
                format!(
                    "{name} must be an RFC 3339 time such as 2027-01-31T00:00:00Z, not {raw:?}"
                ),
                Some(&format!("/{name}")),
            )
        }),
    }
}

/// Parses the audit list's filters (`since`, `before`, `action.type`, `actor.email`, `direction`).
pub fn parse_filter(params: &HashMap<String, String>) -> Result<AuditFilter> {
    let ascending = match params.get("direction").map(String::as_str) {
        None | Some("desc") => false,
        Some("asc") => true,
        Some(other) => {
            return Err(Error::invalid(
                codes::INVALID_QUERY,
                format!("direction must be asc or desc, not {other:?}"),
                Some("/direction"),
            ))
        }
    };
    let text = |k: &str| params.get(k).filter(|v| !v.is_empty()).cloned();
    Ok(AuditFilter {
        since: time_param(params, "since")?,
        before: time_param(params, "before")?,
        action_type: text("action.type"),
        actor_email: text("actor.email"),
        actor_id: None,
        ascending,
    })
}

/// Narrows `filter` to what `caller` may read of the log: the account's log needs a Global API Key,
/// the CLI, or a token with API Tokens Read over the account; a token's `User` scope is its own
/// actions.
pub(super) fn scope_filter(
    caller: &Caller,
    scope: AuditScope,
    filter: &mut AuditFilter,
) -> Result<()> {
    let p = &caller.principal;
    if let PrincipalKind::Token(_) = p.kind {
        match scope {
            AuditScope::User => filter.actor_id = Some(p.id.clone()),
            AuditScope::Account
                if p.token_rights(p.token_owner())
                    .has(PermissionGroup::TokensRead) => {}
            AuditScope::Account => return Err(Error::Forbidden),
        }
    }
    Ok(())
}

impl Services {
    /// A page of the audit log. The account's log needs a Global API Key, the CLI, or a token with
    /// API Tokens Read over the account; a token's own `/user/audit_logs` shows its own actions.
    pub async fn list_audit(
        &self,
        caller: &Caller,
        scope: AuditScope,
        mut filter: AuditFilter,
        paging: Paging,
    ) -> Result<(Vec<Value>, ResultInfo)> {
        let p = &caller.principal;
        scope_filter(caller, scope, &mut filter)?;
        let total = repo::count(&self.db, &p.account_id, &filter).await?;
        let rows = repo::list(
            &self.db,
            &p.account_id,
            &filter,
            i64::try_from(paging.offset()).unwrap_or(i64::MAX),
            i64::try_from(paging.per_page).unwrap_or(i64::MAX),
        )
        .await?;
        let info = paging.info(rows.len() as u64, u64::try_from(total).unwrap_or(0));
        Ok((rows.iter().map(audit_json).collect(), info))
    }
}
