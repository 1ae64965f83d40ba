//! A short-lived memory of successful authentications and zone grants, so that a busy client does
//! not cost two or three database round trips per request. Only successes are remembered (a new
//! token works at once); a token disabled in SQL stops working within the TTL.

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

    fn put(&self, key: K, value: V) {
        let mut map = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= MAX_ENTRIES {
            map.clear();
        }
        map.insert(key, (value, Instant::now()));
    }
}

/// Remembered principals (by secret hash) and zone grants (by scope and zone).
pub struct AuthCache {
    ttl: Duration,
    principals: Ttl<String, Principal>,
    grants: Ttl<(String, String), String>,
}

impl AuthCache {
    /// `None` when `ttl` is zero (caching disabled).
    pub fn new(ttl: Duration) -> Option<Self> {
        (!ttl.is_zero()).then(|| Self {
            ttl,
            principals: Ttl::new(),
            grants: Ttl::new(),
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

    /// The account of `zone` if `scope` (a token id, or `*` for every zone) was granted it lately.
    pub fn grant(&self, scope: &str, zone: &str) -> Option<String> {
        self.grants
            .get(&(scope.to_owned(), zone.to_owned()), self.ttl)
    }

    /// Remembers that `scope` may use `zone`, which belongs to `account`.
    pub fn remember_grant(&self, scope: &str, zone: &str, account: &str) {
        self.grants
            .put((scope.to_owned(), zone.to_owned()), account.to_owned());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Permission;
    use crate::service::auth::Scope;

    #[test]
    fn entries_expire_and_a_zero_ttl_disables_the_cache() {
        assert!(AuthCache::new(Duration::ZERO).is_none());
        let Some(cache) = AuthCache::new(Duration::from_millis(50)) else {
            panic!("a positive TTL builds a cache");
        };
        let p = Principal {
            id: "t".into(),
            account_id: "a".into(),
            permission: Permission::Read,
            scope: Scope::AllZones,
        };
        cache.remember_principal("h".into(), &p);
        cache.remember_grant("*", "z", "a");
        assert_eq!(cache.principal("h").map(|p| p.id), Some("t".into()));
        assert_eq!(cache.grant("*", "z"), Some("a".into()));
        assert_eq!(cache.grant("other", "z"), None);
        std::thread::sleep(Duration::from_millis(60));
        assert!(cache.principal("h").is_none());
        assert!(cache.grant("*", "z").is_none());
    }
}
