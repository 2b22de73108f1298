//! The command line. Admin commands work on the database directly; `--json` makes each print
//! one JSON object. Errors are one line on stderr and a non-zero exit status.

use crate::app::{self, AppState};
use crate::config::{Config, Overrides};
use clap::{Args, Parser, Subcommand, ValueEnum};
use serde_json::{json, Value};
use std::io::BufRead;
use std::path::PathBuf;
use tessera_core::ids::{OrgId, TokenId, UserId, WorkspaceId};
use tessera_core::oauth::clients::ClientType;
use tessera_core::service::{Core, NewPerson, NewWorkspace};

#[derive(Parser, Debug)]
#[command(name = "tessera", version, about = "A self-hostable API server for visual-collaboration workspaces")]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args, Debug, Clone)]
pub struct GlobalArgs {
    /// A TOML configuration file.
    #[arg(long, global = true, env = "TESSERA_CONFIG")]
    pub config: Option<PathBuf>,
    /// Database URL: sqlite://PATH (default: DATA_DIR/tessera.db).
    #[arg(long, global = true, env = "TESSERA_DATABASE_URL")]
    pub database_url: Option<String>,
    /// Directory for the embedded database (default ./tessera-data).
    #[arg(long, global = true, env = "TESSERA_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Print one JSON object instead of text.
    #[arg(long, global = true)]
    pub json: bool,
}

#[derive(Args, Debug, Clone, Default)]
pub struct ServeArgs {
    /// Address to listen on (default 127.0.0.1:8080; port 0 picks a free one).
    #[arg(long, env = "TESSERA_LISTEN")]
    pub listen: Option<String>,
    /// Public base URL of this server (default http://LISTEN).
    #[arg(long, env = "TESSERA_ISSUER")]
    pub issuer: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the API until SIGINT/SIGTERM, then drain.
    Serve(ServeArgs),
    /// Seed a fresh demo database, print what to try, then serve.
    Demo(ServeArgs),
    /// Organizations.
    #[command(subcommand)]
    Org(OrgCommand),
    /// People.
    #[command(subcommand)]
    User(UserCommand),
    /// Workspaces and their collaborators.
    #[command(subcommand)]
    Workspace(WorkspaceCommand),
    /// Bots and their tokens.
    #[command(subcommand)]
    Bot(BotCommand),
    /// OAuth applications (clients).
    #[command(subcommand)]
    App(AppCommand),
    /// Copy a whole installation from an embedded SQLite database into an empty PostgreSQL
    /// database (to go from one node to several), verifying it before committing.
    Migrate(MigrateArgs),
    /// Sign in to a tessera server from this terminal (device authorization grant): shows a
    /// code to approve in a browser, then prints the access token (or all tokens with --json).
    Login(crate::login::LoginArgs),
}

#[derive(Args, Debug)]
pub struct MigrateArgs {
    /// The installation to copy: sqlite://PATH (it is migrated to this version first).
    #[arg(long)]
    pub from: String,
    /// An empty PostgreSQL database: postgres://USER@HOST/DB (its schema is created).
    #[arg(long)]
    pub to: String,
}

