//! Request bodies of the JSON services (DynamoDB, CloudWatch Logs), read
//! only once they are worth reading:
//!
//! 1. a declared `Content-Length` over [`MAX_JSON_BODY`] is refused with 413
//!    before a byte of the body is read;
//! 2. (the caller checks the signature's header part here);
//! 3. the body's bytes are reserved in the server-wide [`BodyBudget`] (a
//!    semaphore of bytes, `Config::body_memory_limit`): when the budget is
//!    spent, requests wait for it instead of allocating;
//! 4. the body is read within `Config::body_read_timeout` (408 after it) and
//!    never past [`MAX_JSON_BODY`] (413);
//! 5. after the signature is verified over the bytes received, a
//!    `Content-Encoding` of `gzip` or `deflate` is decoded, its output also
//!    limited to [`MAX_JSON_BODY`] (a zip bomb is a 413). Any other encoding,
//!    or data that is not what the encoding says, is a SerializationException
//!    (DynamoDB's answer is not documented; Ferry's wording is its own).

use std::io::Read as _;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::errors::{ApiError, ErrorCode};

/// Largest JSON request body, before and after decompression (DynamoDB's
/// limit is 16 MB).
pub const MAX_JSON_BODY: usize = 16 * 1024 * 1024;

/// The bytes of request bodies that may be in memory at once.
#[derive(Clone)]
pub struct BodyBudget {
    permits: Arc<Semaphore>,
    total: usize,
}

impl BodyBudget {
    pub fn new(total: usize) -> Self {
        let total = total.clamp(1, Semaphore::MAX_PERMITS);
        BodyBudget {
            permits: Arc::new(Semaphore::new(total)),
            total,
        }
    }

    /// Waits until `bytes` (at most the whole budget) are free and holds them
    /// until the returned permit is dropped.
    pub async fn reserve(&self, bytes: usize) -> Result<OwnedSemaphorePermit, ApiError> {
        let n = u32::try_from(bytes.clamp(1, self.total)).unwrap_or(u32::MAX);
        self.permits
            .clone()
            .acquire_many_owned(n)
            .await
            .map_err(|_| ApiError::internal("Internal server error"))
    }
}

/// How a body is encoded (`Content-Encoding`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Identity,
    Gzip,
    Deflate,
}

/// The declared `Content-Encoding`, or the refusal of one Ferry cannot decode.
pub fn encoding(parts: &http::request::Parts) -> Result<Encoding, ApiError> {
    let mut found = Encoding::Identity;
    for value in parts.headers.get_all(http::header::CONTENT_ENCODING) {
        let text = value.to_str().unwrap_or("\u{fffd}");
        for token in text.split(',').map(str::trim).filter(|t| !t.is_empty()) {
            let this = match token.to_ascii_lowercase().as_str() {
                "identity" => continue,
                "gzip" | "x-gzip" => Encoding::Gzip,
                "deflate" => Encoding::Deflate,
                _ => return Err(unsupported_encoding(token)),
            };
            if found != Encoding::Identity {
                return Err(ApiError::serialization(
                    "Only one Content-Encoding (gzip or deflate) may be applied to a request body",
                ));
            }
            found = this;
        }
    }
    Ok(found)
}

fn unsupported_encoding(token: &str) -> ApiError {
    ApiError::serialization(format!(
        "Content-Encoding '{token}' is not supported; send gzip, deflate or identity"
    ))
}

/// The declared `Content-Length`, refused with 413 when over the limit.
pub fn declared_length(parts: &http::request::Parts) -> Result<Option<usize>, ApiError> {
    let Some(value) = parts.headers.get(http::header::CONTENT_LENGTH) else {
        return Ok(None);
    };
    match value
        .to_str()
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
    {
        Some(n) if n <= MAX_JSON_BODY as u64 => Ok(usize::try_from(n).ok()),
        // hyper itself refuses an unparsable Content-Length; anything it lets
        // through that is not a small number is too large.
        _ => Err(ApiError::bare(ErrorCode::RequestEntityTooLarge)),
    }
}

/// The bytes to reserve for a body of `declared` length and `encoding`.
pub fn reservation(declared: Option<usize>, encoding: Encoding) -> usize {
    let raw = declared.unwrap_or(MAX_JSON_BODY);
    match encoding {
        Encoding::Identity => raw,
        Encoding::Gzip | Encoding::Deflate => raw.saturating_add(MAX_JSON_BODY),
    }
}

