//! `tessera login`: sign in to a tessera server from a terminal with the device authorization
//! grant (RFC 8628): the command shows a code, the person approves it in a browser (on any
//! device), and the command prints the tokens.

use clap::Args;
use serde_json::Value;
use std::time::{Duration, Instant};

#[derive(Args, Debug)]
pub struct LoginArgs {
    /// The server's public base URL (its issuer), e.g. https://tessera.example.com.
    #[arg(long, env = "TESSERA_SERVER")]
    pub server: String,
    /// The app (OAuth client) to sign in through: a public app, or a confidential one with
    /// --client-secret.
    #[arg(long)]
    pub client_id: String,
    #[arg(long, env = "TESSERA_CLIENT_SECRET", hide_env_values = true)]
    pub client_secret: Option<String>,
    /// The scopes to ask for.
    #[arg(long, default_value = "v2legacy offline_access")]
    pub scope: String,
}

/// An OAuth error body as one line.
fn oauth_error(status: u16, body: &Value) -> String {
    match (body["error"].as_str(), body["error_description"].as_str()) {
        (Some(e), Some(d)) => format!("{e}: {d}"),
        (Some(e), None) => e.to_string(),
        _ => format!("the server answered HTTP {status}"),
    }
}

async fn post(
    http: &reqwest::Client,
    url: &str,
    args: &LoginArgs,
    form: &[(&str, &str)],
) -> Result<(u16, Value), String> {
    // A confidential app authenticates with HTTP Basic; a public one names itself in the form.
    let req = match &args.client_secret {
        Some(secret) => http.post(url).form(form).basic_auth(&args.client_id, Some(secret)),
        None => http.post(url).form(&[form, &[("client_id", args.client_id.as_str())]].concat()),
    };
    let res = req.send().await.map_err(|e| format!("cannot reach {url}: {e}"))?;
    let status = res.status().as_u16();
    let bytes = res.bytes().await.map_err(|e| format!("cannot read the answer of {url}: {e}"))?;
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Ok((status, body))
}

pub async fn login(args: &LoginArgs, json: bool) -> Result<(), String> {
    let base = args.server.trim_end_matches('/');
    let http = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().map_err(|e| e.to_string())?;
    let (status, auth) =
        post(&http, &format!("{base}/v3/oauth2/device_authorization"), args, &[("scope", args.scope.as_str())]).await?;
    if status != 200 {
        return Err(format!("cannot start signing in: {}", oauth_error(status, &auth)));
    }
    let field = |k: &str| auth[k].as_str().map(str::to_string).ok_or(format!("the server's answer has no {k}"));
    let (device_code, user_code, uri) = (field("device_code")?, field("user_code")?, field("verification_uri")?);
    eprintln!("To sign in, open {uri} and enter the code {user_code}");
    if let Some(complete) = auth["verification_uri_complete"].as_str() {
        eprintln!("(or open {complete})");
    }
    let mut interval = Duration::from_secs(auth["interval"].as_u64().unwrap_or(5).max(1));
    let deadline = Instant::now() + Duration::from_secs(auth["expires_in"].as_u64().unwrap_or(600));
    let grant = tessera_core::oauth::device::DEVICE_CODE_GRANT;
    let token_url = format!("{base}/v3/oauth2/token");
    loop {
        if Instant::now() >= deadline {
            return Err("the code expired before it was approved; run tessera login again".into());
        }
        tokio::time::sleep(interval).await;
        let (status, body) =
            post(&http, &token_url, args, &[("grant_type", grant), ("device_code", &device_code)]).await?;
        match (status, body["error"].as_str()) {
            (200, _) => {
                if json {
                    println!("{body}");
                } else {
                    eprintln!("Signed in. Scope: {}", body["scope"].as_str().unwrap_or_default());
                    println!("{}", body["access_token"].as_str().unwrap_or_default());
                }
                return Ok(());
            }
            (_, Some("authorization_pending")) => {}
            (_, Some("slow_down")) => interval += Duration::from_secs(5),
            _ => return Err(format!("not signed in: {}", oauth_error(status, &body))),
        }
    }
}
