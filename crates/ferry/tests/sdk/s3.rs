//! SDK tests: the S3 endpoint on Ferry's port (aws-sdk-s3, path-style):
//! buckets, objects and metadata, odd keys and path safety, ranges,
//! conditional reads and writes, listings, copy and bulk delete (multipart uploads,
//! large streamed objects, checksums and restarts are in `s3_multipart.rs`;
//! error codes and finer points of each area in `s3_edges.rs`), and the
//! helpers the S3 modules use.

use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{Delete, MetadataDirective, ObjectIdentifier};
use md5::Digest as _;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::common::*;

/// `"<status>/<code>"` of a call that must fail.
pub fn s3_code<T: std::fmt::Debug, E: ProvideErrorMetadata>(
    r: Result<T, aws_sdk_s3::error::SdkError<E, aws_sdk_s3::config::http::HttpResponse>>,
) -> String {
    match r {
        Ok(v) => panic!("expected an error, got {v:?}"),
        Err(e) => {
            let status = e.raw_response().map_or(0, |r| r.status().as_u16());
            format!("{status}/{}", e.code().unwrap_or("<none>"))
        }
    }
}

/// The message of a call that must fail.
pub fn s3_message<T: std::fmt::Debug, E: ProvideErrorMetadata>(
    r: Result<T, aws_sdk_s3::error::SdkError<E, aws_sdk_s3::config::http::HttpResponse>>,
) -> String {
    match r {
        Ok(v) => panic!("expected an error, got {v:?}"),
        Err(e) => e.message().unwrap_or("<none>").to_owned(),
    }
}

/// One raw HTTP/1.1 request; returns the status and the whole answer.
pub async fn raw_http(
    addr: std::net::SocketAddr,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, String) {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut req = format!(
        "{method} {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    s.write_all(body).await.unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.unwrap();
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, text)
}

pub fn md5_hex(d: &[u8]) -> String {
    hex::encode(md5::Md5::digest(d))
}

pub async fn body(o: aws_sdk_s3::operation::get_object::GetObjectOutput) -> Vec<u8> {
    o.body.collect().await.unwrap().into_bytes().to_vec()
}

pub async fn keys(c: &aws_sdk_s3::Client, bucket: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut pages = c.list_objects_v2().bucket(bucket).into_paginator().send();
    while let Some(p) = pages.next().await {
        out.extend(
            p.unwrap()
                .contents()
                .iter()
                .map(|o| o.key().unwrap().to_owned()),
        );
    }
    out
}

/// Creates `bucket` holding `a/00.json`..`c/06.json` (7 under each of three
/// prefixes), `top1` and `top2`, each the one byte `x`; returns the keys.
pub async fn listing_fixture(c: &aws_sdk_s3::Client, bucket: &str) -> Vec<String> {
    c.create_bucket().bucket(bucket).send().await.unwrap();
    let mut all = Vec::new();
    for d in ["a", "b", "c"] {
        for i in 0..7 {
            all.push(format!("{d}/{i:02}.json"));
        }
    }
    all.push("top1".into());
    all.push("top2".into());
    for k in &all {
        c.put_object()
            .bucket(bucket)
            .key(k)
            .body(ByteStream::from_static(b"x"))
            .send()
            .await
            .unwrap();
    }
    all
}

