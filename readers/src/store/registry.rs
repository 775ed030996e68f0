//! [`StoreRegistry`]: names (`--store NAME=URL`, an ItemReader's `Bucket`) to [`Store`]s.
//!
//! S3 stores are built with object_store's `AmazonS3Builder`: first from the standard `AWS_*`
//! environment (unless [`S3Options::with_env`] turned it off), then the explicit options on
//! top. Secrets live only inside the builder and the built client: `S3Options`' Debug redacts
//! them, [`Store`]'s Debug leaves the client out, and build errors are scrubbed of them.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use object_store::aws::AmazonS3Builder;
use object_store::RetryConfig;

use super::{Store, StoreUrl};
use crate::error::StoreError;

/// Retries of one S3 request when none are configured: a request that still fails after them
/// fails the reader (`States.ItemReaderFailed` naming the object).
pub const S3_RETRIES_MAX: usize = 10;
/// Time from a request's first attempt after which it is not retried again.
pub const S3_RETRY_TIMEOUT: Duration = Duration::from_secs(180);

/// Explicit S3 settings; unset fields come from the `AWS_*` environment.
#[derive(Clone, Default)]
pub struct S3Options {
    endpoint: Option<String>,
    region: Option<String>,
    access_key_id: Option<String>,
    secret_access_key: Option<String>,
    session_token: Option<String>,
    allow_http: Option<bool>,
    ignore_env: bool,
    retry: Option<(usize, Duration)>,
}

impl fmt::Debug for S3Options {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redacted = |v: &Option<String>| v.as_ref().map(|_| "<redacted>");
        f.debug_struct("S3Options")
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("access_key_id", &redacted(&self.access_key_id))
            .field("secret_access_key", &redacted(&self.secret_access_key))
            .field("session_token", &redacted(&self.session_token))
            .field("allow_http", &self.allow_http)
            .field("ignore_env", &self.ignore_env)
            .field("retry", &self.retry)
            .finish()
    }
}

impl S3Options {
    /// Options that read everything from the environment.
    pub fn new() -> Self {
        Self::default()
    }
    /// The endpoint, e.g. `http://127.0.0.1:9000` for an S3-compatible server (path-style).
    pub fn with_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = Some(endpoint.into());
        self
    }
    /// The signing region.
    pub fn with_region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }
    /// Static credentials (never printed).
    pub fn with_credentials(
        mut self,
        key_id: impl Into<String>,
        secret: impl Into<String>,
    ) -> Self {
        self.access_key_id = Some(key_id.into());
        self.secret_access_key = Some(secret.into());
        self
    }
    /// A session token for temporary (STS) credentials (never printed).
    pub fn with_session_token(mut self, token: impl Into<String>) -> Self {
        self.session_token = Some(token.into());
        self
    }
    /// Allows `http://` endpoints (needed for local servers).
    pub fn with_allow_http(mut self, allow: bool) -> Self {
        self.allow_http = Some(allow);
        self
    }
    /// Whether `AWS_*` environment variables are read first (default true).
    pub fn with_env(mut self, read_env: bool) -> Self {
        self.ignore_env = !read_env;
        self
    }
    /// Retry at most `max_retries` times within `timeout` (default [`S3_RETRIES_MAX`] within
    /// [`S3_RETRY_TIMEOUT`]; tests want a short one so a dead server fails fast). Server errors
    /// (5xx), timeouts and dropped connections are retried with exponential back-off, and a
    /// download cut off mid-body resumes with a range request; other errors are not retried.
    pub fn with_retry(mut self, max_retries: usize, timeout: Duration) -> Self {
        self.retry = Some((max_retries, timeout));
        self
    }

    fn builder(&self, bucket: &str) -> AmazonS3Builder {
        let mut builder = if self.ignore_env {
            AmazonS3Builder::new()
        } else {
            AmazonS3Builder::from_env()
        };
        builder = builder.with_bucket_name(bucket);
        if let Some(v) = &self.endpoint {
            builder = builder.with_endpoint(v);
        }
        if let Some(v) = &self.region {
            builder = builder.with_region(v);
        }
        if let (Some(id), Some(secret)) = (&self.access_key_id, &self.secret_access_key) {
            builder = builder
                .with_access_key_id(id)
                .with_secret_access_key(secret);
        }
        if let Some(token) = &self.session_token {
            builder = builder.with_token(token);
        }
        if let Some(v) = self.allow_http {
            builder = builder.with_allow_http(v);
        }
        let (max_retries, retry_timeout) = self.retry.unwrap_or((S3_RETRIES_MAX, S3_RETRY_TIMEOUT));
        builder.with_retry(RetryConfig {
            max_retries,
            retry_timeout,
            ..RetryConfig::default()
        })
    }

    /// Secrets that must never appear in an error message.
    fn secrets(&self) -> Vec<String> {
        let mut secrets: Vec<String> = self.secret_access_key.iter().cloned().collect();
        secrets.extend(self.session_token.iter().cloned());
        for var in ["AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"] {
            if let Ok(env_secret) = std::env::var(var) {
                secrets.push(env_secret);
            }
        }
        secrets.retain(|s| !s.is_empty());
        secrets
    }
}

