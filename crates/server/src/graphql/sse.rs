//! GraphQL over Server-Sent Events (graphql-sse, distinct-connections mode): `POST /v3/graphql`
//! with `Accept: text/event-stream`, authorized by the `Authorization` header. One operation
//! per request; each result is an `event: next`, the end an `event: complete`. The stream
//! ends when the token expires or is revoked.

use super::operation::{self, render};
use crate::app::AppState;
use async_graphql::futures_util::future::BoxFuture;
use async_graphql::futures_util::stream::{self, StreamExt};
use async_graphql::{Request, Response as GqlResponse};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tessera_core::auth::Principal;
use tessera_core::ids::{TokenId, UserId};
use tessera_core::model::now_millis;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{mpsc, watch};

/// Results waiting to be written to a response. The operation is driven by the response body
/// itself (no task of its own), so when the client reads slowly the operation simply waits:
/// its feed catches up from the log once the client does.
const QUEUE: usize = 16;

pub fn respond(state: AppState, token: String, principal: Principal, request: Request) -> Response {
    let expires_at = principal.expires_at;
    let (token_id, user) = (principal.token_id.clone(), principal.user.id.clone());
    // Replaced (with itself) when the person's memberships change, so that the operation asks
    // again whether it may still read what it follows.
    let (who, shared) = tokio::sync::watch::channel(Arc::new(principal));
    let (tx, rx) = mpsc::channel(QUEUE);
    // The operation runs inside the body stream and drops its outlet when it ends, which ends
    // the queue's stream once what it queued has been written.
    let op_state = state.clone();
    let run = async move { operation::run(&op_state, Box::new(request), shared, Arc::new(Outlet(tx))).await };
    let running = stream::once(run).filter_map(|_| std::future::ready(None));
    let queued = stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|r| (r, rx)) });
    let results = stream::select(queued, running)
        .map(|response: Arc<str>| Ok::<_, Infallible>(Event::default().event("next").data(&*response)));
    let complete = stream::once(async { Ok(Event::default().event("complete").data("")) });
    let lost = token_lost(state, token, (token_id, user, who), expires_at);
    let events = results.chain(complete).take_until(lost);
    Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))).into_response()
}

/// An SSE response's operation: every result, a refusal too, is a `next` event.
struct Outlet(mpsc::Sender<Arc<str>>);

impl operation::Outlet for Outlet {
    fn next(&self, response: Arc<str>) -> BoxFuture<'static, bool> {
        let tx = self.0.clone();
        Box::pin(async move { tx.send(response).await.is_ok() })
    }

    fn refuse(&self, response: GqlResponse, _subscription: bool) -> BoxFuture<'static, bool> {
        self.next(render(response))
    }
}

/// Resolves when the token expires or stops being valid after a revocation that names it;
/// meanwhile, tells the operation (through `who`) when the person's memberships change.
async fn token_lost(
    state: AppState,
    token: String,
    (token_id, user, who): (TokenId, UserId, watch::Sender<Arc<Principal>>),
    expires_at: Option<i64>,
) {
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
                let (affected, access) = match signal {
                    Ok(what) => (what.affects(&token_id), what.affects_access_of(&user)),
                    Err(RecvError::Lagged(_)) => (true, true),
                    Err(RecvError::Closed) => std::future::pending().await,
                };
                if access {
                    who.send_modify(|_| {});
                }
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
