//! Subscription fan-out: N authenticated `graphql-transport-ws` subscribers on one workspace,
//! one writer creating Texts at a fixed rate through `/v3/graphql`. Each Text carries its
//! intended publish time, so latency is measured from when the event was meant to happen.
//! Prints delivered events/s, latency percentiles, completeness and server memory per
//! connection: the marginal cost, from when the first tenth of the subscribers are ready to
//! when all are (what one more subscriber costs, without the one-time warm-up of a fresh
//! server — pools, caches, the allocator's first pages — that dominates at small counts), and
//! the whole growth from a fresh server.
//!
//! usage: fanout URL WORKSPACE SUBSCRIBER_TOKEN WRITER_TOKEN [subscribers=2000] [rate=20] [seconds=30] [server_pid]
//! With `FANOUT_SUBSCRIBE=0` the clients connect and authenticate but do not subscribe (the
//! memory of connections alone); `FANOUT_PACE_MS` is the pause after every 100 connections.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tessera_bench::{now_us, rss_kib};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;

/// Connection attempts that had to be repeated.
static RETRIES: AtomicUsize = AtomicUsize::new(0);

struct Received {
    /// (cursor, latency µs) per event, in arrival order.
    events: Vec<(i64, u64)>,
}

async fn subscriber(
    url: String,
    ws: String,
    token: String,
    ready: Arc<AtomicUsize>,
    counted: Arc<AtomicUsize>,
    stop: Arc<tokio::sync::Notify>,
) -> Received {
    // A refused or reset connection attempt is retried, as real clients do; retries are counted.
    let mut attempt = 0;
    let mut socket = loop {
        let mut req = url.as_str().into_client_request().expect("url");
        req.headers_mut().insert("sec-websocket-protocol", HeaderValue::from_static("graphql-transport-ws"));
        match tokio_tungstenite::connect_async(req).await {
            Ok((socket, _)) => break socket,
            Err(_) if attempt < 10 => {
                attempt += 1;
                RETRIES.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(100 * attempt)).await;
            }
            Err(e) => panic!("connect: {e}"),
        }
    };
    let init = json!({"type": "connection_init", "payload": {"Authorization": format!("Bearer {token}")}});
    socket.send(Message::Text(init.to_string().into())).await.expect("init");
    let query = "subscription($ws: String!) { commands(workspaceId: $ws) { cursor ... on CreateElementCommand { element { ... on Text { text } } } } }";
    let mut got = Received { events: Vec::new() };
    let stopped = stop.notified();
    tokio::pin!(stopped);
    loop {
        tokio::select! {
            _ = &mut stopped => break,
            msg = socket.next() => {
                let Some(Ok(msg)) = msg else { break };
                let Message::Text(text) = msg else { continue };
                let text = text.as_str();
                // The load generator must cost little next to the server: no full JSON parse
                // for events, only the two fields it measures.
                if text.contains("\"type\":\"next\"") {
                    let cursor: i64 = field(text, "\"cursor\":\"").and_then(|s| s.parse().ok()).unwrap_or(-1);
                    let sent: u64 = field(text, "\"text\":\"").and_then(|s| s.parse().ok()).unwrap_or(0);
                    got.events.push((cursor, now_us().saturating_sub(sent)));
                    counted.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
                let v: Value = serde_json::from_str(text).unwrap_or(Value::Null);
                match v["type"].as_str() {
                    Some("connection_ack") => {
                        // FANOUT_SUBSCRIBE=0: connections only, to tell their memory from the subscriptions'.
                        if std::env::var("FANOUT_SUBSCRIBE").as_deref() != Ok("0") {
                            let sub = json!({"type": "subscribe", "id": "1", "payload": {"query": query, "variables": {"ws": ws}}});
                            socket.send(Message::Text(sub.to_string().into())).await.expect("subscribe");
                        }
                        ready.fetch_add(1, Ordering::Relaxed);
                    }
                    Some("ping") => { let _ = socket.send(Message::Text(json!({"type": "pong"}).to_string().into())).await; }
                    _ => {}
                }
            }
        }
    }
    got
}

/// The string value after `key` (which ends with the opening quote).
fn field<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    let start = text.find(key)? + key.len();
    let end = text[start..].find('"')? + start;
    Some(&text[start..end])
}