/// Named stores. Debug output lists names and URLs only.
#[derive(Debug, Default, Clone)]
pub struct StoreRegistry {
    stores: BTreeMap<String, Store>,
}

impl StoreRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers (or replaces) `store` under `name`.
    pub fn insert(&mut self, name: impl Into<String>, store: Store) {
        self.stores.insert(name.into(), store);
    }

    /// Opens `url` and registers it under `name` (the CLI's `--store NAME=URL`).
    pub fn register_url(
        &mut self,
        name: &str,
        url: &str,
        s3: &S3Options,
    ) -> Result<(), StoreError> {
        let store = open_url(name, &StoreUrl::parse(url)?, s3)?;
        self.insert(name, store);
        Ok(())
    }

    /// The store registered as `name`: how the engine resolves an ItemReader's `Bucket`.
    pub fn resolve(&self, name: &str) -> Result<Store, StoreError> {
        self.stores
            .get(name)
            .cloned()
            .ok_or_else(|| StoreError::UnknownStore {
                name: name.to_owned(),
                known: self.stores.keys().cloned().collect::<Vec<_>>().join(", "),
            })
    }
}

/// Opens a store from a parsed URL.
pub fn open_url(name: &str, url: &StoreUrl, s3: &S3Options) -> Result<Store, StoreError> {
    match url {
        StoreUrl::S3 { bucket, prefix } => {
            let built = s3.builder(bucket).build().map_err(|e| StoreError::Build {
                name: name.to_owned(),
                message: scrub(e.to_string(), &s3.secrets()),
            })?;
            Ok(Store::paginated(name, Arc::new(built)).with_prefix(prefix))
        }
        StoreUrl::File { root } => Store::local(name, root),
        StoreUrl::Memory => Ok(Store::memory(name)),
    }
}

fn scrub(mut message: String, secrets: &[String]) -> String {
    for secret in secrets {
        message = message.replace(secret.as_str(), "<redacted>");
    }
    message
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn debug_of_options_and_registry_never_shows_the_secret() {
        let options = S3Options::new()
            .with_endpoint("http://127.0.0.1:1")
            .with_credentials("KEYID-visible-not", "SUPER-SECRET-VALUE")
            .with_allow_http(true)
            .with_env(false)
            .with_retry(0, Duration::from_millis(100));
        let mut registry = StoreRegistry::new();
        registry
            .register_url("data", "s3://bucket/p", &options)
            .unwrap();
        let text = format!(
            "{options:?} {registry:?} {:?}",
            registry.resolve("data").unwrap()
        );
        assert!(!text.contains("SUPER-SECRET-VALUE"), "{text}");
        assert!(!text.contains("KEYID-visible-not"), "{text}");
    }

    #[test]
    fn unknown_names_list_the_known_ones() {
        let mut registry = StoreRegistry::new();
        registry
            .register_url("mem", "memory://", &S3Options::new())
            .unwrap();
        let err = registry.resolve("nope").unwrap_err();
        assert_eq!(
            err.to_string(),
            "no store registered as \"nope\" (known: mem)"
        );
    }

    #[test]
    fn scrub_replaces_every_secret() {
        assert_eq!(
            scrub("a s3cr3t b s3cr3t".into(), &["s3cr3t".into()]),
            "a <redacted> b <redacted>"
        );
    }
}
