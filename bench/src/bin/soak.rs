//! Soak: a bounded run against one tessera server — thousands of `graphql-transport-ws`
//! subscribers over several workspaces, writes at a fixed rate, refresh-token rotation on
//! chains from a real sign-in (each new access token put to use), and connection churn
//! (subscribers dropped and resumed from their last cursor, others replaced by brand-new ones
//! that replay from cursor 0 or join live). Then checks that every subscriber received every
//! acknowledged event of its workspace exactly once in cursor order (see `tessera_bench::ledger`),
//! that the server's memory and open file descriptors stayed flat, and that nothing failed.
//! Prints a progress line per interval and a table of figures; exits 1 if any check fails.
//!
//! usage: soak URL SERVER_PID READER_TOKEN WRITER_TOKEN WS1,WS2,… CLIENT_ID CLIENT_SECRET EMAIL PASSWORD
//!             [--quick] [--seconds N] [--subscribers N] [--rate N] [--server-log FILE]

use serde_json::{json, Value};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};
use tessera_bench::ledger::{Faults, Ledger};
use tessera_bench::{now_us, open_fds, open_sockets, rss_kib, signin, status_kib, Histogram};

#[path = "soak/subscriber.rs"]
mod subscriber;
#[path = "soak/verdict.rs"]
mod verdict;

use subscriber::{Cmd, Member, Start};

/// What one run does; `--quick` is the CI variant.
pub struct Plan {
    pub quick: bool,
    pub seconds: u64,
    pub subscribers: usize,
    /// Writes per second, over all workspaces.
    pub rate: u64,
    /// Per second: subscribers dropped and resumed, replaced by new ones, re-authenticated in-band.
    pub reconnects: f64,
    pub replacements: f64,
    pub reauths: f64,
    pub chains: usize,
    pub refresh_every: Duration,
    /// Events written to each workspace before the measurement.
    pub prefill: u64,
    pub sample_every: Duration,
    pub report_every: Duration,
    /// The baseline window starts after `warmup`; the final window is the run's last `window`.
    pub warmup: Duration,
    pub window: Duration,
}

impl Plan {
    fn from_args(args: &[String]) -> Result<Plan, String> {
        let quick = args.iter().any(|a| a == "--quick");
        let number = |name: &str, default: u64| -> Result<u64, String> {
            match args.iter().position(|a| a == name) {
                Some(i) => args.get(i + 1).and_then(|v| v.parse().ok()).ok_or(format!("{name} needs a number")),
                None => Ok(default),
            }
        };
        let seconds = number("--seconds", if quick { 60 } else { 600 })?;
        let subscribers = number("--subscribers", 2000)? as usize;
        Ok(Plan {
            quick,
            seconds,
            subscribers,
            rate: number("--rate", 20)?,
            reconnects: number("--reconnects", subscribers as u64 / 100)? as f64,
            replacements: number("--replacements", 1)? as f64,
            reauths: number("--reauths", 1)? as f64,
            chains: 16,
            refresh_every: Duration::from_millis(number("--refresh-every-ms", 1000)?.max(1)),
            // The server keeps each workspace's last 4,096 events and their renderings in memory
            // (crates/server/src/bus.rs): fill that before the baseline, or it looks like a leak.
            prefill: number("--prefill", 4096 + 256)?,
            sample_every: Duration::from_secs(if quick { 2 } else { 5 }),
            report_every: Duration::from_secs(if quick { 10 } else { 30 }),
            warmup: Duration::from_secs(if quick { 20 } else { 120 }),
            window: Duration::from_secs(if quick { 10 } else { 60 }),
        })
    }
}

/// Failures of the load itself (not of delivery), counted per kind.
#[derive(Default)]
pub struct Errors {
    pub by_kind: Mutex<std::collections::BTreeMap<&'static str, u64>>,
    pub all: Faults,
}

impl Errors {
    pub fn add(&self, kind: &'static str, what: String) {
        if let Ok(mut m) = self.by_kind.lock() {
            *m.entry(kind).or_default() += 1;
        }
        self.all.add(format!("{kind}: {what}"));
    }
}

#[derive(Default)]
pub struct Counters {
    pub written: AtomicU64,
    pub delivered: AtomicU64,
    pub reconnects: AtomicU64,
    pub joins_zero: AtomicU64,
    pub joins_live: AtomicU64,
    pub refreshes: AtomicU64,
    pub reauths: AtomicU64,
    /// Requests and connections made with access tokens from refreshes.
    pub token_uses: AtomicU64,
    pub connected: AtomicUsize,
}