/// Wait (up to a minute from `started`) until `want` subscribers are ready.
async fn wait_ready(ready: &AtomicUsize, want: usize, started: Instant) {
    while ready.load(Ordering::Relaxed) < want {
        if started.elapsed() > Duration::from_secs(60) {
            eprintln!("only {} of {want} subscribers ready after 60 s", ready.load(Ordering::Relaxed));
            std::process::exit(1);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i] as f64 / 1000.0
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 5 {
        eprintln!(
            "usage: fanout URL WORKSPACE SUBSCRIBER_TOKEN WRITER_TOKEN [subscribers] [rate] [seconds] [server_pid]"
        );
        std::process::exit(2);
    }
    let (base, ws, sub_token, writer_token) = (args[1].clone(), args[2].clone(), args[3].clone(), args[4].clone());
    let n: usize = args.get(5).and_then(|a| a.parse().ok()).unwrap_or(2000);
    let rate: u64 = args.get(6).and_then(|a| a.parse().ok()).unwrap_or(20);
    let seconds: u64 = args.get(7).and_then(|a| a.parse().ok()).unwrap_or(30);
    let pid: Option<u32> = args.get(8).and_then(|a| a.parse().ok());
    let ws_url = base.replacen("http://", "ws://", 1) + "/v3/graphql";

    // FANOUT_PACE_MS: the pause after every 100 connections (default 20 ms).
    let pace_ms: u64 = std::env::var("FANOUT_PACE_MS").ok().and_then(|v| v.parse().ok()).unwrap_or(20);
    let rss_before = rss_kib(pid);
    let ready = Arc::new(AtomicUsize::new(0));
    let counted = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(tokio::sync::Notify::new());
    let started = Instant::now();
    let mut subs = Vec::with_capacity(n);
    let first = (n / 10).max(1);
    let mut rss_warm = None;
    for i in 0..n {
        if i == first {
            wait_ready(&ready, first, started).await;
            tokio::time::sleep(Duration::from_secs(1)).await;
            rss_warm = rss_kib(pid);
        }
        subs.push(tokio::spawn(subscriber(
            ws_url.clone(),
            ws.clone(),
            sub_token.clone(),
            ready.clone(),
            counted.clone(),
            stop.clone(),
        )));
        if i % 100 == 99 {
            tokio::time::sleep(Duration::from_millis(pace_ms)).await;
        }
    }
    wait_ready(&ready, n, started).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_idle = rss_kib(pid);
    println!(
        "{n} subscribers connected and subscribed in {:.1} s ({} connection attempts retried)",
        started.elapsed().as_secs_f64(),
        RETRIES.load(Ordering::Relaxed)
    );

    // The writer: events at fixed intended times; the text is the intended time in µs.
    let client = reqwest::Client::new();
    let total = rate * seconds;
    let t0 = now_us() + 200_000;
    let mut writes = Vec::new();
    for k in 0..total {
        let due = t0 + k * 1_000_000 / rate;
        let wait = due.saturating_sub(now_us());
        tokio::time::sleep(Duration::from_micros(wait)).await;
        let (client, base, token, ws) = (client.clone(), base.clone(), writer_token.clone(), ws.clone());
        writes.push(tokio::spawn(async move {
            let q = json!({"query": "mutation($ws:String!,$t:String!){ createText(workspaceId:$ws, input:{text:$t}) { id } }",
                           "variables": {"ws": ws, "t": due.to_string()}});
            let res = client.post(format!("{base}/v3/graphql")).bearer_auth(token).json(&q).send().await;
            res.map(|r| r.status().is_success()).unwrap_or(false)
        }));
    }
    let mut ok = 0;
    for w in writes {
        ok += usize::from(w.await.unwrap_or(false));
    }
    let write_end = now_us();
    let rss_busy = rss_kib(pid);
    // Wait until every subscriber has every event, or 10 s more.
    let deadline = Instant::now() + Duration::from_secs(10);
    while counted.load(Ordering::Relaxed) < n * ok && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stop.notify_waiters();
    let mut latencies = Vec::with_capacity(n * total as usize);
    let (mut complete, mut in_order, mut delivered) = (0, 0, 0usize);
    for s in subs {
        let r = s.await.expect("subscriber");
        delivered += r.events.len();
        if r.events.len() == ok {
            complete += 1;
        }
        if r.events.windows(2).all(|w| w[1].0 == w[0].0 + 1) {
            in_order += 1;
        }
        latencies.extend(r.events.iter().map(|(_, l)| *l));
    }
    latencies.sort_unstable();
    let span = (write_end.saturating_sub(t0)) as f64 / 1e6;
    println!("writer: {ok} of {total} events written at {rate}/s over {span:.1} s");
    println!(
        "delivered: {delivered} of {} expected ({:.1}%), {:.0} events/s",
        n * ok,
        100.0 * delivered as f64 / (n * ok).max(1) as f64,
        delivered as f64 / span
    );
    println!("subscribers with every event: {complete} of {n}; in cursor order without gaps: {in_order} of {n}");
    println!(
        "latency from intended publish time: p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.9),
        percentile(&latencies, 0.99),
        percentile(&latencies, 1.0)
    );
    if let (Some(before), Some(warm), Some(idle), Some(busy)) = (rss_before, rss_warm, rss_idle, rss_busy) {
        let marginal = idle.saturating_sub(warm) as f64 / (n - first).max(1) as f64;
        let fresh = idle.saturating_sub(before) as f64 / n as f64;
        println!(
            "server RSS: {before} KiB fresh, {warm} KiB with {first} subscriptions, {idle} KiB with {n} idle subscriptions ({marginal:.1} KiB per connection; {fresh:.1} KiB from fresh), {busy} KiB under load"
        );
    }
    if complete != n || in_order != n {
        std::process::exit(1);
    }
}
