//! GraphQL over Server-Sent Events (graphql-sse, distinct-connections mode): `POST /v3/graphql`
//! with `Accept: text/event-stream`, authorized by the `Authorization` header. One operation
//! per request; each result is an `event: next`, the end an `event: complete`. The stream
//! ends when the token expires or is revoked.

use super::http::finish;
use super::subscription::fixed_principal;
use crate::app::AppState;
use async_graphql::futures_util::stream::{self, StreamExt};
use async_graphql::Request;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use std::convert::Infallible;
use std::time::Duration;
use tessera_core::auth::Principal;
use tessera_core::ids::TokenId;
use tessera_core::model::now_millis;
use tokio::sync::broadcast::error::RecvError;

pub fn respond(state: AppState, token: String, principal: Principal, request: Request) -> Response {
    let expires_at = principal.expires_at;
    let token_id = principal.token_id.clone();
    let request = request.data(fixed_principal(principal.clone())).data(principal);
    let results = state.schema.execute_stream(request).map(|res| {
        Ok::<_, Infallible>(
            Event::default().event("next").data(serde_json::to_string(&finish(res)).unwrap_or_default()),
        )
    });
    let complete = stream::once(async { Ok(Event::default().event("complete").data("")) });
    let lost = token_lost(state, token, token_id, expires_at);
    let events = results.chain(complete).take_until(lost);
    Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))).into_response()
}

/// Resolves when the token expires or stops being valid after a revocation that names it.
async fn token_lost(state: AppState, token: String, token_id: TokenId, expires_at: Option<i64>) {
    let mut revocations = state.hubs.revocations();
    let expiry = async move {
        match expires_at {
            Some(at) => tokio::time::sleep(Duration::from_millis((at - now_millis()).max(0) as u64)).await,
            None => std::future::pending().await,
        }
    };
    tokio::pin!(expiry);
    loop {
        tokio::select! {
            _ = &mut expiry => return,
            signal = revocations.recv() => {
                let affected = match signal {
                    Ok(what) => what.affects(&token_id),
                    Err(RecvError::Lagged(_)) => true,
                    Err(RecvError::Closed) => std::future::pending().await,
                };
                if !affected {
                    continue;
                }
                state.metrics.token_rechecks.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if matches!(state.core.authenticate(&token).await, Err(tessera_core::Error::Unauthenticated)) {
                    return;
                }
            }
        }
    }
}
