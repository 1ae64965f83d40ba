//! The report: each pair's figures side by side, the median of the pairs' ratios, and the
//! machine's load average.

use crate::wrk::Load;

/// Prints one pair, mtls-ca's run `m` beside cfssl's `c`; the ratios (mtls-ca to cfssl) of their
/// requests/s and of their p99.
pub fn pair(pair: usize, m: &Load, c: &Load) -> (f64, f64) {
    let (m_rate, c_rate) = (m.requests as f64 / m.seconds, c.requests as f64 / c.seconds);
    println!(
        "pair {pair}: mtls-ca {m_rate:.0}/s p99 {:.1} ms | cfssl {c_rate:.0}/s p99 {:.1} ms | ratio {:.2}x, p99 mtls-ca/cfssl {:.2}",
        m.p99_ms,
        c.p99_ms,
        m_rate / c_rate,
        m.p99_ms / c.p99_ms
    );
    println!(
        "  server CPU per request (user+sys, us): mtls-ca {:.0}+{:.0}, cfssl {:.0}+{:.0}",
        m.cpu_us.0, m.cpu_us.1, c.cpu_us.0, c.cpu_us.1
    );
    (m_rate / c_rate, m.p99_ms / c.p99_ms)
}

/// The median of `v` (the upper one of an even count).
pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// `/proc/loadavg` as it reads.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg").unwrap_or_default()
}
