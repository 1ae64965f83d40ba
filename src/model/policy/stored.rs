//! Policies in their wire form, which is also how they are stored.

use serde_json::Value;

use super::{parse_resources, Effect, PermissionGroup, Policy};

/// The policy wire form: `{id, effect, permission_groups: [{id, name}], resources}`.
pub fn policy_json(p: &Policy) -> Value {
    serde_json::json!({
        "id": p.id,
        "effect": p.effect.as_str(),
        "permission_groups": p.groups.iter().map(|g| serde_json::json!({"id": g.id(), "name": g.name()})).collect::<Vec<_>>(),
        "resources": Value::Object(p.resources_json.clone()),
    })
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
