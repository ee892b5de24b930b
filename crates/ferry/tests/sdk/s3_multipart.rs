//! SDK tests: the S3 endpoint's multipart uploads (exact ETags, S3's errors,
//! open and signed modes) and 100+ MB streamed objects, verified checksums
//! (headers and aws-chunked trailers, open and signed modes), and objects
//! surviving a restart.

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{ChecksumAlgorithm, ChecksumMode, CompletedMultipartUpload, CompletedPart};
use base64::Engine as _;

use md5::Digest as _;

use crate::common::*;
use crate::s3::{body, keys, md5_hex, raw_http, s3_code, s3_message};

/// A deterministic byte pattern, position-dependent.
fn pattern(offset: u64, len: usize) -> Vec<u8> {
    (0..len as u64)
        .map(|i| ((offset + i) % 251) as u8 ^ (((offset + i) / 251) % 7) as u8)
        .collect()
}

/// Reads an object as a stream, comparing it with the pattern chunk by chunk.
async fn assert_pattern(c: &aws_sdk_s3::Client, bucket: &str, key: &str, size: u64) {
    let got = c.get_object().bucket(bucket).key(key).send().await.unwrap();
    assert_eq!(got.content_length(), Some(size as i64));
    let mut stream = got.body;
    let mut at = 0u64;
    while let Some(chunk) = stream.try_next().await.unwrap() {
        assert_eq!(
            chunk.as_ref(),
            pattern(at, chunk.len()).as_slice(),
            "bytes at {at}"
        );
        at += chunk.len() as u64;
    }
    assert_eq!(at, size);
}

/// Completes upload `id` of `bucket`/`key` with `parts`.
async fn complete(
    c: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    id: &str,
    parts: Vec<CompletedPart>,
) -> Result<
    aws_sdk_s3::operation::complete_multipart_upload::CompleteMultipartUploadOutput,
    aws_sdk_s3::error::SdkError<
        aws_sdk_s3::operation::complete_multipart_upload::CompleteMultipartUploadError,
        aws_sdk_s3::config::http::HttpResponse,
    >,
> {
    c.complete_multipart_upload()
        .bucket(bucket)
        .key(key)
        .upload_id(id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .set_parts(Some(parts))
                .build(),
        )
        .send()
        .await
}

