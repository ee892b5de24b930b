//! SDK tests: the S3 endpoint's multipart uploads and 100+ MB streamed
//! objects, verified checksums, and objects surviving a restart.

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{ChecksumAlgorithm, ChecksumMode, CompletedMultipartUpload, CompletedPart};
use base64::Engine as _;

use crate::common::*;
use crate::s3::{body, keys, raw_http, s3_code, s3_message};

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
    let done = c
        .complete_multipart_upload()
        .bucket("big")
        .key("multi")
        .upload_id(&id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .set_parts(Some(parts))
                .build(),
        )
        .send()
        .await
        .unwrap();
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

    // S3's multipart errors
    let id = c
        .create_multipart_upload()
        .bucket("big")
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
            .bucket("big")
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
    let complete = |parts: Vec<CompletedPart>| {
        c.complete_multipart_upload()
            .bucket("big")
            .key("small")
            .upload_id(&id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(parts))
                    .build(),
            )
            .send()
    };
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
    assert_eq!(s3_code(complete(parts.clone()).await), "400/EntityTooSmall");
    assert_eq!(
        c.list_multipart_uploads()
            .bucket("big")
            .send()
            .await
            .unwrap()
            .uploads()
            .len(),
        1
    );
    c.abort_multipart_upload()
        .bucket("big")
        .key("small")
        .upload_id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        s3_code(
            c.upload_part()
                .bucket("big")
                .key("small")
                .upload_id(&id)
                .part_number(3)
                .body(ByteStream::from_static(b"x"))
                .send()
                .await
        ),
        "404/NoSuchUpload"
    );
    assert!(
        c.list_multipart_uploads()
            .bucket("big")
            .send()
            .await
            .unwrap()
            .uploads()
            .is_empty()
    );
}

#[tokio::test]
async fn checksums_are_verified() {
    let server = TestServer::start().await;
    let c = server.s3().await;
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
        c.put_object()
            .bucket("sums")
            .key(&key)
            .checksum_algorithm(alg.clone())
            .body(ByteStream::from(data.clone()))
            .send()
            .await
            .unwrap();
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
    // a wrong trailer on an aws-chunked body is refused too
    let headers = [
        ("x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"),
        ("content-encoding", "aws-chunked"),
        ("x-amz-decoded-content-length", "11"),
        ("x-amz-trailer", "x-amz-checksum-crc32"),
    ];
    let bad = b"b\r\nhello world\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n";
    let (status, text) = raw_http(server.addr(), "PUT", "/sums/trailer", &headers, bad).await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("<Code>BadDigest</Code>"), "{text}");
    assert_eq!(
        s3_code(c.head_object().bucket("sums").key("trailer").send().await),
        "404/NotFound"
    );
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
