//! [`S3Endpoint`]: the entry the server calls for every non-`X-Amz-Target`
//! request. It wraps the s3s service around [`FerryS3`]:
//!
//! - credentials configured: s3s verifies SigV4 (headers, presigned URLs,
//!   aws-chunked) with [`ferry_auth::S3Credentials`]; unsigned requests get
//!   `AccessDenied`, unknown keys `InvalidAccessKeyId`, bad signatures
//!   `SignatureDoesNotMatch` (all 403).
//! - open mode: signatures are removed before s3s sees the request (s3s
//!   would otherwise need the signer's secret), and aws-chunked bodies are
//!   decoded by [`crate::chunked`].
//!
//! Errors s3s produces itself get S3's wording, and every response carries an
//! `x-amz-request-id`.

use std::sync::Arc;

use bytes::Bytes;
use ferry_auth::{Credentials, S3Credentials};
use ferry_objects::BucketStore;
use http::{HeaderValue, Request, Response, StatusCode};
use s3s::access::{S3Access, S3AccessContext};
use s3s::service::{S3Service, S3ServiceBuilder};
use s3s::{Body, S3ErrorCode, S3Result};

use crate::access::{Accounts, IamAccess};
use crate::chunked::AwsChunkedDecoder;
use crate::errors::{err, msg};
use crate::s3::FerryS3;

/// Refuses unsigned requests with S3's `AccessDenied` (only installed when
/// credentials are configured).
struct RequireSignature;

#[async_trait::async_trait]
impl S3Access for RequireSignature {
    async fn check(&self, cx: &mut S3AccessContext<'_>) -> S3Result<()> {
        match cx.credentials() {
            Some(_) => Ok(()),
            None => Err(err(S3ErrorCode::AccessDenied, msg::ACCESS_DENIED)),
        }
    }
}

/// Ferry's S3 endpoint over its embedded bucket store.
#[derive(Clone)]
pub struct S3Endpoint {
    service: S3Service,
    open: bool,
}

impl std::fmt::Debug for S3Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Endpoint")
            .field("open", &self.open)
            .finish_non_exhaustive()
    }
}

const PRESIGN_PARAMS: [&str; 10] = [
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-Expires",
    "X-Amz-SignedHeaders",
    "X-Amz-Signature",
    "X-Amz-Security-Token",
    "AWSAccessKeyId",
    "Signature",
    "Expires",
];

impl S3Endpoint {
    /// Builds the endpoint. With empty credentials every request is accepted;
    /// with `accounts` (an IAM file) every request is authorized.
    pub fn new(
        store: Arc<BucketStore>,
        credentials: Arc<Credentials>,
        accounts: Option<Accounts>,
    ) -> Self {
        let open = credentials.is_open();
        let mut s3 = FerryS3::new(store.clone());
        if let Some(a) = &accounts {
            s3 = s3.with_accounts(a.clone());
        }
        let mut b = S3ServiceBuilder::new(s3);
        if !open {
            b.set_auth(S3Credentials(credentials));
            match accounts {
                Some(accounts) => b.set_access(IamAccess { accounts, store }),
                None => b.set_access(RequireSignature),
            }
        }
        S3Endpoint {
            service: b.build(),
            open,
        }
    }

    /// Serves one request straight from hyper.
    pub async fn call(&self, req: Request<hyper::body::Incoming>) -> Response<Body> {
        self.call_body(req.map(Body::from)).await
    }

    /// Serves one request with any s3s body.
    pub async fn call_body(&self, mut req: Request<Body>) -> Response<Body> {
        if self.open {
            strip_signature(&mut req);
        } else if let Some(message) = expires_problem(req.uri()) {
            let mut r = Response::new(Body::from(error_xml(
                "AuthorizationQueryParametersError",
                message,
            )));
            *r.status_mut() = StatusCode::BAD_REQUEST;
            return finish_response(r);
        }
        let resp = match self.service.call(req).await {
            Ok(r) => r,
            Err(e) => {
                tracing::error!(error = ?e, "s3 service failed");
                return internal_error();
            }
        };
        if resp.status().is_client_error() {
            // One line per refused request, at debug: refusals are the
            // client's business (s3s' own ERROR lines are filtered out).
            tracing::debug!(status = resp.status().as_u16(), "s3 request refused");
        }
        finish_response(resp)
    }
}

/// S3's refusal of a presigned URL's `X-Amz-Expires` that s3s does not make
/// itself: more than seven days (S3's wording), or not a number (MinIO's
/// wording; S3's own is not documented).
fn expires_problem(uri: &http::Uri) -> Option<&'static str> {
    let raw = uri
        .query()?
        .split('&')
        .find_map(|p| p.strip_prefix("X-Amz-Expires="))?;
    if raw.is_empty() || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return Some(msg::EXPIRES_NOT_A_NUMBER);
    }
    match raw.parse::<u64>() {
        Ok(secs) if secs <= ferry_auth::MAX_EXPIRES_SECS.unsigned_abs() => None,
        _ => Some(ferry_auth::EXPIRES_TOO_LONG_MESSAGE),
    }
}

