//! The query string of `GET /zones/{id}/client_certificates`: the query extractor, the list
//! query (status, expires_before, page, per_page, offset, limit), and the page it cuts from sets
//! of a few sizes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mtls_ca::fuzzing::list_query;
use mtls_ca::service::listing::{MAX_PER_PAGE, MIN_PER_PAGE};

fuzz_target!(|data: &[u8]| {
    let Ok(query) = std::str::from_utf8(data) else {
        return;
    };
    for rows in [0, 1, 20, 1_000_000, u64::MAX] {
        let Ok((q, window, info)) = list_query(query, rows) else {
            return;
        };
        assert!((MIN_PER_PAGE..=MAX_PER_PAGE).contains(&q.per_page));
        assert!(q.page >= 1);
        assert!(window.take <= q.per_page && window.take <= window.total);
        assert!(window.total <= rows);
        assert_eq!(info.total_pages, window.total.div_ceil(q.per_page));
    }
});
