//! aws-sdk-s3 against `S3Endpoint` over real HTTP (in process): buckets,
//! objects, odd keys, ranges, conditions, listings, copy, path safety.

mod common;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{Delete, MetadataDirective, ObjectIdentifier};
use common::*;
use md5::Digest;

fn md5_hex(d: &[u8]) -> String {
    hex::encode(md5::Md5::digest(d))
}

#[tokio::test]
async fn buckets() {
    let s = start(&[]).await;
    let c = client(&s).await;
    c.create_bucket().bucket("alpha").send().await.unwrap();
    c.create_bucket()
        .bucket("beta.bucket-2")
        .send()
        .await
        .unwrap();
    assert_eq!(
        code(c.create_bucket().bucket("alpha").send().await),
        "409/BucketAlreadyOwnedByYou"
    );
    assert_eq!(
        message(c.create_bucket().bucket("alpha").send().await),
        "Your previous request to create the named bucket succeeded and you already own it."
    );
    assert_eq!(
        code(c.create_bucket().bucket("Bad_Name").send().await),
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
    c.head_bucket().bucket("alpha").send().await.unwrap();
    assert_eq!(
        code(c.head_bucket().bucket("missing").send().await),
        "404/NotFound"
    );
    assert_eq!(
        code(c.list_objects_v2().bucket("missing").send().await),
        "404/NoSuchBucket"
    );
    assert_eq!(
        message(c.list_objects_v2().bucket("missing").send().await),
        "The specified bucket does not exist"
    );
    c.put_object()
        .bucket("alpha")
        .key("k")
        .body(ByteStream::from_static(b"v"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        code(c.delete_bucket().bucket("alpha").send().await),
        "409/BucketNotEmpty"
    );
    c.delete_object()
        .bucket("alpha")
        .key("k")
        .send()
        .await
        .unwrap();
    c.delete_bucket().bucket("alpha").send().await.unwrap();
    assert_eq!(
        code(c.delete_bucket().bucket("alpha").send().await),
        "404/NoSuchBucket"
    );
}

#[tokio::test]
async fn objects_metadata_and_errors() {
    let s = start(&[]).await;
    let c = client(&s).await;
    c.create_bucket().bucket("objs").send().await.unwrap();
    let put = c
        .put_object()
        .bucket("objs")
        .key("dir/file.json")
        .content_type("application/json")
        .metadata("Color", "blue")
        .metadata("n", "1")
        .body(ByteStream::from_static(b"{\"a\":1}"))
        .send()
        .await
        .unwrap();
    let want_etag = format!("\"{}\"", md5_hex(b"{\"a\":1}"));
    assert_eq!(put.e_tag(), Some(want_etag.as_str()));
    let got = c
        .get_object()
        .bucket("objs")
        .key("dir/file.json")
        .send()
        .await
        .unwrap();
    assert_eq!(got.e_tag(), Some(want_etag.as_str()));
    assert_eq!(got.content_type(), Some("application/json"));
    assert_eq!(got.content_length(), Some(7));
    let meta = got.metadata().unwrap();
    assert_eq!(meta.get("color").map(String::as_str), Some("blue"));
    assert_eq!(meta.get("n").map(String::as_str), Some("1"));
    assert_eq!(body_of(got).await, b"{\"a\":1}");
    let head = c
        .head_object()
        .bucket("objs")
        .key("dir/file.json")
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_length(), Some(7));
    assert_eq!(head.e_tag(), Some(want_etag.as_str()));
    // default content type
    let (status, text) = raw(s.port, "PUT", "/objs/plain", &[], b"x").await;
    assert_eq!(status, 200, "{text}");
    let head = c
        .head_object()
        .bucket("objs")
        .key("plain")
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_type(), Some("binary/octet-stream"));
    // empty object
    c.put_object()
        .bucket("objs")
        .key("empty")
        .body(ByteStream::from_static(b""))
        .send()
        .await
        .unwrap();
    let got = c
        .get_object()
        .bucket("objs")
        .key("empty")
        .send()
        .await
        .unwrap();
    assert_eq!(got.e_tag(), Some("\"d41d8cd98f00b204e9800998ecf8427e\""));
    assert!(body_of(got).await.is_empty());

    assert_eq!(
        code(c.get_object().bucket("objs").key("nope").send().await),
        "404/NoSuchKey"
    );
    assert_eq!(
        message(c.get_object().bucket("objs").key("nope").send().await),
        "The specified key does not exist."
    );
    assert_eq!(
        code(c.head_object().bucket("objs").key("nope").send().await),
        "404/NotFound"
    );
    assert_eq!(
        code(c.get_object().bucket("nobucket").key("k").send().await),
        "404/NoSuchBucket"
    );
    assert_eq!(
        code(
            c.put_object()
                .bucket("nobucket")
                .key("k")
                .body(ByteStream::from_static(b"v"))
                .send()
                .await
        ),
        "404/NoSuchBucket"
    );
    // delete is idempotent
    c.delete_object()
        .bucket("objs")
        .key("nope")
        .send()
        .await
        .unwrap();
    let long = "k".repeat(1025);
    assert_eq!(
        code(
            c.put_object()
                .bucket("objs")
                .key(&long)
                .body(ByteStream::from_static(b"v"))
                .send()
                .await
        ),
        "400/KeyTooLongError"
    );
}

