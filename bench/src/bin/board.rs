//! The board queries of the suite against a running server, for profiling them: seeds a
//! workspace when asked, then times `overlaps`, `when` and the whole list.
//!
//! usage: board URL TOKEN WORKSPACE (--seed N | --half RFC3339) [--runs R]
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let flag = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned();
    let (url, token, ws) = (&args[1], &args[2], &args[3]);
    let graphql = format!("{}/v3/graphql", url.trim_end_matches('/'));
    let http = reqwest::Client::new();
    let half = match (flag("--seed"), flag("--half")) {
        (Some(n), _) => tessera_bench::board::seed_board(&http, &graphql, token, ws, n.parse().expect("N")).await,
        (None, Some(half)) => half,
        (None, None) => panic!("--seed N or --half RFC3339"),
    };
    let runs = flag("--runs").map_or(5, |r| r.parse().expect("R"));
    for t in tessera_bench::board::time_queries(&http, &graphql, token, ws, &half, runs).await {
        println!(
            "{:<32} {:>7} elements  median {:>8.1} ms  max {:>8.1} ms",
            t.query, t.elements, t.median_ms, t.max_ms
        );
    }
}
