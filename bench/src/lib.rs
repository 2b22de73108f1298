//! Shared by the benchmark programs: a closed-loop load generator (N workers, each sending its
//! next request when the previous one is answered), latency percentiles and histograms, and a
//! server process's memory and open file descriptors.

pub mod board;
pub mod ledger;
pub mod signin;
pub mod uploads;

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Wall-clock time in microseconds (comparable across processes on one machine).
pub fn now_us() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_micros() as u64).unwrap_or(0)
}

/// Resident memory of process `pid` in KiB (`VmRSS` in /proc/PID/status).
pub fn rss_kib(pid: Option<u32>) -> Option<u64> {
    status_kib(pid?, "VmRSS:")
}

/// A KiB figure of /proc/PID/status, e.g. `RssAnon:` (the heap and stacks, as opposed to
/// `RssFile:`, pages of the binary and other mapped files).
pub fn status_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
}

/// Open file descriptors of process `pid` (entries of /proc/PID/fd).
pub fn open_fds(pid: u32) -> Option<usize> {
    Some(std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?.count())
}

/// Open sockets of process `pid` (descriptors that link to `socket:[…]`).
pub fn open_sockets(pid: u32) -> Option<usize> {
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?.filter_map(Result::ok);
    Some(fds.filter(|e| std::fs::read_link(e.path()).is_ok_and(|l| l.to_string_lossy().starts_with("socket:"))).count())
}

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

/// Latencies recorded from many tasks at once: 0.1 ms buckets up to 10 s, one bucket above.
pub struct Histogram {
    buckets: Vec<AtomicU64>,
    max_us: AtomicU64,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram { buckets: (0..=Self::TOP).map(|_| AtomicU64::new(0)).collect(), max_us: AtomicU64::new(0) }
    }
}

impl Histogram {
    const TOP: usize = 100_000;

    pub fn record(&self, us: u64) {
        let i = ((us / 100) as usize).min(Self::TOP);
        self.buckets[i].fetch_add(1, Ordering::Relaxed);
        self.max_us.fetch_max(us, Ordering::Relaxed);
    }

    pub fn count(&self) -> u64 {
        self.buckets.iter().map(|b| b.load(Ordering::Relaxed)).sum()
    }

    /// The upper edge of the bucket holding quantile `q`, in milliseconds (NaN when empty).
    pub fn quantile_ms(&self, q: f64) -> f64 {
        let total = self.count();
        if total == 0 {
            return f64::NAN;
        }
        let rank = ((total - 1) as f64 * q).round() as u64;
        let mut seen = 0;
        for (i, b) in self.buckets.iter().enumerate() {
            seen += b.load(Ordering::Relaxed);
            if seen > rank {
                return if i == Self::TOP { self.max_ms() } else { (i as f64 + 1.0) / 10.0 };
            }
        }
        self.max_ms()
    }

    pub fn max_ms(&self) -> f64 {
        self.max_us.load(Ordering::Relaxed) as f64 / 1000.0
    }
}
