//! [`StoreUrl`]: the URL forms a store can be opened from.

use std::path::PathBuf;

use crate::error::StoreError;

/// A parsed store URL: `s3://bucket[/prefix]`, `file:///absolute/dir` or `memory://[name]`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoreUrl {
    /// An S3 (or S3-compatible) bucket, keys optionally under a prefix.
    S3 {
        /// The bucket name.
        bucket: String,
        /// Key prefix without leading or trailing `/` ("" for none).
        prefix: String,
    },
    /// A local directory; keys cannot leave it.
    File {
        /// The absolute directory.
        root: PathBuf,
    },
    /// A fresh in-memory store (for tests and examples).
    Memory,
}

impl StoreUrl {
    /// Parses a URL. Userinfo (`s3://key:secret@bucket`) is refused, so that a secret can never
    /// be carried in a URL; errors echo the URL without it.
    pub fn parse(text: &str) -> Result<Self, StoreError> {
        let invalid = |message: &str| StoreError::InvalidUrl {
            url: redact(text),
            message: message.to_owned(),
        };
        let parsed = url::Url::parse(text).map_err(|e| invalid(&e.to_string()))?;
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err(invalid(
                "credentials in the URL are not accepted; use AWS_* variables or S3Options",
            ));
        }
        match parsed.scheme() {
            "s3" | "s3a" => {
                let bucket = parsed.host_str().unwrap_or_default().to_owned();
                if bucket.is_empty() {
                    return Err(invalid("missing bucket name"));
                }
                let prefix = parsed.path().trim_matches('/').to_owned();
                Ok(Self::S3 { bucket, prefix })
            }
            "file" => {
                if parsed
                    .host_str()
                    .is_some_and(|h| !h.is_empty() && h != "localhost")
                {
                    return Err(invalid("file URLs must be file:///absolute/path"));
                }
                let root = parsed
                    .to_file_path()
                    .map_err(|()| invalid("not an absolute file path"))?;
                Ok(Self::File { root })
            }
            "memory" => Ok(Self::Memory),
            other => Err(invalid(&format!(
                "unsupported scheme {other:?} (s3, file, memory)"
            ))),
        }
    }
}

/// The URL text with any `user:password@` part removed, for error messages.
fn redact(text: &str) -> String {
    match (text.find("://"), text.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            format!("{}://<redacted>@{}", &text[..scheme_end], &text[at + 1..])
        }
        _ => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn parses_the_three_schemes() {
        assert_eq!(
            StoreUrl::parse("s3://bucket/some/prefix/").unwrap(),
            StoreUrl::S3 {
                bucket: "bucket".into(),
                prefix: "some/prefix".into()
            }
        );
        assert_eq!(
            StoreUrl::parse("file:///tmp/x").unwrap(),
            StoreUrl::File {
                root: PathBuf::from("/tmp/x")
            }
        );
        assert_eq!(StoreUrl::parse("memory://").unwrap(), StoreUrl::Memory);
    }

    #[test]
    fn refuses_credentials_in_urls_without_echoing_them() {
        let err = StoreUrl::parse("s3://AKIA:topsecret@bucket/x").unwrap_err();
        let text = format!("{err} {err:?}");
        assert!(!text.contains("topsecret"), "{text}");
        assert!(!text.contains("AKIA"), "{text}");
    }

    #[test]
    fn refuses_unknown_schemes_and_relative_files() {
        assert!(matches!(
            StoreUrl::parse("gopher://x"),
            Err(StoreError::InvalidUrl { .. })
        ));
        assert!(matches!(
            StoreUrl::parse("file://host/x"),
            Err(StoreError::InvalidUrl { .. })
        ));
        assert!(matches!(
            StoreUrl::parse("s3:///x"),
            Err(StoreError::InvalidUrl { .. })
        ));
    }
}
