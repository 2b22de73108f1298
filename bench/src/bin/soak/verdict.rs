//! The soak's checks and its table of figures.

use super::subscriber::{Report, Start};
use super::{Plan, Sample, Shared};
use std::sync::atomic::Ordering::Relaxed;

/// Flat memory: the final window's median RSS may exceed the baseline window's median by at
/// most this fraction (see README, "Soak").
const RSS_GROWTH: f64 = 0.10;
/// Flat descriptors: the server's descriptors other than its ends of this program's
/// connections (median of the final window) may exceed the baseline's by at most this many,
/// plus one per 100 subscribers (connections closed on one side and not yet on the other).
const FD_SLACK: usize = 10;

fn median(xs: &mut [u64]) -> u64 {
    xs.sort_unstable();
    xs.get(xs.len() / 2).copied().unwrap_or(0)
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// The inputs of the verdict.
pub struct Run<'a> {
    pub secs: f64,
    /// Events written before the measurement.
    pub prefilled: u64,
    pub before: Sample,
    pub samples: &'a [Sample],
    /// Errors per progress interval.
    pub intervals: &'a [u64],
    pub reports: &'a [Report],
    /// Per workspace: the cursor of its last acknowledged write.
    pub targets: &'a [Option<i64>],
    pub server_log: Option<&'a str>,
}

/// What is wrong with what one subscriber received, if anything. `first`: the workspace's first
/// cursor seen by anyone; `target`: the cursor of its last acknowledged write, acknowledged at
/// `last_ack_us`.
fn problem(r: &Report, first: Option<i64>, target: Option<i64>, last_ack_us: u64) -> Option<String> {
    let t = &r.track;
    if t.breaks > 0 {
        return Some(format!("{} cursor breaks, the first (previous, received): {:?}", t.breaks, t.first_breaks));
    }
    match (r.start, t.first) {
        (Start::Zero, Some(f)) if Some(f) != first => {
            return Some(format!("replay from cursor 0 began at {f}, the workspace at {first:?}"))
        }
        (Start::After(c), Some(f)) if f != c + 1 => return Some(format!("subscribed after cursor {c}, began at {f}")),
        _ => {}
    }
    match (r.left, target, t.last) {
        (Some(false), _, _) => Some("left without every write acknowledged before it left (15 s)".into()),
        (Some(true), _, _) | (None, None, _) => None,
        (None, Some(target), Some(last)) => {
            (last < target).then(|| format!("stopped at {last}, the workspace at {target}"))
        }
        (None, Some(target), None) => {
            let expected = match r.start {
                Start::Zero => true,
                Start::After(c) => target > c,
                // A live subscription begins at some point after it was sent: writes
                // acknowledged more than 10 s after it was started must reach it.
                Start::Live => last_ack_us > r.born_us + 10_000_000,
            };
            expected.then(|| format!("received nothing, the workspace is at {target}"))
        }
    }
}

