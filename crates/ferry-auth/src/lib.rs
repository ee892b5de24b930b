//! Ferry's credentials and request authentication, for every service on the port.
//!
//! - [`Credentials`]: access key id → secret. Empty ("open") = accept every
//!   request, signed or not, like DynamoDB Local.
//! - JSON-protocol services (DynamoDB, CloudWatch Logs): [`Credentials::verify`]
//!   checks AWS Signature Version 4 (header or presigned query) over the method,
//!   path, query, signed headers and the SHA-256 of the body, compares in
//!   constant time, allows AWS's 15-minute clock skew, and fails with the error
//!   DynamoDB sends ([`AuthError`]: `MissingAuthenticationTokenException`,
//!   `IncompleteSignatureException`, `UnrecognizedClientException`,
//!   `InvalidSignatureException`, all HTTP 400).
//! - S3: [`S3Credentials`] implements `s3s::auth::S3Auth`; s3s itself verifies
//!   SigV4 for S3 (header, presigned URLs, aws-chunked payloads). An unknown
//!   key is S3's `InvalidAccessKeyId`.
//! - [`request_region`] reads the region of a request's credential scope
//!   without verifying anything (used in open mode too).
//!
//! This crate knows nothing of HTTP servers or JSON: callers give it
//! `http::request::Parts` and the body bytes.
// Input reaches this crate: a panic is never the answer to bad input.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod canonical;
mod error;
mod s3;
mod verify;

use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::time::SystemTime;

pub use canonical::{percent_decode, sha256_hex, signature, signing_key, string_to_sign};
pub use error::{
    AuthError, CredentialsFileError, EXPIRES_TOO_LONG_MESSAGE, MISSING_TOKEN_MESSAGE,
    SIGNATURE_MISMATCH_MESSAGE, UNRECOGNIZED_CLIENT_MESSAGE,
};
pub use s3::{INVALID_ACCESS_KEY_MESSAGE, S3Credentials};
pub use verify::{MAX_EXPIRES_SECS, MAX_SKEW, request_region, service_for_target};

/// Who signed a request: the access key id and the region of its scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub access_key: String,
    pub region: String,
}

/// The configured access keys. Empty = open (nothing is verified).
#[derive(Clone, Default)]
pub struct Credentials {
    keys: HashMap<String, String>,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut ids: Vec<&str> = self.keys.keys().map(String::as_str).collect();
        ids.sort_unstable();
        f.debug_struct("Credentials")
            .field("access_keys", &ids)
            .finish_non_exhaustive()
    }
}

impl Credentials {
    /// From `(access key id, secret)` pairs; a later pair for the same id wins.
    pub fn new(pairs: impl IntoIterator<Item = (String, String)>) -> Self {
        Credentials {
            keys: pairs.into_iter().collect(),
        }
    }

    /// No credentials: every request is accepted.
    #[must_use]
    pub fn open() -> Self {
        Credentials::default()
    }

    /// True when no credentials are configured (nothing is verified).
    pub fn is_open(&self) -> bool {
        self.keys.is_empty()
    }

    /// Number of configured access keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// True when no access key is configured (same as [`Credentials::is_open`]).
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Every (access key id, secret) pair.
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.keys.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The secret of `access_key`, if it is a known key.
    pub fn secret(&self, access_key: &str) -> Option<&str> {
        self.keys.get(access_key).map(String::as_str)
    }

    /// Adds (or replaces) one access key.
    pub fn insert(&mut self, access_key: impl Into<String>, secret: impl Into<String>) {
        self.keys.insert(access_key.into(), secret.into());
    }

