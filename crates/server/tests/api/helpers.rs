//! Starting the app, calling it, and setting up data through the CLI binary.

use serde_json::{json, Value};
use std::path::Path;
use std::process::{Command, Stdio};
use tessera::app::{self, AppState};
use tessera::config::{Config, Overrides};
use tessera_core::ids::WorkspaceId;
use tessera_core::service::Core;
use tokio::sync::oneshot;

pub struct TestApp {
    pub base: String,
    db: String,
    pub core: Core,
    pub hubs: std::sync::Arc<tessera::bus::Hubs>,
    pub assets: std::sync::Arc<tessera::assets::Assets>,
    pub client: reqwest::Client,
    _stop: oneshot::Sender<()>,
    _dir: Option<tempfile::TempDir>,
}

/// The PostgreSQL server the suite runs against instead of SQLite, if any
/// (`TESSERA_TEST_POSTGRES=postgres://USER@HOST:PORT`; each test gets a new database there).
pub fn postgres_server() -> Option<String> {
    std::env::var("TESSERA_TEST_POSTGRES").ok().filter(|v| !v.is_empty())
}

/// The S3-compatible server the suite stores asset files in instead of a local directory, if
/// any (`TESSERA_TEST_S3=http://HOST:PORT`, serving bucket `tessera` with the keys below).
pub fn s3_server() -> Option<String> {
    std::env::var("TESSERA_TEST_S3").ok().filter(|v| !v.is_empty())
}
pub const S3_BUCKET: &str = "tessera";
pub const S3_KEY: &str = "tessera-test";
pub const S3_SECRET: &str = "tessera-test-secret";

/// A fresh, empty database: a SQLite file in `dir`, or a new PostgreSQL database.
pub async fn fresh_db(dir: &Path) -> String {
    let Some(server) = postgres_server() else { return format!("sqlite://{}", dir.join("tessera.db").display()) };
    use sqlx::Connection;
    let name = format!("t_{}", tessera_core::ids::new_id());
    let mut conn = sqlx::PgConnection::connect(&format!("{server}/postgres")).await.expect("connect to PostgreSQL");
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.expect("create database");
    format!("{server}/{name}")
}

/// Run one SQL statement on a database, behind the server's back.
pub async fn raw_sql(db_url: &str, statement: &str) {
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(db_url).await.expect("connect");
    sqlx::query(statement).execute(&mut conn).await.expect("statement");
}

/// A server on port 0 with a fresh database in a new temporary directory.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// A server on a fresh database with some settings changed.
pub async fn spawn_app_with(tweak: impl FnOnce(&mut Config)) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut app = start(&fresh_db(dir.path()).await, tweak).await;
    app._dir = Some(dir);
    app
}

/// A server on port 0 using an existing database URL.
/// `n` nodes sharing one fresh database (kept while the directory lives).
pub async fn nodes_on_one_database(n: usize) -> (Vec<TestApp>, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("dir");
    let db = fresh_db(dir.path()).await;
    let mut nodes = Vec::new();
    for _ in 0..n {
        nodes.push(spawn_app_on(&db).await);
    }
    (nodes, dir)
}

pub async fn spawn_app_on(db_url: &str) -> TestApp {
    start(db_url, |_| {}).await
}

/// A server on an existing database URL, with some settings changed.
pub async fn spawn_app_on_with(db_url: &str, tweak: impl FnOnce(&mut Config)) -> TestApp {
    start(db_url, tweak).await
}

async fn start(db_url: &str, tweak: impl FnOnce(&mut Config)) -> TestApp {
    if std::env::var_os("TESSERA_LOG").is_some() {
        tessera::telemetry::init();
    }
    let config = Config::resolve(Overrides {
        listen: Some("127.0.0.1:0".into()),
        database_url: Some(db_url.to_string()),
        ..Default::default()
    })
    .expect("config");
    let (listener, mut config) = tessera::cli::bind(config).await.expect("bind");
    if let Some(endpoint) = s3_server() {
        config.storage_url = format!("s3://{S3_BUCKET}?endpoint={endpoint}&region=us-east-1");
        config.s3_credentials = Some((S3_KEY.into(), S3_SECRET.into()));
    }
    tweak(&mut config);
    let state = AppState::open(config).await.expect("open state");
    let base = format!("http://{}", state.config.listen);
    let core = state.core.clone();
    let hubs = state.hubs.clone();
    let assets = state.assets.clone();
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(app::serve(listener, state, async {
        let _ = stopped.await;
    }));
    TestApp {
        base,
        db: db_url.to_string(),
        core,
        hubs,
        assets,
        client: reqwest::Client::new(),
        _stop: stop,
        _dir: None,
    }
}

impl TestApp {
    pub fn db_url(&self) -> String {
        self.db.clone()
    }

    /// POST a GraphQL request with a bearer token; returns (HTTP status, JSON body).
    pub async fn gql_status(&self, token: &str, query: &str, variables: Value) -> (u16, Value) {
        let res = self
            .client
            .post(format!("{}/v3/graphql", self.base))
            .bearer_auth(token)
            .json(&json!({"query": query, "variables": variables}))
            .send()
            .await
            .expect("request");
        let status = res.status().as_u16();
        (status, res.json().await.expect("json body"))
    }

    pub async fn gql(&self, token: &str, query: &str, variables: Value) -> Value {
        self.gql_status(token, query, variables).await.1
    }

