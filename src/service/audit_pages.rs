//! The console's audit log: keyset pages, newest first, with "older" and "newer" cursors instead
//! of page numbers, and no count of the log (an estimate from the ends of its sequence instead).

use serde_json::Value;

use super::audit::{audit_json, scope_filter, AuditScope};
use super::auth::Caller;
use super::Services;
use crate::db::audit::AuditFilter;
use crate::db::audit_pages::{self as repo, AuditCursor, PagedAudit};
use crate::error::{codes, Error, Result};

/// One page of the log.
#[derive(Debug, Clone)]
pub struct AuditPage {
    /// The entries, newest first, in the `AuditLog` shape.
    pub entries: Vec<Value>,
    /// The cursor of the next older page, when there are older entries.
    pub older: Option<String>,
    /// The cursor of the next newer page, when this is not the newest.
    pub newer: Option<String>,
    /// About how many entries the whole log holds (only for an unfiltered view of it).
    pub about: Option<i64>,
}

/// Parses a cursor of [`AuditPage`]: `o.AT.SEQ` (older than) or `n.AT.SEQ` (newer than).
pub fn parse_cursor(raw: &str) -> Result<AuditCursor> {
    let bad = || {
        Error::invalid(
            codes::INVALID_QUERY,
            format!("cursor {raw:?} is not one this log gave out"),
            Some("/cursor"),
        )
    };
    let mut parts = raw.split('.');
    let (Some(dir), Some(at), Some(seq), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad());
    };
    let (at, seq) = match (at.parse(), seq.parse()) {
        (Ok(at), Ok(seq)) => (at, seq),
        _ => return Err(bad()),
    };
    match dir {
        "o" => Ok(AuditCursor::Older(at, seq)),
        "n" => Ok(AuditCursor::Newer(at, seq)),
        _ => Err(bad()),
    }
}

fn cursor(dir: &str, e: &PagedAudit) -> String {
    format!("{dir}.{}.{}", e.row.at, e.seq)
}

fn unfiltered(f: &AuditFilter) -> bool {
    f.since.is_none()
        && f.before.is_none()
        && f.action_type.is_none()
        && f.actor_email.is_none()
        && f.actor_id.is_none()
}

impl Services {
    /// The page of the log `cursor` names (`None`: the newest), `per_page` entries, over what
    /// `caller` may read (as [`Services::list_audit`]).
    pub async fn audit_page(
        &self,
        caller: &Caller,
        scope: AuditScope,
        mut filter: AuditFilter,
        cursor_text: Option<&str>,
        per_page: i64,
    ) -> Result<AuditPage> {
        scope_filter(caller, scope, &mut filter)?;
        let account = caller.principal.account_id.as_str();
        let mut from = cursor_text.map(parse_cursor).transpose()?;
        let take = per_page.max(1);
        let mut rows = repo::page(&self.db, account, &filter, from, take + 1).await?;
        if matches!(from, Some(AuditCursor::Newer(..))) {
            if rows.len() as i64 <= take {
                // Fewer than a page is newer: that is the newest page.
                from = None;
                rows = repo::page(&self.db, account, &filter, None, take + 1).await?;
            } else {
                rows.truncate(usize::try_from(take).unwrap_or(usize::MAX));
                rows.reverse();
                let newer = rows.first().map(|e| cursor("n", e));
                let older = rows.last().map(|e| cursor("o", e));
                return self.finish(rows, older, newer, &filter).await;
            }
        }
        let more = rows.len() as i64 > take;
        rows.truncate(usize::try_from(take).unwrap_or(usize::MAX));
        let older = rows.last().filter(|_| more).map(|e| cursor("o", e));
        let newer = rows
            .first()
            .filter(|_| from.is_some())
            .map(|e| cursor("n", e));
        self.finish(rows, older, newer, &filter).await
    }

    async fn finish(
        &self,
        rows: Vec<PagedAudit>,
        older: Option<String>,
        newer: Option<String>,
        filter: &AuditFilter,
    ) -> Result<AuditPage> {
        let about = if unfiltered(filter) {
            Some(repo::about(&self.db).await?)
        } else {
            None
        };
        Ok(AuditPage {
            entries: rows.iter().map(|e| audit_json(&e.row)).collect(),
            older,
            newer,
            about,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_names_a_direction_an_instant_and_a_sequence_number() {
        assert_eq!(parse_cursor("o.17.4").ok(), Some(AuditCursor::Older(17, 4)));
        assert_eq!(parse_cursor("n.-3.9").ok(), Some(AuditCursor::Newer(-3, 9)));
        for bad in ["", "o", "o.1", "x.1.2", "o.1.2.3", "o.a.2", "o.1.b"] {
            assert!(parse_cursor(bad).is_err(), "{bad}");
        }
    }
}
