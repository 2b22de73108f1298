//! Layered configuration: command-line flags > `TESSERA_*` environment > a TOML file
//! (`--config`) > defaults. Flags and environment are read by clap (see `cli`); this module
//! merges them with the file and the defaults.

use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use tessera_core::oauth::OAuthSettings;

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
pub const DEFAULT_DATA_DIR: &str = "./tessera-data";

/// What the TOML file may set. Unknown keys are warned about, not fatal.
/// Each key can also come from the environment as `TESSERA_<KEY>` (upper case).
#[derive(Debug, Default, Deserialize)]
pub struct FileConfig {
    pub listen: Option<String>,
    pub database_url: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub issuer: Option<String>,
    pub access_token_ttl: Option<i64>,
    pub refresh_token_ttl: Option<i64>,
    pub code_ttl: Option<i64>,
    pub refresh_reuse_grace: Option<i64>,
    pub session_ttl: Option<i64>,
    pub rate_limits: Option<String>,
    pub login_attempts_per_15min: Option<u32>,
    pub token_requests_per_minute: Option<u32>,
    pub ws_init_timeout: Option<u64>,
    pub ws_queue: Option<usize>,
    pub ws_stall_timeout: Option<u64>,
    pub board_cache: Option<usize>,
    pub example_app: Option<String>,
    pub graphql_introspection: Option<String>,
    pub trusted_proxies: Option<String>,
    pub metrics_token: Option<String>,
    pub storage_url: Option<String>,
    pub s3_access_key_id: Option<String>,
    pub s3_secret_access_key: Option<String>,
    pub max_image_bytes: Option<u64>,
    pub max_document_bytes: Option<u64>,
    pub max_video_bytes: Option<u64>,
    pub upload_ttl: Option<i64>,
    pub fetch_allow: Option<String>,
    pub secret_key: Option<String>,
    pub id_token_alg: Option<String>,
    pub smtp_url: Option<String>,
    pub mail_from: Option<String>,
}

const KNOWN_KEYS: [&str; 32] = [
    "listen",
    "database_url",
    "data_dir",
    "issuer",
    "access_token_ttl",
    "refresh_token_ttl",
    "code_ttl",
    "refresh_reuse_grace",
    "session_ttl",
    "rate_limits",
    "login_attempts_per_15min",
    "token_requests_per_minute",
    "ws_init_timeout",
    "ws_queue",
    "ws_stall_timeout",
    "board_cache",
    "example_app",
    "graphql_introspection",
    "trusted_proxies",
    "metrics_token",
    "storage_url",
    "s3_access_key_id",
    "s3_secret_access_key",
    "max_image_bytes",
    "max_document_bytes",
    "max_video_bytes",
    "upload_ttl",
    "fetch_allow",
    "secret_key",
    "id_token_alg",
    "smtp_url",
    "mail_from",
];

/// The installation's secret key, which seals the ID token signing keys at rest: given in the
/// configuration (every node of a cluster must share it), or kept in a file of the data
/// directory, made on first start.
#[derive(Clone)]
pub enum SecretKey {
    Given(String),
    File(PathBuf),
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SecretKey::Given(_) => f.write_str("Given(…)"),
            SecretKey::File(p) => write!(f, "File({})", p.display()),
        }
    }
}

impl SecretKey {
    /// The secret: as given, or read from its file (made, readable by this user only, if absent).
    pub fn resolve(&self) -> Result<String, String> {
        let path = match self {
            SecretKey::Given(s) => return Ok(s.clone()),
            SecretKey::File(p) => p,
        };
        match std::fs::read_to_string(path) {
            Ok(s) => return Ok(s.trim().to_string()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(format!("cannot read the secret key {}: {e}", path.display())),
        }
        use base64::Engine;
        use rand::RngCore;
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        let secret = base64::engine::general_purpose::STANDARD.encode(bytes);
        let made = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
            .and_then(|mut f| f.write_all(secret.as_bytes()).and_then(|_| f.sync_all()));
        match made {
            Ok(()) => Ok(secret),
            // Another process made it first: use theirs.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                std::fs::read_to_string(path).map(|s| s.trim().to_string()).map_err(|e| e.to_string())
            }
            Err(e) => Err(format!("cannot write the secret key {}: {e}", path.display())),
        }
    }
}

