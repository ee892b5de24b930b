//! Unit tests of the console's request answers and of the asset table.

use super::*;

fn get(method: Method, uri: &str, headers: &[(&'static str, &str)]) -> Option<Response<Bytes>> {
    let mut map = HeaderMap::new();
    for (k, v) in headers {
        map.insert(*k, HeaderValue::from_str(v).unwrap());
    }
    respond(&method, &uri.parse().unwrap(), &map)
}

const BROWSER: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

#[test]
fn a_browser_at_the_root_is_sent_to_the_console() {
    let r = get(Method::GET, "/", &[("accept", BROWSER)]).unwrap();
    assert_eq!(r.status(), StatusCode::FOUND);
    assert_eq!(r.headers()[header::LOCATION], "/_console/");
    let r = get(Method::GET, "/_console", &[]).unwrap();
    assert_eq!(r.headers()[header::LOCATION], "/_console/");
}

#[test]
fn sdk_and_signed_requests_are_left_to_the_apis() {
    assert!(get(Method::GET, "/", &[]).is_none());
    assert!(get(Method::GET, "/", &[("accept", "*/*")]).is_none());
    assert!(get(Method::GET, "/", &[("accept", "text/html;q=0")]).is_none());
    assert!(get(Method::HEAD, "/", &[("accept", BROWSER)]).is_none());
    let auth = ("authorization", "AWS4-HMAC-SHA256 Credential=x");
    assert!(get(Method::GET, "/", &[("accept", BROWSER), auth]).is_none());
    assert!(get(Method::GET, "/_console/", &[auth]).is_none());
    let presigned = "/_console/index.html?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=ab";
    assert!(get(Method::GET, presigned, &[]).is_none());
    assert!(get(Method::POST, "/_console/", &[]).is_none());
    assert!(get(Method::PUT, "/_console/x", &[]).is_none());
    assert!(get(Method::GET, "/bucket/key", &[("accept", BROWSER)]).is_none());
}

#[test]
fn the_console_serves_its_files_with_etags() {
    let r = get(Method::GET, "/_console/", &[]).unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.headers()[header::CONTENT_TYPE],
        "text/html; charset=utf-8"
    );
    assert!(r.body().starts_with(b"<!doctype html>"));
    let etag = r.headers()[header::ETAG].to_str().unwrap().to_owned();
    let again = get(
        Method::GET,
        "/_console/index.html",
        &[("if-none-match", &etag)],
    )
    .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert!(again.body().is_empty());
    let head = get(Method::HEAD, "/_console/js/app.js", &[]).unwrap();
    assert_eq!(head.status(), StatusCode::OK);
    assert!(head.body().is_empty());
    assert_eq!(
        head.headers()[header::CONTENT_TYPE],
        "text/javascript; charset=utf-8"
    );
    let missing = get(Method::GET, "/_console/../Cargo.toml", &[]).unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
}

#[test]
fn every_file_under_assets_is_embedded() {
    fn walk(dir: &std::path::Path, root: &std::path::Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, root, out);
            } else {
                let rel = p.strip_prefix(root).unwrap().to_str().unwrap();
                out.push(rel.replace('\\', "/"));
            }
        }
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets");
    let mut files = Vec::new();
    walk(&root, &root, &mut files);
    files.sort();
    let mut listed: Vec<String> = assets::ASSETS.iter().map(|a| a.path.to_owned()).collect();
    listed.sort();
    assert_eq!(files, listed);
}