#[tokio::test]
async fn multipart_and_large_streamed_objects() {
    let server = TestServer::start().await;
    let c = server.s3().await;
    c.create_bucket().bucket("big").send().await.unwrap();
    // a 105 MiB file, streamed from disk, never held in memory by the test
    let size: u64 = 105 * 1024 * 1024;
    let path = server.dir.path().join("big.bin");
    {
        use std::io::Write;
        let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        let mut at = 0u64;
        while at < size {
            let n = (size - at).min(1 << 20) as usize;
            f.write_all(&pattern(at, n)).unwrap();
            at += n as u64;
        }
    }
    // one streamed PUT (aws-chunked with a checksum trailer)
    let put = c
        .put_object()
        .bucket("big")
        .key("single")
        .body(ByteStream::from_path(&path).await.unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(put.e_tag().unwrap().len(), 34);
    assert_pattern(&c, "big", "single", size).await;

    // the same file as a multipart upload of 8 MiB parts, each streamed from disk
    let part: u64 = 8 * 1024 * 1024;
    let up = c
        .create_multipart_upload()
        .bucket("big")
        .key("multi")
        .checksum_algorithm(ChecksumAlgorithm::Crc32C)
        .send()
        .await
        .unwrap();
    let id = up.upload_id().unwrap().to_owned();
    let mut parts = Vec::new();
    let mut n = 1;
    let mut at = 0u64;
    while at < size {
        let len = (size - at).min(part);
        let body = ByteStream::read_from()
            .path(&path)
            .offset(at)
            .length(aws_sdk_s3::primitives::Length::Exact(len))
            .build()
            .await
            .unwrap();
        let r = c
            .upload_part()
            .bucket("big")
            .key("multi")
            .upload_id(&id)
            .part_number(n)
            .checksum_algorithm(ChecksumAlgorithm::Crc32C)
            .body(body)
            .send()
            .await
            .unwrap();
        parts.push(
            CompletedPart::builder()
                .part_number(n)
                .e_tag(r.e_tag().unwrap())
                .set_checksum_crc32_c(r.checksum_crc32_c().map(str::to_owned))
                .build(),
        );
        n += 1;
        at += len;
    }
    assert_eq!(parts.len(), 14);
    let listed = c
        .list_parts()
        .bucket("big")
        .key("multi")
        .upload_id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.parts().len(), 14);
    assert_eq!(listed.parts()[13].size(), Some((size - 13 * part) as i64));
    let done = complete(&c, "big", "multi", &id, parts).await.unwrap();
    let etag = done.e_tag().unwrap();
    assert!(etag.ends_with("-14\""), "{etag}");
    assert!(done.checksum_crc32_c().unwrap().ends_with("-14"));
    assert_pattern(&c, "big", "multi", size).await;
    let head = c
        .head_object()
        .bucket("big")
        .key("multi")
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await
        .unwrap();
    assert_eq!(head.e_tag(), Some(etag));
    assert_eq!(head.checksum_crc32_c(), done.checksum_crc32_c());
    let p3 = c
        .get_object()
        .bucket("big")
        .key("multi")
        .part_number(3)
        .send()
        .await
        .unwrap();
    assert_eq!(p3.parts_count(), Some(14));
    assert_eq!(p3.content_length(), Some(part as i64));
}

/// A server without credentials (`signed == false`: open mode) or with the
/// harness's key pair (every request must be signed).
async fn server_in_mode(signed: bool) -> TestServer {
    if signed {
        TestServer::start_with(|c| {
            c.credentials = vec![("AKIDFERRYTEST".to_owned(), "ferry-test-secret".to_owned())];
        })
        .await
    } else {
        TestServer::start().await
    }
}

/// A three-part upload (5 MiB, 5 MiB, 4 bytes) checked exactly: part ETags,
/// the multipart ETag, the composite CRC32, ranges of a part, listings.
async fn multipart_flow(c: &aws_sdk_s3::Client, bucket: &str) {
    let part1 = vec![b'a'; 5 * 1024 * 1024];
    let part2 = vec![b'b'; 5 * 1024 * 1024];
    let part3 = b"tail".to_vec();
    let up = c
        .create_multipart_upload()
        .bucket(bucket)
        .key("mp/obj")
        .content_type("application/x-test")
        .checksum_algorithm(ChecksumAlgorithm::Crc32)
        .send()
        .await
        .unwrap();
    assert_eq!(up.checksum_algorithm(), Some(&ChecksumAlgorithm::Crc32));
    let id = up.upload_id().unwrap().to_owned();
    let mut parts = Vec::new();
    for (n, data) in [(1, &part1), (2, &part2), (3, &part3)] {
        let r = c
            .upload_part()
            .bucket(bucket)
            .key("mp/obj")
            .upload_id(&id)
            .part_number(n)
            .checksum_algorithm(ChecksumAlgorithm::Crc32)
            .body(ByteStream::from(data.clone()))
            .send()
            .await
            .unwrap();
        assert_eq!(r.e_tag(), Some(format!("\"{}\"", md5_hex(data)).as_str()));
        parts.push(
            CompletedPart::builder()
                .part_number(n)
                .e_tag(r.e_tag().unwrap())
                .set_checksum_crc32(r.checksum_crc32().map(str::to_owned))
                .build(),
        );
    }
    let ups = c
        .list_multipart_uploads()
        .bucket(bucket)
        .send()
        .await
        .unwrap();
    assert_eq!(ups.uploads()[0].upload_id(), Some(id.as_str()));
    let done = complete(c, bucket, "mp/obj", &id, parts).await.unwrap();
    let mut md5s = Vec::new();
    for d in [&part1, &part2, &part3] {
        md5s.extend(md5::Md5::digest(d));
    }
    let want = format!("\"{}-3\"", md5_hex(&md5s));
    assert_eq!(done.e_tag(), Some(want.as_str()));
    let crc = done.checksum_crc32().unwrap();
    assert!(crc.ends_with("-3"), "{crc}");
    let got = c
        .get_object()
        .bucket(bucket)
        .key("mp/obj")
        .send()
        .await
        .unwrap();
    assert_eq!(got.e_tag(), Some(want.as_str()));
    assert_eq!(got.content_type(), Some("application/x-test"));
    let got = body(got).await;
    assert_eq!(got.len(), 10 * 1024 * 1024 + 4);
    assert_eq!(&got[got.len() - 4..], b"tail");
    let p2 = c
        .get_object()
        .bucket(bucket)
        .key("mp/obj")
        .part_number(2)
        .send()
        .await
        .unwrap();
    assert_eq!(
        p2.content_range(),
        Some(format!("bytes 5242880-10485759/{}", 10 * 1024 * 1024 + 4).as_str())
    );
    // a completed upload is gone
    assert_eq!(
        s3_code(
            c.upload_part()
                .bucket(bucket)
                .key("mp/obj")
                .upload_id(&id)
                .part_number(1)
                .body(ByteStream::from_static(b"x"))
                .send()
                .await
        ),
        "404/NoSuchUpload"
    );
}

