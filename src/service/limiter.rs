//! Per-credential rate limiting (Cloudflare answers 429 with code 971 and `Retry-After`).

use std::num::NonZeroU32;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};

use crate::error::{Error, Result};

/// A token bucket per credential: `per_second` sustained, the same again as burst.
pub struct Limiter {
    inner: DefaultKeyedRateLimiter<String>,
    clock: DefaultClock,
}

impl Limiter {
    /// `None` when `per_second` is 0 (rate limiting disabled).
    pub fn new(per_second: u32) -> Option<Self> {
        let rate = NonZeroU32::new(per_second)?;
        Some(Self {
            inner: DefaultKeyedRateLimiter::keyed(Quota::per_second(rate)),
            clock: DefaultClock::default(),
        })
    }

    /// Takes one request from the credential's bucket, or says how long to wait.
    pub fn check(&self, key: &str) -> Result<()> {
        self.inner.check_key(&key.to_owned()).map_err(|not_until| {
            let wait = not_until.wait_time_from(self.clock.now());
            Error::RateLimited(wait.as_secs().max(1))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_credential_over_its_rate_is_told_to_wait_and_others_are_not() {
        assert!(Limiter::new(0).is_none());
        let Some(limiter) = Limiter::new(2) else {
            panic!("a positive rate builds a limiter");
        };
        assert!(limiter.check("a").is_ok());
        assert!(limiter.check("a").is_ok());
        assert!(matches!(limiter.check("a"), Err(Error::RateLimited(s)) if s >= 1));
        assert!(limiter.check("b").is_ok());
    }
}
