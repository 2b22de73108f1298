//! The HTTP application: shared state, the router, and `serve`, which runs it on a listener
//! until a shutdown future resolves and then drains in-flight requests.

use crate::bus::Hubs;
use crate::config::Config;
use crate::metrics::Metrics;
use crate::{graphql, rest, web};
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
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
    pub hubs: Arc<Hubs>,
    /// The arguments of subscription shapes already validated on this node.
    pub shapes: Arc<graphql::operation::Shapes>,
    pub metrics: Arc<Metrics>,
    pub config: Arc<Config>,
    pub limits: Arc<web::limits::Limits>,
    /// What the REST routes select of each GraphQL type.
    pub rest: Arc<rest::select::Selections>,
    /// The object store of asset files, and the upload flow.
    pub assets: Arc<crate::assets::Assets>,
    /// The pages' content policy (which allows the object store's origin, if it has its own).
    pub page_policy: axum::http::HeaderValue,
    /// Organizations' identity providers, as single sign-on reaches them.
    pub sso: Arc<crate::sso::Upstream>,
}

impl AppState {
    /// Open the store named by the configuration (migrating it) and build the state.
    pub async fn open(config: Config) -> Result<Self, String> {
        config.prepare_storage()?;
        let store = tessera_store::open(&config.database_url).await.map_err(|e| e.to_string())?;
        let core = Core::new(store.clone(), config.oauth.clone())
            .await
            .map_err(|e| e.to_string())?
            .with_board_cache(config.board_cache)
            .with_signing_keys(
                tessera_core::oauth::keys::Sealer::from_secret(&config.secret_key.resolve()?)
                    .map_err(|e| e.to_string())?,
                config.signing_keys,
            );
        let metrics = Arc::new(Metrics::default());
        let hubs = Hubs::new(store.clone(), core.credentials().clone(), metrics.clone());
        store.set_bus(hubs.clone());
        let rest = rest::select::Selections::read().await;
        let assets = crate::assets::Assets::open(&config, &core).await?;
        let page_policy = web::pages::page_policy(assets.blobs.origin().as_deref());
        let limits = Arc::new(web::limits::Limits::new(&config.rate_limits, Some(store.clone())));
        let upstream = crate::assets::fetch::Fetcher::new(config.fetch_allow.clone(), "tessera single sign-on")?;
        Ok(AppState {
            sso: Arc::new(crate::sso::Upstream::new(upstream)),
            page_policy,
            rest,
            schema: graphql::schema(
                core.clone(),
                hubs.clone(),
                assets.clone(),
                limits.clone(),
                config.graphql_introspection,
            ),
            assets,
            core,
            hubs,
            shapes: Arc::default(),
            metrics,
            limits,
            config: Arc::new(config),
        })
    }
}

