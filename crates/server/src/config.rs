//! Layered configuration: command-line flags > `TESSERA_*` environment > a TOML file
//! (`--config`) > defaults. Flags and environment are read by clap (see `cli`); this module
//! merges them with the file and the defaults.

use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
pub const DEFAULT_DATA_DIR: &str = "./tessera-data";

/// What the TOML file may set. Unknown keys are warned about, not fatal.
#[derive(Debug, Default, Deserialize)]
pub struct FileConfig {
    pub listen: Option<String>,
    pub database_url: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub issuer: Option<String>,
}

const KNOWN_KEYS: [&str; 4] = ["listen", "database_url", "data_dir", "issuer"];

impl FileConfig {
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read config file {}: {e}", path.display()))?;
        let table: toml::Table = text
            .parse()
            .map_err(|e| format!("config file {} is not valid TOML: {e}", path.display()))?;
        for key in table.keys().filter(|k| !KNOWN_KEYS.contains(&k.as_str())) {
            tracing::warn!(key = %key, file = %path.display(), "unknown configuration key ignored");
            eprintln!(
                "warning: unknown configuration key {key:?} in {} ignored",
                path.display()
            );
        }
        let known: toml::Table = table
            .into_iter()
            .filter(|(k, _)| KNOWN_KEYS.contains(&k.as_str()))
            .collect();
        known
            .try_into()
            .map_err(|e| format!("config file {}: {e}", path.display()))
    }
}

/// The resolved settings of one run.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub database_url: String,
    pub data_dir: PathBuf,
    pub issuer: String,
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
        let listen_text = o
            .listen
            .or(file.listen)
            .unwrap_or_else(|| DEFAULT_LISTEN.to_string());
        let listen: SocketAddr = listen_text.parse().map_err(|_| {
            format!(
                "invalid listen address {listen_text:?}: expected HOST:PORT such as 127.0.0.1:8080"
            )
        })?;
        let data_dir = o
            .data_dir
            .or(file.data_dir)
            .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR));
        let database_url = o
            .database_url
            .or(file.database_url)
            .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("tessera.db").display()));
        let issuer = o
            .issuer
            .or(file.issuer)
            .unwrap_or_else(|| format!("http://{listen}"));
        let issuer = issuer.trim_end_matches('/').to_string();
        if !(issuer.starts_with("http://") || issuer.starts_with("https://")) {
            return Err(format!(
                "invalid issuer {issuer:?}: expected an http:// or https:// URL"
            ));
        }
        Ok(Config {
            listen,
            database_url,
            data_dir,
            issuer,
        })
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
        std::fs::write(
            &file,
            "listen = \"127.0.0.1:9000\"\nissuer = \"https://example.test/\"\nmystery = 1\n",
        )
        .expect("write");
        let f = Config::resolve(Overrides {
            config: Some(file.clone()),
            ..Default::default()
        })
        .expect("file");
        assert_eq!(f.listen.to_string(), "127.0.0.1:9000");
        assert_eq!(f.issuer, "https://example.test");

        let o = Config::resolve(Overrides {
            config: Some(file),
            listen: Some("127.0.0.1:7000".into()),
            ..Default::default()
        })
        .expect("override");
        assert_eq!(o.listen.to_string(), "127.0.0.1:7000");
        assert!(Config::resolve(Overrides {
            listen: Some("nope".into()),
            ..Default::default()
        })
        .is_err());
    }
}
