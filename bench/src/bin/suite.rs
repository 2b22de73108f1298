//! The benchmark suite behind `bench/run`: starts tessera (release build, fresh SQLite file) and
//! the bare-axum ceiling on loopback, runs each HTTP workload with 64 closed-loop workers, times
//! cold starts, runs the fan-out benchmark, and writes `<out>/<date>.json`, `.md` and `.svg`.
//! Programs that print numbers; nothing here asserts a figure.
//!
//! usage: suite [--quick] [--bin target/release/tessera] [--out bench/results] [--only WORKLOAD] [--seconds N]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tessera_bench::{load, Stats};

const CONCURRENCY: usize = 64;
/// The Node the peers run on: the version they support (22), installed by `npm ci` in
/// bench/peers (the npm package `node`), not whatever `node` the machine has.
const PEER_NODE: &str = "bench/peers/node_modules/.bin/node";

struct Server {
    child: Child,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Start a program that prints `… listening on http://ADDR` and wait for that line.
fn spawn_server(program: &str, args: &[&str]) -> Server {
    spawn_server_env(program, args, &[])
}

fn spawn_server_env(program: &str, args: &[&str], env: &[(&str, &str)]) -> Server {
    let mut child = Command::new(program)
        .args(args)
        .envs(env.iter().copied())
        .env("TESSERA_RATE_LIMITS", "off")
        .env("TESSERA_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {program}: {e}"));
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let url = lines
        .find_map(|l| l.ok()?.split_once("listening on ").map(|(_, u)| u.trim().to_string()))
        .unwrap_or_else(|| panic!("{program} did not print its address"));
    Server { child, url }
}

fn cli(bin: &str, db: &str, args: &[&str]) -> Value {
    cli_with_input(bin, db, args, "")
}

fn cli_with_input(bin: &str, db: &str, args: &[&str], input: &str) -> Value {
    use std::io::Write;
    let mut child = Command::new(bin)
        .args(args)
        .args(["--json", "--database-url", db])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("tessera cli");
    child.stdin.take().expect("stdin").write_all(input.as_bytes()).expect("write stdin");
    let out = child.wait_with_output().expect("tessera cli");
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("json")
}

async fn ok_json(res: Result<reqwest::Response, reqwest::Error>, check: fn(&Value) -> bool) -> bool {
    match res {
        Ok(r) if r.status().is_success() => r.json::<Value>().await.map(|v| check(&v)).unwrap_or(false),
        _ => false,
    }
}

/// Another program of this crate, next to this one.
fn sibling(name: &str) -> std::path::PathBuf {
    std::env::current_exe().expect("current exe").with_file_name(name)
}

struct Row {
    workload: &'static str,
    server: &'static str,
    /// The median run.
    stats: Stats,
    /// Requests/s of every run, lowest first.
    runs: Vec<f64>,
}

/// A workload's request function, as [`load`] takes it (names the closure's argument types).
fn workload<F, Fut>(request: F) -> F
where
    F: Fn(usize, u64) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    request
}

/// Every run's requests/s, as `a / b / c`.
fn spread(runs: &[f64]) -> String {
    runs.iter().map(|r| format!("{r:.0}")).collect::<Vec<_>>().join(" / ")
}

/// One fan-out run, read from the fanout program's output.
struct Fan {
    server: &'static str,
    subscribers: String,
    rate: String,
    delivered_pct: f64,
    per_sec: f64,
    p50_ms: f64,
    p99_ms: f64,
    kib_per_conn: f64,
    output: String,
}

/// The number right after `key` in `text`.
fn number_after(text: &str, key: &str) -> f64 {
    let Some(i) = text.find(key) else { return f64::NAN };
    let rest = text[i + key.len()..].trim_start();
    let end = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
    rest[..end].parse().unwrap_or(f64::NAN)
}

impl Fan {
    fn parse(server: &'static str, subscribers: &str, rate: &str, output: String) -> Fan {
        let delivered_line = output.lines().find(|l| l.starts_with("delivered:")).unwrap_or_default();
        Fan {
            server,
            subscribers: subscribers.into(),
            rate: rate.into(),
            delivered_pct: number_after(delivered_line, "expected ("),
            per_sec: number_after(delivered_line, "%),"),
            p50_ms: number_after(&output, "p50"),
            p99_ms: number_after(&output, "p99"),
            kib_per_conn: number_after(&output, "subscriptions ("),
            output,
        }
    }
}