/// A setting from `TESSERA_<KEY>` if set and valid, else from the file.
fn env_or<T: std::str::FromStr>(key: &str, file: Option<T>) -> Result<Option<T>, String> {
    let var = format!("TESSERA_{}", key.to_uppercase());
    match std::env::var(&var) {
        Ok(v) => v.trim().parse().map(Some).map_err(|_| format!("invalid value {v:?} for {var}")),
        Err(_) => Ok(file),
    }
}

/// Abuse limits: on by default; `rate_limits = "off"` (or `TESSERA_RATE_LIMITS=off`) for
/// benchmarks and tests.
#[derive(Debug, Clone)]
pub struct RateLimits {
    pub enabled: bool,
    /// Sign-in attempts per account and client address, and (five times as many) per client
    /// address, per 15 minutes; past this many for one account from everywhere, attempts are
    /// slowed down (never refused).
    pub login_attempts_per_15min: u32,
    /// Token-endpoint requests per minute: per confidential client, per public client and
    /// address, and failed client authentications per address.
    pub token_requests_per_minute: u32,
    /// Reverse proxies whose `Forwarded`/`X-Forwarded-For` headers name the client's address
    /// (`trusted_proxies = "10.0.0.1, 10.0.0.0/8"`); from any other peer they are ignored.
    pub trusted_proxies: Vec<crate::web::limits::Net>,
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits {
            enabled: true,
            login_attempts_per_15min: 10,
            token_requests_per_minute: 600,
            trusted_proxies: Vec::new(),
        }
    }
}

impl FileConfig {
    pub fn load(path: &Path) -> Result<Self, String> {
        let text =
            std::fs::read_to_string(path).map_err(|e| format!("cannot read config file {}: {e}", path.display()))?;
        let table: toml::Table =
            text.parse().map_err(|e| format!("config file {} is not valid TOML: {e}", path.display()))?;
        for key in table.keys().filter(|k| !KNOWN_KEYS.contains(&k.as_str())) {
            tracing::warn!(key = %key, file = %path.display(), "unknown configuration key ignored");
            eprintln!("warning: unknown configuration key {key:?} in {} ignored", path.display());
        }
        let known: toml::Table = table.into_iter().filter(|(k, _)| KNOWN_KEYS.contains(&k.as_str())).collect();
        known.try_into().map_err(|e| format!("config file {}: {e}", path.display()))
    }
}