#[tokio::test]
async fn buckets_and_objects() {
    let server = TestServer::start().await;
    let c = server.s3().await;
    c.create_bucket().bucket("alpha").send().await.unwrap();
    c.create_bucket()
        .bucket("beta.bucket-2")
        .send()
        .await
        .unwrap();
    assert_eq!(
        s3_code(c.create_bucket().bucket("alpha").send().await),
        "409/BucketAlreadyOwnedByYou"
    );
    assert_eq!(
        s3_code(c.create_bucket().bucket("Bad_Name").send().await),
        "400/InvalidBucketName"
    );
    let names: Vec<String> = c
        .list_buckets()
        .send()
        .await
        .unwrap()
        .buckets()
        .iter()
        .map(|b| b.name().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["alpha", "beta.bucket-2"]);
    assert_eq!(
        s3_code(c.head_bucket().bucket("missing").send().await),
        "404/NotFound"
    );
    assert_eq!(
        s3_message(c.list_objects_v2().bucket("missing").send().await),
        "The specified bucket does not exist"
    );

    let put = c
        .put_object()
        .bucket("alpha")
        .key("dir/file.json")
        .content_type("application/json")
        .metadata("Color", "blue")
        .body(ByteStream::from_static(b"{\"a\":1}"))
        .send()
        .await
        .unwrap();
    let etag = format!("\"{}\"", md5_hex(b"{\"a\":1}"));
    assert_eq!(put.e_tag(), Some(etag.as_str()));
    let got = c
        .get_object()
        .bucket("alpha")
        .key("dir/file.json")
        .send()
        .await
        .unwrap();
    assert_eq!(got.e_tag(), Some(etag.as_str()));
    assert_eq!(got.content_type(), Some("application/json"));
    assert_eq!(
        got.metadata().unwrap().get("color").map(String::as_str),
        Some("blue")
    );
    assert_eq!(body(got).await, b"{\"a\":1}");
    let head = c
        .head_object()
        .bucket("alpha")
        .key("dir/file.json")
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_length(), Some(7));
    assert_eq!(
        s3_code(c.get_object().bucket("alpha").key("nope").send().await),
        "404/NoSuchKey"
    );
    assert_eq!(
        s3_message(c.get_object().bucket("alpha").key("nope").send().await),
        "The specified key does not exist."
    );
    assert_eq!(
        s3_code(c.head_object().bucket("alpha").key("nope").send().await),
        "404/NotFound"
    );
    assert_eq!(
        s3_code(c.delete_bucket().bucket("alpha").send().await),
        "409/BucketNotEmpty"
    );
    c.delete_object()
        .bucket("alpha")
        .key("dir/file.json")
        .send()
        .await
        .unwrap();
    c.delete_object()
        .bucket("alpha")
        .key("dir/file.json")
        .send()
        .await
        .unwrap();
    c.delete_bucket().bucket("alpha").send().await.unwrap();
    assert_eq!(
        s3_code(c.head_bucket().bucket("alpha").send().await),
        "404/NotFound"
    );

    // the S3 side did not disturb the DynamoDB side of the port
    let ddb = server.dynamodb().await;
    assert!(
        ddb.list_tables()
            .send()
            .await
            .unwrap()
            .table_names()
            .is_empty()
    );
}

#[tokio::test]
async fn odd_keys_and_path_safety() {
    let server = TestServer::start().await;
    let c = server.s3().await;
    c.create_bucket().bucket("odd").send().await.unwrap();
    let odd = [
        "a//b",
        "dir/",
        "trailing//",
        ".",
        "..",
        "../../../../etc/passwd",
        "a/./b/../c",
        "sp ace+plus%25&amp=?#frag",
        "ünï/cödé/日本語 🚀",
        "emoji 🚀",
        "tab\tand\u{7f}",
        "~!@$^*()[]{}|\\;:'\",<>`",
    ];
    for (i, k) in odd.iter().enumerate() {
        c.put_object()
            .bucket("odd")
            .key(*k)
            .body(ByteStream::from(format!("v{i}").into_bytes()))
            .send()
            .await
            .unwrap_or_else(|e| panic!("put {k:?}: {e:?}"));
    }
    for (i, k) in odd.iter().enumerate() {
        let got = c.get_object().bucket("odd").key(*k).send().await.unwrap();
        assert_eq!(body(got).await, format!("v{i}").as_bytes(), "{k:?}");
    }
    let mut want: Vec<String> = odd.iter().map(|k| (*k).to_owned()).collect();
    want.sort();
    assert_eq!(keys(&c, "odd").await, want);
    // encoding-type=url listings send the keys URL-encoded
    let enc = c
        .list_objects_v2()
        .bucket("odd")
        .encoding_type(aws_sdk_s3::types::EncodingType::Url)
        .send()
        .await
        .unwrap();
    assert!(
        enc.contents()
            .iter()
            .any(|o| o.key() == Some("sp%20ace%2Bplus%2525%26amp%3D%3F%23frag")),
        "{enc:?}"
    );

    // crafted paths and bucket names never reach a file outside the store
    for target in [
        "/..",
        "/../etc",
        "/tmp",
        "/odd%2f..%2f..",
        "/odd/../../etc/passwd",
        "/odd/%2e%2e/%2e%2e/%2e%2e/escape",
        "/odd/..%2f..%2f..%2fescape",
        "/%2e%2e/x",
    ] {
        let (status, text) = raw_http(server.addr(), "PUT", target, &[], b"payload").await;
        assert!(status == 200 || status >= 400, "{target}: {text}");
    }
    for target in ["/..", "/.", "/%2e%2e", "/a..b", "/ab", "/UPPER"] {
        let (status, text) = raw_http(server.addr(), "PUT", target, &[], b"").await;
        assert_eq!(status, 400, "{target}: {text}");
        assert!(
            text.contains("<Code>InvalidBucketName</Code>"),
            "{target}: {text}"
        );
    }
    fn walk(p: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(p).unwrap() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                walk(&e.path(), out);
            } else {
                out.push(e.path());
            }
        }
    }
    let mut files = Vec::new();
    walk(&server.data_dir().join("s3"), &mut files);
    for f in &files {
        let name = f.file_name().unwrap().to_string_lossy();
        assert!(
            name == "FORMAT"
                || name == "bucket.json"
                || name.bytes().all(|b| b.is_ascii_hexdigit()),
            "{}",
            f.display()
        );
    }
    assert!(!server.dir.path().join("escape").exists());
    assert!(!server.data_dir().join("escape").exists());
    let top: Vec<String> = std::fs::read_dir(server.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(top, ["data"]);
    // whatever a crafted path stored is an ordinary object holding the payload
    for k in keys(&c, "odd").await {
        let got = c.get_object().bucket("odd").key(&k).send().await.unwrap();
        if !odd.contains(&k.as_str()) {
            assert_eq!(body(got).await, b"payload", "{k:?}");
        }
    }
}

