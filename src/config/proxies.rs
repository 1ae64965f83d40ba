//! `MTLS_CA_TRUSTED_PROXIES`: which peers' `X-Forwarded-For` is believed.

use ipnet::IpNet;

use super::Settings;
use crate::model::condition::parse_cidr;

impl Settings {
    /// The trusted proxies' networks (empty: the peer address is the client address).
    pub fn trusted_proxies(&self) -> anyhow::Result<Vec<IpNet>> {
        self.trusted_proxies
            .as_deref()
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                parse_cidr(s).ok_or_else(|| {
                    anyhow::anyhow!(
                        "MTLS_CA_TRUSTED_PROXIES: {s:?} is not an IP address or CIDR (such as 10.0.0.0/8)"
                    )
                })
            })
            .collect()
    }
}