/// The resolved settings of one run.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub database_url: String,
    pub data_dir: PathBuf,
    pub issuer: String,
    pub oauth: OAuthSettings,
    pub rate_limits: RateLimits,
    /// How long a WebSocket may stay open without `connection_init` (close 4408).
    pub ws_init_timeout: std::time::Duration,
    /// Messages queued for one WebSocket connection before it is closed as a slow consumer.
    pub ws_queue: usize,
    /// How long a WebSocket client may take no message while its queue is full (close 4413).
    pub ws_stall_timeout: std::time::Duration,
    /// How long a WebSocket stays open while re-checking its revoked-or-not token keeps failing
    /// (the database is down) before it is closed with 4500.
    pub ws_recheck_grace: std::time::Duration,
    /// The most elements kept in memory to serve element reads (0: none).
    pub board_cache: usize,
    /// The client id of the sample browser app to serve at `/examples/browser-app/`
    /// (`tessera demo` registers one and sets this; `TESSERA_EXAMPLE_APP=<client id>` serves it
    /// for an app you registered with redirect `<issuer>/examples/browser-app/`).
    pub example_app: Option<String>,
    /// Whether the schema may be introspected (`__schema`, `__type`). Off, field suggestions in
    /// error messages are off too, so the schema does not leak through them.
    pub graphql_introspection: bool,
    /// When set, `GET /metrics` needs `Authorization: Bearer <this>`.
    pub metrics_token: Option<String>,
    /// Where asset files are stored: `file://DIR` (the default: `assets/` beside an embedded
    /// database, else in the data directory) or `s3://BUCKET?endpoint=URL&region=NAME` (any
    /// S3-compatible store, with `s3_access_key_id` and `s3_secret_access_key`).
    pub storage_url: String,
    pub s3_credentials: Option<(String, String)>,
    /// The largest file of each kind, and how long an upload may take.
    pub assets: tessera_core::element::asset::AssetLimits,
    /// Networks `sourceUrl` fetches may reach although they are private or reserved
    /// (`fetch_allow = "10.1.0.0/16, 192.168.5.7"`); none by default.
    pub fetch_allow: Vec<crate::web::limits::Net>,
    pub secret_key: SecretKey,
    /// How ID token signing keys rotate, and their algorithm.
    pub signing_keys: tessera_core::oauth::keys::KeyPolicy,
    /// Where account mail goes (none: it waits in the outbox).
    pub mail: crate::mail::MailSettings,
}

/// Values given on the command line or in the environment (clap merges those two).
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub config: Option<PathBuf>,
    pub listen: Option<String>,
    pub database_url: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub issuer: Option<String>,
}

