//! Open connections and the credentials behind them: re-authenticating with a narrower token,
//! revocations that name the tokens they revoke, and a token that cannot be checked.

use crate::helpers::*;
use crate::subscriptions::{access_token, access_token_with, create_text, fx, fx_with, subscribe, T};
use crate::wsclient::Ws;
use serde_json::json;
use std::time::Duration;

/// Re-authenticating with a narrower token ends, at once and with its error, every running
/// operation the new token does not allow — before any event could slip through.
#[tokio::test]
async fn reauthentication_with_a_narrower_token_ends_what_it_no_longer_allows() {
    let f = fx().await;
    let wide = access_token_with(&f.app, &f.reader_id, "v2legacy").await;
    let narrow = access_token_with(&f.app, &f.reader_id, "org:read").await;
    let mut ws = Ws::ready(&f.app, T, &wide).await;
    ws.send(subscribe("s", &f.ws, None)).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    create_text(&f.app, &f.writer, &f.ws, "seen").await;
    assert_eq!(ws.next_msg().await["type"], "next");
    ws.send(json!({"type": "ping", "payload": {"Authorization": format!("Bearer {narrow}")}})).await;
    assert_eq!(ws.next_msg().await, json!({"type": "pong", "payload": {"reauthenticated": true}}));
    // No new event is needed for the subscription to end; one written now is not delivered.
    create_text(&f.app, &f.writer, &f.ws, "not for org:read").await;
    let m = ws.next_msg().await;
    assert_eq!((m["type"].as_str(), m["id"].as_str()), (Some("next"), Some("s")), "{m}");
    assert_eq!(m["payload"]["errors"][0]["extensions"]["code"], "FORBIDDEN", "{m}");
    assert!(m["payload"]["data"].is_null(), "{m}");
    assert_eq!(ws.next_msg().await, json!({"type": "complete", "id": "s"}));
    // The connection lives on, with what the new token allows.
    ws.send(json!({"type": "subscribe", "id": "q", "payload": {"query": "{ me { profile { type } } }"}})).await;
    assert_eq!(ws.next_msg().await["payload"]["data"]["me"]["profile"]["type"], "bot");
}

/// A revocation is a signal only when something was revoked, and it makes only the
/// connections whose token it names check it again.
#[tokio::test]
async fn revocations_recheck_only_the_tokens_they_name() {
    let f = fx().await;
    let mine = access_token(&f.app, &f.reader_id).await;
    let other = access_token(&f.app, &f.reader_id).await;
    let mut ws = Ws::ready(&f.app, T, &mine).await;
    ws.send(subscribe("s", &f.ws, None)).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let signals = metric(&f.app, "tessera_revocation_signals_total").await;
    let rechecks = metric(&f.app, "tessera_token_rechecks_total").await;
    // Revoking what is already revoked revokes nothing: no signal at all.
    let other_id = f.app.core.authenticate(&other).await.expect("other").token_id;
    f.app.core.admin_revoke_token(&other_id).await.expect("revoke");
    assert_eq!(metric(&f.app, "tessera_revocation_signals_total").await, signals + 1.0);
    let again = f.app.core.admin_revoke_token(&other_id).await;
    assert!(again.is_err(), "nothing left to revoke");
    assert_eq!(metric(&f.app, "tessera_revocation_signals_total").await, signals + 1.0, "nothing revoked, no signal");
    // The revocation of another token made no connection look at its own token again…
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(metric(&f.app, "tessera_token_rechecks_total").await, rechecks);
    let id = create_text(&f.app, &f.writer, &f.ws, "still here").await;
    let m = ws.next_msg().await;
    assert_eq!(m["payload"]["data"]["commands"]["element"]["id"], id.as_str(), "{m}");
    // …and the revocation of this one closes it.
    let mine_id = f.app.core.authenticate(&mine).await.expect("mine").token_id;
    f.app.core.admin_revoke_token(&mine_id).await.expect("revoke");
    assert_eq!(ws.closed_within(10.0).await, 4403);
    assert_eq!(metric(&f.app, "tessera_token_rechecks_total").await, rechecks + 1.0);
}

/// A connection whose token cannot be checked after a revocation named it (the database is
/// gone) is closed once the grace is over, not kept open on trust.
#[tokio::test]
async fn a_token_that_cannot_be_rechecked_is_not_trusted_for_long() {
    let f = fx_with(|c| c.ws_recheck_grace = Duration::from_millis(1500)).await;
    let mut ws = Ws::ready(&f.app, T, &f.reader).await;
    ws.send(subscribe("s", &f.ws, None)).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let token_id = f.app.core.authenticate(&f.reader).await.expect("reader").token_id;
    raw_sql(&f.app.db_url(), "ALTER TABLE tokens RENAME TO tokens_gone").await;
    use tessera_core::ports::Bus;
    f.app.hubs.revoked(&tessera_core::ports::Revoked::Tokens(vec![token_id]));
    assert_eq!(ws.closed_within(20.0).await, 4500, "closed once the grace is over");
}
