//! The HTTP application: shared state, the router, and `serve`, which runs it on a listener
//! until a shutdown future resolves and then drains in-flight requests.

use crate::config::Config;
use crate::metrics::Metrics;
use crate::{graphql, web};
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use axum::Router;
use std::future::Future;
use std::sync::Arc;
use tessera_core::service::Core;
use tokio::net::TcpListener;

/// The largest request body accepted anywhere (GraphQL documents included).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub core: Core,
    pub schema: graphql::ApiSchema,
    pub metrics: Arc<Metrics>,
    pub config: Arc<Config>,
}

impl AppState {
    /// Open the store named by the configuration (migrating it) and build the state.
    pub async fn open(config: Config) -> Result<Self, String> {
        config.prepare_storage()?;
        let store = tessera_store::open(&config.database_url)
            .await
            .map_err(|e| e.to_string())?;
        let core = Core::new(store).await.map_err(|e| e.to_string())?;
        Ok(Self::new(core, config))
    }

    pub fn new(core: Core, config: Config) -> Self {
        AppState {
            schema: graphql::schema(core.clone()),
            core,
            metrics: Arc::new(Metrics::default()),
            config: Arc::new(config),
        }
    }
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(web::health::healthz))
        .route("/readyz", get(web::health::readyz))
        .route("/metrics", get(web::health::metrics))
        .route(
            "/v3/graphql",
            get(graphql::http::playground).post(graphql::http::post),
        )
        .fallback(web::not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            web::observe,
        ))
        .with_state(state)
}

/// Serve until `shutdown` resolves, then stop accepting and let in-flight requests finish.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutdown requested; draining in-flight requests");
}
