//! Health, readiness, metrics, request ids, and the browser playground.

use crate::helpers::*;
use serde_json::json;

#[tokio::test]
async fn health_readiness_metrics_and_request_ids() {
    let app = spawn_app().await;
    let c = &app.client;
    let res = c.get(format!("{}/healthz", app.base)).send().await.expect("healthz");
    assert_eq!(res.status(), 200);
    let res = c.get(format!("{}/readyz", app.base)).send().await.expect("readyz");
    assert_eq!(res.status(), 200);
    let id = res.headers()["x-request-id"].to_str().expect("id").to_string();
    assert_eq!(id.len(), 16);

    let org = app.core.admin_create_org("M").await.expect("org").id;
    let (_, token) = app.core.admin_create_bot(&org, "m").await.expect("bot");
    app.gql(&token, "{ me { profile { id } } }", json!({})).await;
    app.gql(&token, "{ workspace(workspaceId: \"missing\") { id } }", json!({})).await;
    let text = c.get(format!("{}/metrics", app.base)).send().await.expect("metrics").text().await.expect("text");
    assert!(text.contains("# TYPE tessera_http_responses_total counter"), "{text}");
    let ops: u64 = text
        .lines()
        .find_map(|l| l.strip_prefix("tessera_graphql_operations_total "))
        .and_then(|v| v.parse().ok())
        .expect("operations line");
    assert_eq!(ops, 2);
    assert!(text.contains("tessera_graphql_errors_total{code=\"NOT_FOUND\"} 1"), "{text}");

    let res = c.get(format!("{}/nowhere", app.base)).send().await.expect("404");
    assert_eq!(res.status(), 404);
}

/// The GraphiQL page shares its origin with the sign-in and consent pages: it loads no script
/// that could change under it (pinned versions, each with its integrity hash; no inline
/// script), and says so to the browser with a strict content policy; it is never framed.
#[tokio::test]
async fn the_playground_loads_only_pinned_and_integrity_checked_code() {
    let app = spawn_app().await;
    let page = reqwest::get(format!("{}/v3/graphql", app.base)).await.expect("page");
    assert_eq!(page.status(), 200);
    let headers = page.headers().clone();
    let html = page.text().await.expect("html");
    assert!(html.contains("id=\"graphiql\""));
    let mut external = 0;
    for tag in html.split('<').filter(|t| t.starts_with("script") || t.starts_with("link")) {
        let url = ["src=\"", "href=\""].iter().find_map(|a| tag.split(a).nth(1)?.split('"').next());
        let Some(url) = url else {
            assert!(tag.starts_with("script>") || tag.starts_with("script "), "{tag}");
            continue;
        };
        if url.starts_with('/') {
            let res = reqwest::get(format!("{}{url}", app.base)).await.expect("asset");
            assert_eq!(res.status(), 200, "{url} is served from the binary");
            continue;
        }
        external += 1;
        let rest = url.strip_prefix("https://unpkg.com/").unwrap_or_else(|| panic!("only unpkg.com: {url}"));
        let version = rest.split('/').next().and_then(|p| p.rsplit_once('@')).map(|(_, v)| v).expect("a version");
        assert!(version.split('.').count() == 3 && version.split('.').all(|n| n.parse::<u32>().is_ok()), "{url}");
        assert!(tag.contains("integrity=\"sha384-") && tag.contains("crossorigin"), "{tag}");
    }
    assert_eq!(external, 4, "react, react-dom, graphiql and its stylesheet");
    assert!(!html.contains("<script>"), "no inline script");
    let csp = headers["content-security-policy"].to_str().expect("csp");
    for part in ["default-src 'none'", "frame-ancestors 'none'", "connect-src 'self'", "base-uri 'none'"] {
        assert!(csp.contains(part), "{part} in {csp}");
    }
    let scripts = csp.split(';').find(|d| d.trim().starts_with("script-src")).expect("script-src");
    assert!(!scripts.contains("unsafe") && !scripts.contains("https://unpkg.com/ "), "{scripts}");
    assert_eq!(headers["x-frame-options"], "DENY");
    assert_eq!(headers["referrer-policy"], "no-referrer");
}

