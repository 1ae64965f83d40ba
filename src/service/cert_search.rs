//! The console's certificate search: by id, serial or fingerprint (exact), or common-name prefix;
//! filtered by zone, status and "expiring within N days"; in keyset pages that cost the same on
//! page 1 and page 20,000. Only zones the caller may read are searched.

use super::auth::Caller;
use super::view::ClientCertificate;
use super::Services;
use crate::db::cert_search::{self as repo, Cursor, Search};
use crate::error::{codes, Error, Result};
use crate::model::policy::PermissionGroup;
use crate::model::{CertStatus, ZoneId};

const DAY: i64 = 86_400;
/// Rows on a console page.
pub const PAGE: i64 = 50;

/// What the certificates page asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CertQuery {
    /// One zone, or every zone the caller may read.
    pub zone: Option<ZoneId>,
    /// One status.
    pub status: Option<CertStatus>,
    /// An id, serial number or SHA-256 fingerprint (hex, colons allowed), or a common-name prefix.
    pub term: String,
    /// Only active certificates whose notAfter is within this many days.
    pub expiring_within_days: Option<i64>,
    /// Where the page starts, as [`CertPage::next`] gave it.
    pub cursor: Option<String>,
}

/// One page of results.
#[derive(Debug, Clone)]
pub struct CertPage {
    /// The certificates.
    pub items: Vec<ClientCertificate>,
    /// The zone of each item, in order.
    pub zones: Vec<String>,
    /// The cursor of the next page, when there is one.
    pub next: Option<String>,
}

/// A term that names one certificate exactly: 16 or more hex digits (colons and case ignored).
fn exact_term(term: &str) -> Option<String> {
    let hex: String = term.chars().filter(|c| *c != ':').collect();
    (hex.len() >= 16 && hex.chars().all(|c| c.is_ascii_hexdigit())).then(|| hex.to_lowercase())
}

fn encode(c: &Cursor) -> String {
    match c {
        Cursor::Newest(seq) => format!("n.{seq}"),
        Cursor::Name(name, seq) => format!("c.{seq}.{name}"),
        Cursor::Expiry(at, seq) => format!("e.{seq}.{at}"),
    }
}

fn decode(s: &str) -> Result<Cursor> {
    let bad = || {
        Error::invalid(
            codes::INVALID_QUERY,
            "the page cursor is not one this console made",
            Some("/cursor"),
        )
    };
    let mut parts = s.splitn(3, '.');
    let kind = parts.next().ok_or_else(bad)?;
    let seq: i64 = parts.next().and_then(|n| n.parse().ok()).ok_or_else(bad)?;
    match (kind, parts.next()) {
        ("n", None) => Ok(Cursor::Newest(seq)),
        ("c", Some(name)) => Ok(Cursor::Name(name.to_owned(), seq)),
        ("e", Some(at)) => Ok(Cursor::Expiry(at.parse().map_err(|_| bad())?, seq)),
        _ => Err(bad()),
    }
}

impl Services {
    /// The zone ids the caller may read certificates of: `None` for every zone of the account.
    pub async fn readable_zones(&self, caller: &Caller) -> Result<Option<Vec<String>>> {
        let p = &caller.principal;
        if p.has_on_account(PermissionGroup::SslRead) {
            return Ok(None);
        }
        Ok(Some(
            self.list_zones(caller, None)
                .await?
                .into_iter()
                .filter(|z| p.zone_rights(&z.id).has(PermissionGroup::SslRead))
                .map(|z| z.id)
                .collect(),
        ))
    }

    /// One page of the certificates the caller may read that match `q`.
    pub async fn search_certificates(
        &self,
        caller: &Caller,
        q: &CertQuery,
        now: i64,
    ) -> Result<CertPage> {
        let zones = match &q.zone {
            Some(zone) => {
                self.authorize(&caller.principal, zone, PermissionGroup::SslRead)
                    .await?;
                Some(vec![zone.to_string()])
            }
            None => self.readable_zones(caller).await?,
        };
        let term = q.term.trim();
        let exact = exact_term(term);
        let name_prefix = (exact.is_none() && !term.is_empty()).then(|| term.to_owned());
        let expiring = match q.expiring_within_days {
            Some(days) if !(0..=3650).contains(&days) => {
                return Err(Error::invalid(
                    codes::INVALID_QUERY,
                    format!("expiring within must be 0 to 3650 days, not {days}"),
                    Some("/expiring_within"),
                ))
            }
            Some(days) => Some((now, now + days * DAY)),
            None => None,
        };
        let search = Search {
            zones,
            status: if expiring.is_some() { None } else { q.status },
            exact,
            name_prefix,
            expiring,
            after: q.cursor.as_deref().map(decode).transpose()?,
            limit: PAGE + 1,
        };
        let mut found = repo::search(&self.db, &search).await?;
        let next = if found.len() > PAGE as usize {
            found.truncate(PAGE as usize);
            found.last().map(|f| {
                encode(&if search.name_prefix.is_some() {
                    Cursor::Name(f.row.common_name.clone(), f.seq)
                } else if search.expiring.is_some() {
                    Cursor::Expiry(f.row.expires_on, f.seq)
                } else {
                    Cursor::Newest(f.seq)
                })
            })
        } else {
            None
        };
        let zones = found.iter().map(|f| f.row.zone_id.clone()).collect();
        let items = self
            .views(found.into_iter().map(|f| f.row).collect())
            .await?;
        Ok(CertPage { items, zones, next })
    }
}

/// A certificate's PEM decoded for people (the console's detail page).
pub fn describe_certificate(pem: &str) -> Option<crate::x509::describe::CertificateText> {
    let block = pem::parse(pem).ok()?;
    crate::x509::describe::describe(block.contents())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_terms_are_exact_and_cursors_round_trip() {
        assert_eq!(
            exact_term("AB:CD:ef:01:23:45:67:89").as_deref(),
            Some("abcdef0123456789")
        );
        assert_eq!(exact_term("svc-1"), None);
        assert_eq!(exact_term("abc"), None);
        for c in [
            Cursor::Newest(7),
            Cursor::Name("a.b.c".into(), 9),
            Cursor::Expiry(1_800_000_000, 3),
        ] {
            assert_eq!(decode(&encode(&c)).ok(), Some(c));
        }
        assert!(decode("x.1").is_err());
        assert!(decode("n.zz").is_err());
    }
}