/// S3's multipart errors, on an upload of two 4-byte parts.
async fn multipart_errors(c: &aws_sdk_s3::Client, bucket: &str) {
    let id = c
        .create_multipart_upload()
        .bucket(bucket)
        .key("small")
        .send()
        .await
        .unwrap()
        .upload_id()
        .unwrap()
        .to_owned();
    let mut parts = Vec::new();
    for n in 1..=2 {
        let r = c
            .upload_part()
            .bucket(bucket)
            .key("small")
            .upload_id(&id)
            .part_number(n)
            .body(ByteStream::from_static(b"tiny"))
            .send()
            .await
            .unwrap();
        parts.push(
            CompletedPart::builder()
                .part_number(n)
                .e_tag(r.e_tag().unwrap())
                .build(),
        );
    }
    let complete = |parts: Vec<CompletedPart>| complete(c, bucket, "small", &id, parts);
    assert_eq!(
        s3_code(complete(vec![parts[1].clone(), parts[0].clone()]).await),
        "400/InvalidPartOrder"
    );
    assert_eq!(
        s3_code(
            complete(vec![
                CompletedPart::builder()
                    .part_number(1)
                    .e_tag("\"0123456789abcdef0123456789abcdef\"")
                    .build()
            ])
            .await
        ),
        "400/InvalidPart"
    );
    // a part that was never uploaded
    assert_eq!(
        s3_code(
            complete(vec![
                parts[0].clone(),
                CompletedPart::builder()
                    .part_number(3)
                    .e_tag(parts[0].e_tag().unwrap())
                    .build()
            ])
            .await
        ),
        "400/InvalidPart"
    );
    assert_eq!(s3_code(complete(parts.clone()).await), "400/EntityTooSmall");
    assert_eq!(
        c.list_multipart_uploads()
            .bucket(bucket)
            .send()
            .await
            .unwrap()
            .uploads()
            .len(),
        1
    );
    c.abort_multipart_upload()
        .bucket(bucket)
        .key("small")
        .upload_id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        s3_code(
            c.upload_part()
                .bucket(bucket)
                .key("small")
                .upload_id(&id)
                .part_number(3)
                .body(ByteStream::from_static(b"x"))
                .send()
                .await
        ),
        "404/NoSuchUpload"
    );
    assert_eq!(
        s3_code(
            c.abort_multipart_upload()
                .bucket(bucket)
                .key("small")
                .upload_id(&id)
                .send()
                .await
        ),
        "404/NoSuchUpload"
    );
    assert_eq!(
        s3_code(
            c.list_parts()
                .bucket(bucket)
                .key("small")
                .upload_id("../../etc")
                .send()
                .await
        ),
        "404/NoSuchUpload"
    );
    assert!(
        c.list_multipart_uploads()
            .bucket(bucket)
            .send()
            .await
            .unwrap()
            .uploads()
            .is_empty()
    );
}