/// Print the figures and every check; true if all passed.
pub fn judge(shared: &Shared, plan: &Plan, run: &Run) -> bool {
    let mut checks: Vec<(bool, String)> = Vec::new();
    let ledger = &shared.ledger;
    let (acked, seen) = ledger.settle();

    // Delivery: each subscriber against its workspace.
    let incomplete: Vec<String> = run
        .reports
        .iter()
        .filter_map(|r| {
            let last_ack_us = shared.last_ack_us[r.ws].load(Relaxed);
            let p = problem(r, ledger.first_cursor(r.ws), run.targets[r.ws], last_ack_us)?;
            Some(format!("subscriber {} (workspace {}, {:?}): {p}", r.id, r.ws, r.start))
        })
        .collect();
    let delivered: u64 = run.reports.iter().map(|r| r.track.count).sum();
    let leavers = run.reports.iter().filter(|r| r.left.is_some()).count();
    checks.push((
        incomplete.is_empty() && ledger.faults().count() == 0 && acked == seen,
        format!(
            "delivery: {} of {} subscribers received every acknowledged event of their workspace exactly once, in cursor order ({} ledger faults)",
            run.reports.len() - incomplete.len(),
            run.reports.len(),
            ledger.faults().count()
        ),
    ));

    // Errors of the load, and the server's own view.
    let errors = shared.errors.all.count();
    let by_kind = shared.errors.by_kind.lock().map(|m| format!("{m:?}")).unwrap_or_default();
    let max_interval = run.intervals.iter().copied().max().unwrap_or(0);
    checks.push((
        errors == 0,
        format!("errors: {errors} {by_kind}, at most {max_interval} in one interval (allowed: 0)"),
    ));
    let (first, last) =
        (run.samples.first().copied().unwrap_or_default(), run.samples.last().copied().unwrap_or_default());
    let (s5xx, gql) = (last.server_5xx - run.before.server_5xx, last.graphql_errors - run.before.graphql_errors);
    checks.push((s5xx == 0 && gql == 0, format!("server: {s5xx} 5xx responses, {gql} GraphQL errors (allowed: 0)")));
    // The server logs at `warn` in JSON. A slow database-pool acquisition (sqlx's warning past
    // 2 s) is slowness, shown in the latencies and counted here; any other line is a failure.
    let lines: Vec<&str> =
        run.server_log.map(|l| l.lines().filter(|l| !l.trim().is_empty()).collect()).unwrap_or_default();
    let slow = |l: &str| l.contains("\"level\":\"WARN\"") && l.contains("\"target\":\"sqlx::pool::acquire\"");
    let slow_acquires = lines.iter().filter(|l| slow(l)).count();
    let log_lines: Vec<&str> = lines.iter().filter(|l| !slow(l)).copied().collect();
    if run.server_log.is_some() {
        checks.push((
            log_lines.is_empty(),
            format!(
                "server log: {} warnings or errors (allowed: 0), besides {slow_acquires} slow database-pool acquisitions",
                log_lines.len()
            ),
        ));
    }

    // Flat memory and descriptors: the window after warm-up against the final window.
    let window =
        |from: f64, to: f64| -> Vec<&Sample> { run.samples.iter().filter(|s| s.t >= from && s.t <= to).collect() };
    let warm = plan.warmup.as_secs_f64();
    let base = window(warm, warm + plan.window.as_secs_f64());
    let end = window(run.secs - plan.window.as_secs_f64(), run.secs + 1.0);
    let after = window(warm, run.secs + 1.0);
    let rss = |w: &[&Sample]| median(&mut w.iter().map(|s| s.rss_kib).collect::<Vec<_>>());
    let fds = |w: &[&Sample]| median(&mut w.iter().map(|s| s.fds as u64).collect::<Vec<_>>());
    // Descriptors that are not the server's end of one of this program's connections.
    let other = |w: &[&Sample]| {
        median(&mut w.iter().map(|s| s.fds.saturating_sub(s.client_sockets) as u64).collect::<Vec<_>>())
    };
    let (rss_base, rss_end) = (rss(&base), rss(&end));
    let anon = |w: &[&Sample]| median(&mut w.iter().map(|s| s.anon_kib).collect::<Vec<_>>());
    let (anon_base, anon_end) = (anon(&base), anon(&end));
    let (fd_base, fd_end) = (fds(&base), fds(&end));
    let (other_base, other_end) = (other(&base), other(&end));
    let rss_max = run.samples.iter().map(|s| s.rss_kib).max().unwrap_or(0);
    let fd_max = run.samples.iter().map(|s| s.fds).max().unwrap_or(0);
    let rss_allowed = (rss_base as f64 * (1.0 + RSS_GROWTH)) as u64;
    let other_allowed = other_base + (FD_SLACK + plan.subscribers / 100) as u64;
    let enough = !base.is_empty() && !end.is_empty() && after.len() >= 4;
    checks.push((
        enough && rss_end <= rss_allowed,
        format!(
            "memory flat: RSS median {:.1} MiB in the last {} s vs {:.1} MiB after warm-up ({:+.1}%; allowed +{:.0}%)",
            mib(rss_end),
            plan.window.as_secs(),
            mib(rss_base),
            100.0 * (rss_end as f64 / rss_base.max(1) as f64 - 1.0),
            100.0 * RSS_GROWTH
        ),
    ));
    checks.push((
        enough && other_end <= other_allowed,
        format!(
            "descriptors flat: {other_end} not held by this program's connections (median, last {} s) vs {other_base} after warm-up (allowed up to {other_allowed}); all descriptors {fd_end} vs {fd_base}",
            plan.window.as_secs()
        ),
    ));

    let n = &shared.n;
    let rows: Vec<(&str, String)> = vec![
        ("duration (writes and churn)", format!("{:.1} s", run.secs)),
        (
            "subscribers",
            format!(
                "{} at once over {} workspaces; {} in all ({} joined from cursor 0, {} live, {} left)",
                plan.subscribers,
                shared.workspaces.len(),
                run.reports.len(),
                n.joins_zero.load(Relaxed),
                n.joins_live.load(Relaxed),
                leavers
            ),
        ),
        (
            "events written",
            format!(
                "{} acknowledged of {} sent during the run ({:.1}/s), after {} pre-filled",
                acked - run.prefilled,
                plan.rate * plan.seconds,
                (acked - run.prefilled) as f64 / run.secs,
                run.prefilled
            ),
        ),
        (
            "events delivered",
            format!(
                "{delivered} (server queued {})",
                last.server_deliveries.saturating_sub(run.before.server_deliveries)
            ),
        ),
        ("reconnects (resumed from last cursor)", n.reconnects.load(Relaxed).to_string()),
        (
            "refreshes",
            format!(
                "{} (every one succeeded: {}); access tokens from them used {} times; in-band re-authentications {}",
                n.refreshes.load(Relaxed),
                shared.errors.by_kind.lock().map(|m| !m.contains_key("refresh")).unwrap_or(false),
                n.token_uses.load(Relaxed),
                n.reauths.load(Relaxed)
            ),
        ),
        ("errors", format!("{errors} (max {max_interval} in one {} s interval)", plan.report_every.as_secs())),
        (
            "server RSS MiB",
            format!(
                "before subscribers {:.1}, start {:.1}, after warm-up {:.1}, end {:.1}, max {:.1}; anonymous (heap, stacks) after warm-up {:.1}, end {:.1}",
                mib(run.before.rss_kib),
                mib(first.rss_kib),
                mib(rss_base),
                mib(rss_end),
                mib(rss_max),
                mib(anon_base),
                mib(anon_end)
            ),
        ),
        (
            "server open fds",
            format!(
                "before subscribers {}, start {}, after warm-up {fd_base}, end {fd_end}, max {fd_max}; not held by this program's connections: after warm-up {other_base}, end {other_end}",
                run.before.fds, first.fds
            ),
        ),
        (
            "delivery latency (live)",
            format!(
                "p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms ({} deliveries)",
                shared.live_latency.quantile_ms(0.5),
                shared.live_latency.quantile_ms(0.99),
                shared.live_latency.max_ms(),
                shared.live_latency.count()
            ),
        ),
        (
            "write latency",
            format!(
                "p50 {:.1} ms, p99 {:.1} ms",
                shared.write_latency.quantile_ms(0.5),
                shared.write_latency.quantile_ms(0.99)
            ),
        ),
    ];
    println!("\n| figure | value |\n|---|---|");
    for (k, v) in rows {
        println!("| {k} | {v} |");
    }
    println!();
    for (ok, what) in &checks {
        println!("{} {what}", if *ok { "pass" } else { "FAIL" });
    }
    for p in incomplete.iter().take(10) {
        println!("  {p}");
    }
    for f in ledger.faults().first().iter().chain(shared.errors.all.first().iter()) {
        println!("  {f}");
    }
    for l in log_lines.iter().take(5) {
        println!("  server log: {l}");
    }
    let passed = checks.iter().all(|(ok, _)| *ok);
    if passed {
        println!(
            "OK: soak passed: {} s, {} subscribers, no event lost or duplicated ({acked} acknowledged), {} reconnects, {} refreshes, 0 errors, RSS and fds flat",
            run.secs.round(),
            plan.subscribers,
            n.reconnects.load(Relaxed),
            n.refreshes.load(Relaxed)
        );
    }
    passed
}
