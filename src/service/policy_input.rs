//! One policy of a token body, checked field by field (pointers under `/policies/{i}`), and the
//! policy the CLI's `--permission read|write [--zone]...` stands for.

use serde_json::{json, Map, Value};

use super::token_input::invalid;
use crate::error::{codes, Error, Result};
use crate::model::policy::{parse_resources, Effect, PermissionGroup, Policy};
use crate::model::{random_hex_id, Permission, ZoneId};

fn parse_group(value: &Value, at: &str) -> Result<PermissionGroup> {
    let by_id = value.get("id").and_then(Value::as_str);
    let by_name = value.get("name").and_then(Value::as_str);
    let found = match (by_id, by_name) {
        (Some(id), _) => PermissionGroup::by_id(id),
        (None, Some(name)) => PermissionGroup::by_name(name),
        (None, None) => None,
    };
    found.ok_or_else(|| {
        invalid(
            codes::INVALID_POLICY,
            format!(
                "unknown permission group {}; GET /user/tokens/permission_groups lists them",
                by_id.or(by_name).unwrap_or("(no id)")
            ),
            at,
        )
    })
}

pub(super) fn parse_policy(value: &Value, i: usize) -> Result<Policy> {
    let at = format!("/policies/{i}");
    let Value::Object(obj) = value else {
        return Err(invalid(
            codes::INVALID_POLICY,
            "a policy must be an object",
            &at,
        ));
    };
    let effect = match obj.get("effect").and_then(Value::as_str) {
        Some("allow") => Effect::Allow,
        Some("deny") => Effect::Deny,
        _ => {
            return Err(invalid(
                codes::INVALID_POLICY,
                "effect must be allow or deny",
                &format!("{at}/effect"),
            ))
        }
    };
    let groups = match obj.get("permission_groups") {
        Some(Value::Array(items)) if !items.is_empty() => items
            .iter()
            .enumerate()
            .map(|(j, g)| parse_group(g, &format!("{at}/permission_groups/{j}")))
            .collect::<Result<Vec<_>>>()?,
        _ => {
            return Err(invalid(
                codes::INVALID_POLICY,
                "permission_groups must be a non-empty array of {id}",
                &format!("{at}/permission_groups"),
            ))
        }
    };
    let resources_json = match obj.get("resources") {
        Some(Value::Object(map)) if !map.is_empty() => map.clone(),
        _ => {
            return Err(invalid(
                codes::INVALID_POLICY,
                "resources must be a non-empty object such as {\"com.cloudflare.api.account.zone.<zone id>\": \"*\"}",
                &format!("{at}/resources"),
            ))
        }
    };
    let resources = parse_resources(&resources_json).map_err(|key| {
        invalid(
            codes::INVALID_POLICY,
            format!(
                "resource {key:?} is not com.cloudflare.api.account.<id>, \
                 com.cloudflare.api.account.zone.<id> or com.cloudflare.api.user.<id> with the value \"*\""
            ),
            &format!("{at}/resources"),
        )
    })?;
    let id = obj
        .get("id")
        .and_then(Value::as_str)
        .filter(|id| id.len() == 32 && id.chars().all(|c| c.is_ascii_hexdigit()))
        .map_or_else(random_hex_id, str::to_ascii_lowercase);
    Ok(Policy {
        id,
        effect,
        groups,
        resources,
        resources_json,
    })
}

/// The CLI's token: one allow policy of the SSL group of `permission` over the zones, or over the
/// whole account when none is named.
pub fn cli_policy(permission: Permission, account: &str, zone_ids: &[ZoneId]) -> Result<Policy> {
    let group = match permission {
        Permission::Read => PermissionGroup::SslRead,
        Permission::Write => PermissionGroup::SslWrite,
    };
    let mut resources_json = Map::new();
    if zone_ids.is_empty() {
        resources_json.insert(format!("com.cloudflare.api.account.{account}"), json!("*"));
    }
    for z in zone_ids {
        resources_json.insert(format!("com.cloudflare.api.account.zone.{z}"), json!("*"));
    }
    let resources = parse_resources(&resources_json)
        .map_err(|k| Error::Internal(format!("bad resource {k}")))?;
    Ok(Policy {
        id: random_hex_id(),
        effect: Effect::Allow,
        groups: vec![group],
        resources,
        resources_json,
    })
}