/// Everything the tasks share.
pub struct Shared {
    pub base: String,
    pub ws_url: String,
    pub workspaces: Vec<String>,
    pub reader: String,
    pub writer: String,
    pub email: String,
    /// Writes 0..prefill happen before the measurement.
    pub prefill: u64,
    /// The newest access token of each refresh chain.
    pub access: Vec<RwLock<String>>,
    pub ledger: Ledger,
    /// Per workspace: when its latest write was acknowledged (µs).
    pub last_ack_us: Vec<AtomicU64>,
    pub live_latency: Histogram,
    pub write_latency: Histogram,
    pub errors: Errors,
    pub n: Counters,
    pub http: reqwest::Client,
}

impl Shared {
    pub fn access_token(&self, i: usize) -> String {
        self.access[i % self.access.len()].read().map(|t| t.clone()).unwrap_or_default()
    }
}

/// A small xorshift generator: which subscriber to churn next.
pub struct Rng(u64);

impl Rng {
    pub fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n.max(1) as u64) as usize
    }
}

/// One reading of the server process.
#[derive(Clone, Copy, Default)]
pub struct Sample {
    pub t: f64,
    pub rss_kib: u64,
    /// The anonymous part of RSS (heap, stacks), without pages of mapped files.
    pub anon_kib: u64,
    pub fds: usize,
    /// This program's sockets: each is one of the server's descriptors too (loopback).
    pub client_sockets: usize,
    pub server_5xx: u64,
    pub graphql_errors: u64,
    pub server_deliveries: u64,
}

async fn sample(shared: &Shared, pid: u32, t: f64) -> Sample {
    let text = match shared.http.get(format!("{}/metrics", shared.base)).send().await {
        Ok(r) => r.text().await.unwrap_or_default(),
        Err(e) => {
            shared.errors.add("metrics", e.to_string());
            String::new()
        }
    };
    let value = |line: &str| line.rsplit(' ').next().and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    let sum = |prefix: &str| text.lines().filter(|l| l.starts_with(prefix)).map(value).sum();
    Sample {
        t,
        rss_kib: rss_kib(Some(pid)).unwrap_or(0),
        anon_kib: status_kib(pid, "RssAnon:").unwrap_or(0),
        fds: open_fds(pid).unwrap_or(0),
        client_sockets: open_sockets(std::process::id()).unwrap_or(0),
        server_5xx: sum("tessera_http_responses_total{class=\"5xx\"}"),
        graphql_errors: sum("tessera_graphql_errors_total{"),
        server_deliveries: sum("tessera_subscription_deliveries_total "),
    }
}

/// One `createText` for write `seq`, text `seq:intended µs`; in the ledger once acknowledged.
/// Every fifth write uses an access token from a refresh chain (the person is an editor).
async fn create_text(shared: &Shared, seq: u64, due: u64) {
    let ws = &shared.workspaces[shared.ledger.workspace_of(seq)];
    let token = if seq % 5 == 4 {
        shared.n.token_uses.fetch_add(1, Relaxed);
        shared.access_token(seq as usize / 5)
    } else {
        shared.writer.clone()
    };
    let body = json!({"query": "mutation($ws:String!,$t:String!){ createText(workspaceId:$ws, input:{text:$t}) { id } }",
                      "variables": {"ws": ws, "t": format!("{seq}:{due}")}});
    match shared.http.post(format!("{}/v3/graphql", shared.base)).bearer_auth(token).json(&body).send().await {
        Ok(r) => {
            let status = r.status();
            let v: Value = r.json().await.unwrap_or(Value::Null);
            if v["data"]["createText"]["id"].is_string() {
                shared.ledger.ack(seq);
                shared.last_ack_us[shared.ledger.workspace_of(seq)].fetch_max(now_us(), Relaxed);
                shared.n.written.fetch_add(1, Relaxed);
                if seq >= shared.prefill {
                    shared.write_latency.record(now_us().saturating_sub(due));
                }
            } else {
                shared.errors.add("write", format!("write {seq}: {status} {v}"));
            }
        }
        Err(e) => shared.errors.add("write", format!("write {seq}: {e}")),
    }
}

/// Before the measurement: the pre-fill writes, 32 at a time.
async fn write_prefill(shared: Arc<Shared>) {
    let next = Arc::new(AtomicU64::new(0));
    let workers: Vec<_> = (0..32)
        .map(|_| {
            let (shared, next) = (shared.clone(), next.clone());
            tokio::spawn(async move {
                loop {
                    let seq = next.fetch_add(1, Relaxed);
                    if seq >= shared.prefill {
                        break;
                    }
                    create_text(&shared, seq, now_us()).await;
                }
            })
        })
        .collect();
    for w in workers {
        let _ = w.await;
    }
}