#[tokio::test]
async fn odd_keys_round_trip() {
    let s = start(&[]).await;
    let c = client(&s).await;
    c.create_bucket().bucket("odd").send().await.unwrap();
    let keys = [
        "a//b",
        "dir/",
        "trailing//",
        ".",
        "..",
        "../../../../etc/passwd",
        "a/./b/../c",
        "sp ace+plus%25&amp=?#frag",
        "ünï/cödé/日本語",
        "emoji 🚀",
        "tab\tand\u{7f}",
        "~!@$^*()[]{}|\\;:'\",<>`",
    ];
    for (i, k) in keys.iter().enumerate() {
        c.put_object()
            .bucket("odd")
            .key(*k)
            .body(ByteStream::from(format!("v{i}").into_bytes()))
            .send()
            .await
            .unwrap_or_else(|e| panic!("put {k:?}: {e:?}"));
    }
    for (i, k) in keys.iter().enumerate() {
        let got = c
            .get_object()
            .bucket("odd")
            .key(*k)
            .send()
            .await
            .unwrap_or_else(|e| panic!("get {k:?}: {e:?}"));
        assert_eq!(body_of(got).await, format!("v{i}").as_bytes(), "{k:?}");
    }
    let listed: Vec<String> = c
        .list_objects_v2()
        .bucket("odd")
        .send()
        .await
        .unwrap()
        .contents()
        .iter()
        .map(|o| o.key().unwrap().to_owned())
        .collect();
    let mut want: Vec<String> = keys.iter().map(|k| (*k).to_owned()).collect();
    want.sort();
    assert_eq!(listed, want);
    // encoding-type=url listings decode back to the same keys
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
            .any(|o| o.key() == Some("sp%20ace%2Bplus%2525%26amp%3D%3F%23frag"))
    );
    // nothing escaped the store directory
    let mut top: Vec<String> = std::fs::read_dir(s.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    top.sort();
    assert_eq!(top, ["s3"]);
}

