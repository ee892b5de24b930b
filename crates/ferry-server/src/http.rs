//! HTTP: the one service in front of everything (connections, their cap and
//! timeouts are `conn.rs`'s). It answers CORS preflights and the health
//! check (`web.rs`), sends requests without `X-Amz-Target` to S3, routes the
//! rest on `X-Amz-Target` (see `router.rs`), reads JSON bodies only after the
//! signature's header part passed and within the limits of `intake.rs`, and
//! frames every JSON answer the way DynamoDB does: `Content-Type`,
//! `x-amzn-RequestId`, `x-amz-crc32`, `Server`, CORS, gzip when asked.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use rand::Rng as _;

use crate::dispatch;
use crate::errors::{ApiError, ErrorCode};
use crate::intake::{self, BodyBudget};
use crate::router::{self, Route};
use crate::state::{AppState, RequestInfo, with_request};
use crate::web;

/// A boxed error of a response body.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Response body type of every service on the port.
pub type Body = UnsyncBoxBody<Bytes, BoxError>;

/// The server-wide request limits (built once from the `Config`).
pub struct Limits {
    pub budget: BodyBudget,
    pub body_read_timeout: Duration,
}

impl Limits {
    pub fn new(config: &crate::Config) -> Self {
        Limits {
            budget: BodyBudget::new(config.body_memory_limit),
            body_read_timeout: config.body_read_timeout,
        }
    }
}

fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into())
        .map_err(|never| match never {})
        .boxed_unsync()
}

/// A 52-character request id like DynamoDB's (upper-case letters and digits).
pub fn request_id() -> String {
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut rng = rand::rng();
    (0..52)
        .map(|_| CHARS[rng.random_range(0..CHARS.len())] as char)
        .collect()
}

/// Which JSON protocol flavour an answer is framed in.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Flavour {
    DynamoDb,
    Logs,
}

/// Serves `req` with [`handle`]; if serving it panics (a defect: no input
/// should reach a panic), the panic hook has logged it in one line and the
/// client gets a 500 in its protocol's form instead of a dropped connection:
/// DynamoDB's and Logs' `InternalServerError`, S3's `InternalError`.
pub async fn handle_caught(
    state: Arc<AppState>,
    limits: Arc<Limits>,
    req: Request<Incoming>,
) -> Response<Body> {
    // Only what the 500 answer reads (its protocol, CORS, gzip): copying the
    // whole header map cost an allocation per header on every request.
    let mut headers = HeaderMap::new();
    for name in [
        http::HeaderName::from_static("x-amz-target"),
        http::header::ORIGIN,
        http::header::ACCEPT_ENCODING,
    ] {
        for value in req.headers().get_all(&name) {
            headers.append(&name, value.clone());
        }
    }
    caught(&headers, handle(state, limits, req)).await
}

/// `serve`'s response, or the 500 for a request with `headers` if it panics.
async fn caught(
    headers: &HeaderMap,
    serve: impl Future<Output = Response<Body>>,
) -> Response<Body> {
    use futures::FutureExt as _;
    match std::panic::AssertUnwindSafe(serve).catch_unwind().await {
        Ok(resp) => resp,
        Err(_) => panicked(headers),
    }
}

/// The answer to a request whose handler panicked.
fn panicked(headers: &HeaderMap) -> Response<Body> {
    let target = headers.get("x-amz-target").and_then(|v| v.to_str().ok());
    let flavour = match router::route(target) {
        Route::S3 => return crate::s3::internal_error(),
        Route::Logs(_) | Route::LogsUnknown => Flavour::Logs,
        _ => Flavour::DynamoDb,
    };
    let id = request_id();
    let reply = Reply {
        flavour,
        id: &id,
        request: headers,
    };
    reply.send(Err(ApiError::internal("Internal server error")))
}

