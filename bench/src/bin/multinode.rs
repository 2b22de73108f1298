//! Several tessera nodes on one PostgreSQL database: subscribers spread over the nodes, writers
//! on every node, one node killed with SIGKILL mid-run. Checks that every subscriber receives
//! every acknowledged event of its workspace exactly once with strictly increasing cursors
//! (subscribers of the killed node resume on another node from their last cursor), and prints
//! throughput and cross-node delivery latency. Exits 1 if anything was lost or duplicated.
//! With `FAULT_CMD` set, that command runs instead of the kill (bench/multinode.sh uses it to
//! stop PostgreSQL for two seconds under load): writes refused meanwhile must carry an error
//! code that says so (not `INTERNAL`), and are retried.
//!
//! usage: multinode TESSERA_BIN DATABASE_URL READER_TOKEN WRITER_TOKEN WS1,WS2,… [subscribers=300] [events=10000] [nodes=3]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tessera_bench::now_us;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;

/// Closed-loop writers per node, unless `WRITERS_PER_NODE` says otherwise.
const WRITERS_PER_NODE: usize = 2;
const KILLED: usize = 2;

fn start_node(bin: &str, db: &str) -> (Child, String) {
    let mut child = Command::new(bin)
        .args(["serve", "--listen", "127.0.0.1:0", "--database-url", db])
        .env("TESSERA_RATE_LIMITS", "off")
        .env("TESSERA_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start tessera");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let url = lines
        .find_map(|l| l.ok()?.strip_prefix("tessera listening on ").map(str::to_string))
        .expect("tessera printed its address");
    (child, url)
}

/// The nodes' base URLs; a killed node is marked dead so that clients move on.
/// The nodes' processes, killed when dropped, also when a check panics: a node left running
/// would hold the caller's output open (CI waits on it) and the database busy.
struct Processes(Vec<Child>);

impl Drop for Processes {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

struct Nodes {
    urls: Vec<String>,
    dead: Vec<AtomicBool>,
}

impl Nodes {
    /// `preferred` if alive, else the next live node.
    fn pick(&self, preferred: usize) -> usize {
        (0..self.urls.len())
            .map(|i| (preferred + i) % self.urls.len())
            .find(|&i| !self.dead[i].load(Ordering::SeqCst))
            .unwrap_or(preferred)
    }
}

/// What one subscriber saw: (cursor, element id, event seq, latency µs, cross-node) per event.
#[derive(Default)]
struct Seen {
    events: Vec<(i64, String, u64, u64, bool)>,
    reconnects: usize,
}

fn text_of(seq: u64, node: usize) -> String {
    format!("{seq}:{node}:{}", now_us())
}

async fn subscriber(
    nodes: Arc<Nodes>,
    home: usize,
    ws: String,
    token: String,
    counted: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
) -> Seen {
    let mut seen = Seen::default();
    let mut cursor = "0".to_string();
    let query = "subscription($ws: String!, $c: ID) { commands(workspaceId: $ws, cursor: $c) { cursor ... on CreateElementCommand { element { id ... on Text { text } } } } }";
    'connect: while !stop.load(Ordering::SeqCst) {
        let node = nodes.pick(home);
        let url = nodes.urls[node].replace("http://", "ws://") + "/v3/graphql";
        let mut req = url.into_client_request().expect("url");
        req.headers_mut().insert("sec-websocket-protocol", HeaderValue::from_static("graphql-transport-ws"));
        let Ok((mut socket, _)) = tokio_tungstenite::connect_async(req).await else {
            tokio::time::sleep(Duration::from_millis(200)).await;
            continue;
        };
        let init = json!({"type": "connection_init", "payload": {"Authorization": format!("Bearer {token}")}});
        if socket.send(Message::Text(init.to_string().into())).await.is_err() {
            continue;
        }
        loop {
            let msg = tokio::time::timeout(Duration::from_millis(250), socket.next()).await;
            if stop.load(Ordering::SeqCst) {
                break 'connect;
            }
            let Ok(msg) = msg else { continue };
            let Some(Ok(Message::Text(text))) = msg else {
                if matches!(msg, Some(Ok(_))) {
                    continue;
                }
                seen.reconnects += 1; // the node went away: resume elsewhere from `cursor`
                continue 'connect;
            };
            let v: Value = serde_json::from_str(text.as_str()).unwrap_or(Value::Null);
            match v["type"].as_str() {
                Some("connection_ack") => {
                    let sub = json!({"type": "subscribe", "id": "1", "payload": {"query": query, "variables": {"ws": ws, "c": cursor}}});
                    let _ = socket.send(Message::Text(sub.to_string().into())).await;
                }
                Some("ping") => {
                    let _ = socket.send(Message::Text(json!({"type": "pong"}).to_string().into())).await;
                }
                Some("next") => {
                    let c = &v["payload"]["data"]["commands"];
                    let Some(cur) = c["cursor"].as_str() else { panic!("unexpected result {v}") };
                    cursor = cur.to_string();
                    let (Some(id), Some(text)) = (c["element"]["id"].as_str(), c["element"]["text"].as_str()) else {
                        continue;
                    };
                    let mut parts = text.split(':').map(|p| p.parse::<u64>().unwrap_or(0));
                    let (seq, from, sent) =
                        (parts.next().unwrap_or(0), parts.next().unwrap_or(0), parts.next().unwrap_or(0));
                    seen.events.push((
                        cur.parse().unwrap_or(-1),
                        id.to_string(),
                        seq,
                        now_us().saturating_sub(sent),
                        from as usize != node,
                    ));
                    counted.fetch_add(1, Ordering::Relaxed);
                }
                _ => {}
            }
        }
    }
    seen
}

