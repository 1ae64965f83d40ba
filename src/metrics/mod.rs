//! Prometheus metrics, one registry per running app (tests run several apps in one process).

use std::sync::atomic::AtomicI64;
use std::sync::Mutex;

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

mod gauges;
mod labels;

use labels::{
    CaLabels, CrlLabels, OcspLabels, RequestLabels, RouteLabels, TransitionLabels, WindowLabels,
};

/// The windows of `mtls_ca_certificates_expiring`, in days.
pub const EXPIRY_WINDOWS_DAYS: [i64; 2] = [7, 30];
/// Seconds between two counts of the expiring certificates.
const EXPIRING_RECOUNT_SECONDS: i64 = 60;

fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

/// The service's counters and histograms.
pub struct Metrics {
    registry: Mutex<Registry>,
    requests: Family<RequestLabels, Counter>,
    request_seconds: Family<RouteLabels, Histogram, fn() -> Histogram>,
    issued: Counter,
    transitions: Family<TransitionLabels, Counter>,
    worker_runs: Counter,
    worker_seconds: Histogram,
    revocation_latency: Family<TransitionLabels, Histogram, fn() -> Histogram>,
    crls_published: Counter,
    crl_entries: Gauge,
    ocsp_answers: Family<OcspLabels, Counter>,
    ca_expiry: Family<CaLabels, Gauge>,
    expiring: Family<WindowLabels, Gauge>,
    expiring_counted_at: AtomicI64,
    crl_age: Family<CrlLabels, Gauge>,
    crl_next_update: Family<CrlLabels, Gauge>,
}

/// Seconds from a DELETE or PATCH to its publication: from well under a worker interval to hours.
fn revocation_latency_histogram() -> Histogram {
    Histogram::new([
        1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0,
    ])
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A fresh registry with every metric registered.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("mtls_ca");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests by method, matched route and status",
            requests.clone(),
        );
        let request_seconds =
            Family::<RouteLabels, Histogram, fn() -> Histogram>::new_with_constructor(
                latency_histogram,
            );
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency by matched route",
            request_seconds.clone(),
        );
        let issued = Counter::default();
        registry.register(
            "certificates_issued",
            "Client certificates issued",
            issued.clone(),
        );
        let transitions = Family::<TransitionLabels, Counter>::default();
        registry.register(
            "worker_transitions",
            "Status transitions completed by the background worker, by target status",
            transitions.clone(),
        );
        let worker_runs = Counter::default();
        registry.register("worker_runs", "Background worker runs", worker_runs.clone());
        let worker_seconds = Histogram::new(exponential_buckets(0.0005, 2.0, 16));
        registry.register(
            "worker_run_duration_seconds",
            "Duration of background worker runs",
            worker_seconds.clone(),
        );
        let revocation_latency =
            Family::<TransitionLabels, Histogram, fn() -> Histogram>::new_with_constructor(
                revocation_latency_histogram,
            );
        registry.register(
            "revocation_publication_latency_seconds",
            "Seconds from a DELETE (to=revoked) or PATCH (to=active) being accepted to the CRL and \
             OCSP saying so",
            revocation_latency.clone(),
        );
        let crls_published = Counter::default();
        registry.register(
            "crls_published",
            "CRLs signed and stored",
            crls_published.clone(),
        );
        let crl_entries = Gauge::default();
        registry.register(
            "crl_entries",
            "Certificates listed by the last CRL this process stored",
            crl_entries.clone(),
        );
        let ocsp_answers = Family::<OcspLabels, Counter>::default();
        registry.register(
            "ocsp_answers",
            "OCSP answers: good, revoked, unknown, cached, or an error status",
            ocsp_answers.clone(),
        );
        let ca_expiry = Family::<CaLabels, Gauge>::default();
        registry.register(
            "ca_expiry_seconds",
            "Seconds until each CA certificate's notAfter (negative once expired), by CA id and role",
            ca_expiry.clone(),
        );
        let expiring = Family::<WindowLabels, Gauge>::default();
        registry.register(
            "certificates_expiring",
            "Active client certificates whose notAfter is within the next within_days days \
             (counted at most once a minute)",
            expiring.clone(),
        );
        let crl_age = Family::<CrlLabels, Gauge>::default();
        registry.register(
            "crl_age_seconds",
            "Seconds since the thisUpdate of each live CA's current CRL, by CA id",
            crl_age.clone(),
        );
        let crl_next_update = Family::<CrlLabels, Gauge>::default();
        registry.register(
            "crl_next_update_seconds",
            "Seconds until the nextUpdate of each live CA's current CRL (negative once past: TLS \
             servers that check it refuse every client), by CA id",
            crl_next_update.clone(),
        );
        Self {
            registry: Mutex::new(registry),
            crl_age,
            crl_next_update,
            ca_expiry,
            expiring,
            expiring_counted_at: AtomicI64::new(i64::MIN),
            requests,
            request_seconds,
            issued,
            transitions,
            worker_runs,
            worker_seconds,
            revocation_latency,
            crls_published,
            crl_entries,
            ocsp_answers,
        }
    }

    /// Counts one answered request.
    pub fn record_request(&self, method: &str, route: &str, status: u16, seconds: f64) {
        self.requests
            .get_or_create(&RequestLabels {
                method: method.to_owned(),
                route: route.to_owned(),
                status,
            })
            .inc();
        self.request_seconds
            .get_or_create(&RouteLabels {
                route: route.to_owned(),
            })
            .observe(seconds);
    }

    /// Counts one issued certificate.
    pub fn record_issued(&self) {
        self.issued.inc();
    }

    /// Counts transitions the worker completed to `to`.
    pub fn record_transitions(&self, to: &str, n: u64) {
        self.transitions
            .get_or_create(&TransitionLabels { to: to.to_owned() })
            .inc_by(n);
    }

    /// Counts one worker run and its duration.
    pub fn record_worker_run(&self, seconds: f64) {
        self.worker_runs.inc();
        self.worker_seconds.observe(seconds);
    }

    /// Observes the seconds from a status change being requested to the CRL and OCSP saying so.
    pub fn record_revocation_latency(&self, to: &str, seconds: i64) {
        self.revocation_latency
            .get_or_create(&TransitionLabels { to: to.to_owned() })
            .observe(seconds.max(0) as f64);
    }

    /// Counts one stored CRL listing `entries` certificates.
    pub fn record_crl_published(&self, entries: usize) {
        self.crls_published.inc();
        self.crl_entries
            .set(i64::try_from(entries).unwrap_or(i64::MAX));
    }

    /// Counts one OCSP answer (`good`, `revoked`, `unknown`, `cached`, or an error status).
    pub fn record_ocsp(&self, answer: &str) {
        self.ocsp_answers
            .get_or_create(&OcspLabels {
                answer: answer.to_owned(),
            })
            .inc();
    }

    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let registry = self.registry.lock().unwrap_or_else(|p| p.into_inner());
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &registry);
        out
    }
}
