//! Configuration, layered: built-in defaults, then a TOML file (`jiuzhu.toml`, or the
//! file named by `--config` / `JIUZHU_CONFIG`), then `JIUZHU_*` environment variables.
//! Secrets are held in `SecretString`, whose `Debug` prints `[REDACTED]`, so a logged
//! configuration never contains them.

use anyhow::{bail, Context, Result};
use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Debug, Deserialize)]
pub struct Config {
    /// `sqlite://data/jiuzhu.db` (default) or `postgres://user:pass@host/db`.
    pub database_url: SecretString,
    pub listen: String,
    /// Where the embedded database and generated keys live.
    pub data_dir: PathBuf,
    /// `text` or `json`.
    pub log_format: String,
    pub log_level: String,
    /// Set when served over TLS (directly or behind a proxy).
    pub secure_cookies: bool,
    pub trust_proxy: bool,
    /// `id:base64,id:base64` 32-byte AES keys. Empty: generated into `data_dir/keys.toml`
    /// on first start with SQLite; required with PostgreSQL.
    pub encryption_keys: SecretString,
    pub active_key: u8,
    pub index_key: SecretString,
    pub argon2_memory_kib: u32,
    pub argon2_passes: u32,
    pub site_name: String,
    /// Public form submissions (missing-person reports, tips) per address, and in all,
    /// per 10 minutes.
    pub public_form_limit: u32,
    pub public_form_total: u32,
    /// Map tiles URL template; empty for the bundled offline basemap.
    pub map_tiles: String,
}

#[derive(Serialize)]
struct Defaults {
    database_url: String,
    listen: String,
    data_dir: String,
    log_format: String,
    log_level: String,
    secure_cookies: bool,
    trust_proxy: bool,
    encryption_keys: String,
    active_key: u8,
    index_key: String,
    argon2_memory_kib: u32,
    argon2_passes: u32,
    site_name: String,
    public_form_limit: u32,
    public_form_total: u32,
    map_tiles: String,
}

impl Default for Defaults {
    fn default() -> Self {
        Defaults {
            database_url: "sqlite://data/jiuzhu.db".into(),
            listen: "127.0.0.1:8080".into(),
            data_dir: "data".into(),
            log_format: "text".into(),
            log_level: "info".into(),
            secure_cookies: false,
            trust_proxy: false,
            encryption_keys: String::new(),
            active_key: 1,
            index_key: String::new(),
            argon2_memory_kib: 19 * 1024,
            argon2_passes: 2,
            site_name: "救助".into(),
            public_form_limit: 10,
            public_form_total: 2_000,
            map_tiles: String::new(),
        }
    }
}

impl Config {
    pub fn load(file: Option<&Path>) -> Result<Config> {
        let mut fig = Figment::from(Serialized::defaults(Defaults::default()));
        let path = file
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("jiuzhu.toml"));
        if path.exists() {
            fig = fig.merge(Toml::file(&path));
        } else if file.is_some() {
            bail!("configuration file {} not found", path.display());
        }
        fig = fig.merge(Env::prefixed("JIUZHU_").ignore(&[
            "config",
            "test_postgres_url",
            "demo_password",
        ]));
        fig.extract().context("reading configuration")
    }

    pub fn is_sqlite(&self) -> bool {
        self.database_url.expose_secret().starts_with("sqlite:")
    }
}

/// Keys from configuration, or from `data_dir/keys.toml`, created on first use for the
/// embedded database. Production deployments on PostgreSQL must configure them.
pub fn keyring(cfg: &Config, allow_generate: bool) -> Result<jiuzhu_storage::Keyring> {
    let keys = cfg.encryption_keys.expose_secret();
    if !keys.is_empty() {
        return jiuzhu_storage::Keyring::from_config(
            keys,
            cfg.active_key,
            cfg.index_key.expose_secret(),
        )
        .context("encryption keys");
    }
    let file = cfg.data_dir.join("keys.toml");
    if !file.exists() {
        if !allow_generate {
            bail!(
                "no encryption keys: set JIUZHU_ENCRYPTION_KEYS and JIUZHU_INDEX_KEY (see README)"
            );
        }
        std::fs::create_dir_all(&cfg.data_dir)?;
        let text = format!(
            "# Generated on first start. Back this file up with the database: without it the\n# encrypted fields cannot be read. Never commit it.\nencryption_keys = \"1:{}\"\nactive_key = 1\nindex_key = \"{}\"\n",
            jiuzhu_storage::crypto::generate_key(),
            jiuzhu_storage::crypto::generate_key()
        );
        write_private(&file, &text)?;
        tracing::warn!(file = %file.display(), "generated new encryption keys");
    }
    #[derive(Deserialize)]
    struct KeyFile {
        encryption_keys: SecretString,
        active_key: u8,
        index_key: SecretString,
    }
    let kf: KeyFile = toml::from_str(&std::fs::read_to_string(&file)?).context("keys.toml")?;
    jiuzhu_storage::Keyring::from_config(
        kf.encryption_keys.expose_secret(),
        kf.active_key,
        kf.index_key.expose_secret(),
    )
    .context("keys.toml")
}

fn write_private(path: &Path, text: &str) -> Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    // figment's Jail returns its own large error type; nothing to shrink here.
    #[allow(clippy::result_large_err)]
    #[test]
    fn secrets_do_not_appear_in_debug_output() {
        figment::Jail::expect_with(|jail| {
            jail.set_env(
                "JIUZHU_DATABASE_URL",
                "postgres://jiuzhu:hunter2secret@db/jiuzhu",
            );
            jail.set_env(
                "JIUZHU_ENCRYPTION_KEYS",
                "1:c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MTI=",
            );
            jail.create_file(
                "jiuzhu.toml",
                "listen = \"0.0.0.0:9000\"\nlog_format = \"json\"\n",
            )?;
            let cfg = Config::load(None).unwrap();
            assert_eq!(cfg.listen, "0.0.0.0:9000", "file overrides defaults");
            assert!(!cfg.is_sqlite(), "environment overrides defaults");
            let shown = format!("{cfg:?}");
            assert!(
                !shown.contains("hunter2secret") && !shown.contains("c2VjcmV0"),
                "{shown}"
            );
            Ok(())
        });
    }
}