/// The README's first command, as a new user runs it: the demo seeds data and serves it.
#[tokio::test]
async fn demo_seeds_and_serves_a_working_api() {
    let dir = tempfile::tempdir().expect("dir");
    let data_dir = dir.path().to_string_lossy().to_string();
    let (mut child, _, printed) = spawn_binary(
        &["demo", "--json", "--listen", "127.0.0.1:0", "--data-dir", &data_dir],
        &[("TESSERA_LOG", "warn")],
        std::process::Stdio::null(),
    )
    .await;
    assert_eq!(printed.len(), 1, "demo --json prints one JSON object before serving: {printed:?}");
    let seeded: serde_json::Value =
        serde_json::from_str(&printed[0]).expect("demo --json prints one JSON object first");
    let graphql = seeded["graphql"].as_str().expect("graphql url");
    let token = seeded["bot"]["token"].as_str().expect("bot token");
    let ws = seeded["workspace"]["id"].as_str().expect("workspace");
    assert!(seeded["user"]["password"].as_str().is_some_and(|p| p.len() >= 12));
    assert!(dir.path().join("demo.db").exists());

    let body: serde_json::Value = reqwest::Client::new()
        .post(graphql)
        .bearer_auth(token)
        .json(&json!({"query": "query($ws:String!){ elements(workspaceId:$ws) { type } }", "variables": {"ws": ws}}))
        .send()
        .await
        .expect("query")
        .json()
        .await
        .expect("json");
    let types: Vec<&str> =
        body["data"]["elements"].as_array().expect("elements").iter().filter_map(|e| e["type"].as_str()).collect();
    assert_eq!(types.len(), 4, "{body}");
    assert!(types.contains(&"Text") && types.contains(&"Shape") && types.contains(&"Canvas"));

    // The sample browser app is served at the demo app's registered redirect URI.
    let redirect = seeded["app"]["redirect_uri"].as_str().expect("redirect");
    let page = reqwest::get(redirect).await.expect("page");
    assert_eq!(page.status(), 200);
    assert!(page.headers()["content-security-policy"].to_str().is_ok_and(|c| c.contains("default-src 'self'")));
    assert!(page.text().await.expect("html").contains("Sign in with tessera"));
    let config: serde_json::Value =
        reqwest::get(format!("{redirect}config.json")).await.expect("config").json().await.expect("json");
    assert_eq!(config["client_id"], seeded["app"]["client_id"]);
    assert_eq!(config["redirect_uri"], redirect);
    let script = reqwest::get(format!("{redirect}dist/app.js")).await.expect("script");
    assert_eq!(script.headers()["content-type"], "text/javascript; charset=utf-8");
    assert!(script.text().await.expect("js").contains("code_challenge"));
    assert_eq!(reqwest::get(format!("{redirect}dist/other.js")).await.expect("404").status(), 404);
    child.start_kill().expect("kill");
}

/// Without a configured sample app, `/examples/…` does not exist.
#[tokio::test]
async fn the_sample_browser_app_is_served_only_when_configured() {
    let app = spawn_app().await;
    for path in ["/examples/browser-app", "/examples/browser-app/", "/examples/browser-app/config.json"] {
        let res = reqwest::get(format!("{}{path}", app.base)).await.expect("get");
        assert_eq!(res.status(), 404, "{path}");
    }
}

/// SIGTERM stops accepting, lets in-flight work finish, and exits cleanly.
#[tokio::test]
async fn sigterm_shuts_down_gracefully() {
    let dir = tempfile::tempdir().expect("dir");
    let db = fresh_db(dir.path()).await;
    let (mut child, base, _) = spawn_binary(
        &["serve", "--listen", "127.0.0.1:0", "--database-url", &db],
        &[("TESSERA_LOG", "warn")],
        std::process::Stdio::null(),
    )
    .await;
    assert_eq!(reqwest::get(format!("{base}/healthz")).await.expect("healthz").status(), 200);
    let pid = child.id().expect("pid").to_string();
    let killed = std::process::Command::new("kill").args(["-TERM", &pid]).status().expect("kill");
    assert!(killed.success());
    let status = tokio::time::timeout(std::time::Duration::from_secs(10), child.wait())
        .await
        .expect("exits promptly")
        .expect("wait");
    assert!(status.success(), "{status:?}");
    assert!(reqwest::get(format!("{base}/healthz")).await.is_err(), "no longer listening");
}

/// With `metrics_token` set, `/metrics` answers only with that bearer token.
#[tokio::test]
async fn metrics_can_require_a_token_of_their_own() {
    let app = spawn_app_with(|c| c.metrics_token = Some("metrics-secret-value".into())).await;
    let url = format!("{}/metrics", app.base);
    let c = &app.client;
    for auth in [None, Some("wrong-secret-value"), Some("metrics-secret-valu")] {
        let mut req = c.get(&url);
        if let Some(token) = auth {
            req = req.bearer_auth(token);
        }
        let res = req.send().await.expect("metrics");
        assert_eq!(res.status(), 401, "{auth:?}");
        assert!(res.headers().contains_key("www-authenticate"));
        assert!(!res.text().await.expect("text").contains("tessera_http_responses_total"));
    }
    let res = c.get(&url).bearer_auth("metrics-secret-value").send().await.expect("metrics");
    assert_eq!(res.status(), 200);
    assert!(res.text().await.expect("text").contains("tessera_http_responses_total"));
    // Without the setting (the default) they are open, as before.
    let open = spawn_app().await;
    assert_eq!(reqwest::get(format!("{}/metrics", open.base)).await.expect("metrics").status(), 200);
}

/// A stopped server lets go of its store, and so of its database connections: once its
/// runtime is gone nothing (the subscription bus included) keeps the store alive. (A reference
/// cycle between the store and the bus kept every test's connections open until PostgreSQL
/// refused more.)
#[test]
fn a_stopped_server_lets_go_of_its_database() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let store = runtime.block_on(async {
        let app = spawn_app().await;
        let org = app.core.admin_create_org("Gone").await.expect("org").id;
        let (_, token) = app.core.admin_create_bot(&org, "bot").await.expect("bot");
        assert!(app.gql(&token, "{ me { profile { id } } }", json!({})).await["errors"].is_null());
        std::sync::Arc::downgrade(app.core.store())
    });
    drop(runtime);
    assert_eq!(store.strong_count(), 0, "the store outlived its server");
}
