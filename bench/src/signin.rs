//! Refresh tokens for the refresh_token workload: a person signs in on tessera's login page,
//! consents once, and then runs the authorization-code flow with PKCE once per token.

use base64::Engine;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The hidden inputs of an HTML form page: (name, value).
fn hidden_fields(page: &str) -> Vec<(String, String)> {
    page.split("<input type=\"hidden\" name=\"")
        .skip(1)
        .filter_map(|rest| {
            let (name, rest) = rest.split_once("\" value=\"")?;
            let value = rest.split('"').next()?;
            let unescape =
                |s: &str| s.replace("&#38;", "&").replace("&amp;", "&").replace("&#34;", "\"").replace("&quot;", "\"");
            Some((unescape(name), unescape(value)))
        })
        .collect()
}

/// `Cookie` header value from every `Set-Cookie` of a response, added to `jar`.
fn keep_cookies(jar: &mut Vec<String>, res: &reqwest::Response) {
    for c in res.headers().get_all("set-cookie") {
        if let Some(pair) = c.to_str().ok().and_then(|c| c.split(';').next()) {
            let name = pair.split('=').next().unwrap_or_default().to_string();
            jar.retain(|p| !p.starts_with(&format!("{name}=")));
            jar.push(pair.to_string());
        }
    }
}

pub struct Client<'a> {
    pub base: &'a str,
    pub client_id: &'a str,
    pub secret: &'a str,
    pub redirect: &'a str,
}

/// `n` refresh tokens of `email` for the client (scope `v2legacy offline_access`).
pub async fn refresh_tokens(c: &Client<'_>, email: &str, password: &str, n: usize) -> Result<Vec<String>, String> {
    let http =
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().map_err(|e| e.to_string())?;
    let mut jar = Vec::new();
    let get = |url: String, jar: &Vec<String>| http.get(url).header("cookie", jar.join("; ")).send();
    let res = get(format!("{}/login", c.base), &jar).await.map_err(|e| e.to_string())?;
    keep_cookies(&mut jar, &res);
    let page = res.text().await.map_err(|e| e.to_string())?;
    let mut form = hidden_fields(&page);
    form.extend([("email".to_string(), email.to_string()), ("password".to_string(), password.to_string())]);
    let res = http.post(format!("{}/login", c.base)).header("cookie", jar.join("; ")).form(&form).send().await;
    let res = res.map_err(|e| e.to_string())?;
    keep_cookies(&mut jar, &res);
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let verifier = format!("bench-verifier-{i}-{}", "x".repeat(43));
        let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
        let authorize = format!(
            "{}/v3/oauth2/authorize?response_type=code&client_id={}&redirect_uri={}&scope=v2legacy%20offline_access&state=s{i}&code_challenge={challenge}&code_challenge_method=S256",
            c.base, c.client_id, c.redirect
        );
        let mut res = get(authorize, &jar).await.map_err(|e| e.to_string())?;
        if res.status() == 200 {
            // The consent page, the first time.
            let page = res.text().await.map_err(|e| e.to_string())?;
            let mut form = hidden_fields(&page);
            form.push(("decision".into(), "allow".into()));
            res = http
                .post(format!("{}/v3/oauth2/authorize", c.base))
                .header("cookie", jar.join("; "))
                .form(&form)
                .send()
                .await
                .map_err(|e| e.to_string())?;
        }
        let location = res.headers().get("location").and_then(|l| l.to_str().ok()).unwrap_or_default().to_string();
        let code = location
            .split(['?', '&'])
            .find_map(|kv| kv.strip_prefix("code="))
            .ok_or_else(|| format!("no code in the redirect (status {}, location {location:?})", res.status()))?;
        let token: Value = http
            .post(format!("{}/v3/oauth2/token", c.base))
            .basic_auth(c.client_id, Some(c.secret))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", c.redirect),
                ("code_verifier", verifier.as_str()),
            ])
            .send()
            .await
            .map_err(|e| e.to_string())?
            .json()
            .await
            .map_err(|e| e.to_string())?;
        out.push(token["refresh_token"].as_str().ok_or_else(|| format!("no refresh token: {token}"))?.to_string());
    }
    Ok(out)
}
