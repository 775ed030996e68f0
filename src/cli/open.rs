//! Finding the data directory, opening its log and building the engine.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use shoal_engine::maprun::MapRunOptions;
use shoal_engine::Engine;
use shoal_readers::{S3Options, StoreRegistry};
use shoal_storage::{EventLog, SledLog, SledLogOptions};

use super::error::CliError;

/// The environment variable naming the data directory when `--data-dir` is absent.
pub const DATA_DIR_ENV: &str = "SHOAL_DATA_DIR";
/// The data directory when neither `--data-dir` nor `SHOAL_DATA_DIR` is given.
pub const DEFAULT_DATA_DIR: &str = ".shoal";
/// The log's directory inside the data directory.
const LOG_DIR: &str = "log";

/// `--data-dir`, else `$SHOAL_DATA_DIR`, else `./.shoal`.
pub fn data_dir(flag: Option<PathBuf>) -> PathBuf {
    flag.or_else(|| {
        std::env::var_os(DATA_DIR_ENV)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    })
    .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR))
}

/// Opens the log of `data_dir`, creating the directory only when `create`.
pub fn open_log(data_dir: &Path, create: bool) -> Result<Arc<dyn EventLog>, CliError> {
    let log_dir = data_dir.join(LOG_DIR);
    if !create && !log_dir.is_dir() {
        return Err(CliError::NotFound(format!(
            "no shoal data directory at {} (give --data-dir or set {DATA_DIR_ENV})",
            data_dir.display()
        )));
    }
    std::fs::create_dir_all(&log_dir)
        .map_err(|e| CliError::Storage(format!("cannot create {}: {e}", log_dir.display())))?;
    let log =
        SledLog::open(&log_dir, SledLogOptions::new()).map_err(|e| CliError::log(data_dir, e))?;
    Ok(Arc::new(log))
}

/// A `--store NAME=URL` argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreArg {
    /// The name ItemReader / ResultWriter `Bucket` values use.
    pub name: String,
    /// `s3://bucket[/prefix]`, `file:///dir` (or a relative `file://dir`), `memory://`.
    pub url: String,
}

/// clap's parser for `NAME=URL`.
pub fn parse_store(text: &str) -> Result<StoreArg, String> {
    let (name, url) = text
        .split_once('=')
        .filter(|(name, url)| !name.is_empty() && !url.is_empty())
        .ok_or_else(|| format!("{text:?} is not NAME=URL"))?;
    Ok(StoreArg {
        name: name.to_string(),
        url: absolute_file_url(url),
    })
}

/// `file://relative/dir` as `file:///absolute/dir`, so that examples can
/// name a directory beside them.
fn absolute_file_url(url: &str) -> String {
    let Some(rest) = url.strip_prefix("file://") else {
        return url.to_string();
    };
    if rest.starts_with('/') {
        return url.to_string();
    }
    match std::env::current_dir() {
        Ok(cwd) => format!("file://{}", cwd.join(rest).display()),
        Err(_) => url.to_string(),
    }
}

/// Opens every `--store` (S3 credentials and endpoint from the `AWS_*`
/// environment variables).
pub fn stores(args: &[StoreArg]) -> Result<StoreRegistry, CliError> {
    let mut registry = StoreRegistry::new();
    let s3 = S3Options::new().with_env(true);
    for arg in args {
        registry
            .register_url(&arg.name, &arg.url, &s3)
            .map_err(|e| CliError::Usage(format!("--store {}: {e}", arg.name)))?;
    }
    Ok(registry)
}

/// Builds the engine on `data_dir` with the built-in handlers (which
/// recovers every unfinished execution: they continue in the background).
/// Its stores are those remembered in the data directory with `store_args`
/// laid over them (see [`remembered`](super::remembered)).
pub async fn engine(data_dir: &Path, store_args: &[StoreArg]) -> Result<Engine, CliError> {
    // A bad --store is a usage error before the data directory is touched.
    stores(store_args)?;
    let log = open_log(data_dir, true)?;
    let all = super::remembered::merge(data_dir, store_args)?;
    let stores = stores(&all).map_err(|e| {
        CliError::Usage(format!(
            "{e} (stores are remembered in {}; give --store NAME=URL to replace one)",
            data_dir.join("stores.json").display()
        ))
    })?;
    let engine = Engine::builder(log)
        .handlers(shoal::builtin_handlers())
        .map_run_options(MapRunOptions::new().with_stores(stores))
        .build()
        .await?;
    if engine.recovered() > 0 {
        tracing::info!(
            recovered = engine.recovered(),
            "resumed unfinished executions"
        );
    }
    Ok(engine)
}
