//! The one place that reads the wall clock (everything else takes `now` as a parameter), and how
//! instants are written for people and the API.

/// Seconds since the Unix epoch, now.
#[allow(clippy::disallowed_methods)]
pub fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// RFC 3339 in UTC with whole seconds and `Z` (empty for an instant out of range).
pub fn rfc3339(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}
