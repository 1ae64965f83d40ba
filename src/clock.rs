//! The one place that reads the wall clock. Everything else takes `now` as a parameter.

/// Seconds since the Unix epoch, now.
#[allow(clippy::disallowed_methods)]
pub fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}