/// Open mode: remove the signature (header or query) and decode aws-chunked
/// framing, so that s3s treats the request as anonymous.
fn strip_signature(req: &mut Request<Body>) {
    let headers = req.headers_mut();
    headers.remove(http::header::AUTHORIZATION);
    let streaming = headers
        .get("x-amz-content-sha256")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("STREAMING-"));
    let encoding_chunked = headers
        .get_all(http::header::CONTENT_ENCODING)
        .iter()
        .any(|v| {
            v.to_str()
                .unwrap_or_default()
                .split(',')
                .any(|t| t.trim() == "aws-chunked")
        });
    headers.remove("x-amz-content-sha256");

    if let Some(q) = req.uri().query()
        && PRESIGN_PARAMS.iter().any(|p| q.contains(p))
    {
        let kept: Vec<&str> = q
            .split('&')
            .filter(|pair| {
                let name = pair.split('=').next().unwrap_or_default();
                !PRESIGN_PARAMS.contains(&name)
            })
            .collect();
        let path = req.uri().path().to_owned();
        let pq = if kept.is_empty() {
            path
        } else {
            format!("{path}?{}", kept.join("&"))
        };
        let mut parts = req.uri().clone().into_parts();
        if let Ok(p) = pq.parse() {
            parts.path_and_query = Some(p);
            if let Ok(u) = http::Uri::from_parts(parts) {
                *req.uri_mut() = u;
            }
        }
    }

    if streaming || encoding_chunked {
        let headers = req.headers_mut();
        let decoded = headers
            .get("x-amz-decoded-content-length")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        match decoded {
            Some(n) => {
                headers.insert(http::header::CONTENT_LENGTH, HeaderValue::from(n));
            }
            None => {
                headers.remove(http::header::CONTENT_LENGTH);
            }
        }
        strip_aws_chunked_encoding(headers);
        let body = std::mem::take(req.body_mut());
        let (decoder, trailers) = AwsChunkedDecoder::new(body, decoded);
        *req.body_mut() = Body::from(Box::pin(decoder) as s3s::stream::DynByteStream);
        req.extensions_mut().insert(trailers);
    }
}

/// Removes the `aws-chunked` token from `Content-Encoding`.
pub fn strip_aws_chunked_encoding(headers: &mut http::HeaderMap) {
    let rest: Vec<String> = headers
        .get_all(http::header::CONTENT_ENCODING)
        .iter()
        .flat_map(|v| {
            v.to_str()
                .unwrap_or_default()
                .split(',')
                .map(|t| t.trim().to_owned())
                .collect::<Vec<_>>()
        })
        .filter(|t| !t.is_empty() && t != "aws-chunked")
        .collect();
    headers.remove(http::header::CONTENT_ENCODING);
    if !rest.is_empty()
        && let Ok(v) = HeaderValue::from_str(&rest.join(", "))
    {
        headers.insert(http::header::CONTENT_ENCODING, v);
    }
}

/// S3's `InternalError` (500): a failed service, or (from the server) a
/// request whose handler panicked.
pub fn internal_error() -> Response<Body> {
    let mut r = Response::new(Body::from(error_xml("InternalError", msg::INTERNAL)));
    *r.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    finish_response(r)
}

fn error_xml(code: &str, message: &str) -> Bytes {
    Bytes::from(format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>{message}</Message></Error>"
    ))
}

/// S3's wording for errors s3s raises itself during authentication.
fn polished(code: &str) -> Option<&'static str> {
    match code {
        "SignatureDoesNotMatch" => Some(msg::SIGNATURE),
        "RequestTimeTooSkewed" => Some(msg::SKEWED),
        "XAmzContentSHA256Mismatch" => Some(msg::CONTENT_SHA256),
        _ => None,
    }
}

fn finish_response(mut resp: Response<Body>) -> Response<Body> {
    if resp.status().is_client_error()
        && let Some(bytes) = resp.body().bytes()
        && let Ok(text) = std::str::from_utf8(&bytes)
        && let Some(code) = text
            .split_once("<Code>")
            .and_then(|(_, r)| r.split_once("</Code>"))
            .map(|(c, _)| c.to_owned())
        && let Some(message) = polished(&code)
    {
        let body = error_xml(&code, message);
        resp.headers_mut()
            .insert(http::header::CONTENT_LENGTH, HeaderValue::from(body.len()));
        *resp.body_mut() = Body::from(body);
    }
    let id = uuid::Uuid::new_v4()
        .simple()
        .to_string()
        .to_ascii_uppercase();
    if let Ok(v) = HeaderValue::from_str(&id[..16]) {
        resp.headers_mut().insert("x-amz-request-id", v);
    }
    resp
}
