//! `tessera demo`: a fresh embedded database with an organization, a person, a public
//! workspace with a few elements and a bot — then the server, so a new user can try the API
//! with one command.

use crate::app::AppState;
use crate::cli::{bind, serve};
use crate::config::{Config, Overrides};
use rand::distributions::{Alphanumeric, DistString};
use serde_json::json;
use tessera_core::element::ElementType;
use tessera_core::oauth::clients::ClientType;
use tessera_core::service::{Core, NewPerson, NewWorkspace};

pub const DEMO_EMAIL: &str = "demo@tessera.test";

pub async fn run(mut overrides: Overrides, json_output: bool) -> Result<(), String> {
    if overrides.database_url.is_none() {
        let dir = overrides.data_dir.clone().unwrap_or_else(|| crate::config::DEFAULT_DATA_DIR.into());
        let path = dir.join("demo.db");
        for suffix in ["", "-wal", "-shm"] {
            let file = format!("{}{suffix}", path.display());
            if let Err(e) = std::fs::remove_file(&file) {
                if e.kind() != std::io::ErrorKind::NotFound {
                    return Err(format!("cannot remove the old demo database {file}: {e}"));
                }
            }
        }
        overrides.database_url = Some(format!("sqlite://{}", path.display()));
    }
    let (listener, config) = bind(Config::resolve(overrides)?).await?;
    let mut state = AppState::open(config).await?;
    let seeded = seed(&state.core, &state.config.issuer).await.map_err(|e| format!("cannot seed the demo: {e}"))?;
    std::sync::Arc::make_mut(&mut state.config).example_app = seeded["app"]["client_id"].as_str().map(String::from);
    let base = state.config.issuer.clone();
    if json_output {
        let mut out = seeded.clone();
        out["url"] = json!(base);
        out["graphql"] = json!(format!("{base}/v3/graphql"));
        println!("{out}");
    } else {
        print_guide(&base, &seeded);
    }
    serve(listener, state).await
}

/// Seed the demo data; returns the ids and secrets to show (also used by tests).
pub async fn seed(core: &Core, base: &str) -> tessera_core::Result<serde_json::Value> {
    let org = core.admin_create_org("Acme Design").await?;
    let password = Alphanumeric.sample_string(&mut rand::thread_rng(), 16);
    let person = NewPerson {
        email: DEMO_EMAIL.into(),
        password: password.clone(),
        first_name: "Dana".into(),
        last_name: "Demo".into(),
        org: Some((org.id.clone(), "owner".into())),
    };
    let user = core.admin_create_user(person).await?;
    let input = NewWorkspace {
        org_id: org.id.clone(),
        name: "Welcome board".into(),
        description: Some("A first workspace to explore".into()),
        is_public: true,
    };
    let ws = core.admin_create_workspace(input, &user.id).await?;
    let (bot, token) = core.admin_create_bot(&org.id, "Demo bot").await?;
    core.admin_add_collaborator(&ws.id, &bot.id, "editor").await?;
    // A public browser app (no secret; PKCE), for trying the sign-in flow.
    let redirect = format!("{base}/examples/browser-app/");
    let browser_app = core
        .create_app(None, &user.id, "Demo browser app", std::slice::from_ref(&redirect), ClientType::Public)
        .await?;

    let principal = core.authenticate(&token).await?;
    // The elements in the platform's input form, as an app would create them.
    let elements = [
        (ElementType::Canvas, json!({"name": "Ideas", "style": {"width": 1600.0, "height": 900.0}})),
        (
            ElementType::Text,
            json!({"text": "Welcome to tessera", "transform": {"x": 80.0, "y": 80.0},
                "style": {"width": 600.0, "height": 80.0}}),
        ),
        (
            ElementType::Shape,
            json!({"text": "Subscribe to `commands` to see changes live", "transform": {"x": 80.0, "y": 240.0},
                "style": {"stickyShape": {"kind": "StickySquare", "width": 300.0,
                    "fillColor": {"r": 254, "g": 232, "b": 108, "a": 1.0}}},
                "textStyle": {"color": {"r": 0, "g": 0, "b": 0, "a": 1.0}}}),
        ),
        (
            ElementType::Line,
            json!({"start": {"absolute": {"x": 400.0, "y": 390.0}}, "end": {"absolute": {"x": 700.0, "y": 390.0}},
                "style": {"strokeWidth": 4.0, "endCap": "ArrowFill"}}),
        ),
    ];
    for (ty, input) in elements {
        core.create_element(&principal, &ws.id, ty, input, None).await?;
    }
    Ok(json!({
        "organization": {"id": org.id, "name": org.name},
        "user": {"id": user.id, "email": DEMO_EMAIL, "password": password},
        "workspace": {"id": ws.id, "name": ws.name},
        "bot": {"id": bot.id, "token": token},
        "app": {"client_id": browser_app.app.client_id, "redirect_uri": redirect},
    }))
}

fn print_guide(base: &str, s: &serde_json::Value) {
    let ws = s["workspace"]["id"].as_str().unwrap_or_default();
    let token = s["bot"]["token"].as_str().unwrap_or_default();
    println!(
        "tessera demo — a fresh database with sample data\n\n\
         GraphQL API   {base}/v3/graphql   (open it in a browser for GraphiQL)\n\
         person        {} / {}\n\
         workspace     {ws} (\"Welcome board\", public)\n\
         bot token     {token}\n\
         browser app   client_id {} (public, PKCE; redirect {})\n\
         portal        {base}/portal   (sign in as the person above)\n\n\
         Try it:\n  curl -s {base}/v3/graphql -H 'Authorization: Bearer {token}' \\\n    \
         -H 'Content-Type: application/json' \\\n    \
         -d '{{\"query\":\"{{ elements(workspaceId: \\\"{ws}\\\") {{ id type }} }}\"}}'\n",
        s["user"]["email"].as_str().unwrap_or_default(),
        s["user"]["password"].as_str().unwrap_or_default(),
        s["app"]["client_id"].as_str().unwrap_or_default(),
        s["app"]["redirect_uri"].as_str().unwrap_or_default(),
    );
}
