//! A few process-wide counters, exposed in Prometheus text format at `/metrics`.
//! Plain atomics: the set is small and fixed, so a metrics framework would not earn its keep.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

const STATUS_CLASSES: [&str; 5] = ["1xx", "2xx", "3xx", "4xx", "5xx"];
/// Upper bounds (seconds) of the request-duration histogram buckets.
const BUCKETS: [f64; 10] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0];
pub const GRAPHQL_CODES: [&str; 6] =
    ["UNAUTHENTICATED", "FORBIDDEN", "NOT_FOUND", "BAD_USER_INPUT", "CONFLICT", "INTERNAL"];

#[derive(Default)]
pub struct Metrics {
    responses: [AtomicU64; 5],
    duration_buckets: [AtomicU64; 10],
    duration_count: AtomicU64,
    duration_micros_sum: AtomicU64,
    graphql_operations: AtomicU64,
    graphql_errors: [AtomicU64; 6],
    /// Subscription results rendered (once per event and query shape) and delivered (per subscriber).
    pub renders: AtomicU64,
    pub deliveries: AtomicU64,
    /// Subscriptions opened from a shape already validated, without async-graphql.
    pub shape_hits: AtomicU64,
    /// Revocation signals handled (each names what was revoked), and connections that checked
    /// their token again because one named it.
    pub revocations: AtomicU64,
    pub token_rechecks: AtomicU64,
    /// WebSocket connections closed because they took no messages for the stall limit.
    pub slow_consumers: AtomicU64,
}

impl Metrics {
    pub fn observe_response(&self, status: u16, seconds: f64) {
        let class = (status / 100).clamp(1, 5) as usize - 1;
        self.responses[class].fetch_add(1, Relaxed);
        for (i, bound) in BUCKETS.iter().enumerate() {
            if seconds <= *bound {
                self.duration_buckets[i].fetch_add(1, Relaxed);
            }
        }
        self.duration_count.fetch_add(1, Relaxed);
        self.duration_micros_sum.fetch_add((seconds * 1e6) as u64, Relaxed);
    }

    pub fn observe_graphql(&self, operations: usize, error_codes: &[&str]) {
        self.graphql_operations.fetch_add(operations as u64, Relaxed);
        for code in error_codes {
            if let Some(i) = GRAPHQL_CODES.iter().position(|c| c == code) {
                self.graphql_errors[i].fetch_add(1, Relaxed);
            }
        }
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "# HELP tessera_http_responses_total HTTP responses by status class.");
        let _ = writeln!(out, "# TYPE tessera_http_responses_total counter");
        for (i, class) in STATUS_CLASSES.iter().enumerate() {
            let _ =
                writeln!(out, "tessera_http_responses_total{{class=\"{class}\"}} {}", self.responses[i].load(Relaxed));
        }
        let _ = writeln!(out, "# HELP tessera_http_request_duration_seconds Time to produce a response.");
        let _ = writeln!(out, "# TYPE tessera_http_request_duration_seconds histogram");
        for (i, bound) in BUCKETS.iter().enumerate() {
            let n = self.duration_buckets[i].load(Relaxed);
            let _ = writeln!(out, "tessera_http_request_duration_seconds_bucket{{le=\"{bound}\"}} {n}");
        }
        let count = self.duration_count.load(Relaxed);
        let _ = writeln!(out, "tessera_http_request_duration_seconds_bucket{{le=\"+Inf\"}} {count}");
        let sum = self.duration_micros_sum.load(Relaxed) as f64 / 1e6;
        let _ = writeln!(out, "tessera_http_request_duration_seconds_sum {sum}");
        let _ = writeln!(out, "tessera_http_request_duration_seconds_count {count}");
        let _ = writeln!(out, "# HELP tessera_graphql_operations_total GraphQL operations executed.");
        let _ = writeln!(out, "# TYPE tessera_graphql_operations_total counter");
        let _ = writeln!(out, "tessera_graphql_operations_total {}", self.graphql_operations.load(Relaxed));
        let _ = writeln!(out, "# HELP tessera_graphql_errors_total GraphQL errors by extensions.code.");
        let _ = writeln!(out, "# TYPE tessera_graphql_errors_total counter");
        for (i, code) in GRAPHQL_CODES.iter().enumerate() {
            let _ = writeln!(
                out,
                "tessera_graphql_errors_total{{code=\"{code}\"}} {}",
                self.graphql_errors[i].load(Relaxed)
            );
        }
        let _ = writeln!(
            out,
            "# HELP tessera_subscription_renders_total Events rendered for subscribers, once per query shape."
        );
        let _ = writeln!(out, "# TYPE tessera_subscription_renders_total counter");
        let _ = writeln!(out, "tessera_subscription_renders_total {}", self.renders.load(Relaxed));
        let _ = writeln!(
            out,
            "# HELP tessera_subscription_deliveries_total Subscription results queued to clients (WebSocket and SSE)."
        );
        let _ = writeln!(out, "# TYPE tessera_subscription_deliveries_total counter");
        let _ = writeln!(out, "tessera_subscription_deliveries_total {}", self.deliveries.load(Relaxed));
        let _ = writeln!(
            out,
            "# HELP tessera_subscription_shape_hits_total Subscriptions opened from a query shape already validated."
        );
        let _ = writeln!(out, "# TYPE tessera_subscription_shape_hits_total counter");
        let _ = writeln!(out, "tessera_subscription_shape_hits_total {}", self.shape_hits.load(Relaxed));
        let _ = writeln!(out, "# HELP tessera_revocation_signals_total Revocations (or credential changes) handled.");
        let _ = writeln!(out, "# TYPE tessera_revocation_signals_total counter");
        let _ = writeln!(out, "tessera_revocation_signals_total {}", self.revocations.load(Relaxed));
        let _ = writeln!(
            out,
            "# HELP tessera_token_rechecks_total Token checks by open connections after a revocation named their token (retries included)."
        );
        let _ = writeln!(out, "# TYPE tessera_token_rechecks_total counter");
        let _ = writeln!(out, "tessera_token_rechecks_total {}", self.token_rechecks.load(Relaxed));
        let _ = writeln!(
            out,
            "# HELP tessera_ws_slow_consumers_total WebSocket connections closed as slow consumers (4413)."
        );
        let _ = writeln!(out, "# TYPE tessera_ws_slow_consumers_total counter");
        let _ = writeln!(out, "tessera_ws_slow_consumers_total {}", self.slow_consumers.load(Relaxed));
        out
    }
}