#[tokio::test]
async fn ranges_and_conditions() {
    let s = start(&[]).await;
    let c = client(&s).await;
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
        ("bytes=95-200", &data[95..], "bytes 95-99/100"),
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
        assert_eq!(got.content_length(), Some(want.len() as i64));
        assert_eq!(body_of(got).await, want, "{range}");
    }
    assert_eq!(
        code(
            c.get_object()
                .bucket("rng")
                .key("k")
                .range("bytes=100-")
                .send()
                .await
        ),
        "416/InvalidRange"
    );

    // If-Match / If-None-Match / If-Modified-Since / If-Unmodified-Since
    c.get_object()
        .bucket("rng")
        .key("k")
        .if_match(&etag)
        .send()
        .await
        .unwrap();
    assert_eq!(
        code(
            c.get_object()
                .bucket("rng")
                .key("k")
                .if_match("\"0123\"")
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
    c.get_object()
        .bucket("rng")
        .key("k")
        .if_none_match("\"other\"")
        .send()
        .await
        .unwrap();
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
    c.get_object()
        .bucket("rng")
        .key("k")
        .if_unmodified_since(future)
        .send()
        .await
        .unwrap();
    assert_eq!(
        code(
            c.get_object()
                .bucket("rng")
                .key("k")
                .if_unmodified_since(past)
                .send()
                .await
        ),
        "412/PreconditionFailed"
    );
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
        code(
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
}

#[tokio::test]
async fn listings() {
    let s = start(&[]).await;
    let c = client(&s).await;
    c.create_bucket().bucket("lst").send().await.unwrap();
    let mut keys = Vec::new();
    for d in ["a", "b", "c"] {
        for i in 0..7 {
            keys.push(format!("{d}/{i:02}.json"));
        }
    }
    keys.push("top1".into());
    keys.push("top2".into());
    for k in &keys {
        c.put_object()
            .bucket("lst")
            .key(k)
            .body(ByteStream::from_static(b"x"))
            .send()
            .await
            .unwrap();
    }
    // paging with continuation tokens
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
        assert!(r.key_count().unwrap() <= 10);
        got.extend(r.contents().iter().map(|o| o.key().unwrap().to_owned()));
        if !r.is_truncated().unwrap() {
            assert!(r.next_continuation_token().is_none());
            break;
        }
        token = r.next_continuation_token().map(str::to_owned);
    }
    assert_eq!(pages, 3);
    assert_eq!(got, keys);
    // paginator
    let mut all: Vec<String> = Vec::new();
    let mut pages = c
        .list_objects_v2()
        .bucket("lst")
        .max_keys(4)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        all.extend(
            page.unwrap()
                .contents()
                .iter()
                .map(|o| o.key().unwrap().to_owned()),
        );
    }
    assert_eq!(all, keys);
    // delimiter and common prefixes
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
    assert_eq!(r.key_count(), Some(5));
    let r = c
        .list_objects_v2()
        .bucket("lst")
        .delimiter("/")
        .max_keys(2)
        .send()
        .await
        .unwrap();
    assert_eq!(r.common_prefixes().len(), 2);
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
    assert_eq!(r2.contents().len(), 2);
    // raw prefix + start-after
    let r = c
        .list_objects_v2()
        .bucket("lst")
        .prefix("b/0")
        .start_after("b/03.json")
        .send()
        .await
        .unwrap();
    let ks: Vec<&str> = r.contents().iter().map(|o| o.key().unwrap()).collect();
    assert_eq!(ks, ["b/04.json", "b/05.json", "b/06.json"]);
    let o = &r.contents()[0];
    assert_eq!(o.size(), Some(1));
    assert_eq!(o.e_tag(), Some(format!("\"{}\"", md5_hex(b"x")).as_str()));
    assert!(o.owner().is_none());
    let r = c
        .list_objects_v2()
        .bucket("lst")
        .prefix("top")
        .fetch_owner(true)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.contents()[0].owner().unwrap().display_name(),
        Some("ferry")
    );
    // v1 with marker
    let r = c
        .list_objects()
        .bucket("lst")
        .marker("c/05.json")
        .send()
        .await
        .unwrap();
    let ks: Vec<&str> = r.contents().iter().map(|o| o.key().unwrap()).collect();
    assert_eq!(ks, ["c/06.json", "top1", "top2"]);
    let r = c
        .list_objects()
        .bucket("lst")
        .delimiter("/")
        .max_keys(1)
        .send()
        .await
        .unwrap();
    assert_eq!(r.next_marker(), Some("a/"));
    assert!(r.is_truncated().unwrap());
    assert_eq!(
        code(
            c.list_objects_v2()
                .bucket("lst")
                .continuation_token("!!!")
                .send()
                .await
        ),
        "400/InvalidArgument"
    );
}

