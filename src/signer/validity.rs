//! Instants at the boundary are `i64` unix seconds; rcgen wants `OffsetDateTime`.

use time::{Duration, OffsetDateTime};

use super::SignerError;

/// Converts unix seconds, refusing instants X.509 cannot carry sensibly (before 1950 or after 9999).
pub(super) fn datetime(unix: i64) -> Result<OffsetDateTime, SignerError> {
    OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .filter(|t| (1950..=9999).contains(&t.year()))
        .ok_or_else(|| {
            SignerError::Validity(format!("instant {unix} is outside the years 1950 to 9999"))
        })
}

/// The same calendar date and time `years` later; 29 February becomes 28 February in a common year.
pub(super) fn plus_years(t: OffsetDateTime, years: i32) -> Result<OffsetDateTime, SignerError> {
    let year = t.year() + years;
    t.replace_year(year)
        .or_else(|_| (t - Duration::days(1)).replace_year(year))
        .ok()
        .filter(|t| t.year() <= 9999)
        .ok_or_else(|| SignerError::Validity(format!("year {year} is out of range")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn years_are_calendar_years() {
        let t = datetime!(2024-02-29 12:34:56 UTC);
        assert_eq!(
            plus_years(t, 25).unwrap(),
            datetime!(2049-02-28 12:34:56 UTC)
        );
        assert_eq!(
            plus_years(t, 4).unwrap(),
            datetime!(2028-02-29 12:34:56 UTC)
        );
        let t = datetime!(2026-11-27 00:00:00 UTC);
        assert_eq!(
            plus_years(t, 25).unwrap(),
            datetime!(2051-11-27 00:00:00 UTC)
        );
    }

    #[test]
    fn instants_outside_x509_years_are_refused() {
        assert!(datetime(0).is_ok());
        assert!(datetime(-700_000_000).is_err());
        assert!(datetime(i64::MAX).is_err());
        assert!(datetime(253_402_300_799).is_ok());
        assert!(datetime(253_402_300_800).is_err());
    }
}