pub fn router(state: AppState) -> Router {
    use web::{oauth, pages, portal};
    // Pages people see: framing refused, no referrer, strict content policy.
    let pages = Router::new()
        .route("/v3/oauth2/authorize", get(oauth::authorize).post(oauth::consent))
        .route("/login", get(pages::login_page).post(pages::login_submit))
        .route("/logout", post(pages::logout))
        .route("/v3/oauth2/logout", get(web::oidc::logout).post(web::oidc::confirm_logout))
        .route("/login/2fa", get(web::two_factor::page).post(web::two_factor::submit))
        .route("/login/sso", get(web::sso::page).post(web::sso::by_email))
        .route("/login/sso/callback", get(web::sso::callback))
        .route("/login/sso/{org}", get(web::sso::by_org))
        .route("/portal/2fa/setup", post(web::two_factor::setup))
        .route("/portal/2fa/confirm", post(web::two_factor::confirm))
        .route("/portal/2fa/disable", post(web::two_factor::disable))
        .route("/portal/orgs/{org}/two-factor", post(web::two_factor::require))
        .route("/portal/password", post(portal::change_password))
        .route("/portal/sign-out-everywhere", post(portal::sign_out_everywhere))
        .route("/portal/orgs/{org}/sso", post(web::sso::set))
        .route("/portal/orgs/{org}/sso/remove", post(web::sso::remove))
        .route("/device", get(web::account::device_page).post(web::account::device_decision))
        .route("/password/forgot", get(web::account::forgot_page).post(web::account::forgot))
        .route("/signup", get(web::account::signup_page).post(web::account::signup))
        .route("/password/reset", get(web::account::reset_page).post(web::account::reset))
        .route("/invitations/accept", get(web::account::invitation_page).post(web::account::accept))
        .route("/invitations/join", post(web::account::join))
        .route("/email/verify", get(web::account::verify))
        .route("/portal/email/verify", post(web::account::request_verification))
        .route("/portal/orgs/{org}/invitations", post(web::account::invite))
        .route("/portal", get(portal::home))
        .route("/portal/apps", post(portal::create_app))
        .route("/portal/apps/{client_id}", get(portal::show_app))
        .route("/portal/apps/{client_id}/secret", post(portal::regenerate_secret))
        .route("/portal/apps/{client_id}/delete", post(portal::delete_app))
        .route("/portal/grants/{client_id}/revoke", post(portal::revoke_grant))
        .route("/portal/bot-tokens/{token_id}/revoke", post(portal::revoke_bot_token))
        .route("/portal/bots/{bot}/tokens", post(web::org_admin::create_bot_token))
        .route("/portal/orgs/{org}/bots", post(web::org_admin::create_bot))
        .route("/portal/orgs/{org}/signup-domains", post(web::org_admin::open_signup))
        .route("/portal/orgs/{org}/signup-domains/{domain}/close", post(web::org_admin::close_signup))
        .route("/portal/orgs/{org}/members/{user}/role", post(web::org_admin::set_role))
        .route("/portal/orgs/{org}/members/{user}/remove", post(web::org_admin::remove))
        .route("/portal/orgs/{org}/invitations/{id}/cancel", post(web::org_admin::cancel_invitation))
        .route("/portal/orgs/{org}/grants/{user}/{client_id}/revoke", post(web::org_admin::revoke_grant))
        .route("/examples/browser-app", get(web::examples::without_slash))
        .route(web::examples::PATH, get(web::examples::index))
        .route("/examples/browser-app/{*file}", get(web::examples::asset))
        .layer(axum::middleware::from_fn_with_state(state.clone(), pages::page_headers));
    // Endpoints browser apps call cross-origin: CORS for registered redirect-URI origins.
    let cross_origin = Router::new()
        .route("/v3/oauth2/token", post(oauth::token))
        .route("/v3/oauth2/revoke", post(oauth::revoke))
        .route("/v3/oauth2/device_authorization", post(oauth::device_authorization))
        .route("/v3/oauth2/userinfo", get(web::oidc::userinfo).post(web::oidc::userinfo))
        .route("/v3/oauth2/jwks", get(web::oidc::jwks))
        .route("/.well-known/openid-configuration", get(web::oidc::configuration))
        .route("/v3/graphql", get(graphql::ws::upgrade_or_playground).post(graphql::http::post))
        .merge(rest::router())
        // The local object store (uploads are bounded by their signed forms, not the body limit).
        .route("/v3/storage", post(web::storage::upload).layer(DefaultBodyLimit::disable()))
        .route("/v3/storage/{*key}", get(web::storage::download))
        .layer(web::cors::layer(state.clone()));
    Router::new()
        .merge(pages)
        .merge(cross_origin)
        .route("/v3/oauth2/introspect", post(oauth::introspect))
        .route("/.well-known/oauth-authorization-server", get(oauth::metadata))
        .route("/assets/tessera.css", get(pages::stylesheet))
        .route("/assets/graphiql-init.js", get(graphql::http::playground_script))
        .route("/assets/tessera-graphiql.css", get(graphql::http::playground_style))
        .route("/icons/{*path}", get(web::icons::file))
        .route("/healthz", get(web::health::healthz))
        .route("/readyz", get(web::health::readyz))
        .route("/metrics", get(web::health::metrics))
        .fallback(web::not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn_with_state(state.clone(), web::observe))
        .with_state(state)
}

/// Serve until `shutdown` resolves, then stop accepting and let in-flight requests finish.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    state.assets.clone().run_sweeper(std::time::Duration::from_secs(60));
    if let Err(e) = crate::mail::start(state.core.clone(), &state.config.mail) {
        tracing::error!(error = %e, "the mail sender cannot start; account mail waits in the outbox");
    }
    forget_expired_every(state.core.clone(), std::time::Duration::from_secs(600));
    let app = router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await
}

/// Delete expired tokens, sessions and codes now and then (see `Core::forget_expired`).
fn forget_expired_every(core: Core, every: std::time::Duration) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            match core.forget_expired().await {
                Ok(0) => {}
                Ok(n) => tracing::info!(tokens = n, "deleted expired tokens"),
                Err(e) => tracing::warn!(error = %e, "deleting expired tokens"),
            }
        }
    });
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