impl Config {
    pub fn resolve(o: Overrides) -> Result<Self, String> {
        let file = match &o.config {
            Some(p) => FileConfig::load(p)?,
            None => FileConfig::default(),
        };
        let listen_text = o.listen.or(file.listen).unwrap_or_else(|| DEFAULT_LISTEN.to_string());
        let listen: SocketAddr = listen_text.parse().map_err(|_| {
            format!("invalid listen address {listen_text:?}: expected HOST:PORT such as 127.0.0.1:8080")
        })?;
        let data_dir = o.data_dir.or(file.data_dir).unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR));
        let database_url = o
            .database_url
            .or(file.database_url)
            .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("tessera.db").display()));
        let issuer = o.issuer.or(file.issuer).unwrap_or_else(|| format!("http://{listen}"));
        let issuer = issuer.trim_end_matches('/').to_string();
        if !(issuer.starts_with("http://") || issuer.starts_with("https://")) {
            return Err(format!("invalid issuer {issuer:?}: expected an http:// or https:// URL"));
        }
        let d = OAuthSettings::default();
        let secs = |key: &str, file: Option<i64>, default: i64, max: i64| -> Result<i64, String> {
            let v = env_or(key, file)?.unwrap_or(default);
            if v < 0 || v > max {
                return Err(format!("{key} must be between 0 and {max} seconds"));
            }
            Ok(v)
        };
        let oauth = OAuthSettings {
            issuer: issuer.clone(),
            access_token_ttl_secs: secs("access_token_ttl", file.access_token_ttl, d.access_token_ttl_secs, 86_400)?,
            refresh_token_ttl_secs: secs(
                "refresh_token_ttl",
                file.refresh_token_ttl,
                d.refresh_token_ttl_secs,
                5 * 365 * 86_400,
            )?,
            code_ttl_secs: secs("code_ttl", file.code_ttl, d.code_ttl_secs, 60)?,
            refresh_reuse_grace_secs: secs(
                "refresh_reuse_grace",
                file.refresh_reuse_grace,
                d.refresh_reuse_grace_secs,
                5,
            )?,
            session_ttl_secs: secs("session_ttl", file.session_ttl, d.session_ttl_secs, 30 * 86_400)?,
        };
        let limits = env_or("rate_limits", file.rate_limits)?.unwrap_or_else(|| "on".into());
        let rate_limits = RateLimits {
            enabled: match limits.as_str() {
                "on" => true,
                "off" => false,
                other => return Err(format!("rate_limits must be \"on\" or \"off\", not {other:?}")),
            },
            login_attempts_per_15min: env_or("login_attempts_per_15min", file.login_attempts_per_15min)?.unwrap_or(10),
            token_requests_per_minute: env_or("token_requests_per_minute", file.token_requests_per_minute)?
                .unwrap_or(600),
            trusted_proxies: env_or("trusted_proxies", file.trusted_proxies)?
                .unwrap_or_default()
                .split(',')
                .filter(|p| !p.trim().is_empty())
                .map(crate::web::limits::Net::parse)
                .collect::<Result<_, _>>()
                .map_err(|e| format!("trusted_proxies: {e}"))?,
        };
        let ws_init = env_or("ws_init_timeout", file.ws_init_timeout)?.unwrap_or(3);
        if !(1..=60).contains(&ws_init) {
            return Err("ws_init_timeout must be between 1 and 60 seconds".into());
        }
        let ws_init_timeout = std::time::Duration::from_secs(ws_init);
        let ws_queue = env_or("ws_queue", file.ws_queue)?.unwrap_or(1024).clamp(1, 65_536);
        let stall = env_or("ws_stall_timeout", file.ws_stall_timeout)?.unwrap_or(10).clamp(1, 300);
        let ws_stall_timeout = std::time::Duration::from_secs(stall);
        let graphql_introspection = match env_or("graphql_introspection", file.graphql_introspection)?.as_deref() {
            None | Some("on") => true,
            Some("off") => false,
            Some(other) => return Err(format!("graphql_introspection must be \"on\" or \"off\", not {other:?}")),
        };
        // Files of an embedded installation live beside its database, else in the data directory.
        let beside_db = database_url.strip_prefix("sqlite://").map(|p| p.split('?').next().unwrap_or(p));
        let files_dir = beside_db.and_then(|p| Path::new(p).parent()).unwrap_or(&data_dir).to_path_buf();
        let storage_url = match env_or("storage_url", file.storage_url)?.filter(|u| !u.is_empty()) {
            Some(url) => url,
            None => format!("file://{}", files_dir.join("assets").display()),
        };
        let secret_key = match env_or("secret_key", file.secret_key)?.filter(|s| !s.trim().is_empty()) {
            Some(s) if s.trim().len() < 32 => return Err("secret_key must be at least 32 characters".into()),
            Some(s) => SecretKey::Given(s.trim().to_string()),
            None => SecretKey::File(files_dir.join("secret.key")),
        };
        let alg = env_or("id_token_alg", file.id_token_alg)?.unwrap_or_else(|| "RS256".into());
        let signing_keys = tessera_core::oauth::keys::KeyPolicy {
            alg: tessera_core::oauth::keys::KeyAlg::parse(&alg)
                .ok_or_else(|| format!("id_token_alg must be \"RS256\" or \"EdDSA\", not {alg:?}"))?,
            // An ID token lives as long as an access token; its key stays published that long
            // after its successor takes over, and five minutes more for clocks.
            keep_after: (oauth.access_token_ttl_secs + 300) * 1000,
            ..Default::default()
        };
        let key = env_or("s3_access_key_id", file.s3_access_key_id)?;
        let secret = env_or("s3_secret_access_key", file.s3_secret_access_key)?;
        let s3_credentials = match (key, secret) {
            (Some(k), Some(s)) => Some((k, s)),
            (None, None) => None,
            _ => return Err("s3_access_key_id and s3_secret_access_key must be given together".into()),
        };
        let a = tessera_core::element::asset::AssetLimits::default();
        let bytes = |key: &str, file: Option<u64>, default: u64| -> Result<u64, String> {
            let v = env_or(key, file)?.unwrap_or(default);
            if v == 0 {
                return Err(format!("{key} must be a positive number of bytes"));
            }
            Ok(v)
        };
        let assets = tessera_core::element::asset::AssetLimits {
            image_bytes: bytes("max_image_bytes", file.max_image_bytes, a.image_bytes)?,
            document_bytes: bytes("max_document_bytes", file.max_document_bytes, a.document_bytes)?,
            video_bytes: bytes("max_video_bytes", file.max_video_bytes, a.video_bytes)?,
            preview_bytes: a.preview_bytes,
            upload_seconds: secs("upload_ttl", file.upload_ttl, a.upload_seconds, 7 * 86_400)?,
        };
        let fetch_allow = env_or("fetch_allow", file.fetch_allow)?
            .unwrap_or_default()
            .split(',')
            .filter(|p| !p.trim().is_empty())
            .map(crate::web::limits::Net::parse)
            .collect::<Result<_, _>>()
            .map_err(|e| format!("fetch_allow: {e}"))?;
        let host = url::Url::parse(&issuer).ok().and_then(|u| u.host_str().map(str::to_string));
        let mail = crate::mail::MailSettings {
            smtp_url: env_or("smtp_url", file.smtp_url)?.filter(|u| !u.trim().is_empty()),
            from: env_or("mail_from", file.mail_from)?
                .unwrap_or_else(|| format!("tessera <no-reply@{}>", host.unwrap_or_else(|| "localhost".into()))),
            retry_ms: crate::mail::RETRY_MS,
        };
        mail.check()?;
        Ok(Config {
            mail,
            secret_key,
            signing_keys,
            fetch_allow,
            storage_url,
            s3_credentials,
            assets,
            listen,
            database_url,
            data_dir,
            issuer,
            oauth,
            rate_limits,
            ws_init_timeout,
            ws_queue,
            ws_stall_timeout,
            ws_recheck_grace: std::time::Duration::from_secs(10),
            board_cache: env_or("board_cache", file.board_cache)?
                .unwrap_or(tessera_core::element::board::DEFAULT_MAX_ELEMENTS),
            example_app: env_or("example_app", file.example_app)?.filter(|id| !id.is_empty()),
            graphql_introspection,
            metrics_token: env_or("metrics_token", file.metrics_token)?.filter(|t| !t.is_empty()),
        })
    }

    /// Whether pages are served over https (then cookies are `Secure`).
    pub fn https(&self) -> bool {
        self.issuer.starts_with("https://")
    }

    /// Make sure the directory of an embedded database exists.
    pub fn prepare_storage(&self) -> Result<(), String> {
        if let Some(path) = self.database_url.strip_prefix("sqlite://") {
            let path = Path::new(path.split('?').next().unwrap_or(path));
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)
                    .map_err(|e| format!("cannot create data directory {}: {e}", dir.display()))?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_then_file_then_overrides() {
        let d = Config::resolve(Overrides::default()).expect("defaults");
        assert_eq!(d.listen.to_string(), DEFAULT_LISTEN);
        assert_eq!(d.database_url, "sqlite://./tessera-data/tessera.db");
        assert_eq!(d.issuer, "http://127.0.0.1:8080");

        let dir = std::env::temp_dir().join(format!("tessera-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let file = dir.join("t.toml");
        std::fs::write(&file, "listen = \"127.0.0.1:9000\"\nissuer = \"https://example.test/\"\nmystery = 1\n")
            .expect("write");
        let f = Config::resolve(Overrides { config: Some(file.clone()), ..Default::default() }).expect("file");
        assert_eq!(f.listen.to_string(), "127.0.0.1:9000");
        assert_eq!(f.issuer, "https://example.test");

        assert_eq!(f.oauth.issuer, "https://example.test");
        assert_eq!(f.oauth.code_ttl_secs, 60);
        let o = Config::resolve(Overrides {
            config: Some(file),
            listen: Some("127.0.0.1:7000".into()),
            ..Default::default()
        })
        .expect("override");
        assert_eq!(o.listen.to_string(), "127.0.0.1:7000");
        assert!(Config::resolve(Overrides { listen: Some("nope".into()), ..Default::default() }).is_err());
    }
}
