//! A short-lived memory of successful authentications and of which account a zone belongs to, so
//! that a busy client does not cost two database round trips per request. Only successes are
//! remembered (a new token works at once). A token changed through this process is forgotten at
//! once; one disabled elsewhere (another replica, SQL) stops working within the TTL.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::auth::Principal;

/// Most entries of each map before it is cleared (a crude bound; entries are cheap to refetch).
const MAX_ENTRIES: usize = 10_000;

struct Ttl<K, V> {
    entries: Mutex<HashMap<K, (V, Instant)>>,
}

impl<K: Eq + Hash, V: Clone> Ttl<K, V> {
    fn new() -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn get(&self, key: &K, ttl: Duration) -> Option<V> {
        let map = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        map.get(key)
            .filter(|(_, at)| at.elapsed() < ttl)
            .map(|(v, _)| v.clone())
    }

    fn remove(&self, key: &K) {
        let mut map = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(key);
    }

    fn clear(&self) {
        let mut map = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        map.clear();
    }

    fn put(&self, key: K, value: V) {
        let mut map = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= MAX_ENTRIES {
            map.clear();
        }
        map.insert(key, (value, Instant::now()));
    }
}

/// Remembered principals (by secret hash) and zone accounts (by zone id).
pub struct AuthCache {
    ttl: Duration,
    principals: Ttl<String, Principal>,
    zones: Ttl<String, String>,
}

impl AuthCache {
    /// `None` when `ttl` is zero (caching disabled).
    pub fn new(ttl: Duration) -> Option<Self> {
        (!ttl.is_zero()).then(|| Self {
            ttl,
            principals: Ttl::new(),
            zones: Ttl::new(),
        })
    }

    /// The principal last authenticated with this credential key, if still fresh.
    pub fn principal(&self, key: &str) -> Option<Principal> {
        self.principals.get(&key.to_owned(), self.ttl)
    }

    /// Remembers a successful authentication.
    pub fn remember_principal(&self, key: String, p: &Principal) {
        self.principals.put(key, p.clone());
    }

    /// Forgets every principal (a token or user changed): the next request authenticates afresh.
    pub fn forget_principals(&self) {
        self.principals.clear();
    }

    /// The account of `zone`, if seen lately.
    pub fn zone(&self, zone: &str) -> Option<String> {
        self.zones.get(&zone.to_owned(), self.ttl)
    }

    /// Remembers that `zone` belongs to `account`.
    pub fn remember_zone(&self, zone: &str, account: &str) {
        self.zones.put(zone.to_owned(), account.to_owned());
    }

    /// Forgets a deleted zone.
    pub fn forget_zone(&self, zone: &str) {
        self.zones.remove(&zone.to_owned());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::auth::PrincipalKind;

    #[test]
    fn entries_expire_and_a_zero_ttl_disables_the_cache() {
        assert!(AuthCache::new(Duration::ZERO).is_none());
        let Some(cache) = AuthCache::new(Duration::from_millis(50)) else {
            panic!("a positive TTL builds a cache");
        };
        let p = Principal {
            id: "t".into(),
            account_id: "a".into(),
            kind: PrincipalKind::Operator,
        };
        cache.remember_principal("h".into(), &p);
        cache.remember_zone("z", "a");
        assert_eq!(cache.principal("h").map(|p| p.id), Some("t".into()));
        assert_eq!(cache.zone("z"), Some("a".into()));
        assert_eq!(cache.zone("other"), None);
        cache.forget_zone("z");
        assert_eq!(cache.zone("z"), None);
        cache.remember_zone("z", "a");
        std::thread::sleep(Duration::from_millis(60));
        assert!(cache.principal("h").is_none());
        assert!(cache.zone("z").is_none());
        cache.remember_principal("h".into(), &p);
        cache.forget_principals();
        assert!(cache.principal("h").is_none());
    }
}