pub async fn handle(
    state: Arc<AppState>,
    limits: Arc<Limits>,
    req: Request<Incoming>,
) -> Response<Body> {
    // The web console: unsigned browser GET/HEAD under /_console/ (and a
    // browser's GET /) are static files; everything else goes on untouched.
    if let Some(page) = ferry_console::respond(req.method(), req.uri(), req.headers()) {
        return page.map(full);
    }
    if web::is_preflight(&req) {
        let mut resp = web::preflight::<Body>(req.headers());
        set_header(&mut resp, "x-amzn-RequestId", &request_id());
        return resp;
    }
    if web::is_health_check(&req) {
        return health(&state, req.headers());
    }
    let target = req
        .headers()
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok());
    let route = router::route(target);
    if route == Route::S3 {
        return crate::s3::handle(&state, limits.body_read_timeout, req).await;
    }
    let id = request_id();
    let flavour = match route {
        Route::Logs(_) | Route::LogsUnknown => Flavour::Logs,
        _ => Flavour::DynamoDb,
    };
    let (parts, body) = req.into_parts();
    let reply = Reply {
        flavour,
        id: &id,
        request: &parts.headers,
    };
    if parts.method != Method::POST {
        let mut resp = Response::new(full(&b"<UnknownOperationException/>\n"[..]));
        *resp.status_mut() = StatusCode::NOT_FOUND;
        set_header(&mut resp, "x-amzn-RequestId", &id);
        web::decorate(&parts.headers, resp.headers_mut());
        return resp;
    }
    let region = ferry_auth::request_region(&parts).unwrap_or_else(|| state.config.region.clone());
    let mut body = match read_body(&state, &limits, &parts, body).await {
        Ok(b) => b,
        Err(e) => return reply.send(Err(e)),
    };
    let info = RequestInfo {
        region,
        caller: body.caller.take().map(Arc::new),
    };
    let host = parts
        .headers
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_string)
        .or_else(|| parts.uri.authority().map(|a| a.to_string()));
    let result = with_request(info, async {
        crate::iam::authorize(&state, route, &body.bytes)?;
        match route {
            Route::DynamoDb(op) => {
                crate::account::with_host(host, dispatch::dynamodb(&state, op, &body.bytes)).await
            }
            Route::Logs(op) => dispatch::logs(&state, op, &body.bytes).await,
            Route::Streams(op) => dispatch::streams(&state, op, &body.bytes).await,
            Route::AdvanceClock => advance_clock(&state, &body.bytes).await,
            Route::DynamoDbUnknown
            | Route::LogsUnknown
            | Route::StreamsUnknown
            | Route::UnknownTarget
            | Route::S3 => Err(ApiError::unknown_operation()),
        }
    })
    .await;
    drop(body);
    reply.send(result)
}

/// A request body in memory, with its share of the body budget.
struct HeldBody {
    bytes: Bytes,
    /// The verified caller, with an IAM file.
    caller: Option<crate::iam::Caller>,
    _reserved: tokio::sync::OwnedSemaphorePermit,
}

/// Everything between a request's head and its handler: the size and
/// signature checks that need no body, the budget, the read, the signature
/// over the bytes received, then decompression.
async fn read_body(
    state: &AppState,
    limits: &Limits,
    parts: &http::request::Parts,
    body: Incoming,
) -> Result<HeldBody, ApiError> {
    let declared = intake::declared_length(parts)?;
    crate::auth::precheck(state, parts)?;
    let encoding = intake::encoding(parts)?;
    let reserved = limits
        .budget
        .reserve(intake::reservation(declared, encoding))
        .await?;
    let raw = intake::read(body, limits.body_read_timeout).await?;
    let caller = crate::auth::verify(state, parts, &raw)?;
    let bytes = intake::decode(raw, encoding).await?;
    Ok(HeldBody {
        bytes,
        caller,
        _reserved: reserved,
    })
}

