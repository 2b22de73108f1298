//! The authorization-code flow with PKCE, driven by the `oauth2` crate (a real client
//! library) through the real login and consent forms, then used on `/v3/graphql`.

use crate::browser::*;
use crate::helpers::*;
use oauth2::basic::BasicClient;
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, PkceCodeChallenge, RedirectUrl, RefreshToken, Scope,
    TokenResponse, TokenUrl,
};
use serde_json::json;

fn http() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client")
}

#[tokio::test]
async fn oauth2_crate_code_flow_with_pkce_refresh_and_graphql() {
    let app = spawn_app().await;
    let (_org, user, email, [ws, _]) = person_with_workspaces(&app).await;
    let (client_id, secret) = confidential_app(&app, &user).await;
    let client = BasicClient::new(ClientId::new(client_id))
        .set_client_secret(ClientSecret::new(secret))
        .set_auth_uri(AuthUrl::new(format!("{}/v3/oauth2/authorize", app.base)).expect("url"))
        .set_token_uri(TokenUrl::new(format!("{}/v3/oauth2/token", app.base)).expect("url"))
        .set_redirect_uri(RedirectUrl::new(REDIRECT.into()).expect("url"));
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, csrf_state) = client
        .authorize_url(CsrfToken::new_random)
        .add_scope(Scope::new("v2legacy".into()))
        .add_scope(Scope::new("offline_access".into()))
        .set_pkce_challenge(challenge)
        .url();

    // The browser: login page, then consent page, then back to the app with a code.
    let mut browser = Browser::new();
    let login = browser.get(url.as_str()).await;
    assert_eq!(login.status, 200);
    assert!(login.body.contains("Server app"), "login page names the app");
    let consent = browser.sign_in(&app.base, &login, &email, PASSWORD).await;
    assert!(consent.body.contains("Server app") && consent.body.contains("Ada Lovelace"), "{}", consent.body);
    assert!(consent.body.contains("Act as you"), "scopes in plain words");
    let back = browser.decide(&app.base, &consent, "allow", &[]).await;
    assert_eq!(back.status, 303);
    let location = back.location().expect("location");
    assert!(location.starts_with(REDIRECT), "{location}");
    let q = query_of(&location);
    assert_eq!(q.get("state"), Some(csrf_state.secret()));
    assert_eq!(q.get("iss"), Some(&app.base));

    let token = client
        .exchange_code(AuthorizationCode::new(q["code"].clone()))
        .set_pkce_verifier(verifier)
        .request_async(&http())
        .await
        .expect("code exchange");
    assert_eq!(token.expires_in().map(|d| d.as_secs()), Some(3600));
    let refresh = token.refresh_token().expect("offline_access gives a refresh token").clone();
    let me = app
        .gql(token.access_token().secret(), "{ me { profile { email } workspaces { results { id } } } }", json!({}))
        .await;
    assert_eq!(me["data"]["me"]["profile"]["email"], email.as_str(), "{me}");
    let listed = me["data"]["me"]["workspaces"]["results"].as_array().expect("workspaces");
    assert!(listed.iter().any(|w| w["id"] == ws.0.as_str()), "{me}");
    let made = app
        .gql(
            token.access_token().secret(),
            "mutation($ws:String!){ createText(workspaceId:$ws, input:{text:\"via oauth\"}) { id } }",
            json!({"ws": ws.0}),
        )
        .await;
    assert!(made["errors"].is_null(), "v2legacy acts with the user's permissions: {made}");
    let event = app.events(&ws.0).await.pop().expect("event");
    assert_eq!(event.actor.id, user);
    assert_eq!(event.actor.client_id.as_deref(), Some(client.client_id().as_str()));

    // Refresh: a new pair; the new access token works.
    let refreshed = client.exchange_refresh_token(&refresh).request_async(&http()).await.expect("refresh");
    assert_ne!(refreshed.refresh_token().map(RefreshToken::secret), Some(refresh.secret()), "rotated");
    let me = app.gql(refreshed.access_token().secret(), "{ me { profile { email } } }", json!({})).await;
    assert_eq!(me["data"]["me"]["profile"]["email"], email.as_str());

    // Consent is remembered: the same request again goes straight back with a code.
    let (challenge, _verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, _) = client
        .authorize_url(CsrfToken::new_random)
        .add_scope(Scope::new("v2legacy".into()))
        .set_pkce_challenge(challenge)
        .url();
    let again = browser.get(url.as_str()).await;
    assert_eq!(again.status, 303, "remembered consent skips the page");
    assert!(query_of(&again.location().expect("loc")).contains_key("code"));
}

#[tokio::test]
async fn without_offline_access_there_is_no_refresh_token() {
    let app = spawn_app().await;
    let (_org, user, email, _) = person_with_workspaces(&app).await;
    let redirect = "http://127.0.0.1/callback";
    let client_id = public_app(&app, &user, redirect).await;
    // A native app on an ephemeral loopback port (RFC 8252): any port matches.
    let client = BasicClient::new(ClientId::new(client_id))
        .set_auth_uri(AuthUrl::new(format!("{}/v3/oauth2/authorize", app.base)).expect("url"))
        .set_token_uri(TokenUrl::new(format!("{}/v3/oauth2/token", app.base)).expect("url"))
        .set_redirect_uri(RedirectUrl::new("http://127.0.0.1:49152/callback".into()).expect("url"));
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, _) = client
        .authorize_url(CsrfToken::new_random)
        .add_scope(Scope::new("elements:read".into()))
        .set_pkce_challenge(challenge)
        .url();
    let mut browser = Browser::new();
    let login = browser.get(url.as_str()).await;
    let consent = browser.sign_in(&app.base, &login, &email, PASSWORD).await;
    assert!(consent.body.contains("Which workspaces"), "fine-grained scopes offer a workspace choice");
    let back = browser.decide(&app.base, &consent, "allow", &[]).await;
    let q = query_of(&back.location().expect("loc"));
    let token = client
        .exchange_code(AuthorizationCode::new(q["code"].clone()))
        .set_pkce_verifier(verifier)
        .request_async(&http())
        .await
        .expect("public client exchange");
    assert!(token.refresh_token().is_none());
    assert_eq!(
        token.scopes().map(|s| s.iter().map(|x| x.to_string()).collect::<Vec<_>>()),
        Some(vec!["elements:read".to_string()])
    );
}
