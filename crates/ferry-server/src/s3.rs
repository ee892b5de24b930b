//! The S3 side of the port: every request without `X-Amz-Target` goes to
//! `ferry_s3::S3Endpoint` over the embedded bucket store (`<data-dir>/s3/`),
//! which verifies S3 signatures itself when credentials are configured.
//! Bodies stream (s3s hands PutObject/UploadPart bodies to the store chunk
//! by chunk); a body that stalls for the body-read timeout ends in an error.

use std::time::Duration;

use http::{Request, Response};
use http_body_util::BodyExt;
use hyper::body::Incoming;

use crate::conn::IdleBody;
use crate::http::Body;
use crate::state::AppState;

pub async fn handle(
    state: &AppState,
    body_read_timeout: Duration,
    req: Request<Incoming>,
) -> Response<Body> {
    let req = req.map(|b| s3s::Body::http_body_unsync(IdleBody::new(b, body_read_timeout)));
    boxed(state.s3.call_body(req).await)
}

/// S3's `InternalError` for a request whose handler panicked.
pub fn internal_error() -> Response<Body> {
    boxed(ferry_s3::internal_error())
}

fn boxed(resp: Response<s3s::Body>) -> Response<Body> {
    resp.map(|b| b.map_err(|e| -> crate::http::BoxError { e }).boxed_unsync())
}