#[tokio::test]
async fn ranges_and_conditional_gets() {
    let server = TestServer::start().await;
    let c = server.s3().await;
    c.create_bucket().bucket("rng").send().await.unwrap();
    let data: Vec<u8> = (0u8..100).collect();
    let put = c
        .put_object()
        .bucket("rng")
        .key("k")
        .body(ByteStream::from(data.clone()))
        .send()
        .await
        .unwrap();
    let etag = put.e_tag().unwrap().to_owned();
    for (range, want, cr) in [
        ("bytes=0-9", &data[0..10], "bytes 0-9/100"),
        ("bytes=90-", &data[90..], "bytes 90-99/100"),
        ("bytes=-5", &data[95..], "bytes 95-99/100"),
        ("bytes=95-500", &data[95..], "bytes 95-99/100"),
    ] {
        let got = c
            .get_object()
            .bucket("rng")
            .key("k")
            .range(range)
            .send()
            .await
            .unwrap();
        assert_eq!(got.content_range(), Some(cr), "{range}");
        assert_eq!(got.content_length(), Some(want.len() as i64), "{range}");
        assert_eq!(body(got).await, want, "{range}");
    }
    assert_eq!(
        s3_code(
            c.get_object()
                .bucket("rng")
                .key("k")
                .range("bytes=100-")
                .send()
                .await
        ),
        "416/InvalidRange"
    );

    c.get_object()
        .bucket("rng")
        .key("k")
        .if_match(&etag)
        .send()
        .await
        .unwrap();
    assert_eq!(
        s3_code(
            c.get_object()
                .bucket("rng")
                .key("k")
                .if_match("\"0000\"")
                .send()
                .await
        ),
        "412/PreconditionFailed"
    );
    let e = c
        .get_object()
        .bucket("rng")
        .key("k")
        .if_none_match(&etag)
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.raw_response().unwrap().status().as_u16(), 304);
    let past = aws_smithy_types::DateTime::from_secs(1_000_000_000);
    let future = aws_smithy_types::DateTime::from_secs(4_000_000_000);
    c.get_object()
        .bucket("rng")
        .key("k")
        .if_modified_since(past)
        .send()
        .await
        .unwrap();
    let e = c
        .get_object()
        .bucket("rng")
        .key("k")
        .if_modified_since(future)
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.raw_response().unwrap().status().as_u16(), 304);
    assert_eq!(
        s3_code(
            c.get_object()
                .bucket("rng")
                .key("k")
                .if_unmodified_since(past)
                .send()
                .await
        ),
        "412/PreconditionFailed"
    );
    c.get_object()
        .bucket("rng")
        .key("k")
        .if_unmodified_since(future)
        .send()
        .await
        .unwrap();
    c.get_object()
        .bucket("rng")
        .key("k")
        .if_none_match("\"other\"")
        .send()
        .await
        .unwrap();
    // If-Match wins over a failing If-Unmodified-Since
    c.get_object()
        .bucket("rng")
        .key("k")
        .if_match(&etag)
        .if_unmodified_since(past)
        .send()
        .await
        .unwrap();
    let e = c
        .head_object()
        .bucket("rng")
        .key("k")
        .if_match("\"x\"")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.raw_response().unwrap().status().as_u16(), 412);
    // conditional writes
    assert_eq!(
        s3_code(
            c.put_object()
                .bucket("rng")
                .key("k")
                .if_none_match("*")
                .body(ByteStream::from_static(b"x"))
                .send()
                .await
        ),
        "412/PreconditionFailed"
    );
    c.put_object()
        .bucket("rng")
        .key("k2")
        .if_none_match("*")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap();
    let got = c.get_object().bucket("rng").key("k").send().await.unwrap();
    assert_eq!(body(got).await, data);
    // a changed object fails the If-Match a reader pinned
    c.put_object()
        .bucket("rng")
        .key("k")
        .body(ByteStream::from_static(b"changed"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        s3_code(
            c.get_object()
                .bucket("rng")
                .key("k")
                .if_match(&etag)
                .send()
                .await
        ),
        "412/PreconditionFailed"
    );
}