#[derive(Subcommand, Debug)]
pub enum AppCommand {
    /// Register an app; prints its client id and (for confidential apps) its secret, once.
    Create {
        /// The owning user; if it is a bot, client_credentials tokens act as that bot.
        #[arg(long)]
        owner: String,
        #[arg(long)]
        name: String,
        /// A redirect URI, matched exactly; repeat for several.
        #[arg(long = "redirect-uri", required = true)]
        redirect_uris: Vec<String>,
        /// Where the app may send a user after OpenID Connect logout, matched exactly; repeat
        /// for several.
        #[arg(long = "post-logout-redirect-uri")]
        post_logout_redirect_uris: Vec<String>,
        /// A public client (browser or native app): no secret, PKCE required.
        #[arg(long, conflicts_with = "pkce_optional")]
        public: bool,
        /// A confidential client that may omit PKCE (a server written for the platform, which
        /// never sent a code_challenge). By default every new app must use PKCE.
        #[arg(long)]
        pkce_optional: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum OrgCommand {
    Create {
        #[arg(long)]
        name: String,
    },
    /// Require two-factor sign-in of everyone in the organization (or no longer, with --off).
    #[command(name = "require-2fa")]
    Require2fa {
        #[arg(long)]
        org: String,
        #[arg(long)]
        off: bool,
    },
    /// Set the organization's OpenID Connect identity provider for single sign-on (the client
    /// secret is read from standard input), or remove it with --remove.
    Sso {
        #[arg(long)]
        org: String,
        /// The provider's issuer URL, exactly as its discovery document names it.
        #[arg(long, required_unless_present = "remove")]
        issuer: Option<String>,
        /// tessera's client id at the provider.
        #[arg(long, required_unless_present = "remove")]
        client_id: Option<String>,
        /// Read the client secret from standard input (required for a new provider).
        #[arg(long)]
        client_secret_stdin: bool,
        /// What the sign-in page calls it.
        #[arg(long, default_value = "")]
        name: String,
        /// The organization role of people it brings in.
        #[arg(long, value_enum, default_value = "user")]
        default_role: OrgRole,
        /// An e-mail domain whose people are sent to this provider from /login/sso (repeatable).
        #[arg(long = "domain")]
        domains: Vec<String>,
        #[arg(long, conflicts_with_all = ["issuer", "client_id", "client_secret_stdin", "domains"])]
        remove: bool,
    },
    /// Let people whose address is at a domain join the organization by themselves, after
    /// proving the address by mail at /signup (or no longer, with --close).
    #[command(name = "signup-domain")]
    SignupDomain {
        #[arg(long)]
        org: String,
        #[arg(long)]
        domain: String,
        /// The organization role they get (never owner).
        #[arg(long, value_enum, default_value = "user")]
        role: OrgRole,
        #[arg(long)]
        close: bool,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum OrgRole {
    Owner,
    Admin,
    User,
    Guest,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum WorkspaceRole {
    Owner,
    EditorPlus,
    Editor,
    Commenter,
    Viewer,
}

fn value_name<T: ValueEnum>(v: T) -> String {
    v.to_possible_value().map(|p| p.get_name().to_string()).unwrap_or_default()
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    Create {
        #[arg(long)]
        email: String,
        /// Read the password from the first line of standard input.
        #[arg(long, required = true)]
        password_stdin: bool,
        #[arg(long, default_value = "")]
        first_name: String,
        #[arg(long, default_value = "")]
        last_name: String,
        /// Make the user a member of this organization.
        #[arg(long)]
        org: Option<String>,
        #[arg(long, value_enum, default_value = "user", requires = "org")]
        org_role: OrgRole,
    },
}

#[derive(Subcommand, Debug)]
pub enum WorkspaceCommand {
    Create {
        #[arg(long)]
        org: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        owner: String,
        #[arg(long)]
        public: bool,
        #[arg(long)]
        description: Option<String>,
    },
    AddCollaborator {
        #[arg(long)]
        workspace: String,
        #[arg(long)]
        user: String,
        #[arg(long, value_enum)]
        role: WorkspaceRole,
    },
}

#[derive(Subcommand, Debug)]
pub enum BotCommand {
    /// Create a bot in an organization; prints its id and a first token (shown once).
    Create {
        #[arg(long)]
        org: String,
        #[arg(long)]
        name: String,
    },
    /// Bot tokens: a bot may hold several.
    #[command(subcommand)]
    Token(BotTokenCommand),
}

#[derive(Subcommand, Debug)]
pub enum BotTokenCommand {
    /// Issue another token for a bot (shown once).
    Create {
        #[arg(long)]
        bot: String,
    },
    /// List a bot's tokens (ids and state, never the tokens).
    List {
        #[arg(long)]
        bot: String,
    },
    /// Revoke a token by its id; it stops working at once.
    Revoke {
        #[arg(long)]
        id: String,
    },
}

impl GlobalArgs {
    fn overrides(&self, serve: &ServeArgs) -> Overrides {
        Overrides {
            config: self.config.clone(),
            listen: serve.listen.clone(),
            database_url: self.database_url.clone(),
            data_dir: self.data_dir.clone(),
            issuer: serve.issuer.clone(),
        }
    }
}

pub async fn run(cli: Cli) -> Result<(), String> {
    let global = cli.global;
    match cli.command {
        Command::Serve(args) => {
            crate::telemetry::init();
            let (listener, config) = bind(Config::resolve(global.overrides(&args))?).await?;
            serve(listener, AppState::open(config).await?).await
        }
        Command::Demo(args) => {
            crate::telemetry::init();
            crate::demo::run(global.overrides(&args), global.json).await
        }
        Command::Org(c) => admin(&global, |core| org(core, c)).await,
        Command::User(c) => admin(&global, |core| user(core, c)).await,
        Command::Workspace(c) => admin(&global, |core| workspace(core, c)).await,
        Command::Bot(c) => admin(&global, |core| bot(core, c)).await,
        Command::App(c) => admin(&global, |core| app(core, c)).await,
        Command::Migrate(args) => migrate(&args, global.json).await,
        Command::Login(args) => crate::login::login(&args, global.json).await,
    }
}

/// `tessera migrate`: a progress line per table on stderr, then what was copied.
async fn migrate(args: &MigrateArgs, json: bool) -> Result<(), String> {
    let progress = |line: &str| eprintln!("copied {line}");
    let report = tessera_store::copy::copy_installation(&args.from, &args.to, &progress)
        .await
        .map_err(|e| format!("migrate: {e}"))?;
    let rows: u64 = report.tables.iter().map(|(_, n)| n).sum();
    if json {
        let tables: serde_json::Map<String, Value> = report.tables.iter().map(|(t, n)| (t.clone(), json!(n))).collect();
        println!("{}", json!({"tables": tables, "rows": rows, "workspaces": report.workspaces}));
    } else {
        println!(
            "copied {rows} rows in {} tables to {}; every table's count and the cursors of {} workspaces verified",
            report.tables.len(),
            redact(&args.to),
            report.workspaces
        );
    }
    Ok(())
}

/// Bind the configured address. With port 0 the system picks one, and a default issuer
/// (derived from the listen address) is corrected to the real port.
pub async fn bind(mut config: Config) -> Result<(tokio::net::TcpListener, Config), String> {
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    if config.issuer == format!("http://{}", config.listen) {
        config.issuer = format!("http://{addr}");
        config.oauth.issuer = config.issuer.clone();
    }
    config.listen = addr;
    Ok((listener, config))
}

/// Announce the address on stdout (tests and scripts read it), serve until a signal.
pub async fn serve(listener: tokio::net::TcpListener, state: AppState) -> Result<(), String> {
    let addr = state.config.listen;
    println!("tessera listening on http://{addr}");
    tracing::info!(%addr, database = %redact(&state.config.database_url), "serving");
    app::serve(listener, state, app::shutdown_signal()).await.map_err(|e| format!("server error: {e}"))?;
    tracing::info!("stopped");
    Ok(())
}

/// A database URL with any password removed, for logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}://***@{}", &url[..s], &url[at + 1..]),
        _ => url.to_string(),
    }
}

/// Run one admin command against the configured database and print its result.
async fn admin<F, Fut>(global: &GlobalArgs, f: F) -> Result<(), String>
where
    F: FnOnce(Core) -> Fut,
    Fut: std::future::Future<Output = tessera_core::Result<(Value, String)>>,
{
    let config = Config::resolve(global.overrides(&ServeArgs::default()))?;
    let state = AppState::open(config).await?;
    let (json, text) = f(state.core).await.map_err(|e| e.to_string())?;
    if global.json {
        println!("{json}");
    } else {
        println!("{text}");
    }
    Ok(())
}

async fn org(core: Core, c: OrgCommand) -> tessera_core::Result<(Value, String)> {
    match c {
        OrgCommand::Create { name } => {
            let org = core.admin_create_org(&name).await?;
            Ok((json!({"id": org.id}), format!("created organization {} ({})", org.id, org.name)))
        }
        OrgCommand::Require2fa { org, off } => {
            core.set_org_two_factor(None, &OrgId(org.clone()), !off).await?;
            let what = if off { "no longer requires" } else { "requires" };
            Ok((json!({"required": !off}), format!("organization {org} {what} two-factor sign-in")))
        }
        OrgCommand::SignupDomain { org, domain, close: true, .. } => {
            let closed = core.close_signup(None, &OrgId(org.clone()), &domain).await?;
            let text = if closed { "closed sign-up for" } else { "did not have open sign-up for" };
            Ok((json!({"closed": closed}), format!("organization {org} {text} {domain}")))
        }
        OrgCommand::SignupDomain { org, domain, role, close: false } => {
            let role = value_name(role);
            core.open_signup(None, &OrgId(org.clone()), &domain, &role).await?;
            let domain = domain.trim().trim_start_matches('@').to_ascii_lowercase();
            let text = format!("people at {domain} may join organization {org} as {role} at /signup");
            Ok((json!({"domain": domain, "role": role}), text))
        }
        OrgCommand::Sso { org, remove: true, .. } => {
            let removed = core.remove_identity_provider(None, &OrgId(org.clone())).await?;
            let text = if removed { "removed its identity provider" } else { "had no identity provider" };
            Ok((json!({"removed": removed}), format!("organization {org} {text}")))
        }
        OrgCommand::Sso { org, issuer, client_id, client_secret_stdin, name, default_role, domains, remove: false } => {
            let client_secret = if client_secret_stdin { Some(read_password()?) } else { None };
            let input = tessera_core::sso::ProviderInput {
                name,
                issuer: issuer.unwrap_or_default(),
                client_id: client_id.unwrap_or_default(),
                client_secret,
                default_role: value_name(default_role),
                domains: Some(domains),
            };
            let p = core.set_identity_provider(None, &OrgId(org.clone()), input).await?;
            let json = json!({"id": p.id, "organizationId": p.org_id, "issuer": p.issuer, "clientId": p.client_id,
                "defaultRole": p.default_role, "domains": p.domains});
            Ok((json, format!("organization {org} signs in through {} ({})", p.issuer, p.id)))
        }
    }
}

fn read_password() -> tessera_core::Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| tessera_core::Error::bad_input(format!("cannot read the password from stdin: {e}")))?;
    Ok(line.trim_end_matches(['\n', '\r']).to_string())
}

async fn user(core: Core, c: UserCommand) -> tessera_core::Result<(Value, String)> {
    match c {
        UserCommand::Create { email, password_stdin: _, first_name, last_name, org, org_role } => {
            let password = read_password()?;
            let org = org.map(|o| (OrgId(o), value_name(org_role)));
            let user = core.admin_create_user(NewPerson { email, password, first_name, last_name, org }).await?;
            let email = user.email.clone().unwrap_or_default();
            Ok((json!({"id": user.id}), format!("created user {} <{email}>", user.id)))
        }
    }
}

async fn workspace(core: Core, c: WorkspaceCommand) -> tessera_core::Result<(Value, String)> {
    match c {
        WorkspaceCommand::Create { org, name, owner, public, description } => {
            let input = NewWorkspace { org_id: OrgId(org), name, description, is_public: public };
            let ws = core.admin_create_workspace(input, &UserId(owner)).await?;
            Ok((json!({"id": ws.id}), format!("created workspace {} ({})", ws.id, ws.name)))
        }
        WorkspaceCommand::AddCollaborator { workspace, user, role } => {
            let role = value_name(role);
            core.admin_add_collaborator(&WorkspaceId(workspace.clone()), &UserId(user.clone()), &role).await?;
            Ok((json!({}), format!("{user} is now {role} of workspace {workspace}")))
        }
    }
}

async fn bot(core: Core, c: BotCommand) -> tessera_core::Result<(Value, String)> {
    match c {
        BotCommand::Create { org, name } => {
            let (bot, token) = core.admin_create_bot(&OrgId(org), &name).await?;
            let text = format!("created bot {}\ntoken (shown once, keep it secret): {token}", bot.id);
            Ok((json!({"id": bot.id, "token": token}), text))
        }
        BotCommand::Token(BotTokenCommand::Create { bot }) => {
            let (id, token) = core.admin_create_bot_token(&UserId(bot)).await?;
            Ok((json!({"id": id, "token": token}), format!("token {id} (shown once, keep it secret): {token}")))
        }
        BotCommand::Token(BotTokenCommand::List { bot }) => {
            let tokens = core.admin_tokens(&UserId(bot)).await?;
            let list: Vec<Value> = tokens
                .iter()
                .map(|t| json!({"id": t.id, "kind": t.kind.as_str(), "revoked": t.revoked, "created_at": t.created_at}))
                .collect();
            let text = tokens
                .iter()
                .map(|t| format!("{}  {}", t.id, if t.revoked { "revoked" } else { "active" }))
                .collect::<Vec<_>>()
                .join("\n");
            Ok((json!({"tokens": list}), text))
        }
        BotCommand::Token(BotTokenCommand::Revoke { id }) => {
            core.admin_revoke_token(&TokenId(id.clone())).await?;
            Ok((json!({}), format!("revoked token {id}")))
        }
    }
}

async fn app(core: Core, c: AppCommand) -> tessera_core::Result<(Value, String)> {
    match c {
        AppCommand::Create { owner, name, redirect_uris, post_logout_redirect_uris, public, pkce_optional } => {
            let kind =
                if public { ClientType::Public } else { ClientType::Confidential { require_pkce: !pkce_optional } };
            // Checked before anything is written, so that a bad one leaves no app behind.
            for u in &post_logout_redirect_uris {
                tessera_core::oauth::redirect::validate_registration(u.trim())
                    .map_err(|e| tessera_core::Error::BadInput(format!("post-logout redirect URI: {e}")))?;
            }
            let new = core.create_app(None, &UserId(owner), &name, &redirect_uris, kind).await?;
            let id = new.app.client_id;
            if !post_logout_redirect_uris.is_empty() {
                core.set_post_logout_redirect_uris(None, &id, &post_logout_redirect_uris).await?;
            }
            match new.secret {
                Some(secret) => Ok((
                    json!({"client_id": id, "client_secret": secret}),
                    format!("created app {id}\nclient secret (shown once, keep it secret): {secret}"),
                )),
                None => Ok((json!({"client_id": id}), format!("created public app {id}"))),
            }
        }
    }
}
