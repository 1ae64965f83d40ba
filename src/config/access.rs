//! Who the API believes: `MTLS_CA_TRUSTED_PROXIES` (which peers' `X-Forwarded-For` names the
//! client) and `MTLS_CA_TLS_CLIENT_AUTH` (client certificates as credentials).

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

impl Settings {
    /// True when `tls_client_auth` is `optional`: the HTTPS listener asks for a client certificate,
    /// and one of this CA's bound to a token authenticates as that token.
    pub fn client_auth(&self) -> anyhow::Result<bool> {
        match self.tls_client_auth.as_str() {
            "off" | "" => Ok(false),
            "optional" if self.https() => Ok(true),
            "optional" => anyhow::bail!(
                "MTLS_CA_TLS_CLIENT_AUTH=optional needs HTTPS (MTLS_CA_TLS_CERT/KEY or MTLS_CA_TLS_SELF_ISSUED)"
            ),
            other => anyhow::bail!("MTLS_CA_TLS_CLIENT_AUTH must be off or optional, not {other:?}"),
        }
    }
}