    /// Every event of a workspace, straight from the store.
    pub async fn events(&self, ws: &str) -> Vec<tessera_core::event::Event> {
        self.core.store().events_after(&WorkspaceId(ws.into()), 0, 1_000_000).await.expect("events")
    }

    pub async fn element_count(&self, ws: &str) -> usize {
        self.core.store().elements(&WorkspaceId(ws.into()), Default::default()).await.expect("elements").len()
    }
}

/// The `extensions.code` of the first error, if any.
pub fn error_code(body: &Value) -> Option<&str> {
    body["errors"][0]["extensions"]["code"].as_str()
}

/// Run the real `tessera` binary with `--json`, and parse its one JSON object.
pub fn cli(db_url: &str, args: &[&str], stdin: Option<&str>) -> Result<Value, String> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args(args)
        .args(["--json", "--database-url", db_url])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn tessera");
    if let Some(input) = stdin {
        use std::io::Write;
        child.stdin.take().expect("stdin").write_all(input.as_bytes()).expect("write stdin");
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().expect("wait");
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).trim().to_string());
    }
    serde_json::from_slice(&out.stdout).map_err(|e| format!("stdout is not JSON: {e}"))
}

pub fn cli_ok(db_url: &str, args: &[&str]) -> Value {
    cli(db_url, args, None).unwrap_or_else(|e| panic!("tessera {args:?} failed: {e}"))
}

pub fn id(v: &Value) -> String {
    v["id"].as_str().expect("id").to_string()
}

/// An org, a human owner, and a workspace owned by them; returns (org, owner, workspace).
pub fn cli_org_owner_workspace(db_url: &str, public: bool) -> (String, String, String) {
    let org = id(&cli_ok(db_url, &["org", "create", "--name", "Acme"]));
    let email = format!("owner-{}@example.test", tessera_core::ids::new_id());
    let owner = id(&cli(
        db_url,
        &["user", "create", "--email", &email, "--password-stdin", "--org", &org],
        Some("s3cret-pass\n"),
    )
    .expect("user create"));
    let mut args = vec!["workspace", "create", "--org", &org, "--name", "Board", "--owner", &owner];
    if public {
        args.push("--public");
    }
    let ws = id(&cli_ok(db_url, &args));
    (org, owner, ws)
}

/// A bot in `org` added to `ws` with `role`; returns (bot id, token).
pub fn cli_bot(db_url: &str, org: &str, ws: Option<&str>, role: &str) -> (String, String) {
    let bot = cli_ok(db_url, &["bot", "create", "--org", org, "--name", &format!("bot-{role}")]);
    let (bot_id, token) = (id(&bot), bot["token"].as_str().expect("token").to_string());
    if let Some(ws) = ws {
        cli_ok(db_url, &["workspace", "add-collaborator", "--workspace", ws, "--user", &bot_id, "--role", role]);
    }
    (bot_id, token)
}

/// The real binary, started with `args` and `env`: returns the child, its base URL (from the
/// `tessera listening on …` line) and the stdout lines printed before that line.
pub async fn spawn_binary(
    args: &[&str],
    env: &[(&str, &str)],
    stderr: std::process::Stdio,
) -> (tokio::process::Child, String, Vec<String>) {
    start_binary(tokio::process::Command::new(env!("CARGO_BIN_EXE_tessera")).args(args), env, stderr).await
}

/// The binary, unable to grow any file past `max_bytes` (a full disk, as far as it can tell):
/// `ulimit -f` with SIGXFSZ ignored, so a write past the limit fails with an error.
pub async fn spawn_binary_with_file_limit(
    args: &[&str],
    env: &[(&str, &str)],
    max_bytes: u64,
) -> (tokio::process::Child, String, Vec<String>) {
    // dash's `ulimit -f` counts 512-byte blocks.
    let script = format!("trap '' XFSZ; ulimit -f {}; exec \"$0\" \"$@\"", max_bytes / 512);
    let mut command = tokio::process::Command::new("sh");
    command.args(["-c", &script, env!("CARGO_BIN_EXE_tessera")]).args(args);
    start_binary(&mut command, env, std::process::Stdio::null()).await
}

async fn start_binary(
    command: &mut tokio::process::Command,
    env: &[(&str, &str)],
    stderr: std::process::Stdio,
) -> (tokio::process::Child, String, Vec<String>) {
    use tokio::io::{AsyncBufReadExt, BufReader};
    let mut child = command
        .envs(env.iter().copied())
        .stdout(std::process::Stdio::piped())
        .stderr(stderr)
        .kill_on_drop(true)
        .spawn()
        .expect("spawn tessera");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut before = Vec::new();
    loop {
        let line = tokio::time::timeout(std::time::Duration::from_secs(30), lines.next_line())
            .await
            .expect("tessera did not start in time")
            .expect("read stdout")
            .expect("tessera exited before listening");
        match line.strip_prefix("tessera listening on ") {
            Some(url) => return (child, url.to_string(), before),
            None => before.push(line),
        }
    }
}

/// The value of an unlabelled counter or gauge on `/metrics` (0 when absent).
pub async fn metric(app: &TestApp, name: &str) -> f64 {
    let text =
        app.client.get(format!("{}/metrics", app.base)).send().await.expect("metrics").text().await.expect("text");
    text.lines()
        .find_map(|l| l.strip_prefix(name).and_then(|rest| rest.strip_prefix(' ')))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0)
}
