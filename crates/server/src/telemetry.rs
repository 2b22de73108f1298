//! Structured logs to stderr. `TESSERA_LOG` (or `RUST_LOG`) sets the filter, default `info`;
//! `TESSERA_LOG_FORMAT=json` switches to one JSON object per line.

use tracing_subscriber::EnvFilter;

pub fn init() {
    let filter = std::env::var("TESSERA_LOG")
        .or_else(|_| std::env::var("RUST_LOG"))
        .unwrap_or_else(|_| "info,sqlx=warn".to_string());
    let filter = EnvFilter::try_new(&filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let json = std::env::var("TESSERA_LOG_FORMAT").is_ok_and(|v| v == "json");
    // A second init (as in tests that start several servers) is harmless: the first one stays.
    let _ = if json { builder.json().try_init() } else { builder.try_init() };
}