const PEER_SECRET: &str = "bench-secret-bench-secret-bench-secret";

async fn cold_start_ms(bin: &str, db: &str, runs: usize) -> f64 {
    let client = reqwest::Client::new();
    let mut times = Vec::new();
    for _ in 0..runs {
        let started = Instant::now();
        let server = spawn_server(bin, &["serve", "--listen", "127.0.0.1:0", "--database-url", db]);
        loop {
            if let Ok(r) = client.get(format!("{}/readyz", server.url)).send().await {
                if r.status().is_success() {
                    break;
                }
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        drop(server);
    }
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|a| a == "--quick");
    let flag = |name: &str, default: &str| {
        args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned().unwrap_or_else(|| default.into())
    };
    let bin = flag("--bin", "target/release/tessera");
    let out_dir = flag("--out", "bench/results");
    // `--only TEXT`: only the HTTP workloads whose name contains TEXT, no cold start or fan-out
    // (for profiling one workload).
    let only = flag("--only", "");
    // `--seconds N`: each run's length (default 10, quick 3); long runs show whether grants slow
    // down as tokens accumulate (their runs are printed in the order run).
    let secs = Duration::from_secs(flag("--seconds", if quick { "3" } else { "10" }).parse().expect("--seconds N"));
    let dir = std::env::temp_dir().join(format!("tessera-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let db = format!("sqlite://{}", dir.join("tessera.db").display());

    // A bot with a workspace of 20 elements, and a bot-owned confidential app for client_credentials.
    let org = cli(&bin, &db, &["org", "create", "--name", "Bench"])["id"].as_str().unwrap().to_string();
    let bot = cli(&bin, &db, &["bot", "create", "--org", &org, "--name", "bench"]);
    let (bot_id, bot_token) = (bot["id"].as_str().unwrap().to_string(), bot["token"].as_str().unwrap().to_string());
    let ws = cli(&bin, &db, &["workspace", "create", "--org", &org, "--name", "Bench", "--owner", &bot_id])["id"]
        .as_str()
        .unwrap()
        .to_string();
    let app = cli(
        &bin,
        &db,
        &["app", "create", "--owner", &bot_id, "--name", "bench", "--redirect-uri", "https://bench.example/cb"],
    );
    let (client_id, secret) =
        (app["client_id"].as_str().unwrap().to_string(), app["client_secret"].as_str().unwrap().to_string());
    // A person for the refresh_token workload.
    let (email, password) = ("bench@example.test", "bench password 123");
    let args = ["user", "create", "--email", email, "--password-stdin", "--org", &org, "--org-role", "user"];
    cli_with_input(&bin, &db, &args, &format!("{password}\n"));

    let tessera = spawn_server(&bin, &["serve", "--listen", "127.0.0.1:0", "--database-url", &db]);
    let base = tessera.url.clone();
    let http = reqwest::Client::builder().pool_max_idle_per_host(CONCURRENCY).build().expect("client");
    let token_url = format!("{base}/v3/oauth2/token");
    let graphql = format!("{base}/v3/graphql");
    let grant = {
        let (token_url, client_id, secret) = (token_url.clone(), client_id.clone(), secret.clone());
        move |http: reqwest::Client| {
            let (url, id, secret) = (token_url.clone(), client_id.clone(), secret.clone());
            async move {
                http.post(&url)
                    .basic_auth(&id, Some(&secret))
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body("grant_type=client_credentials")
                    .send()
                    .await
            }
        }
    };
    let access: Value = grant(http.clone()).await.expect("grant").json().await.expect("json");
    let access = access["access_token"].as_str().expect("access token").to_string();
    let create = json!({"query": "mutation($ws:String!){ createText(workspaceId:$ws, input:{text:\"bench\"}) { id } }", "variables": {"ws": ws}});
    for _ in 0..20 {
        http.post(&graphql).bearer_auth(&bot_token).json(&create).send().await.expect("seed element");
    }

    let mut rows = Vec::new();
    println!(
        "workloads: {CONCURRENCY} concurrent clients, {} s each{}",
        secs.as_secs(),
        if quick { " (quick)" } else { "" }
    );
    // Each HTTP workload runs `repeats` times; its row is the median run (by requests/s), with
    // every run's figure beside it for the spread.
    let repeats = if quick { 1 } else { 3 };
    macro_rules! run {
        ($name:expr, $server:expr, $body:expr) => {{
            if !$name.contains(only.as_str()) {
                // skipped by --only
            } else {
                let body = workload($body);
                let mut runs = Vec::new();
                for _ in 0..repeats {
                    runs.push(load(CONCURRENCY, secs, body.clone()).await);
                }
                let all: Vec<f64> = runs.iter().map(|r| r.per_sec()).collect();
                runs.sort_by(|a, b| a.per_sec().total_cmp(&b.per_sec()));
                let stats = runs.swap_remove(runs.len() / 2);
                println!(
                    "{:<34} {:>10.0} req/s  p50 {:>7.2} ms  p99 {:>7.2} ms  errors {}  (runs: {})",
                    format!("{} ({})", $name, $server),
                    stats.per_sec(),
                    stats.p50_ms,
                    stats.p99_ms,
                    stats.errors,
                    spread(&all)
                );
                rows.push(Row { workload: $name, server: $server, stats, runs: all });
            }
        }};
    }
    {
        let (http, grant) = (http.clone(), grant.clone());
        run!("client_credentials grant", "tessera", move |_, _| {
            let f = grant(http.clone());
            async move { ok_json(f.await, |v| v["access_token"].is_string()).await }
        });
    }
    if "refresh_token grant".contains(only.as_str()) {
        // One refresh chain per worker: each request rotates the worker's refresh token.
        let signin = tessera_bench::signin::Client {
            base: &base,
            client_id: &client_id,
            secret: &secret,
            redirect: "https://bench.example/cb",
        };
        let chains =
            tessera_bench::signin::refresh_tokens(&signin, email, password, CONCURRENCY).await.expect("sign in");
        let chains: Arc<Vec<Mutex<String>>> = Arc::new(chains.into_iter().map(Mutex::new).collect());
        let (http, url, id, secret) = (http.clone(), token_url.clone(), client_id.clone(), secret.clone());
        run!("refresh_token grant", "tessera", move |w, _| {
            let (http, url, id, secret, chains) =
                (http.clone(), url.clone(), id.clone(), secret.clone(), chains.clone());
            async move {
                let current = chains[w].lock().unwrap().clone();
                let res = http
                    .post(&url)
                    .basic_auth(&id, Some(&secret))
                    .form(&[("grant_type", "refresh_token"), ("refresh_token", current.as_str())])
                    .send()
                    .await;
                let Ok(res) = res else { return false };
                let Ok(v) = res.json::<Value>().await else { return false };
                match v["refresh_token"].as_str() {
                    Some(next) => {
                        *chains[w].lock().unwrap() = next.to_string();
                        true
                    }
                    None => false,
                }
            }
        });
    }
    {
        let (http, url, id, secret, access) =
            (http.clone(), format!("{base}/v3/oauth2/introspect"), client_id.clone(), secret.clone(), access.clone());
        run!("introspection", "tessera", move |_, _| {
            let req = http.post(&url).basic_auth(&id, Some(&secret)).form(&[("token", access.as_str())]).send();
            async move { ok_json(req.await, |v| v["active"] == true).await }
        });
    }
    {
        let oidc = spawn_server_env(
            PEER_NODE,
            &["bench/peers/oidc-provider.mjs"],
            &[("CLIENT_ID", "bench"), ("CLIENT_SECRET", PEER_SECRET)],
        );
        let url = format!("{}/token", oidc.url);
        let grant_peer = {
            let (http, url) = (http.clone(), url.clone());
            move || {
                http.post(&url)
                    .basic_auth("bench", Some(PEER_SECRET))
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body("grant_type=client_credentials")
                    .send()
            }
        };
        let g = grant_peer.clone();
        run!("client_credentials grant", "oidc-provider", move |_, _| {
            let f = g();
            async move { ok_json(f.await, |v| v["access_token"].is_string()).await }
        });
        let token: Value = grant_peer().await.expect("peer grant").json().await.expect("json");
        let token = token["access_token"].as_str().expect("peer token").to_string();
        let (http, url) = (http.clone(), format!("{}/token/introspection", oidc.url));
        run!("introspection", "oidc-provider", move |_, _| {
            let req = http.post(&url).basic_auth("bench", Some(PEER_SECRET)).form(&[("token", token.as_str())]).send();
            async move { ok_json(req.await, |v| v["active"] == true).await }
        });
    }
    for (name, query) in [
        ("GraphQL me", json!({"query": "{ me { profile { id } } }"})),
        (
            "GraphQL elements (20)",
            json!({"query": "query($ws:String!){ elements(workspaceId:$ws) { id type } }", "variables": {"ws": ws}}),
        ),
        ("GraphQL createText", create.clone()),
    ] {
        let (http, url, access) = (http.clone(), graphql.clone(), access.clone());
        let body = std::sync::Arc::new(query);
        let name: &'static str = name;
        let token = if name == "GraphQL createText" { bot_token.clone() } else { access };
        run!(name, "tessera", move |_, _| {
            let req = http.post(&url).bearer_auth(&token).json(&*body).send();
            async move { ok_json(req.await, |v| v["errors"].is_null()).await }
        });
    }

    let ceiling_bin = sibling("ceiling");
    let ceiling = spawn_server(ceiling_bin.to_str().unwrap(), &[]);
    {
        let (http, url) = (http.clone(), format!("{}/json", ceiling.url));
        let body = std::sync::Arc::new(json!({"query": "{ me { profile { id } } }"}));
        run!("bare axum POST JSON", "ceiling", move |_, _| {
            let req = http.post(&url).json(&*body).send();
            async move { ok_json(req.await, |v| v["data"].is_object()).await }
        });
    }
    drop(ceiling);
    if !only.is_empty() {
        return;
    }
    // A large board in a workspace of its own: the `elements` arguments (issue 16).
    let board_ws = cli(&bin, &db, &["workspace", "create", "--org", &org, "--name", "Large board", "--owner", &bot_id]);
    let board_ws = board_ws["id"].as_str().unwrap().to_string();
    let (n, runs) = if quick { (5_000, 3) } else { (100_000, 7) };
    let board = tessera_bench::board::run(&http, &graphql, &bot_token, &board_ws, n, runs).await;
    for t in &board {
        println!(
            "board of {n}: {:<32} {:>7} elements  median {:>8.1} ms  max {:>8.1} ms",
            t.query, t.elements, t.median_ms, t.max_ms
        );
    }
    // Uploads of 1 MiB images to the local store (issue 17).
    let upload_ws = cli(&bin, &db, &["workspace", "create", "--org", &org, "--name", "Uploads", "--owner", &bot_id]);
    let upload_ws = upload_ws["id"].as_str().unwrap().to_string();
    let file = tessera_bench::uploads::noise_png(1 << 20);
    let uploads = if quick { 40 } else { 400 };
    let up = tessera_bench::uploads::run(&http, &graphql, &bot_token, &upload_ws, file, uploads, 8).await;
    let mib = (up.count * up.bytes) as f64 / 1048576.0;
    println!(
        "uploads of {:.2} MiB PNGs (local store, 8 clients): {} accepted in {:.2} s: {:.1} uploads/s, {:.1} MiB/s; all processed (size read, preview made) after {:.2} s: {:.1} images/s",
        up.bytes as f64 / 1048576.0,
        up.count,
        up.accepted_secs,
        up.count as f64 / up.accepted_secs,
        mib / up.accepted_secs,
        up.processed_secs,
        up.count as f64 / up.processed_secs
    );
    drop(tessera);

    let cold = cold_start_ms(&bin, &db, if quick { 3 } else { 7 }).await;
    let binary = std::fs::metadata(&bin).map(|m| m.len()).unwrap_or(0);
    println!("cold start on an existing database (to /readyz 200): median {cold:.1} ms");
    println!("release binary: {:.1} MiB", binary as f64 / 1048576.0);

    let cases: &[[&str; 3]] =
        if quick { &[["300", "10", "5"]] } else { &[["1000", "10", "20"], ["10000", "10", "20"]] };
    let fanout_bin = sibling("fanout");
    let mut fans = Vec::new();
    for [n, rate, secs] in cases {
        let out = Command::new("bench/fanout.sh")
            .args([n, rate, secs])
            .stderr(Stdio::inherit())
            .output()
            .expect("bench/fanout.sh");
        fans.push(Fan::parse("tessera", n, rate, String::from_utf8_lossy(&out.stdout).into()));
        // The same client against the in-memory peers (workspace "ws1", tokens "sub"/"writer").
        let measure = |server: Server| {
            let pid = server.child.id().to_string();
            let out = Command::new(&fanout_bin)
                .args([server.url.as_str(), "ws1", "sub", "writer", n, rate, secs, pid.as_str()])
                .stderr(Stdio::inherit())
                .output()
                .expect("fanout");
            String::from_utf8_lossy(&out.stdout).into_owned()
        };
        let node = spawn_server_env(PEER_NODE, &["bench/peers/graphql-ws-server.mjs"], &[("TOKENS", "sub,writer")]);
        fans.push(Fan::parse("graphql-ws (Node)", n, rate, measure(node)));
        let ceiling = spawn_server(ceiling_bin.to_str().unwrap(), &[]);
        fans.push(Fan::parse("bare WebSocket (ceiling)", n, rate, measure(ceiling)));
        for f in &fans[fans.len() - 3..] {
            println!(
                "fan-out {:<18} {:>6} subs × {} ev/s: {:>5.1}% delivered, {:>7.0} events/s, p50 {:.1} ms, p99 {:.1} ms, {:.1} KiB/idle subscription",
                f.server, f.subscribers, f.rate, f.delivered_pct, f.per_sec, f.p50_ms, f.p99_ms, f.kib_per_conn
            );
        }
    }

    write_results(&out_dir, quick, &rows, cold, binary, &fans, (n, &board), &up);
    let _ = std::fs::remove_dir_all(&dir);
}

#[allow(clippy::too_many_arguments)]
fn write_results(
    out_dir: &str,
    quick: bool,
    rows: &[Row],
    cold_ms: f64,
    binary: u64,
    fans: &[Fan],
    (board_n, board): (usize, &[tessera_bench::board::Timing]),
    up: &tessera_bench::uploads::Uploads,
) {
    let up_mib = up.bytes as f64 / 1048576.0;
    let date = Command::new("date")
        .arg("+%Y-%m-%dT%H%M%S")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    let ceiling = rows.iter().find(|r| r.server == "ceiling").map(|r| r.stats.per_sec()).unwrap_or(0.0);
    let workloads: Vec<Value> = rows
        .iter()
        .map(|r| json!({"workload": r.workload, "server": r.server, "requests_per_sec": r.stats.per_sec(), "p50_ms": r.stats.p50_ms, "p99_ms": r.stats.p99_ms, "runs_per_sec": r.runs, "ok": r.stats.ok, "errors": r.stats.errors, "vs_ceiling": r.stats.per_sec() / ceiling.max(1e-9)}))
        .collect();
    let doc = json!({
        "date": date, "quick": quick, "cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        "concurrency": CONCURRENCY, "workloads": workloads, "cold_start_ms": cold_ms, "binary_bytes": binary,
        "fanout": fans.iter().map(|f| json!({"server": f.server, "subscribers": f.subscribers, "events_per_sec_offered": f.rate,
            "delivered_percent": f.delivered_pct, "delivered_per_sec": f.per_sec, "p50_ms": f.p50_ms, "p99_ms": f.p99_ms,
            "kib_per_idle_subscription": f.kib_per_conn, "output": f.output})).collect::<Vec<_>>(),
        "board": {"elements": board_n, "queries": board.iter().map(|t| json!({"query": t.query, "returned": t.elements,
            "median_ms": t.median_ms, "max_ms": t.max_ms})).collect::<Vec<_>>()},
        "uploads": {"store": "local", "clients": 8, "file_mib": up_mib, "count": up.count,
            "uploads_per_sec": up.count as f64 / up.accepted_secs, "mib_per_sec": up.count as f64 * up_mib / up.accepted_secs,
            "processed_per_sec": up.count as f64 / up.processed_secs},
    });
    std::fs::create_dir_all(out_dir).expect("results dir");
    let stem = format!("{out_dir}/{date}{}", if quick { "-quick" } else { "" });
    std::fs::write(format!("{stem}.json"), serde_json::to_string_pretty(&doc).unwrap()).expect("json");

    let mut md = format!("# tessera benchmarks, {date}{}\n\n{CONCURRENCY} concurrent closed-loop clients on loopback; load generator on the same machine. Each workload ran {} time(s); its row is the median run, with every run's req/s in the order run.\n\n| workload | server | req/s | p50 ms | p99 ms | vs bare axum | runs (req/s) |\n|---|---|---:|---:|---:|---:|---|\n", if quick { " (quick)" } else { "" }, rows.first().map_or(0, |r| r.runs.len()));
    for r in rows {
        md += &format!(
            "| {} | {} | {:.0} | {:.2} | {:.2} | {:.0}% | {} |\n",
            r.workload,
            r.server,
            r.stats.per_sec(),
            r.stats.p50_ms,
            r.stats.p99_ms,
            100.0 * r.stats.per_sec() / ceiling.max(1e-9),
            spread(&r.runs)
        );
    }
    md += "\n| ratio | tessera / peer |\n|---|---:|\n";
    for r in rows.iter().filter(|r| r.server == "tessera") {
        for peer in rows.iter().filter(|p| p.workload == r.workload && p.server != "tessera") {
            md += &format!(
                "| {} vs {} | {:.2}× |\n",
                r.workload,
                peer.server,
                r.stats.per_sec() / peer.stats.per_sec().max(1e-9)
            );
        }
    }
    md += &format!("\nCold start on an existing database: {cold_ms:.1} ms (median). Release binary: {:.1} MiB.\n\n## Fan-out\n\nMemory is the server's RSS growth per subscriber from when a tenth of them are connected to when all are, idle (the one-time warm-up of a fresh server is left out; the fanout output also gives the growth from fresh).\n\n| server | subscribers | events/s offered | delivered | delivered events/s | p50 ms | p99 ms | KiB per idle subscription (marginal) |\n|---|---:|---:|---:|---:|---:|---:|---:|\n", binary as f64 / 1048576.0);
    for f in fans {
        md += &format!(
            "| {} | {} | {} | {:.1}% | {:.0} | {:.1} | {:.1} | {:.1} |\n",
            f.server, f.subscribers, f.rate, f.delivered_pct, f.per_sec, f.p50_ms, f.p99_ms, f.kib_per_conn
        );
    }
    md += &format!("\n## A board of {board_n} elements ({board_n} events)\n\n| query | elements returned | median ms | max ms |\n|---|---:|---:|---:|\n");
    for t in board {
        md += &format!("| {} | {} | {:.1} | {:.1} |\n", t.query, t.elements, t.median_ms, t.max_ms);
    }
    md += &format!(
        "\n## Uploads\n\n{} PNG images of {up_mib:.2} MiB by 8 clients to the local store (createImage, POST the file, processAsset): {:.1} uploads/s, {:.1} MiB/s; every one processed (size read, preview made) at {:.1} images/s.\n",
        up.count,
        up.count as f64 / up.accepted_secs,
        up.count as f64 * up_mib / up.accepted_secs,
        up.count as f64 / up.processed_secs
    );
    std::fs::write(format!("{stem}.md"), md).expect("md");
    std::fs::write(format!("{stem}.svg"), svg(rows)).expect("svg");
    println!("wrote {stem}.json, .md and .svg");
}

/// Horizontal bars of requests per second, labelled with p50/p99.
fn svg(rows: &[Row]) -> String {
    let max = rows.iter().map(|r| r.stats.per_sec()).fold(1.0, f64::max);
    let (w, bar, left) = (900.0, 26.0, 250.0);
    let h = 40.0 + rows.len() as f64 * (bar + 10.0);
    let mut s = format!("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" font-family=\"sans-serif\" font-size=\"13\">\n<text x=\"10\" y=\"20\" font-weight=\"bold\">requests/s (64 concurrent), p50/p99 latency</text>\n");
    for (i, r) in rows.iter().enumerate() {
        let y = 35.0 + i as f64 * (bar + 10.0);
        let len = (w - left - 200.0) * r.stats.per_sec() / max;
        let color = if r.server == "tessera" { "#3b6fd8" } else { "#9aa5b8" };
        s += &format!(
            "<text x=\"10\" y=\"{:.0}\">{} ({})</text><rect x=\"{left}\" y=\"{y:.0}\" width=\"{len:.0}\" height=\"{bar}\" fill=\"{color}\"/><text x=\"{:.0}\" y=\"{:.0}\">{:.0}/s · {:.1}/{:.1} ms</text>\n",
            y + 18.0, r.workload, r.server, left + len + 6.0, y + 18.0, r.stats.per_sec(), r.stats.p50_ms, r.stats.p99_ms
        );
    }
    s + "</svg>\n"
}
