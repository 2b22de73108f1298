//! Shared by the benchmark programs: a closed-loop load generator (N workers, each sending its
//! next request when the previous one is answered) and latency percentiles.

pub mod signin;

use std::future::Future;
use std::time::{Duration, Instant};

/// One workload's outcome.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    pub ok: u64,
    pub errors: u64,
    pub secs: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

impl Stats {
    pub fn per_sec(&self) -> f64 {
        self.ok as f64 / self.secs.max(1e-9)
    }
}

/// Value at quantile `q` of sorted microseconds, in milliseconds.
pub fn percentile_ms(sorted_us: &[u64], q: f64) -> f64 {
    if sorted_us.is_empty() {
        return 0.0;
    }
    sorted_us[((sorted_us.len() - 1) as f64 * q).round() as usize] as f64 / 1000.0
}

/// Run `concurrency` workers for `duration`; `request(worker, n)` sends one request and says
/// whether it succeeded. Latency is measured around each call.
pub async fn load<F, Fut>(concurrency: usize, duration: Duration, request: F) -> Stats
where
    F: Fn(usize, u64) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = bool> + Send,
{
    let started = Instant::now();
    let deadline = started + duration;
    let workers: Vec<_> = (0..concurrency)
        .map(|w| {
            let request = request.clone();
            tokio::spawn(async move {
                let (mut lat, mut errors, mut n) = (Vec::with_capacity(4096), 0u64, 0u64);
                while Instant::now() < deadline {
                    let t = Instant::now();
                    let ok = request(w, n).await;
                    n += 1;
                    if ok {
                        lat.push(t.elapsed().as_micros() as u64);
                    } else {
                        errors += 1;
                    }
                }
                (lat, errors)
            })
        })
        .collect();
    let (mut all, mut errors) = (Vec::new(), 0);
    for w in workers {
        if let Ok((lat, e)) = w.await {
            all.extend(lat);
            errors += e;
        }
    }
    let secs = started.elapsed().as_secs_f64();
    all.sort_unstable();
    Stats { ok: all.len() as u64, errors, secs, p50_ms: percentile_ms(&all, 0.5), p99_ms: percentile_ms(&all, 0.99) }
}
