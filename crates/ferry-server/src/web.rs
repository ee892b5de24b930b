//! What DynamoDB's front end does besides the API, for browsers, load
//! balancers and clients that compress:
//!
//! - CORS: a request with an `Origin` gets `Access-Control-Allow-Origin: *`
//!   and the headers a browser may read exposed; a preflight (`OPTIONS` with
//!   `Origin`) is answered 200 with the requested method and headers allowed
//!   and `Access-Control-Max-Age: 172800`, as DynamoDB answers it. CORS
//!   applies to the JSON services; S3's per-bucket CORS is not implemented.
//! - Health: a bare `GET /` (no query, signature or SDK header) answers
//!   DynamoDB's health line,
//!   `healthy: dynamodb.<region>.amazonaws.com ` (trailing space included:
//!   health checkers and container wait strategies match it whole).
//! - Responses: every JSON answer carries `Server: Server`; with
//!   `Accept-Encoding: gzip` an answer over [`GZIP_MIN_BYTES`] is gzipped and
//!   its `x-amz-crc32` is the CRC32 of the compressed bytes, the bytes on the
//!   wire (what the Java and Go SDKs check).

use std::io::Write as _;

use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode};

/// Answers below this size are sent uncompressed whatever the client accepts
/// (Ferry's threshold: compressing a small answer costs more than it saves).
pub const GZIP_MIN_BYTES: usize = 1024;

/// The headers a browser script may read from an answer.
const EXPOSED_HEADERS: &str =
    "x-amzn-RequestId,x-amzn-ErrorType,x-amzn-ErrorMessage,Date,x-amz-crc32";

/// How long a browser may cache a preflight answer (DynamoDB's value).
const PREFLIGHT_MAX_AGE: &str = "172800";

/// True for a request that must be answered by [`preflight`].
pub fn is_preflight<B>(req: &Request<B>) -> bool {
    req.method() == Method::OPTIONS && req.headers().contains_key(http::header::ORIGIN)
}

/// True for a health check: a bare `GET /` (no query, no signature, no
/// AWS SDK header). Anything more is S3's ListBuckets, signed or anonymous
/// (an anonymous SDK call keeps getting S3's `AccessDenied`).
pub fn is_health_check<B>(req: &Request<B>) -> bool {
    req.method() == Method::GET
        && req.uri().path() == "/"
        && req.uri().query().is_none_or(str::is_empty)
        && !req.headers().keys().any(|name| {
            let name = name.as_str();
            name == "authorization" || name.starts_with("x-amz-") || name.starts_with("amz-sdk-")
        })
}

/// The health line for `region`.
pub fn health_line(region: &str) -> String {
    format!("healthy: dynamodb.{region}.amazonaws.com ")
}

/// The answer to a CORS preflight.
pub fn preflight<B: Default>(headers: &HeaderMap) -> Response<B> {
    let mut resp = Response::new(B::default());
    *resp.status_mut() = StatusCode::OK;
    let out = resp.headers_mut();
    out.insert("access-control-allow-origin", HeaderValue::from_static("*"));
    if let Some(h) = headers.get("access-control-request-headers") {
        out.insert("access-control-allow-headers", h.clone());
    }
    if let Some(m) = headers.get("access-control-request-method") {
        out.insert("access-control-allow-methods", m.clone());
    }
    out.insert(
        "access-control-max-age",
        HeaderValue::from_static(PREFLIGHT_MAX_AGE),
    );
    out.insert(http::header::CONTENT_LENGTH, HeaderValue::from(0));
    resp
}

/// The headers every JSON-service answer carries: `Server`, and CORS ones
/// when the request came from a browser (`Origin`).
pub fn decorate(request: &HeaderMap, out: &mut HeaderMap) {
    out.insert(http::header::SERVER, HeaderValue::from_static("Server"));
    if request.contains_key(http::header::ORIGIN) {
        out.insert("access-control-allow-origin", HeaderValue::from_static("*"));
        out.insert(
            "access-control-expose-headers",
            HeaderValue::from_static(EXPOSED_HEADERS),
        );
    }
}

/// True when the client takes gzip (`Accept-Encoding` lists it with a
/// non-zero quality).
pub fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(http::header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|token| {
            let mut parts = token.split(';').map(str::trim);
            let name = parts.next().unwrap_or_default();
            let zero = parts.any(|p| {
                p.strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            name.eq_ignore_ascii_case("gzip") && !zero
        })
}

/// `body` gzipped when the client takes it and it is worth it; `None` to send
/// it as it is.
pub fn gzip(body: &[u8]) -> Option<Vec<u8>> {
    if body.len() < GZIP_MIN_BYTES {
        return None;
    }
    let mut enc = flate2::write::GzEncoder::new(
        Vec::with_capacity(body.len() / 4),
        flate2::Compression::fast(),
    );
    enc.write_all(body).ok()?;
    enc.finish().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| {
                (
                    http::header::HeaderName::from_static(k),
                    HeaderValue::from_static(v),
                )
            })
            .collect()
    }

    #[test]
    fn reads_accept_encoding() {
        assert!(accepts_gzip(&headers(&[("accept-encoding", "gzip")])));
        assert!(accepts_gzip(&headers(&[(
            "accept-encoding",
            "br, GZIP;q=0.5"
        )])));
        assert!(!accepts_gzip(&headers(&[("accept-encoding", "gzip;q=0")])));
        assert!(!accepts_gzip(&headers(&[("accept-encoding", "identity")])));
        assert!(!accepts_gzip(&HeaderMap::new()));
    }

    #[test]
    fn small_answers_stay_plain() {
        assert_eq!(gzip(b"{}"), None);
        assert!(gzip(&[b'a'; 4096]).is_some_and(|g| g.len() < 100));
    }
}
