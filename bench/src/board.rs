//! The `elements` arguments on a large board: a workspace of `n` texts on a grid, created
//! through the API (so `n` elements and `n` events), then `overlaps` (the spatial index),
//! `when` (the element history) and the whole list, each timed over sequential runs.

#![allow(clippy::expect_used)]

use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// One timed query: its name, the elements it returned, and its median and slowest time.
pub struct Timing {
    pub query: &'static str,
    pub elements: usize,
    pub median_ms: f64,
    pub max_ms: f64,
}

const PER_ROW: usize = 300;
const SPACING: f64 = 500.0;

/// Create texts `from..to` on the grid with `workers` concurrent clients.
async fn seed(http: &reqwest::Client, graphql: &str, token: &str, ws: &str, from: usize, to: usize, workers: usize) {
    let next = Arc::new(AtomicUsize::new(from));
    let mut tasks = Vec::new();
    for _ in 0..workers {
        let (http, url, token, ws, next) =
            (http.clone(), graphql.to_string(), token.to_string(), ws.to_string(), next.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= to {
                    return;
                }
                let (x, y) = ((i % PER_ROW) as f64 * SPACING, (i / PER_ROW) as f64 * SPACING);
                let body = json!({"query": "mutation($ws:String!, $t:String!, $x:Float!, $y:Float!){ createText(workspaceId:$ws, input:{text:$t, transform:{x:$x, y:$y}}) { id } }",
                    "variables": {"ws": ws, "t": format!("e{i}"), "x": x, "y": y}});
                let res = http.post(&url).bearer_auth(&token).json(&body).send().await.expect("create");
                let v: Value = res.json().await.expect("json");
                assert!(v["errors"].is_null(), "seeding failed: {v}");
            }
        }));
    }
    for t in tasks {
        t.await.expect("seed worker");
    }
}

fn iso_now() -> String {
    let ms = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_millis();
    let now = chrono::DateTime::from_timestamp_millis(ms as i64).expect("a time");
    now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Seed `n` elements (half, an instant, the other half), then time each query `runs` times.
pub async fn run(http: &reqwest::Client, graphql: &str, token: &str, ws: &str, n: usize, runs: usize) -> Vec<Timing> {
    let half = seed_board(http, graphql, token, ws, n).await;
    time_queries(http, graphql, token, ws, &half, runs).await
}

/// Create `n` texts in halves; the instant between the halves (RFC 3339).
pub async fn seed_board(http: &reqwest::Client, graphql: &str, token: &str, ws: &str, n: usize) -> String {
    let started = Instant::now();
    seed(http, graphql, token, ws, 0, n / 2, 64).await;
    tokio::time::sleep(Duration::from_millis(5)).await;
    let half = iso_now();
    tokio::time::sleep(Duration::from_millis(5)).await;
    seed(http, graphql, token, ws, n / 2, n, 64).await;
    println!("board: {n} texts created through the API in {:.1} s; halfway at {half}", started.elapsed().as_secs_f64());
    half
}

/// Time each board query `runs` times, `when` being `half`.
pub async fn time_queries(
    http: &reqwest::Client,
    graphql: &str,
    token: &str,
    ws: &str,
    half: &str,
    runs: usize,
) -> Vec<Timing> {
    // A viewport in the middle of the board, whatever its size (a 5×5 patch of the grid).
    let count = json!({"query": "query($ws:String!){ elements(workspaceId:$ws) { id } }", "variables": {"ws": ws}});
    let all: Value =
        http.post(graphql).bearer_auth(token).json(&count).send().await.expect("count").json().await.expect("json");
    let n = all["data"]["elements"].as_array().map_or(0, Vec::len);
    let (cx, cy) = ((n.min(PER_ROW) / 2) as f64 * SPACING, (n.div_ceil(PER_ROW) / 2) as f64 * SPACING);
    let viewport = format!("{{x: {}, y: {}, width: 2000, height: 2000}}", cx - 1000.0, cy - 1000.0);
    let queries: [(&'static str, String); 4] = [
        ("overlaps (2000×2000 viewport)", format!("elements(workspaceId:$ws, overlaps:{viewport})")),
        ("when (halfway) + overlaps", format!("elements(workspaceId:$ws, when:\"{half}\", overlaps:{viewport})")),
        ("when (halfway), every element", format!("elements(workspaceId:$ws, when:\"{half}\")")),
        ("every element (now)", "elements(workspaceId:$ws)".to_string()),
    ];
    let mut out = Vec::new();
    for (name, field) in queries {
        let body = json!({"query": format!("query($ws:String!){{ {field} {{ id }} }}"), "variables": {"ws": ws}});
        let (mut times, mut count) = (Vec::new(), 0);
        for _ in 0..runs {
            let t = Instant::now();
            let v: Value = http
                .post(graphql)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .expect("query")
                .json()
                .await
                .expect("json");
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            assert!(v["errors"].is_null(), "{name}: {v}");
            count = v["data"]["elements"].as_array().map_or(0, Vec::len);
        }
        times.sort_by(f64::total_cmp);
        out.push(Timing {
            query: name,
            elements: count,
            median_ms: times[times.len() / 2],
            max_ms: times[times.len() - 1],
        });
    }
    out
}
