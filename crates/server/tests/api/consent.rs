//! A remembered consent covers exactly what the person approved, and withdrawing it ends
//! everything it allowed: live tokens, codes not yet redeemed, and token requests in flight.

use crate::browser::*;
use crate::helpers::*;
use async_graphql::futures_util::future::join_all;
use serde_json::json;
use tessera_core::auth::{TokenKey, TokenKind, TokenRecord};
use tessera_core::ids::{TokenId, UserId};
use tessera_core::model::now_millis;
use tessera_core::ports::TokenWrite;

const CREATE_TEXT: &str = "mutation($ws:String!){ createText(workspaceId:$ws, input:{text:\"x\"}) { id } }";

#[tokio::test]
async fn approving_offline_access_later_does_not_widen_a_grant_narrowed_to_one_workspace() {
    let app = spawn_app().await;
    let (_org, user, email, [a, b]) = person_with_workspaces(&app).await;
    let (cid, secret) = confidential_app(&app, &user).await;
    let mut browser = Browser::new();

    // elements:write, approved for workspace A only.
    let page = browser.get(&authorize_url(&app.base, &params(&cid, "elements:write"))).await;
    let consent = browser.sign_in(&app.base, &page, &email, PASSWORD).await;
    let back = browser.decide(&app.base, &consent, "allow", &[("workspace_mode", "some"), ("workspace", &a.0)]).await;
    assert_eq!(back.status, 303, "{}", back.body);

    // The app then asks for offline_access alone: no workspace is in question, the page has no
    // workspace choice, and the person allows it.
    let page = browser.get(&authorize_url(&app.base, &params(&cid, "offline_access"))).await;
    assert_eq!(page.status, 200, "offline_access was never approved: the consent page is shown");
    assert!(!page.body.contains("workspace_mode"), "no workspace choice for offline_access alone");
    let back = browser.decide(&app.base, &page, "allow", &[]).await;
    assert_eq!(back.status, 303);

    // Both together are now remembered, and answered without a page: still for A only.
    let silent = browser.get(&authorize_url(&app.base, &params(&cid, "elements:write offline_access"))).await;
    assert_eq!(silent.status, 303, "covered by what was approved: {}", silent.body);
    let (s, t) = redeem(&app, (&cid, &secret), &query_of(&silent.location().expect("location"))["code"]).await;
    assert_eq!(s, 200, "{t}");
    let token = t["access_token"].as_str().expect("access token");
    assert!(app.gql(token, CREATE_TEXT, json!({"ws": a.0})).await["errors"].is_null());
    let in_b = app.gql(token, CREATE_TEXT, json!({"ws": b.0})).await;
    assert_eq!(error_code(&in_b), Some("NOT_FOUND"), "elements:write was approved for A only: {in_b}");
    // Its refresh token carries the same narrowing.
    let rt = t["refresh_token"].as_str().expect("refresh token");
    let (s, _, r) =
        token_request(&app, &[("grant_type", "refresh_token"), ("refresh_token", rt)], Some((&cid, &secret))).await;
    assert_eq!(s, 200, "{r}");
    let refreshed = r["access_token"].as_str().expect("access token");
    assert_eq!(error_code(&app.gql(refreshed, CREATE_TEXT, json!({"ws": b.0})).await), Some("NOT_FOUND"));
}

#[tokio::test]
async fn withdrawing_a_grant_makes_its_outstanding_codes_worthless() {
    let app = spawn_app().await;
    let (_org, user, email, _) = person_with_workspaces(&app).await;
    let (cid, secret) = confidential_app(&app, &user).await;
    let mut browser = Browser::new();
    let old = authorize(&app, &mut browser, &email, &params(&cid, "v2legacy offline_access")).await;
    // Not redeemed yet; the person withdraws the grant in the portal, and later approves again.
    app.core.revoke_app_grant(&user, &cid).await.expect("withdraw");
    let again = authorize(&app, &mut browser, &email, &params(&cid, "v2legacy offline_access")).await;
    // The code from before the withdrawal does not come back to life with the new approval.
    let (s, b) = redeem(&app, (&cid, &secret), &old["code"]).await;
    assert_eq!((s, b["error"].as_str()), (400, Some("invalid_grant")), "{b}");
    assert_eq!(redeem(&app, (&cid, &secret), &again["code"]).await.0, 200);
    // And one redeemed after the withdrawal, before any new approval, fails too.
    let pending = authorize(&app, &mut browser, &email, &params(&cid, "v2legacy")).await;
    app.core.revoke_app_grant(&user, &cid).await.expect("withdraw");
    let (s, b) = redeem(&app, (&cid, &secret), &pending["code"]).await;
    assert_eq!((s, b["error"].as_str()), (400, Some("invalid_grant")), "{b}");
}

