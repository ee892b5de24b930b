//! The S3 side of the port: every request without `X-Amz-Target` goes to
//! `ferry_s3::S3Endpoint` over the embedded bucket store (`<data-dir>/s3/`),
//! which verifies S3 signatures itself when credentials are configured.

use http::{Request, Response};
use http_body_util::BodyExt;
use hyper::body::Incoming;

use crate::http::Body;
use crate::state::AppState;

pub async fn handle(state: &AppState, req: Request<Incoming>) -> Response<Body> {
    state
        .s3
        .call(req)
        .await
        .map(|b| b.map_err(|e| -> crate::http::BoxError { e }).boxed_unsync())
}
