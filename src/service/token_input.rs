//! The body of `POST /user/tokens` and `PUT /user/tokens/{id}`, checked field by field into a
//! [`TokenSpec`]; every refusal names its field with a JSON pointer.

use serde_json::{Map, Value};

use super::policy_input::parse_policy;
use crate::clock::parse_rfc3339;
use crate::error::{codes, Error, Result};
use crate::model::condition::Condition;
use crate::model::policy::Policy;

/// Longest token name.
pub const MAX_NAME: usize = 120;

/// What a create or update asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenSpec {
    /// The name, trimmed.
    pub name: String,
    /// At least one policy.
    pub policies: Vec<Policy>,
    /// The IP condition (empty: none).
    pub condition: Condition,
    /// Unix seconds.
    pub not_before: Option<i64>,
    /// Unix seconds.
    pub expires_on: Option<i64>,
    /// `Some(true)` to disable, `Some(false)` to enable, `None` to keep (a new token is active).
    pub disabled: Option<bool>,
}

pub(super) fn invalid(code: u32, message: impl Into<String>, pointer: &str) -> Error {
    Error::invalid(code, message, Some(pointer))
}

/// Parses a token name.
pub fn parse_name(value: Option<&Value>) -> Result<String> {
    match value {
        Some(Value::String(s)) if !s.trim().is_empty() && s.trim().chars().count() <= MAX_NAME => {
            Ok(s.trim().to_owned())
        }
        Some(Value::String(_)) => Err(invalid(
            codes::INVALID_NAME,
            format!("name must be 1 to {MAX_NAME} characters"),
            "/name",
        )),
        None | Some(Value::Null) => Err(invalid(codes::MISSING_FIELD, "name is required", "/name")),
        Some(_) => Err(invalid(codes::WRONG_TYPE, "name must be a string", "/name")),
    }
}

fn parse_time(body: &Map<String, Value>, field: &str) -> Result<Option<i64>> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => parse_rfc3339(s).map(Some).ok_or_else(|| {
            invalid(
                codes::INVALID_TIME,
                format!("{field} must be an RFC 3339 time such as 2027-01-31T00:00:00Z, not {s:?}"),
                &format!("/{field}"),
            )
        }),
        Some(_) => Err(invalid(
            codes::WRONG_TYPE,
            format!("{field} must be an RFC 3339 string"),
            &format!("/{field}"),
        )),
    }
}

impl TokenSpec {
    /// A new token of one policy, no condition and no validity window (what the CLI makes).
    pub fn of_policy(name: &str, policy: Policy) -> Result<Self> {
        Ok(Self {
            name: parse_name(Some(&Value::String(name.to_owned())))?,
            policies: vec![policy],
            condition: Condition::default(),
            not_before: None,
            expires_on: None,
            disabled: None,
        })
    }
}

/// Parses a create or update body (`status` is `active` or `disabled` in both: Terraform's
/// `cloudflare_api_token` sends it on create).
pub fn parse_spec(body: &Map<String, Value>) -> Result<TokenSpec> {
    let name = parse_name(body.get("name"))?;
    let policies = match body.get("policies") {
        Some(Value::Array(items)) if !items.is_empty() => items
            .iter()
            .enumerate()
            .map(|(i, p)| parse_policy(p, i))
            .collect::<Result<Vec<_>>>()?,
        None | Some(Value::Null) => {
            return Err(invalid(
                codes::MISSING_FIELD,
                "policies is required",
                "/policies",
            ))
        }
        _ => {
            return Err(invalid(
                codes::INVALID_POLICY,
                "policies must be a non-empty array",
                "/policies",
            ))
        }
    };
    let condition =
        Condition::from_json(body.get("condition").unwrap_or(&Value::Null)).map_err(|at| {
            invalid(
                codes::INVALID_CONDITION,
                "condition must be {\"request_ip\": {\"in\": [CIDR...], \"not_in\": [CIDR...]}}",
                &format!("/condition{at}"),
            )
        })?;
    let not_before = parse_time(body, "not_before")?;
    let expires_on = parse_time(body, "expires_on")?;
    if let (Some(nb), Some(exp)) = (not_before, expires_on) {
        if exp <= nb {
            return Err(invalid(
                codes::INVALID_TIME,
                "expires_on must be later than not_before",
                "/expires_on",
            ));
        }
    }
    let disabled = match body.get("status") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s == "active" => Some(false),
        Some(Value::String(s)) if s == "disabled" => Some(true),
        Some(_) => {
            return Err(invalid(
                codes::WRONG_TYPE,
                "status must be active or disabled",
                "/status",
            ))
        }
    };
    Ok(TokenSpec {
        name,
        policies,
        condition,
        not_before,
        expires_on,
        disabled,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::policy::PermissionGroup;
    use serde_json::json;

    fn spec(v: Value) -> Result<TokenSpec> {
        parse_spec(v.as_object().expect("object"))
    }

    fn pointer(r: Result<TokenSpec>) -> Option<String> {
        match r {
            Err(Error::Invalid(inv)) => inv.pointer,
            _ => None,
        }
    }

    #[test]
    fn a_cloudflare_body_parses() {
        let s = spec(json!({"name": " ci ", "policies": [{"effect": "allow",
                "permission_groups": [{"id": "c03055bc037c4ea9afb9a9f104b7b721", "name": "x"}],
                "resources": {"com.cloudflare.api.account.zone.abc": "*"}}],
                "condition": {"request_ip": {"in": ["10.0.0.0/8"]}},
                "expires_on": "2030-01-01T00:00:00Z"}))
        .expect("parses");
        assert_eq!(s.name, "ci");
        assert_eq!(s.policies[0].groups, vec![PermissionGroup::SslWrite]);
        assert_eq!(s.policies[0].id.len(), 32);
        assert_eq!(s.expires_on, Some(1_893_456_000));
        assert!(!s.condition.is_empty());
    }

    #[test]
    fn each_refusal_names_its_field() {
        let group = json!([{"id": "c03055bc037c4ea9afb9a9f104b7b721"}]);
        let res = json!({"com.cloudflare.api.account.zone.abc": "*"});
        let cases = [
            (json!({"policies": []}), "/name"),
            (json!({"name": "a"}), "/policies"),
            (
                json!({"name": "a", "policies": [{"effect": "maybe", "permission_groups": group, "resources": res}]}),
                "/policies/0/effect",
            ),
            (
                json!({"name": "a", "policies": [{"effect": "allow", "permission_groups": [{"id": "nope"}], "resources": res}]}),
                "/policies/0/permission_groups/0",
            ),
            (
                json!({"name": "a", "policies": [{"effect": "allow", "permission_groups": group, "resources": {"x": "*"}}]}),
                "/policies/0/resources",
            ),
            (
                json!({"name": "a", "policies": [{"effect": "allow", "permission_groups": group, "resources": res}], "condition": {"request_ip": {"in": ["bad"]}}}),
                "/condition/request_ip/in/0",
            ),
            (
                json!({"name": "a", "policies": [{"effect": "allow", "permission_groups": group, "resources": res}], "expires_on": "tomorrow"}),
                "/expires_on",
            ),
            (
                json!({"name": "a", "policies": [{"effect": "allow", "permission_groups": group, "resources": res}], "status": "expired"}),
                "/status",
            ),
        ];
        for (body, at) in cases {
            assert_eq!(pointer(spec(body.clone())).as_deref(), Some(at), "{body}");
        }
        let ok = json!({"name": "a", "policies": [{"effect": "allow", "permission_groups": group, "resources": res}], "status": "disabled"});
        assert_eq!(spec(ok).expect("parses").disabled, Some(true));
    }
}