#[tokio::test]
async fn listing_pagination_and_delimiters() {
    let server = TestServer::start().await;
    let c = server.s3().await;
    let all = listing_fixture(&c, "lst").await;
    let mut got = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let r = c
            .list_objects_v2()
            .bucket("lst")
            .max_keys(10)
            .set_continuation_token(token.clone())
            .send()
            .await
            .unwrap();
        pages += 1;
        got.extend(r.contents().iter().map(|o| o.key().unwrap().to_owned()));
        if !r.is_truncated().unwrap() {
            break;
        }
        token = r.next_continuation_token().map(str::to_owned);
    }
    assert_eq!(pages, 3);
    assert_eq!(got, all);
    let r = c
        .list_objects_v2()
        .bucket("lst")
        .delimiter("/")
        .send()
        .await
        .unwrap();
    let cps: Vec<&str> = r
        .common_prefixes()
        .iter()
        .map(|p| p.prefix().unwrap())
        .collect();
    assert_eq!(cps, ["a/", "b/", "c/"]);
    let top: Vec<&str> = r.contents().iter().map(|o| o.key().unwrap()).collect();
    assert_eq!(top, ["top1", "top2"]);
    let r = c
        .list_objects_v2()
        .bucket("lst")
        .delimiter("/")
        .max_keys(2)
        .send()
        .await
        .unwrap();
    assert!(r.is_truncated().unwrap());
    let r2 = c
        .list_objects_v2()
        .bucket("lst")
        .delimiter("/")
        .continuation_token(r.next_continuation_token().unwrap())
        .send()
        .await
        .unwrap();
    let cps: Vec<&str> = r2
        .common_prefixes()
        .iter()
        .map(|p| p.prefix().unwrap())
        .collect();
    assert_eq!(cps, ["c/"]);
    let r = c
        .list_objects_v2()
        .bucket("lst")
        .prefix("b/0")
        .start_after("b/04.json")
        .send()
        .await
        .unwrap();
    let ks: Vec<&str> = r.contents().iter().map(|o| o.key().unwrap()).collect();
    assert_eq!(ks, ["b/05.json", "b/06.json"]);
    assert_eq!(
        r.contents()[0].e_tag(),
        Some(format!("\"{}\"", md5_hex(b"x")).as_str())
    );
    assert_eq!(r.contents()[0].size(), Some(1));
    let r = c
        .list_objects()
        .bucket("lst")
        .prefix("c/")
        .marker("c/04.json")
        .send()
        .await
        .unwrap();
    let ks: Vec<&str> = r.contents().iter().map(|o| o.key().unwrap()).collect();
    assert_eq!(ks, ["c/05.json", "c/06.json"]);
}

#[tokio::test]
async fn copy_and_delete_objects() {
    let server = TestServer::start().await;
    let c = server.s3().await;
    c.create_bucket().bucket("cpy").send().await.unwrap();
    c.create_bucket().bucket("cpy2").send().await.unwrap();
    c.put_object()
        .bucket("cpy")
        .key("src")
        .content_type("text/plain")
        .metadata("m", "1")
        .body(ByteStream::from_static(b"hello"))
        .send()
        .await
        .unwrap();
    c.copy_object()
        .bucket("cpy2")
        .key("dst")
        .copy_source("cpy/src")
        .send()
        .await
        .unwrap();
    let h = c
        .head_object()
        .bucket("cpy2")
        .key("dst")
        .send()
        .await
        .unwrap();
    assert_eq!(h.content_type(), Some("text/plain"));
    assert_eq!(
        h.metadata().unwrap().get("m").map(String::as_str),
        Some("1")
    );
    c.copy_object()
        .bucket("cpy")
        .key("src")
        .copy_source("cpy/src")
        .metadata_directive(MetadataDirective::Replace)
        .content_type("text/csv")
        .send()
        .await
        .unwrap();
    assert_eq!(
        c.head_object()
            .bucket("cpy")
            .key("src")
            .send()
            .await
            .unwrap()
            .content_type(),
        Some("text/csv")
    );
    assert_eq!(
        s3_code(
            c.copy_object()
                .bucket("cpy")
                .key("src")
                .copy_source("cpy/src")
                .send()
                .await
        ),
        "400/InvalidRequest"
    );
    let del = Delete::builder()
        .objects(ObjectIdentifier::builder().key("src").build().unwrap())
        .objects(ObjectIdentifier::builder().key("never").build().unwrap())
        .build()
        .unwrap();
    let r = c
        .delete_objects()
        .bucket("cpy")
        .delete(del)
        .send()
        .await
        .unwrap();
    assert_eq!(r.deleted().len(), 2);
    assert!(keys(&c, "cpy").await.is_empty());
}
