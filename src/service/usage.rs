//! `last_used_on` of tokens: a use is written at most once a minute per token and process, off the
//! request's path (the request never waits for it, and a failed write is only logged).

use std::collections::HashMap;
use std::sync::Mutex;

use super::Services;
use crate::db::tokens;

/// How often a token's use is written, seconds.
pub const USE_RESOLUTION: i64 = 60;

/// The last use this process wrote, per token.
#[derive(Default)]
pub struct TokenUsage {
    written: Mutex<HashMap<String, i64>>,
}

impl TokenUsage {
    /// Notes a use of `token_id` at `now`, writing it when the last write is a minute old.
    pub fn record(&self, s: &Services, token_id: &str, now: i64) {
        {
            let mut map = self.written.lock().unwrap_or_else(|p| p.into_inner());
            match map.get(token_id) {
                Some(&at) if now - at < USE_RESOLUTION => return,
                _ => {}
            }
            if map.len() >= 100_000 {
                map.clear();
            }
            map.insert(token_id.to_owned(), now);
        }
        let db = s.db.clone();
        let id = token_id.to_owned();
        tokio::spawn(async move {
            if let Err(e) = tokens::touch(&db, &id, now).await {
                tracing::warn!(error = %e, token = %id, "recording a token's last use failed");
            }
        });
    }
}