/// A refresh (or code redemption) checks the token, then writes the new ones. A withdrawal that
/// commits in between must win: the write is conditional on the consent still standing.
#[tokio::test]
async fn tokens_of_a_grant_withdrawn_after_the_request_was_checked_are_not_written() {
    let app = spawn_app().await;
    let (_org, user, email, _) = person_with_workspaces(&app).await;
    let (cid, secret) = confidential_app(&app, &user).await;
    let mut browser = Browser::new();
    let q = authorize(&app, &mut browser, &email, &params(&cid, "v2legacy offline_access")).await;
    let (s, t) = redeem(&app, (&cid, &secret), &q["code"]).await;
    assert_eq!(s, 200, "{t}");
    let rt = t["refresh_token"].as_str().expect("refresh token");
    // The request has read its token or code (live); now the withdrawal commits; then the
    // write comes: a redemption's (no rotation) and a refresh's (rotating the old token).
    let old = app.core.store().find_token(&TokenKey::of(rt)).await.expect("read").expect("token");
    app.core.revoke_app_grant(&user, &cid).await.expect("withdraw");
    for rotates in [None, Some(old.id.clone())] {
        let (write, new) = late_write(&user, &cid, rotates);
        assert!(!app.core.store().write_tokens(write).await.expect("write"), "the write lost to the withdrawal");
        assert!(app.core.store().find_token(&new).await.expect("read").is_none(), "nothing was written");
    }
    let old = app.core.store().find_token(&TokenKey::of(rt)).await.expect("read").expect("token");
    assert_eq!(old.rotated_at, None, "the old refresh token was not marked rotated either");
    // The same write for a grant that stands goes through (the condition is not always false).
    authorize(&app, &mut browser, &email, &params(&cid, "v2legacy offline_access")).await;
    let (write, new) = late_write(&user, &cid, None);
    assert!(app.core.store().write_tokens(write).await.expect("write"));
    assert!(app.core.store().find_token(&new).await.expect("read").is_some(), "written");
}

/// A token write as a grant makes it, and the key that finds the new token.
fn late_write(user: &UserId, client_id: &str, rotates: Option<TokenId>) -> (TokenWrite, TokenKey) {
    let (id, token, hash) = tessera_core::auth::issue_token("tsr_at_");
    let record = TokenRecord {
        id,
        kind: TokenKind::Access,
        user_id: user.clone(),
        client_id: Some(client_id.to_string()),
        scopes: "v2legacy".into(),
        workspaces: None,
        expires_at: Some(now_millis() + 60_000),
        revoked: false,
        created_at: now_millis(),
        family_id: Some("family".into()),
        rotated_at: None,
    };
    let write = TokenWrite {
        tokens: vec![(record, hash)],
        rotates: rotates.map(|id| (id, now_millis())),
        grant: Some((user.clone(), client_id.to_string())),
        ..Default::default()
    };
    (write, TokenKey::of(&token))
}

/// Many refreshes racing a withdrawal, through the real endpoint: afterwards not one token of
/// the grant works, whichever order things committed in. (Whether the race is hit depends on
/// scheduling; the test above makes the interleaving certain.)
#[tokio::test]
async fn refreshes_racing_a_withdrawal_leave_no_live_token() {
    let app = spawn_app().await;
    let (_org, user, email, _) = person_with_workspaces(&app).await;
    let (cid, secret) = confidential_app(&app, &user).await;
    let mut browser = Browser::new();
    let mut refresh_tokens = Vec::new();
    for _ in 0..8 {
        let q = authorize(&app, &mut browser, &email, &params(&cid, "v2legacy offline_access")).await;
        let (s, t) = redeem(&app, (&cid, &secret), &q["code"]).await;
        assert_eq!(s, 200, "{t}");
        refresh_tokens.push(t["refresh_token"].as_str().expect("refresh token").to_string());
    }
    let refreshes = refresh_tokens.iter().map(|rt| {
        let (app, cid, secret) = (&app, &cid, &secret);
        async move {
            token_request(app, &[("grant_type", "refresh_token"), ("refresh_token", rt)], Some((cid, secret))).await
        }
    });
    let (results, withdrawn) = tokio::join!(join_all(refreshes), app.core.revoke_app_grant(&user, &cid));
    withdrawn.expect("withdraw");
    let issued: Vec<String> =
        results.iter().filter_map(|(_, _, b)| b["access_token"].as_str().map(str::to_string)).collect();
    for token in &issued {
        assert_eq!(app.gql_status(token, "{ me { profile { id } } }", json!({})).await.0, 401);
    }
    let live: Vec<_> = app
        .core
        .store()
        .tokens_of(&user)
        .await
        .expect("tokens")
        .into_iter()
        .filter(|t| t.client_id.as_deref() == Some(cid.as_str()) && !t.revoked)
        .collect();
    assert!(
        live.is_empty(),
        "{} tokens of the withdrawn grant are live ({} refreshes got through)",
        live.len(),
        issued.len()
    );
}
