//! The API objects of tokens and permission groups (never a secret).

use serde_json::{json, Value};

use crate::clock::rfc3339;
use crate::db::tokens::TokenRow;
use crate::model::policy::PermissionGroup;

/// A token's `status` at `now`.
pub fn status(row: &TokenRow, now: i64) -> &'static str {
    if row.disabled {
        "disabled"
    } else if row.expires_on.is_some_and(|at| now >= at) {
        "expired"
    } else {
        "active"
    }
}

/// The API object of a token (never its secret).
pub fn token_json(row: &TokenRow, now: i64) -> Value {
    let policies: Value = serde_json::from_str(&row.policies).unwrap_or(Value::Array(Vec::new()));
    let mut v = json!({
        "id": row.id,
        "name": row.name,
        "status": status(row, now),
        "issued_on": rfc3339(row.created_at),
        "modified_on": rfc3339(row.modified_at),
        "last_used_on": row.last_used_at.map(rfc3339),
        "policies": policies,
    });
    if let Some(at) = row.expires_on {
        v["expires_on"] = json!(rfc3339(at));
    }
    if let Some(at) = row.not_before {
        v["not_before"] = json!(rfc3339(at));
    }
    if let Some(c) = row
        .condition
        .as_deref()
        .and_then(|c| serde_json::from_str::<Value>(c).ok())
    {
        v["condition"] = c;
    }
    v
}

/// The permission groups, as `GET /user/tokens/permission_groups` lists them: only the one named
/// `name` (exactly, as Cloudflare filters) and those of scope `scope`, when given.
pub fn permission_groups(name: Option<&str>, scope: Option<&str>) -> Vec<Value> {
    PermissionGroup::ALL
        .iter()
        .filter(|g| name.is_none_or(|n| g.name() == n))
        .filter(|g| scope.is_none_or(|s| g.scope() == s))
        .map(|g| json!({"id": g.id(), "name": g.name(), "scopes": [g.scope()]}))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::permission_groups;

    fn names(v: Vec<serde_json::Value>) -> Vec<String> {
        v.iter()
            .map(|g| g["name"].as_str().unwrap_or("").to_owned())
            .collect()
    }

    #[test]
    fn permission_groups_filter_by_exact_name_and_by_scope() {
        assert_eq!(permission_groups(None, None).len(), 6);
        assert_eq!(
            names(permission_groups(Some("SSL and Certificates Read"), None)),
            ["SSL and Certificates Read"]
        );
        assert!(permission_groups(Some("ssl and certificates read"), None).is_empty());
        assert_eq!(
            names(permission_groups(None, Some("com.cloudflare.api.user"))),
            ["API Tokens Read", "API Tokens Write"]
        );
        assert!(permission_groups(Some("Zone Read"), Some("com.cloudflare.api.user")).is_empty());
    }
}
