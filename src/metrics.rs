//! Prometheus metrics, one registry per running app (tests run several apps in one process).

use std::sync::Mutex;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TransitionLabels {
    to: String,
}

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
        Self {
            registry: Mutex::new(registry),
            requests,
            request_seconds,
            issued,
            transitions,
            worker_runs,
            worker_seconds,
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

    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let registry = self.registry.lock().unwrap_or_else(|p| p.into_inner());
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &registry);
        out
    }
}