    /// Reads a credentials file, see [`Credentials::parse`].
    pub fn from_file(path: &Path) -> Result<Self, CredentialsFileError> {
        let text = std::fs::read_to_string(path).map_err(|source| CredentialsFileError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Self::parse(&text)
    }

    /// Parses a credentials file of several keys. Two forms are accepted:
    ///
    /// - one `ACCESS_KEY_ID:SECRET` (or `ACCESS_KEY_ID SECRET`) per line;
    /// - the AWS shared credentials format: `[section]` headers with
    ///   `aws_access_key_id = ...` and `aws_secret_access_key = ...`.
    ///
    /// Blank lines and lines starting with `#` or `;` are ignored.
    pub fn parse(text: &str) -> Result<Self, CredentialsFileError> {
        let mut creds = Credentials::open();
        let mut pending_id: Option<(usize, String)> = None;
        let mut pending_secret: Option<(usize, String)> = None;
        let flush = |creds: &mut Credentials,
                     id: &mut Option<(usize, String)>,
                     secret: &mut Option<(usize, String)>|
         -> Result<(), CredentialsFileError> {
            match (id.take(), secret.take()) {
                (Some((_, i)), Some((_, s))) => {
                    creds.insert(i, s);
                    Ok(())
                }
                (None, None) => Ok(()),
                (Some((line, _)), None) => Err(CredentialsFileError::Parse {
                    line,
                    reason: "aws_access_key_id without aws_secret_access_key".into(),
                }),
                (None, Some((line, _))) => Err(CredentialsFileError::Parse {
                    line,
                    reason: "aws_secret_access_key without aws_access_key_id".into(),
                }),
            }
        };
        for (n, raw) in text.lines().enumerate() {
            let line_no = n + 1;
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
                continue;
            }
            if line.starts_with('[') && line.ends_with(']') {
                flush(&mut creds, &mut pending_id, &mut pending_secret)?;
                continue;
            }
            if let Some((k, v)) = line.split_once('=') {
                let (k, v) = (k.trim(), v.trim().to_owned());
                match k {
                    "aws_access_key_id" => pending_id = Some((line_no, v)),
                    "aws_secret_access_key" => pending_secret = Some((line_no, v)),
                    _ => {}
                }
                continue;
            }
            let pair = line
                .split_once(':')
                .or_else(|| line.split_once(char::is_whitespace));
            match pair {
                Some((id, secret)) if !id.trim().is_empty() && !secret.trim().is_empty() => {
                    creds.insert(id.trim(), secret.trim());
                }
                _ => {
                    return Err(CredentialsFileError::Parse {
                        line: line_no,
                        reason: "expected ACCESS_KEY_ID:SECRET".into(),
                    });
                }
            }
        }
        flush(&mut creds, &mut pending_id, &mut pending_secret)?;
        Ok(creds)
    }

    /// Verifies a DynamoDB or CloudWatch Logs request (the expected service of
    /// the credential scope comes from its `X-Amz-Target`: `Logs_…` → `logs`,
    /// else `dynamodb`).
    ///
    /// Open credentials: always `Ok`, with the unverified principal when the
    /// request carries a credential scope. Otherwise `Ok(Some(principal))` for
    /// a valid signature, and the error DynamoDB would send if not.
    pub fn verify(
        &self,
        parts: &http::request::Parts,
        body: &[u8],
        now: SystemTime,
    ) -> Result<Option<Principal>, AuthError> {
        verify::verify(self, parts, body, now, service_for_target(parts))
    }

    /// The checks of [`Credentials::verify`] that need no body (signature
    /// shape, time, scope, known key), made before a body is read so that an
    /// unauthenticated request costs no body buffering. Open: always `Ok`.
    pub fn precheck(&self, parts: &http::request::Parts, now: SystemTime) -> Result<(), AuthError> {
        verify::precheck(self, parts, now, service_for_target(parts))
    }

    /// [`Credentials::verify`] with an explicit service name for the scope.
    pub fn verify_for_service(
        &self,
        parts: &http::request::Parts,
        body: &[u8],
        now: SystemTime,
        service: &str,
    ) -> Result<Option<Principal>, AuthError> {
        verify::verify(self, parts, body, now, service)
    }
}

#[cfg(test)]
mod tests;
