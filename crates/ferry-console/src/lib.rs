//! Ferry's web console: the static HTML, CSS and JavaScript under `assets/`,
//! embedded in the binary with `include_bytes!`, and the one function the
//! server calls to answer browser requests for them.
//!
//! The console is a client like any SDK: the page signs its own requests with
//! SigV4 and talks to the DynamoDB, S3 and Logs APIs on the same port. This
//! crate therefore knows no other Ferry crate; it serves files and nothing else.
//!
//! [`respond`] answers only *unsigned* `GET`/`HEAD` requests under
//! [`PREFIX`], and sends a browser's unsigned `GET /` there. Every other request
//! (all signed ones included) gets `None` and goes on to the APIs untouched.

mod assets;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, Response, StatusCode, Uri, header};

pub use assets::{Asset, asset};

/// Where the console lives. S3 bucket names cannot start with `_`, so this
/// never shadows a bucket.
pub const PREFIX: &str = "/_console/";

/// The page's security policy: everything from this origin only, no inline
/// script or style, never framed.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
                   frame-ancestors 'none'";

/// The console's answer to a request, or `None` when the request is not for
/// the console (it then goes to the APIs).
pub fn respond(method: &Method, uri: &Uri, headers: &HeaderMap) -> Option<Response<Bytes>> {
    if (method != Method::GET && method != Method::HEAD) || is_signed(uri, headers) {
        return None;
    }
    let path = uri.path();
    if path == "/" {
        return (method == Method::GET && prefers_html(headers)).then(|| redirect(PREFIX));
    }
    if path == PREFIX.trim_end_matches('/') {
        return Some(redirect(PREFIX));
    }
    let rest = path.strip_prefix(PREFIX)?;
    let name = if rest.is_empty() { "index.html" } else { rest };
    let resp = match asset(name) {
        Some(a) => serve(a, method, headers),
        None => plain(StatusCode::NOT_FOUND, "not found\n"),
    };
    Some(resp)
}

/// A request carries a SigV4 signature in its headers or its query string.
fn is_signed(uri: &Uri, headers: &HeaderMap) -> bool {
    headers.contains_key(header::AUTHORIZATION)
        || headers.contains_key("x-amz-target")
        || uri.query().is_some_and(|q| {
            q.split('&')
                .any(|p| p.starts_with("X-Amz-Signature=") || p.starts_with("X-Amz-Credential="))
        })
}

/// The `Accept` header names `text/html` (with a non-zero quality): a browser
/// navigating, not an SDK.
fn prefers_html(headers: &HeaderMap) -> bool {
    let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    accept.split(',').any(|range| {
        let mut parts = range.split(';').map(str::trim);
        let media = parts.next().unwrap_or_default();
        let zero = parts.any(|p| {
            p.strip_prefix("q=")
                .is_some_and(|q| q.parse::<f32>().is_ok_and(|q| q <= 0.0))
        });
        media.eq_ignore_ascii_case("text/html") && !zero
    })
}

fn serve(a: &Asset, method: &Method, headers: &HeaderMap) -> Response<Bytes> {
    let etag = a.etag();
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let (status, body) = if fresh {
        (StatusCode::NOT_MODIFIED, Bytes::new())
    } else if method == Method::HEAD {
        (StatusCode::OK, Bytes::new())
    } else {
        (StatusCode::OK, Bytes::from_static(a.bytes))
    };
    let mut resp = Response::new(body);
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(a.content_type),
    );
    if status == StatusCode::OK {
        h.insert(header::CONTENT_LENGTH, HeaderValue::from(a.bytes.len()));
    }
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    // Revalidate every time: a new binary must show its new console at once.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    resp
}

fn redirect(to: &'static str) -> Response<Bytes> {
    let mut resp = Response::new(Bytes::new());
    *resp.status_mut() = StatusCode::FOUND;
    resp.headers_mut()
        .insert(header::LOCATION, HeaderValue::from_static(to));
    resp
}

fn plain(status: StatusCode, text: &'static str) -> Response<Bytes> {
    let mut resp = Response::new(Bytes::from_static(text.as_bytes()));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    resp
}

#[cfg(test)]
mod tests;