/// The run's writes, at fixed intended times for `seconds`.
async fn write(shared: Arc<Shared>, plan: Arc<Plan>) {
    let t0 = now_us();
    let in_flight = Arc::new(AtomicUsize::new(0));
    let end = (shared.prefill + plan.rate * plan.seconds).min(shared.ledger.capacity() as u64);
    for seq in shared.prefill..end {
        let due = t0 + (seq - shared.prefill) * 1_000_000 / plan.rate;
        tokio::time::sleep(Duration::from_micros(due.saturating_sub(now_us()))).await;
        let (shared, in_flight) = (shared.clone(), in_flight.clone());
        in_flight.fetch_add(1, Relaxed);
        tokio::spawn(async move {
            create_text(&shared, seq, due).await;
            in_flight.fetch_sub(1, Relaxed);
        });
    }
    while in_flight.load(Relaxed) > 0 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Start subscribers `ids` (workspace `id % workspaces`), 100 every 50 ms, and wait until
/// `ids.end` subscribers are connected and subscribed.
async fn ramp(
    shared: &Arc<Shared>,
    members: &Mutex<subscriber::Members>,
    ids: std::ops::Range<usize>,
    start: impl Fn(usize) -> Start,
) -> Result<(), String> {
    let began = Instant::now();
    let workspaces = shared.workspaces.len();
    for i in ids.clone() {
        let member = Member::spawn(shared.clone(), i, i % workspaces, start(i % workspaces));
        members.lock().map_err(|_| "members lock")?.live.push(member);
        if i % 100 == 99 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    while shared.n.connected.load(Relaxed) < ids.end {
        if began.elapsed() > Duration::from_secs(120) {
            let connected = shared.n.connected.load(Relaxed);
            return Err(format!("only {connected} of {} subscribers connected after 120 s", ids.end));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}

/// `grant_type=refresh_token` once: (access token, next refresh token).
async fn refresh(shared: &Shared, client: &(String, String), token: &str) -> Result<(String, String), String> {
    let res = shared
        .http
        .post(format!("{}/v3/oauth2/token", shared.base))
        .basic_auth(&client.0, Some(&client.1))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", token)])
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let v: Value = res.json().await.map_err(|e| e.to_string())?;
    match (v["access_token"].as_str(), v["refresh_token"].as_str()) {
        (Some(a), Some(r)) => Ok((a.to_string(), r.to_string())),
        _ => Err(format!("refresh refused: {v}")),
    }
}

/// One refresh chain: rotate every `refresh_every` (every refresh must succeed), and use each
/// new access token at once for a `me` query.
async fn rotate(shared: Arc<Shared>, plan: Arc<Plan>, client: Arc<(String, String)>, chain: usize, token: String) {
    let mut token = token;
    let mut next = tokio::time::Instant::now() + plan.refresh_every.mul_f64(chain as f64 / plan.chains as f64);
    let end = tokio::time::Instant::now() + Duration::from_secs(plan.seconds);
    while next < end {
        tokio::time::sleep_until(next).await;
        next += plan.refresh_every;
        let (access, rotated) = match refresh(&shared, &client, &token).await {
            Ok(pair) => pair,
            Err(e) => return shared.errors.add("refresh", format!("chain {chain}: {e}")), // the chain is spent
        };
        token = rotated;
        shared.n.refreshes.fetch_add(1, Relaxed);
        if let Ok(mut slot) = shared.access[chain].write() {
            slot.clone_from(&access);
        }
        shared.n.token_uses.fetch_add(1, Relaxed);
        let me = json!({"query": "{ me { profile { email } } }"});
        let res = shared.http.post(format!("{}/v3/graphql", shared.base)).bearer_auth(&access).json(&me).send().await;
        let v: Value = match res {
            Ok(r) => r.json().await.unwrap_or(Value::Null),
            Err(e) => Value::String(e.to_string()),
        };
        if v["data"]["me"]["profile"]["email"].as_str() != Some(shared.email.as_str()) {
            shared.errors.add("token use", format!("`me` with a refreshed access token: {v}"));
        }
    }
}

/// The churn: reconnects, replacements and in-band re-authentications at steady rates.
async fn churn(shared: Arc<Shared>, plan: Arc<Plan>, members: Arc<Mutex<subscriber::Members>>, stop: Arc<AtomicBool>) {
    let mut rng = Rng(now_us() | 1);
    let (mut reconnects, mut replacements, mut reauths) = (0.0, 0.0, 0.0);
    let tick = Duration::from_millis(100);
    let mut ticker = tokio::time::interval(tick);
    while !stop.load(Relaxed) {
        ticker.tick().await;
        reconnects += plan.reconnects * tick.as_secs_f64();
        replacements += plan.replacements * tick.as_secs_f64();
        reauths += plan.reauths * tick.as_secs_f64();
        let Ok(mut m) = members.lock() else { return };
        while reconnects >= 1.0 {
            reconnects -= 1.0;
            if let Some(i) = m.pick(&mut rng, |_| true) {
                m.live[i].send(Cmd::Reconnect);
            }
        }
        while reauths >= 1.0 {
            reauths -= 1.0;
            if let Some(i) = m.pick(&mut rng, |s| s.person) {
                m.live[i].send(Cmd::Reauth);
            }
        }
        while replacements >= 1.0 {
            replacements -= 1.0;
            // Old enough that a live-only subscriber must have had events.
            if let Some(i) = m.pick(&mut rng, |s| s.born.elapsed() > Duration::from_secs(10)) {
                let ws = m.live[i].ws;
                let acked = Arc::new(shared.ledger.acked_in(ws));
                if m.live[i].send(Cmd::Leave(acked)) {
                    let leaving = m.live.swap_remove(i);
                    m.done.push(leaving);
                    let id = m.next_id;
                    m.next_id += 1;
                    let start = if id.is_multiple_of(2) { Start::Zero } else { Start::Live };
                    let counter = if start == Start::Zero { &shared.n.joins_zero } else { &shared.n.joins_live };
                    counter.fetch_add(1, Relaxed);
                    m.live.push(Member::spawn(shared.clone(), id, ws, start));
                }
            }
        }
    }
}

async fn run() -> Result<bool, String> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 10 {
        return Err("usage: soak URL SERVER_PID READER_TOKEN WRITER_TOKEN WS1,WS2,… CLIENT_ID CLIENT_SECRET EMAIL PASSWORD [--quick] [--seconds N] [--subscribers N] [--rate N] [--server-log FILE]".into());
    }
    let plan = Arc::new(Plan::from_args(&args)?);
    let pid: u32 = args[2].parse().map_err(|_| "SERVER_PID must be a number")?;
    let workspaces: Vec<String> = args[5].split(',').map(str::to_string).collect();
    let client = Arc::new((args[6].clone(), args[7].clone()));
    let server_log = args.iter().position(|a| a == "--server-log").and_then(|i| args.get(i + 1)).cloned();
    let prefill = plan.prefill * workspaces.len() as u64;
    let max_writes = (prefill + plan.rate * plan.seconds + 1) as usize;
    let http = reqwest::Client::builder().pool_max_idle_per_host(64).build().map_err(|e| e.to_string())?;
    let shared = Arc::new(Shared {
        base: args[1].clone(),
        ws_url: args[1].replacen("http://", "ws://", 1) + "/v3/graphql",
        ledger: Ledger::new(workspaces.len(), max_writes, 16),
        last_ack_us: workspaces.iter().map(|_| AtomicU64::new(0)).collect(),
        workspaces,
        reader: args[3].clone(),
        writer: args[4].clone(),
        email: args[8].clone(),
        prefill,
        access: (0..plan.chains).map(|_| RwLock::new(String::new())).collect(),
        live_latency: Histogram::default(),
        write_latency: Histogram::default(),
        errors: Errors::default(),
        n: Counters::default(),
        http,
    });
    println!(
        "soak{}: {} s, {} subscribers over {} workspaces, {} writes/s, {:.0} reconnects/s, {:.0} replacements/s, {} refresh chains rotating every {:.1} s",
        if plan.quick { " (quick)" } else { "" },
        plan.seconds,
        plan.subscribers,
        shared.workspaces.len(),
        plan.rate,
        plan.reconnects,
        plan.replacements,
        plan.chains,
        plan.refresh_every.as_secs_f64()
    );

    // Refresh chains from a real sign-in, and a first access token on each.
    let signin = signin::Client {
        base: &shared.base,
        client_id: &client.0,
        secret: &client.1,
        redirect: "https://soak.example/cb",
    };
    let mut chains = Vec::new();
    for (i, token) in signin::refresh_tokens(&signin, &args[8], &args[9], plan.chains).await?.into_iter().enumerate() {
        let (access, next) = refresh(&shared, &client, &token).await?;
        shared.n.refreshes.fetch_add(1, Relaxed);
        if let Ok(mut slot) = shared.access[i].write() {
            *slot = access;
        }
        chains.push(next);
    }
    let before = sample(&shared, pid, 0.0).await;

    // One subscriber per workspace from cursor 0, then the pre-fill, then everyone else from
    // where the pre-fill ended.
    let setup = Instant::now();
    let members = Arc::new(Mutex::new(subscriber::Members::new(plan.subscribers)));
    let workspaces = shared.workspaces.len();
    ramp(&shared, &members, 0..workspaces, |_| Start::Zero).await?;
    write_prefill(shared.clone()).await;
    let prefilled = shared.n.written.load(Relaxed);
    let after = subscriber::catch_up(&shared, &members, Duration::from_secs(120)).await;
    let after: Vec<i64> = after.into_iter().map(|c| c.unwrap_or(0)).collect();
    println!(
        "pre-fill: {prefilled} events written and delivered in {:.1} s; workspaces at cursors {after:?}",
        setup.elapsed().as_secs_f64()
    );
    let ramp_began = Instant::now();
    ramp(&shared, &members, workspaces..plan.subscribers, |ws| Start::After(after[ws])).await?;
    println!(
        "{} subscribers connected and subscribed in {:.1} s",
        plan.subscribers,
        ramp_began.elapsed().as_secs_f64()
    );

    // The run: writes, refresh chains and churn; a sample every few seconds, a line per interval.
    let started = Instant::now();
    let stop = Arc::new(AtomicBool::new(false));
    let writer = tokio::spawn(write(shared.clone(), plan.clone()));
    let rotators: Vec<_> = chains
        .into_iter()
        .enumerate()
        .map(|(i, t)| tokio::spawn(rotate(shared.clone(), plan.clone(), client.clone(), i, t)))
        .collect();
    let churner = tokio::spawn(churn(shared.clone(), plan.clone(), members.clone(), stop.clone()));
    let mut samples = vec![sample(&shared, pid, 0.0).await];
    let mut intervals: Vec<u64> = Vec::new();
    let (mut errors_seen, mut delivered_seen, mut last_report) = (0, 0, 0.0);
    let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + plan.sample_every, plan.sample_every);
    while started.elapsed() < Duration::from_secs(plan.seconds) {
        ticker.tick().await;
        let s = sample(&shared, pid, started.elapsed().as_secs_f64()).await;
        samples.push(s);
        if s.t - last_report + 0.5 >= plan.report_every.as_secs_f64()
            || started.elapsed() >= Duration::from_secs(plan.seconds)
        {
            let (errors, delivered) = (shared.errors.all.count(), shared.n.delivered.load(Relaxed));
            intervals.push(errors - errors_seen);
            println!(
                "t={:>4.0}s  subscribers {} connected  writes {}  delivered {} ({:.0}/s)  reconnects {}  joins {}  refreshes {}  reauths {}  errors {} (+{})  rss {:.1} MiB (anon {:.1})  fds {}",
                s.t,
                shared.n.connected.load(Relaxed),
                shared.n.written.load(Relaxed) - prefilled,
                delivered,
                (delivered - delivered_seen) as f64 / (s.t - last_report).max(1e-9),
                shared.n.reconnects.load(Relaxed),
                shared.n.joins_zero.load(Relaxed) + shared.n.joins_live.load(Relaxed),
                shared.n.refreshes.load(Relaxed),
                shared.n.reauths.load(Relaxed),
                errors,
                errors - errors_seen,
                s.rss_kib as f64 / 1024.0,
                s.anon_kib as f64 / 1024.0,
                s.fds
            );
            (errors_seen, delivered_seen, last_report) = (errors, delivered, s.t);
        }
    }
    let run_secs = started.elapsed().as_secs_f64();
    stop.store(true, Relaxed);
    let _ = churner.await;
    for r in rotators {
        let _ = r.await;
    }
    let _ = writer.await;

    // Writing is over: every subscriber still here must reach the cursor of every acknowledged
    // write of its workspace (leavers were held to the writes acknowledged before they left).
    let targets = subscriber::catch_up(&shared, &members, Duration::from_secs(60)).await;
    let reports = subscriber::stop_all(&members).await;
    let server_log = server_log.map(|path| std::fs::read_to_string(path).unwrap_or_default());
    let run = verdict::Run {
        secs: run_secs,
        prefilled,
        before,
        samples: &samples,
        intervals: &intervals,
        reports: &reports,
        targets: &targets,
        server_log: server_log.as_deref(),
    };
    Ok(verdict::judge(&shared, &plan, &run))
}

#[tokio::main]
async fn main() {
    std::process::exit(match run().await {
        Ok(true) => 0,
        Ok(false) => 1,
        Err(e) => {
            eprintln!("soak: {e}");
            2
        }
    })
}
