//! SDK tests: the S3 endpoint's finer points: exact error codes and messages
//! of buckets and objects, defaults (content type, empty objects), listing
//! details (key counts, small pages, owners, v1 markers, bad tokens) and
//! copy details.

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{Delete, MetadataDirective, ObjectIdentifier};

use crate::common::*;
use crate::s3::{body, keys, listing_fixture, md5_hex, raw_http, s3_code, s3_message};

#[tokio::test]
async fn bucket_and_object_errors() {
    let server = TestServer::start().await;
    let c = server.s3().await;
    c.create_bucket().bucket("edge").send().await.unwrap();
    assert_eq!(
        s3_message(c.create_bucket().bucket("edge").send().await),
        "Your previous request to create the named bucket succeeded and you already own it."
    );
    c.head_bucket().bucket("edge").send().await.unwrap();
    assert_eq!(
        s3_code(c.list_objects_v2().bucket("missing").send().await),
        "404/NoSuchBucket"
    );
    assert_eq!(
        s3_code(c.get_object().bucket("missing").key("k").send().await),
        "404/NoSuchBucket"
    );
    assert_eq!(
        s3_code(
            c.put_object()
                .bucket("missing")
                .key("k")
                .body(ByteStream::from_static(b"v"))
                .send()
                .await
        ),
        "404/NoSuchBucket"
    );
    assert_eq!(
        s3_code(
            c.put_object()
                .bucket("edge")
                .key("k".repeat(1025))
                .body(ByteStream::from_static(b"v"))
                .send()
                .await
        ),
        "400/KeyTooLongError"
    );

    // several metadata entries, and the length and ETag on GET and HEAD
    c.put_object()
        .bucket("edge")
        .key("meta")
        .metadata("Color", "blue")
        .metadata("n", "1")
        .body(ByteStream::from_static(b"{\"a\":1}"))
        .send()
        .await
        .unwrap();
    let etag = format!("\"{}\"", md5_hex(b"{\"a\":1}"));
    let got = c
        .get_object()
        .bucket("edge")
        .key("meta")
        .send()
        .await
        .unwrap();
    assert_eq!(got.content_length(), Some(7));
    let meta = got.metadata().unwrap();
    assert_eq!(meta.get("color").map(String::as_str), Some("blue"));
    assert_eq!(meta.get("n").map(String::as_str), Some("1"));
    let head = c
        .head_object()
        .bucket("edge")
        .key("meta")
        .send()
        .await
        .unwrap();
    assert_eq!(head.e_tag(), Some(etag.as_str()));

    // no Content-Type: S3's default
    let (status, text) = raw_http(server.addr(), "PUT", "/edge/plain", &[], b"x").await;
    assert_eq!(status, 200, "{text}");
    let head = c
        .head_object()
        .bucket("edge")
        .key("plain")
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_type(), Some("binary/octet-stream"));
    // an empty object
    c.put_object()
        .bucket("edge")
        .key("empty")
        .body(ByteStream::from_static(b""))
        .send()
        .await
        .unwrap();
    let got = c
        .get_object()
        .bucket("edge")
        .key("empty")
        .send()
        .await
        .unwrap();
    assert_eq!(got.e_tag(), Some("\"d41d8cd98f00b204e9800998ecf8427e\""));
    assert!(body(got).await.is_empty());

    // deleting a bucket twice
    c.create_bucket().bucket("gone").send().await.unwrap();
    c.delete_bucket().bucket("gone").send().await.unwrap();
    assert_eq!(
        s3_code(c.delete_bucket().bucket("gone").send().await),
        "404/NoSuchBucket"
    );
}

#[tokio::test]
async fn listing_details() {
    let server = TestServer::start().await;
    let c = server.s3().await;
    let all = listing_fixture(&c, "lst").await;
    // key counts and the last page's token
    let mut token: Option<String> = None;
    let mut counts = Vec::new();
    loop {
        let r = c
            .list_objects_v2()
            .bucket("lst")
            .max_keys(10)
            .set_continuation_token(token.clone())
            .send()
            .await
            .unwrap();
        counts.push(r.key_count().unwrap());
        if !r.is_truncated().unwrap() {
            assert_eq!(r.next_continuation_token(), None);
            break;
        }
        token = r.next_continuation_token().map(str::to_owned);
    }
    assert_eq!(counts, [10, 10, 3]);
    // the paginator with small pages
    let mut paged: Vec<String> = Vec::new();
    let mut pages = c
        .list_objects_v2()
        .bucket("lst")
        .max_keys(4)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.unwrap();
        assert!(page.contents().len() <= 4);
        paged.extend(page.contents().iter().map(|o| o.key().unwrap().to_owned()));
    }
    assert_eq!(paged, all);
    // common prefixes count as keys
    let r = c
        .list_objects_v2()
        .bucket("lst")
        .delimiter("/")
        .send()
        .await
        .unwrap();
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
    assert!(r.contents().is_empty());
    let r2 = c
        .list_objects_v2()
        .bucket("lst")
        .delimiter("/")
        .continuation_token(r.next_continuation_token().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r2.contents().len(), 2);
    // owners only when asked for
    let r = c
        .list_objects_v2()
        .bucket("lst")
        .prefix("top")
        .send()
        .await
        .unwrap();
    assert!(r.contents()[0].owner().is_none());
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
    // v1: a marker across prefixes, NextMarker with a delimiter
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
        s3_code(
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
async fn copy_details() {
    let server = TestServer::start().await;
    let c = server.s3().await;
    c.create_bucket().bucket("cpy").send().await.unwrap();
    c.put_object()
        .bucket("cpy")
        .key("src")
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
    // REPLACE drops the source's metadata
    c.copy_object()
        .bucket("cpy")
        .key("dst2")
        .copy_source("cpy/src")
        .metadata_directive(MetadataDirective::Replace)
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
    assert!(h.metadata().is_none_or(|m| m.is_empty()), "{h:?}");
    assert_eq!(
        s3_code(
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
        s3_code(
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
    // DeleteObjects reports every key it was given, existing or not
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
    assert_eq!(keys(&c, "cpy").await, ["dst2"]);
}