/// The health line (an unsigned `GET /` that is not a browser's: browsers
/// are sent to the console first, `ferry_console::respond`).
fn health(state: &AppState, request: &HeaderMap) -> Response<Body> {
    let line = web::health_line(&state.config.region);
    let crc = crc32fast::hash(line.as_bytes());
    let mut resp = Response::new(full(line));
    set_header(&mut resp, "content-type", "text/plain");
    set_header(&mut resp, "x-amzn-RequestId", &request_id());
    set_header(&mut resp, "x-amz-crc32", &crc.to_string());
    web::decorate(request, resp.headers_mut());
    resp
}

/// `FerryTest.AdvanceClock` with `{"Micros": n}`: move the engine clock,
/// then run a time-to-live sweep so that tests see expiry at once.
async fn advance_clock(state: &AppState, body: &[u8]) -> Result<Vec<u8>, ApiError> {
    if !state.config.test_clock {
        return Err(ApiError::unknown_operation());
    }
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Advance {
        micros: i64,
    }
    let a: Advance = crate::wire::parse(body)?;
    if a.micros < 0 {
        return Err(ApiError::validation("Micros must not be negative"));
    }
    state.engine.clock().advance(a.micros);
    let engine = state.engine.clone();
    tokio::task::spawn_blocking(move || crate::ttl::sweep(&engine)).await?;
    Ok(b"{}".to_vec())
}

fn set_header(resp: &mut Response<Body>, name: &'static str, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        resp.headers_mut().insert(name, v);
    }
}

/// How a JSON answer is framed for one request.
struct Reply<'a> {
    flavour: Flavour,
    id: &'a str,
    request: &'a HeaderMap,
}

impl Reply<'_> {
    fn send(&self, result: Result<Vec<u8>, ApiError>) -> Response<Body> {
        let (status, body, has_body) = match result {
            Ok(body) => (StatusCode::OK, body, true),
            Err(e) => {
                if e.code == ErrorCode::InternalServerError {
                    tracing::error!(message = ?e.message, "internal error");
                }
                let has_body = e.code.has_body();
                (
                    e.code.status(),
                    e.body(self.flavour == Flavour::Logs),
                    has_body,
                )
            }
        };
        let gzipped = web::accepts_gzip(self.request)
            .then(|| web::gzip(&body))
            .flatten();
        let compressed = gzipped.is_some();
        let body = gzipped.unwrap_or(body);
        let crc = crc32fast::hash(&body);
        let mut resp = Response::new(full(body));
        *resp.status_mut() = status;
        if has_body {
            let content_type = match self.flavour {
                Flavour::DynamoDb => "application/x-amz-json-1.0",
                Flavour::Logs => "application/x-amz-json-1.1",
            };
            set_header(&mut resp, "content-type", content_type);
            set_header(&mut resp, "x-amz-crc32", &crc.to_string());
        } else {
            // An HTTP-level refusal: the rest of the request is not read.
            set_header(&mut resp, "connection", "close");
        }
        if compressed {
            set_header(&mut resp, "content-encoding", "gzip");
        }
        set_header(&mut resp, "x-amzn-RequestId", self.id);
        web::decorate(self.request, resp.headers_mut());
        resp
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn answer_to_panic(target: Option<&str>) -> (StatusCode, String) {
        let mut headers = HeaderMap::new();
        if let Some(t) = target {
            headers.insert("x-amz-target", HeaderValue::from_str(t).unwrap());
        }
        let resp = caught(&headers, async { panic!("a defect") }).await;
        let status = resp.status();
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        (status, String::from_utf8(body.to_vec()).unwrap())
    }

    #[tokio::test]
    async fn a_panicking_request_is_answered_500_in_its_protocol() {
        let (status, body) = answer_to_panic(Some("DynamoDB_20120810.PutItem")).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(
            body,
            r#"{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"Internal server error"}"#
        );
        let (status, body) = answer_to_panic(None).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(body.contains("<Code>InternalError</Code>"), "{body}");
    }

    #[test]
    fn request_ids_look_like_dynamodbs() {
        let id = request_id();
        assert_eq!(id.len(), 52);
        assert!(
            id.bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        );
    }
}
