//! HTTP: the accept loop (hyper 1, HTTP/1.1 and HTTP/2), graceful shutdown,
//! and the one service in front of everything. It routes on `X-Amz-Target`
//! (see `router.rs`), reads JSON bodies, and frames every JSON answer the
//! way DynamoDB does: `Content-Type`, `x-amzn-RequestId`, `x-amz-crc32`.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use rand::Rng as _;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::dispatch;
use crate::errors::{ApiError, ErrorCode};
use crate::router::{self, Route};
use crate::state::{AppState, RequestInfo, with_request};

/// A boxed error of a response body.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Response body type of every service on the port.
pub type Body = UnsyncBoxBody<Bytes, BoxError>;

/// Largest JSON request body accepted (DynamoDB's own limit is 16 MB).
const MAX_JSON_BODY: usize = 16 * 1024 * 1024;

/// How long a graceful shutdown waits for in-flight connections.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// Accept connections until `shutdown` turns true, then drain.
pub async fn serve(
    listener: TcpListener,
    state: Arc<AppState>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, _) = match accepted {
                    Ok(s) => s,
                    Err(e) => {
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let state = state.clone();
                let mut stop = shutdown.clone();
                conns.spawn(async move {
                    let svc = hyper::service::service_fn(move |req| {
                        let state = state.clone();
                        async move { Ok::<_, Infallible>(handle(state, req).await) }
                    });
                    let builder = auto::Builder::new(TokioExecutor::new());
                    let conn = builder.serve_connection(TokioIo::new(stream), svc);
                    tokio::pin!(conn);
                    tokio::select! {
                        res = conn.as_mut() => {
                            if let Err(e) = res {
                                tracing::debug!(error = %e, "connection ended with an error");
                            }
                        }
                        _ = stopped(&mut stop) => {
                            conn.as_mut().graceful_shutdown();
                            let _ = conn.await;
                        }
                    }
                });
            }
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
            _ = stopped(&mut shutdown) => break,
        }
    }
    drop(listener);
    let drain = async { while conns.join_next().await.is_some() {} };
    if tokio::time::timeout(DRAIN_TIMEOUT, drain).await.is_err() {
        tracing::warn!("connections still open after the drain timeout; closing them");
        conns.abort_all();
    }
}

/// Resolve once the shutdown flag is set.
async fn stopped(rx: &mut watch::Receiver<bool>) {
    let _ = rx.wait_for(|s| *s).await;
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

async fn handle(state: Arc<AppState>, req: Request<Incoming>) -> Response<Body> {
    // The web console: unsigned browser GET/HEAD under /_console/ (and a
    // browser's GET /) are static files; everything else goes on untouched.
    if let Some(page) = ferry_console::respond(req.method(), req.uri(), req.headers()) {
        return page.map(full);
    }
    let target = req
        .headers()
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok());
    let route = router::route(target);
    if route == Route::S3 {
        return crate::s3::handle(&state, req).await;
    }
    let id = request_id();
    let flavour = match route {
        Route::Logs(_) | Route::LogsUnknown => Flavour::Logs,
        _ => Flavour::DynamoDb,
    };
    if req.method() != Method::POST {
        let mut resp = Response::new(full(&b"<UnknownOperationException/>\n"[..]));
        *resp.status_mut() = StatusCode::NOT_FOUND;
        set_header(&mut resp, "x-amzn-RequestId", &id);
        return resp;
    }
    let (parts, body) = req.into_parts();
    let region = ferry_auth::request_region(&parts).unwrap_or_else(|| state.config.region.clone());
    let body = match Limited::new(body, MAX_JSON_BODY).collect().await {
        Ok(b) => b.to_bytes(),
        Err(e) => {
            tracing::debug!(error = %e, "request body could not be read");
            let err = ApiError::bare(ErrorCode::SerializationException);
            return json_response(flavour, &id, Err(err));
        }
    };
    if let Err(e) = crate::auth::verify(&state, &parts, &body) {
        return json_response(flavour, &id, Err(e));
    }
    let info = RequestInfo {
        region,
        request_id: id.clone(),
    };
    let host = parts
        .headers
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_string)
        .or_else(|| parts.uri.authority().map(|a| a.to_string()));
    let result = with_request(info, async {
        match route {
            Route::DynamoDb(op) => {
                crate::account::with_host(host, dispatch::dynamodb(&state, op, &body)).await
            }
            Route::Logs(op) => dispatch::logs(&state, op, &body).await,
            Route::AdvanceClock => advance_clock(&state, &body).await,
            Route::DynamoDbUnknown | Route::LogsUnknown | Route::UnknownTarget | Route::S3 => {
                Err(ApiError::unknown_operation())
            }
        }
    })
    .await;
    json_response(flavour, &id, result)
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

fn json_response(flavour: Flavour, id: &str, result: Result<Vec<u8>, ApiError>) -> Response<Body> {
    let (status, body) = match result {
        Ok(body) => (StatusCode::OK, body),
        Err(e) => {
            if e.code == ErrorCode::InternalServerError {
                tracing::error!(message = ?e.message, "internal error");
            }
            (e.code.status(), e.body(flavour == Flavour::Logs))
        }
    };
    let crc = crc32fast::hash(&body);
    let mut resp = Response::new(full(body));
    *resp.status_mut() = status;
    let content_type = match flavour {
        Flavour::DynamoDb => "application/x-amz-json-1.0",
        Flavour::Logs => "application/x-amz-json-1.1",
    };
    set_header(&mut resp, "content-type", content_type);
    set_header(&mut resp, "x-amzn-RequestId", id);
    set_header(&mut resp, "x-amz-crc32", &crc.to_string());
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

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