#[tokio::test]
async fn multipart_open_mode() {
    let server = server_in_mode(false).await;
    let c = server.s3().await;
    c.create_bucket().bucket("mpu").send().await.unwrap();
    multipart_flow(&c, "mpu").await;
    multipart_errors(&c, "mpu").await;
}

#[tokio::test]
async fn multipart_signed_mode() {
    let server = server_in_mode(true).await;
    let c = server.s3().await;
    c.create_bucket().bucket("mpu").send().await.unwrap();
    multipart_flow(&c, "mpu").await;
    multipart_errors(&c, "mpu").await;
}

/// Checksums given by the SDK are verified and echoed; wrong ones are
/// refused and store nothing.
async fn checksum_flow(server: &TestServer, c: &aws_sdk_s3::Client) {
    c.create_bucket().bucket("sums").send().await.unwrap();
    let data = b"hello world".to_vec();
    for (alg, want) in [
        (ChecksumAlgorithm::Crc32, "DUoRhQ=="),
        (ChecksumAlgorithm::Crc32C, "yZRlqg=="),
        (
            ChecksumAlgorithm::Sha256,
            "uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek=",
        ),
    ] {
        let key = format!("k-{}", alg.as_str());
        let put = c
            .put_object()
            .bucket("sums")
            .key(&key)
            .checksum_algorithm(alg.clone())
            .body(ByteStream::from(data.clone()))
            .send()
            .await
            .unwrap();
        let put_sum = match alg {
            ChecksumAlgorithm::Crc32 => put.checksum_crc32(),
            ChecksumAlgorithm::Crc32C => put.checksum_crc32_c(),
            _ => put.checksum_sha256(),
        };
        assert_eq!(put_sum, Some(want), "{alg:?}");
        let got = c
            .get_object()
            .bucket("sums")
            .key(&key)
            .checksum_mode(ChecksumMode::Enabled)
            .send()
            .await
            .unwrap();
        let v = match alg {
            ChecksumAlgorithm::Crc32 => got.checksum_crc32(),
            ChecksumAlgorithm::Crc32C => got.checksum_crc32_c(),
            _ => got.checksum_sha256(),
        };
        assert_eq!(v, Some(want), "{alg:?}");
    }
    // a streamed body: aws-chunked with a CRC32C trailer
    let path = server.dir.path().join("upload.bin");
    let big: Vec<u8> = (0..3_000_000u32).map(|i| (i % 253) as u8).collect();
    std::fs::write(&path, &big).unwrap();
    let put = c
        .put_object()
        .bucket("sums")
        .key("streamed")
        .checksum_algorithm(ChecksumAlgorithm::Crc32C)
        .body(ByteStream::from_path(&path).await.unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(put.e_tag(), Some(format!("\"{}\"", md5_hex(&big)).as_str()));
    let got = c
        .get_object()
        .bucket("sums")
        .key("streamed")
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await
        .unwrap();
    assert_eq!(got.checksum_crc32_c(), put.checksum_crc32_c());
    assert!(got.checksum_crc32_c().is_some());
    assert_eq!(got.content_encoding(), None);
    assert_eq!(body(got).await, big);

    let r = c
        .put_object()
        .bucket("sums")
        .key("bad")
        .checksum_crc32("AAAAAA==")
        .body(ByteStream::from(data.clone()))
        .send()
        .await;
    assert_eq!(
        s3_message(r),
        "The CRC32 you specified did not match the calculated checksum."
    );
    let r = c
        .put_object()
        .bucket("sums")
        .key("bad")
        .checksum_sha256(base64::engine::general_purpose::STANDARD.encode([7u8; 32]))
        .body(ByteStream::from(data.clone()))
        .send()
        .await;
    assert_eq!(s3_code(r), "400/BadDigest");
    let r = c
        .put_object()
        .bucket("sums")
        .key("bad")
        .checksum_crc32_c("not base64")
        .body(ByteStream::from(data.clone()))
        .send()
        .await;
    assert_eq!(s3_code(r), "400/InvalidRequest");
    let r = c
        .put_object()
        .bucket("sums")
        .key("bad")
        .content_md5("AAAAAAAAAAAAAAAAAAAAAA==")
        .body(ByteStream::from(data.clone()))
        .send()
        .await;
    assert_eq!(s3_code(r), "400/BadDigest");
    assert_eq!(
        s3_code(c.head_object().bucket("sums").key("bad").send().await),
        "404/NotFound"
    );
    let md5 = base64::engine::general_purpose::STANDARD.encode(md5::Md5::digest(&data));
    c.put_object()
        .bucket("sums")
        .key("good-md5")
        .content_md5(md5)
        .body(ByteStream::from(data))
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn checksums_are_verified() {
    let server = server_in_mode(false).await;
    let c = server.s3().await;
    checksum_flow(&server, &c).await;
    // aws-chunked bodies with a trailer, sent raw (unsigned: open mode)
    let headers = [
        ("x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"),
        ("content-encoding", "aws-chunked"),
        ("x-amz-decoded-content-length", "11"),
        ("x-amz-trailer", "x-amz-checksum-crc32"),
    ];
    let put = |target: &'static str, chunks: &'static [u8]| {
        raw_http(server.addr(), "PUT", target, &headers, chunks)
    };
    let (status, text) = put(
        "/sums/trailer",
        b"6\r\nhello \r\n5\r\nworld\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n",
    )
    .await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("<Code>BadDigest</Code>"), "{text}");
    assert_eq!(
        s3_code(c.head_object().bucket("sums").key("trailer").send().await),
        "404/NotFound"
    );
    let (status, text) = put(
        "/sums/trailer",
        b"6\r\nhello \r\n5\r\nworld\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n",
    )
    .await;
    assert_eq!(status, 200, "{text}");
    let got = c
        .get_object()
        .bucket("sums")
        .key("trailer")
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await
        .unwrap();
    assert_eq!(got.checksum_crc32(), Some("DUoRhQ=="));
    assert_eq!(body(got).await, b"hello world");
    let (status, text) = put("/sums/cut", b"6\r\nhello \r\n5\r\nwor").await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("<Code>IncompleteBody</Code>"), "{text}");
}

#[tokio::test]
async fn checksums_signed_mode() {
    let server = server_in_mode(true).await;
    let c = server.s3().await;
    checksum_flow(&server, &c).await;
}

#[tokio::test]
async fn objects_survive_restart() {
    let server = TestServer::start().await;
    let c = server.s3().await;
    c.create_bucket().bucket("keep").send().await.unwrap();
    for i in 0..30 {
        c.put_object()
            .bucket("keep")
            .key(format!("k{i:02}"))
            .body(ByteStream::from(vec![i as u8; 100]))
            .send()
            .await
            .unwrap();
    }
    let dir = server.stop().await;
    let server = TestServer::start_in(dir, |_| {}).await;
    let c = server.s3().await;
    let ks = keys(&c, "keep").await;
    assert_eq!(ks.len(), 30);
    let got = c
        .get_object()
        .bucket("keep")
        .key("k07")
        .send()
        .await
        .unwrap();
    assert_eq!(body(got).await, vec![7u8; 100]);
}
