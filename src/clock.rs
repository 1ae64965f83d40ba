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

/// Parses an RFC 3339 instant (any offset) to unix seconds.
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    time::OffsetDateTime::parse(text.trim(), &time::format_description::well_known::Rfc3339)
        .ok()
        .map(time::OffsetDateTime::unix_timestamp)
}

/// Like [`parse_rfc3339`], but also takes a time without offset (UTC) and a bare date (midnight
/// UTC), as SDKs send for `since`/`before`.
pub fn parse_instant(text: &str) -> Option<i64> {
    use time::macros::format_description;
    let text = text.trim();
    parse_rfc3339(text)
        .or_else(|| {
            let f = format_description!(
                "[year]-[month]-[day]T[hour]:[minute]:[second][optional [.[subsecond]]]"
            );
            time::PrimitiveDateTime::parse(text, f)
                .ok()
                .map(|t| t.assume_utc().unix_timestamp())
        })
        .or_else(|| {
            time::Date::parse(text, format_description!("[year]-[month]-[day]"))
                .ok()
                .map(|d| d.midnight().assume_utc().unix_timestamp())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_with_offset_without_and_bare_dates() {
        assert_eq!(parse_instant("2030-01-01T00:00:00Z"), Some(1_893_456_000));
        assert_eq!(
            parse_instant("2030-01-01T01:00:00+01:00"),
            Some(1_893_456_000)
        );
        assert_eq!(
            parse_instant("2030-01-01T00:00:00.250"),
            Some(1_893_456_000)
        );
        assert_eq!(parse_instant("2030-01-01"), Some(1_893_456_000));
        assert_eq!(parse_instant("yesterday"), None);
        assert_eq!(rfc3339(1_893_456_000), "2030-01-01T00:00:00Z");
    }
}
