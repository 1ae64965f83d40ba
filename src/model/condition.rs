//! A token's `condition.request_ip`: CIDR lists the client address must be in, and must not be in.

use std::net::IpAddr;

use ipnet::IpNet;
use serde_json::{json, Map, Value};

/// `{"request_ip": {"in": [...], "not_in": [...]}}`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Condition {
    /// When not empty, the client address must be in one of these.
    pub ip_in: Vec<IpNet>,
    /// The client address must be in none of these.
    pub ip_not_in: Vec<IpNet>,
}

/// Parses `1.2.3.4/24`, `2001:db8::/32`, or a bare address (a /32 or /128).
pub fn parse_cidr(text: &str) -> Option<IpNet> {
    let text = text.trim();
    text.parse::<IpNet>()
        .ok()
        .or_else(|| text.parse::<IpAddr>().ok().map(IpNet::from))
}

impl Condition {
    /// True when there is nothing to check.
    pub fn is_empty(&self) -> bool {
        self.ip_in.is_empty() && self.ip_not_in.is_empty()
    }

    /// True when a request from `ip` may use the token. An unknown address passes only an empty
    /// condition.
    pub fn allows(&self, ip: Option<IpAddr>) -> bool {
        if self.is_empty() {
            return true;
        }
        let Some(ip) = ip.map(|ip| ip.to_canonical()) else {
            return false;
        };
        if self.ip_not_in.iter().any(|n| n.contains(&ip)) {
            return false;
        }
        self.ip_in.is_empty() || self.ip_in.iter().any(|n| n.contains(&ip))
    }

    /// The wire form, `None` when empty.
    pub fn to_json(&self) -> Option<Value> {
        if self.is_empty() {
            return None;
        }
        let list = |nets: &[IpNet]| nets.iter().map(|n| n.to_string()).collect::<Vec<_>>();
        let mut ip = Map::new();
        if !self.ip_in.is_empty() {
            ip.insert("in".into(), json!(list(&self.ip_in)));
        }
        if !self.ip_not_in.is_empty() {
            ip.insert("not_in".into(), json!(list(&self.ip_not_in)));
        }
        Some(json!({ "request_ip": ip }))
    }

    /// Parses the wire form; `Err` is the JSON pointer (under `/condition`) of what is wrong.
    pub fn from_json(value: &Value) -> Result<Self, String> {
        let mut out = Condition::default();
        let obj = match value {
            Value::Null => return Ok(out),
            Value::Object(o) => o,
            _ => return Err(String::new()),
        };
        if let Some(key) = obj.keys().find(|k| k.as_str() != "request_ip") {
            return Err(format!("/{key}"));
        }
        let ip = match obj.get("request_ip") {
            None | Some(Value::Null) => return Ok(out),
            Some(Value::Object(o)) => o,
            Some(_) => return Err("/request_ip".into()),
        };
        for (key, list) in ip {
            let target = match key.as_str() {
                "in" => &mut out.ip_in,
                "not_in" => &mut out.ip_not_in,
                _ => return Err(format!("/request_ip/{key}")),
            };
            let items = match list {
                Value::Array(items) => items,
                Value::Null => continue,
                _ => return Err(format!("/request_ip/{key}")),
            };
            for (i, item) in items.iter().enumerate() {
                let net = item
                    .as_str()
                    .and_then(parse_cidr)
                    .ok_or_else(|| format!("/request_ip/{key}/{i}"))?;
                target.push(net.trunc());
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().expect("ip"))
    }

    #[test]
    fn in_and_not_in_lists_for_both_families() {
        let c = Condition::from_json(&json!({"request_ip": {
            "in": ["10.0.0.0/8", "2001:db8::/32"], "not_in": ["10.9.0.0/16", "2001:db8:dead::1"]}}))
        .expect("parses");
        assert!(c.allows(ip("10.1.2.3")));
        assert!(c.allows(ip("::ffff:10.1.2.3")), "IPv4-mapped is IPv4");
        assert!(!c.allows(ip("10.9.0.1")));
        assert!(!c.allows(ip("192.168.0.1")));
        assert!(c.allows(ip("2001:db8::5")));
        assert!(!c.allows(ip("2001:db8:dead::1")));
        assert!(!c.allows(None));
        assert!(Condition::default().allows(None));
        assert_eq!(Condition::from_json(&c.to_json().unwrap()).unwrap(), c);
    }

    #[test]
    fn bad_lists_name_the_entry() {
        let err = Condition::from_json(&json!({"request_ip": {"in": ["10.0.0.0/8", "nonsense"]}}));
        assert_eq!(err, Err("/request_ip/in/1".into()));
        assert_eq!(
            Condition::from_json(&json!({"other": {}})),
            Err("/other".into())
        );
    }
}