#[tokio::test]
async fn copy_and_bulk_delete() {
    let s = start(&[]).await;
    let c = client(&s).await;
    c.create_bucket().bucket("cpy").send().await.unwrap();
    c.put_object()
        .bucket("cpy")
        .key("src")
        .content_type("text/plain")
        .metadata("m", "1")
        .body(ByteStream::from_static(b"hello"))
        .send()
        .await
        .unwrap();
    let r = c
        .copy_object()
        .bucket("cpy")
        .key("dst")
        .copy_source("cpy/src")
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.copy_object_result().unwrap().e_tag(),
        Some(format!("\"{}\"", md5_hex(b"hello")).as_str())
    );
    let h = c
        .head_object()
        .bucket("cpy")
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
        .key("dst2")
        .copy_source("cpy/src")
        .metadata_directive(MetadataDirective::Replace)
        .content_type("text/csv")
        .send()
        .await
        .unwrap();
    let h = c
        .head_object()
        .bucket("cpy")
        .key("dst2")
        .send()
        .await
        .unwrap();
    assert_eq!(h.content_type(), Some("text/csv"));
    assert!(h.metadata().is_none_or(|m| m.is_empty()));
    assert_eq!(
        code(
            c.copy_object()
                .bucket("cpy")
                .key("src")
                .copy_source("cpy/src")
                .send()
                .await
        ),
        "400/InvalidRequest"
    );
    assert_eq!(
        code(
            c.copy_object()
                .bucket("cpy")
                .key("x")
                .copy_source("cpy/missing")
                .send()
                .await
        ),
        "404/NoSuchKey"
    );
    assert_eq!(
        code(
            c.copy_object()
                .bucket("cpy")
                .key("x")
                .copy_source("cpy/src")
                .copy_source_if_match("\"nope\"")
                .send()
                .await
        ),
        "412/PreconditionFailed"
    );
    let del = Delete::builder()
        .objects(ObjectIdentifier::builder().key("src").build().unwrap())
        .objects(ObjectIdentifier::builder().key("dst").build().unwrap())
        .objects(
            ObjectIdentifier::builder()
                .key("never-existed")
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    let r = c
        .delete_objects()
        .bucket("cpy")
        .delete(del)
        .send()
        .await
        .unwrap();
    let mut deleted: Vec<&str> = r.deleted().iter().map(|d| d.key().unwrap()).collect();
    deleted.sort();
    assert_eq!(deleted, ["dst", "never-existed", "src"]);
    let left: Vec<String> = c
        .list_objects_v2()
        .bucket("cpy")
        .send()
        .await
        .unwrap()
        .contents()
        .iter()
        .map(|o| o.key().unwrap().to_owned())
        .collect();
    assert_eq!(left, ["dst2"]);
}

#[tokio::test]
async fn path_safety() {
    let s = start(&[]).await;
    let c = client(&s).await;
    c.create_bucket().bucket("safe").send().await.unwrap();
    for target in [
        "/..",
        "/../etc",
        "/safe/../../etc/passwd",
        "/safe/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "/%2e%2e/objects",
        "/safe%2f..%2f..",
        "/tmp",
        "/safe/..%2f..%2f..%2fescape",
    ] {
        let (status, text) = raw(s.port, "PUT", target, &[], b"payload").await;
        assert!(status == 200 || status >= 400, "{target}: {text}");
    }
    for target in ["/..", "/.", "/%2e%2e", "/a..b", "/ab", "/UPPER"] {
        let (status, text) = raw(s.port, "PUT", target, &[], b"").await;
        assert_eq!(status, 400, "{target}: {text}");
        assert!(
            text.contains("<Code>InvalidBucketName</Code>"),
            "{target}: {text}"
        );
    }
    // whatever was stored is inside the store, under hashed names
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
    walk(s.dir.path(), &mut files);
    for f in &files {
        assert!(f.starts_with(s.dir.path().join("s3")), "{}", f.display());
        let name = f.file_name().unwrap().to_string_lossy();
        assert!(
            name == "FORMAT"
                || name == "bucket.json"
                || name.bytes().all(|b| b.is_ascii_hexdigit()),
            "{}",
            f.display()
        );
    }
    let keys: Vec<String> = c
        .list_objects_v2()
        .bucket("safe")
        .send()
        .await
        .unwrap()
        .contents()
        .iter()
        .map(|o| o.key().unwrap().to_owned())
        .collect();
    for k in &keys {
        let got = c.get_object().bucket("safe").key(k).send().await.unwrap();
        assert_eq!(body_of(got).await, b"payload", "{k:?}");
    }
}