/// Reads the whole body, at most [`MAX_JSON_BODY`] bytes, within `timeout`.
pub async fn read(body: Incoming, timeout: Duration) -> Result<Bytes, ApiError> {
    match tokio::time::timeout(timeout, Limited::new(body, MAX_JSON_BODY).collect()).await {
        Err(_) => Err(ApiError::bare(ErrorCode::RequestTimeout)),
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => {
            Err(ApiError::bare(ErrorCode::RequestEntityTooLarge))
        }
        Ok(Err(e)) => {
            tracing::debug!(error = %e, "request body could not be read");
            Err(ApiError::bare(ErrorCode::SerializationException))
        }
    }
}

/// Decodes `raw` per `encoding`, refusing output over [`MAX_JSON_BODY`].
pub async fn decode(raw: Bytes, encoding: Encoding) -> Result<Bytes, ApiError> {
    if encoding == Encoding::Identity {
        return Ok(raw);
    }
    tokio::task::spawn_blocking(move || decode_blocking(&raw, encoding)).await?
}

fn decode_blocking(raw: &[u8], encoding: Encoding) -> Result<Bytes, ApiError> {
    let limit = MAX_JSON_BODY as u64 + 1;
    let mut out = Vec::new();
    let read = match encoding {
        Encoding::Identity => return Ok(Bytes::copy_from_slice(raw)),
        Encoding::Gzip => flate2::read::MultiGzDecoder::new(raw)
            .take(limit)
            .read_to_end(&mut out),
        // HTTP's `deflate` is zlib-wrapped (RFC 9110); some clients send a
        // raw deflate stream, told apart by the zlib header check.
        Encoding::Deflate if is_zlib_header(raw) => flate2::read::ZlibDecoder::new(raw)
            .take(limit)
            .read_to_end(&mut out),
        Encoding::Deflate => flate2::read::DeflateDecoder::new(raw)
            .take(limit)
            .read_to_end(&mut out),
    };
    match read {
        Ok(_) if out.len() > MAX_JSON_BODY => Err(ApiError::bare(ErrorCode::RequestEntityTooLarge)),
        Ok(_) => Ok(Bytes::from(out)),
        Err(_) => Err(ApiError::serialization(format!(
            "The request body is not valid {} data",
            match encoding {
                Encoding::Gzip => "gzip",
                _ => "deflate",
            }
        ))),
    }
}

fn is_zlib_header(raw: &[u8]) -> bool {
    match raw {
        [cmf, flg, ..] => cmf & 0x0f == 8 && (u16::from(*cmf) << 8 | u16::from(*flg)) % 31 == 0,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use super::*;

    fn gzip(data: &[u8]) -> Bytes {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        e.write_all(data).unwrap();
        Bytes::from(e.finish().unwrap())
    }

    #[tokio::test]
    async fn the_budget_makes_requests_wait_instead_of_allocating() {
        use futures::FutureExt as _;
        let budget = BodyBudget::new(100);
        let first = budget.reserve(60).await.unwrap();
        // 60 + 60 > 100: the second waits; asking for more than the whole
        // budget waits for all of it (never for ever).
        assert!(budget.reserve(60).now_or_never().is_none());
        assert!(budget.reserve(usize::MAX).now_or_never().is_none());
        let small = budget.reserve(40).now_or_never();
        assert!(small.is_some());
        drop(small);
        drop(first);
        assert!(budget.reserve(usize::MAX).now_or_never().is_some());
    }

    #[test]
    fn decodes_within_the_limit_and_refuses_bombs() {
        let body = br#"{"TableName":"t"}"#;
        assert_eq!(
            decode_blocking(&gzip(body), Encoding::Gzip).unwrap(),
            &body[..]
        );
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
        z.write_all(body).unwrap();
        let z = z.finish().unwrap();
        assert_eq!(decode_blocking(&z, Encoding::Deflate).unwrap(), &body[..]);
        let mut d = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
        d.write_all(body).unwrap();
        let d = d.finish().unwrap();
        assert_eq!(decode_blocking(&d, Encoding::Deflate).unwrap(), &body[..]);

        let bomb = gzip(&vec![b' '; MAX_JSON_BODY + 1]);
        assert!(bomb.len() < 100_000);
        assert_eq!(
            decode_blocking(&bomb, Encoding::Gzip).unwrap_err().code,
            ErrorCode::RequestEntityTooLarge
        );
        assert_eq!(
            decode_blocking(body, Encoding::Gzip).unwrap_err(),
            ApiError::serialization("The request body is not valid gzip data")
        );
    }
}