fn pct(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize] as f64 / 1000.0
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 6 {
        eprintln!("usage: multinode TESSERA_BIN DATABASE_URL READER_TOKEN WRITER_TOKEN WS1,WS2,… [subscribers=300] [events=10000] [nodes=3]");
        std::process::exit(2);
    }
    let (bin, db, reader, writer) = (&args[1], &args[2], args[3].clone(), args[4].clone());
    let workspaces: Vec<String> = args[5].split(',').map(str::to_string).collect();
    let n_subs: usize = args.get(6).and_then(|v| v.parse().ok()).unwrap_or(300);
    let n_events: u64 = args.get(7).and_then(|v| v.parse().ok()).unwrap_or(10_000);
    let n_nodes: usize = args.get(8).and_then(|v| v.parse().ok()).unwrap_or(3);

    let mut children = Processes(Vec::new());
    let mut urls = Vec::new();
    for _ in 0..n_nodes {
        let (child, url) = start_node(bin, db);
        children.0.push(child);
        urls.push(url);
    }
    let nodes = Arc::new(Nodes { urls, dead: (0..n_nodes).map(|_| AtomicBool::new(false)).collect() });
    println!("{n_nodes} nodes on one PostgreSQL database: {}", nodes.urls.join(" "));

    let counted = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let subs: Vec<_> = (0..n_subs)
        .map(|i| {
            let ws = workspaces[(i / n_nodes) % workspaces.len()].clone();
            tokio::spawn(subscriber(nodes.clone(), i % n_nodes, ws, reader.clone(), counted.clone(), stop.clone()))
        })
        .collect();
    tokio::time::sleep(Duration::from_secs(2)).await;

    // Writers on every node; each event's text carries its sequence number, the node written
    // through and the send time.
    let next_seq = Arc::new(AtomicUsize::new(0));
    let acked: Arc<Mutex<HashMap<String, HashSet<u64>>>> = Arc::default();
    let refusals: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    let client = reqwest::Client::new();
    let started = Instant::now();
    let mut writers = Vec::new();
    let writers_per_node =
        std::env::var("WRITERS_PER_NODE").ok().and_then(|v| v.parse().ok()).unwrap_or(WRITERS_PER_NODE);
    for w in 0..n_nodes * writers_per_node {
        let (nodes, next_seq, acked, client, writer, workspaces, refusals) = (
            nodes.clone(),
            next_seq.clone(),
            acked.clone(),
            client.clone(),
            writer.clone(),
            workspaces.clone(),
            refusals.clone(),
        );
        writers.push(tokio::spawn(async move {
            let home = w % nodes.urls.len();
            loop {
                let seq = next_seq.fetch_add(1, Ordering::SeqCst) as u64;
                if seq >= n_events {
                    return;
                }
                let ws = &workspaces[seq as usize % workspaces.len()];
                loop {
                    let node = nodes.pick(home);
                    let body = json!({"query": "mutation($ws:String!,$t:String!){ createText(workspaceId:$ws, input:{text:$t}) { id } }",
                                      "variables": {"ws": ws, "t": text_of(seq, node)}});
                    let res = client.post(format!("{}/v3/graphql", nodes.urls[node])).bearer_auth(&writer).json(&body).send().await;
                    let Ok(res) = res else { continue }; // the node died mid-request: write again elsewhere
                    let status = res.status().as_u16();
                    let v: Value = res.json().await.unwrap_or(Value::Null);
                    if v["data"]["createText"]["id"].is_string() {
                        acked.lock().unwrap().entry(ws.clone()).or_default().insert(seq);
                        break;
                    }
                    // A refused write must say why: an HTTP status and a GraphQL error code.
                    let code = v["errors"][0]["extensions"]["code"].as_str().unwrap_or("(no code)");
                    *refusals.lock().unwrap().entry(format!("{status} {code}")).or_default() += 1;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }));
    }
    // Once 40% of the events are written: kill one node with SIGKILL, or (FAULT_CMD set) run
    // that command instead, e.g. a PostgreSQL restart, with every node staying up.
    while (next_seq.load(Ordering::SeqCst) as u64) < n_events * 2 / 5 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let fault_at = started.elapsed();
    let fault = match std::env::var("FAULT_CMD") {
        Ok(cmd) => {
            let done = tokio::process::Command::new("sh").args(["-c", &cmd]).status().await.expect("FAULT_CMD");
            assert!(done.success(), "FAULT_CMD failed: {cmd}");
            format!(
                "`{cmd}` ran at {:.1} s for {:.1} s",
                fault_at.as_secs_f64(),
                (started.elapsed() - fault_at).as_secs_f64()
            )
        }
        Err(_) => {
            nodes.dead[KILLED].store(true, Ordering::SeqCst);
            children.0[KILLED].kill().expect("SIGKILL");
            format!("node {KILLED} killed at {:.1} s", fault_at.as_secs_f64())
        }
    };
    for w in writers {
        w.await.expect("writer");
    }
    let write_secs = started.elapsed().as_secs_f64();
    let acked = std::mem::take(&mut *acked.lock().unwrap());
    let total_acked: usize = acked.values().map(HashSet::len).sum();
    let subs_per_ws: HashMap<&String, usize> = workspaces
        .iter()
        .map(|w| (w, (0..n_subs).filter(|i| &workspaces[(i / n_nodes) % workspaces.len()] == w).count()))
        .collect();
    let expected: usize = acked.iter().map(|(w, s)| s.len() * subs_per_ws[w]).sum();
    let deadline = Instant::now() + Duration::from_secs(60);
    while counted.load(Ordering::Relaxed) < expected && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let deliver_secs = started.elapsed().as_secs_f64();
    // Writes retried after the kill may have landed twice (as two elements): let those arrive too.
    tokio::time::sleep(Duration::from_secs(1)).await;
    stop.store(true, Ordering::SeqCst);

    let mut failures = Vec::new();
    let (mut lat_cross, mut lat_all, mut reconnects, mut delivered) = (Vec::new(), Vec::new(), 0, 0);
    for (i, s) in subs.into_iter().enumerate() {
        let seen = s.await.expect("subscriber");
        let ws = &workspaces[(i / n_nodes) % workspaces.len()];
        reconnects += seen.reconnects;
        delivered += seen.events.len();
        if seen.events.windows(2).any(|p| p[1].0 <= p[0].0) {
            failures.push(format!("subscriber {i}: cursors not strictly increasing"));
        }
        let ids: HashSet<&String> = seen.events.iter().map(|e| &e.1).collect();
        if ids.len() != seen.events.len() {
            failures.push(format!("subscriber {i}: {} duplicate deliveries", seen.events.len() - ids.len()));
        }
        let seqs: HashSet<u64> = seen.events.iter().map(|e| e.2).collect();
        let missing = acked.get(ws).map_or(0, |a| a.difference(&seqs).count());
        if missing > 0 {
            failures.push(format!("subscriber {i}: {missing} acknowledged events missing"));
        }
        for e in &seen.events {
            lat_all.push(e.3);
            if e.4 {
                lat_cross.push(e.3);
            }
        }
    }
    drop(children);
    lat_all.sort_unstable();
    lat_cross.sort_unstable();
    println!(
        "events: {total_acked} acknowledged of {n_events} in {write_secs:.1} s ({:.0} writes/s on {} writers); {fault}",
        total_acked as f64 / write_secs,
        n_nodes * writers_per_node
    );
    let refusals = std::mem::take(&mut *refusals.lock().unwrap());
    println!("refused writes (retried): {refusals:?}");
    if refusals.keys().any(|k| k.ends_with("(no code)") || k.ends_with("INTERNAL")) {
        failures.push(format!("a refused write did not say why: {refusals:?}"));
    }
    println!("delivered: {delivered} to {n_subs} subscribers ({expected} expected) in {deliver_secs:.1} s = {:.0} events/s; {reconnects} resumed after a disconnect", delivered as f64 / deliver_secs);
    println!(
        "latency all   p50 {:.1} ms  p90 {:.1} ms  p99 {:.1} ms  max {:.1} ms",
        pct(&lat_all, 0.5),
        pct(&lat_all, 0.9),
        pct(&lat_all, 0.99),
        pct(&lat_all, 1.0)
    );
    println!(
        "latency cross-node ({} deliveries) p50 {:.1} ms  p90 {:.1} ms  p99 {:.1} ms  max {:.1} ms",
        lat_cross.len(),
        pct(&lat_cross, 0.5),
        pct(&lat_cross, 0.9),
        pct(&lat_cross, 0.99),
        pct(&lat_cross, 1.0)
    );
    if failures.is_empty() {
        println!(
            "OK: every subscriber received every acknowledged event of its workspace exactly once, in cursor order"
        );
    } else {
        for f in failures.iter().take(20) {
            println!("FAIL {f}");
        }
        std::process::exit(1);
    }
}
