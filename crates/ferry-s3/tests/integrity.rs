//! aws-sdk-s3 against `S3Endpoint` over real HTTP (in process): multipart
//! uploads, verified checksums (headers and aws-chunked trailers), and
//! signatures with and without configured credentials.

mod common;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{ChecksumAlgorithm, ChecksumMode, CompletedMultipartUpload, CompletedPart};
use base64::Engine as _;
use common::*;
use md5::Digest;

fn md5_hex(d: &[u8]) -> String {
    hex::encode(md5::Md5::digest(d))
}

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
    let id = up.upload_id().unwrap().to_owned();
    assert_eq!(up.checksum_algorithm(), Some(&ChecksumAlgorithm::Crc32));
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
        assert!(r.checksum_crc32().is_some());
        parts.push(
            CompletedPart::builder()
                .part_number(n)
                .e_tag(r.e_tag().unwrap())
                .set_checksum_crc32(r.checksum_crc32().map(str::to_owned))
                .build(),
        );
    }
    let lp = c
        .list_parts()
        .bucket(bucket)
        .key("mp/obj")
        .upload_id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(lp.parts().len(), 3);
    assert_eq!(lp.parts()[2].size(), Some(4));
    let ups = c
        .list_multipart_uploads()
        .bucket(bucket)
        .send()
        .await
        .unwrap();
    assert_eq!(ups.uploads().len(), 1);
    assert_eq!(ups.uploads()[0].upload_id(), Some(id.as_str()));

    // parts out of order, missing part, wrong etag
    let bad = CompletedMultipartUpload::builder()
        .parts(parts[1].clone())
        .parts(parts[0].clone())
        .build();
    assert_eq!(
        code(
            c.complete_multipart_upload()
                .bucket(bucket)
                .key("mp/obj")
                .upload_id(&id)
                .multipart_upload(bad)
                .send()
                .await
        ),
        "400/InvalidPartOrder"
    );
    let bad = CompletedMultipartUpload::builder()
        .parts(
            CompletedPart::builder()
                .part_number(1)
                .e_tag("\"00000000000000000000000000000000\"")
                .build(),
        )
        .build();
    assert_eq!(
        code(
            c.complete_multipart_upload()
                .bucket(bucket)
                .key("mp/obj")
                .upload_id(&id)
                .multipart_upload(bad)
                .send()
                .await
        ),
        "400/InvalidPart"
    );
    let bad = CompletedMultipartUpload::builder()
        .parts(parts[2].clone())
        .parts(
            CompletedPart::builder()
                .part_number(4)
                .e_tag(parts[0].e_tag().unwrap())
                .build(),
        )
        .build();
    assert_eq!(
        code(
            c.complete_multipart_upload()
                .bucket(bucket)
                .key("mp/obj")
                .upload_id(&id)
                .multipart_upload(bad)
                .send()
                .await
        ),
        "400/InvalidPart"
    );

    let done = c
        .complete_multipart_upload()
        .bucket(bucket)
        .key("mp/obj")
        .upload_id(&id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .set_parts(Some(parts))
                .build(),
        )
        .send()
        .await
        .unwrap();
    let mut md5s = Vec::new();
    for d in [&part1, &part2, &part3] {
        md5s.extend(md5::Md5::digest(d));
    }
    let want = format!("\"{}-3\"", md5_hex(&md5s));
    assert_eq!(done.e_tag(), Some(want.as_str()));
    let crc = done.checksum_crc32().unwrap().to_owned();
    assert!(crc.ends_with("-3"), "{crc}");
    let got = c
        .get_object()
        .bucket(bucket)
        .key("mp/obj")
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await
        .unwrap();
    assert_eq!(got.e_tag(), Some(want.as_str()));
    assert_eq!(got.content_type(), Some("application/x-test"));
    assert_eq!(got.content_length(), Some(10 * 1024 * 1024 + 4));
    let body = body_of(got).await;
    assert_eq!(&body[body.len() - 4..], b"tail");
    assert!(body[..5 * 1024 * 1024].iter().all(|b| *b == b'a'));
    let p2 = c
        .get_object()
        .bucket(bucket)
        .key("mp/obj")
        .part_number(2)
        .send()
        .await
        .unwrap();
    assert_eq!(p2.parts_count(), Some(3));
    assert_eq!(
        p2.content_range(),
        Some(format!("bytes 5242880-10485759/{}", 10 * 1024 * 1024 + 4).as_str())
    );

    assert_eq!(
        code(
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
    // too-small parts, abort
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
    assert_eq!(
        code(
            c.complete_multipart_upload()
                .bucket(bucket)
                .key("small")
                .upload_id(&id)
                .multipart_upload(
                    CompletedMultipartUpload::builder()
                        .set_parts(Some(parts))
                        .build()
                )
                .send()
                .await
        ),
        "400/EntityTooSmall"
    );
    c.abort_multipart_upload()
        .bucket(bucket)
        .key("small")
        .upload_id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        code(
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
        code(
            c.list_parts()
                .bucket(bucket)
                .key("small")
                .upload_id("../../etc")
                .send()
                .await
        ),
        "404/NoSuchUpload"
    );
}

#[tokio::test]
async fn multipart_open_mode() {
    let s = start(&[]).await;
    let c = client(&s).await;
    c.create_bucket().bucket("mpu").send().await.unwrap();
    multipart_flow(&c, "mpu").await;
}

#[tokio::test]
async fn multipart_signed_mode() {
    let s = start(&[(AK, SK)]).await;
    let c = client(&s).await;
    c.create_bucket().bucket("mpu").send().await.unwrap();
    multipart_flow(&c, "mpu").await;
}

async fn checksum_flow(s: &Server, c: &aws_sdk_s3::Client) {
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
        let got_put = match alg {
            ChecksumAlgorithm::Crc32 => put.checksum_crc32(),
            ChecksumAlgorithm::Crc32C => put.checksum_crc32_c(),
            _ => put.checksum_sha256(),
        };
        assert_eq!(got_put, Some(want), "{alg:?}");
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
    // a streaming body: aws-chunked with a checksum trailer
    let path = s.dir.path().join("upload.bin");
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
    assert!(got.checksum_crc32_c().is_some());
    assert_eq!(got.content_encoding(), None);
    assert_eq!(body_of(got).await, big);
    // wrong checksums are refused and nothing is stored
    let r = c
        .put_object()
        .bucket("sums")
        .key("bad")
        .checksum_crc32("AAAAAA==")
        .body(ByteStream::from(data.clone()))
        .send()
        .await;
    assert_eq!(
        message(r),
        "The CRC32 you specified did not match the calculated checksum."
    );
    let r = c
        .put_object()
        .bucket("sums")
        .key("bad")
        .checksum_sha256(base64::engine::general_purpose::STANDARD.encode([0u8; 32]))
        .body(ByteStream::from(data.clone()))
        .send()
        .await;
    assert_eq!(code(r), "400/BadDigest");
    let r = c
        .put_object()
        .bucket("sums")
        .key("bad")
        .content_md5("AAAAAAAAAAAAAAAAAAAAAA==")
        .body(ByteStream::from(data.clone()))
        .send()
        .await;
    assert_eq!(code(r), "400/BadDigest");
    assert_eq!(
        code(c.head_object().bucket("sums").key("bad").send().await),
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
async fn checksums_open_mode() {
    let s = start(&[]).await;
    let c = client(&s).await;
    checksum_flow(&s, &c).await;
}

#[tokio::test]
async fn checksums_signed_mode() {
    let s = start(&[(AK, SK)]).await;
    let c = client(&s).await;
    checksum_flow(&s, &c).await;
}

#[tokio::test]
async fn signatures_with_credentials() {
    let s = start(&[(AK, SK), ("SECONDKEY", "second-secret")]).await;
    let good = client(&s).await;
    good.create_bucket().bucket("sig").send().await.unwrap();
    good.put_object()
        .bucket("sig")
        .key("k")
        .body(ByteStream::from_static(b"v"))
        .send()
        .await
        .unwrap();
    let second = client_with(&s, "SECONDKEY", "second-secret").await;
    second
        .get_object()
        .bucket("sig")
        .key("k")
        .send()
        .await
        .unwrap();

    let wrong = client_with(&s, AK, "not-the-secret").await;
    let r = wrong.list_objects_v2().bucket("sig").send().await;
    assert_eq!(code(r), "403/SignatureDoesNotMatch");
    assert_eq!(
        message(wrong.list_objects_v2().bucket("sig").send().await),
        "The request signature we calculated does not match the signature you provided. Check your key and signing method."
    );
    let unknown = client_with(&s, "AKIDUNKNOWN", SK).await;
    assert_eq!(
        code(unknown.list_buckets().send().await),
        "403/InvalidAccessKeyId"
    );
    assert_eq!(
        message(unknown.list_buckets().send().await),
        "The AWS Access Key Id you provided does not exist in our records."
    );
    let anon = anonymous(&s).await;
    assert_eq!(
        code(anon.get_object().bucket("sig").key("k").send().await),
        "403/AccessDenied"
    );
    let (status, text) = raw(s.port, "GET", "/sig/k", &[], b"").await;
    assert_eq!(status, 403, "{text}");
    assert!(text.contains("<Code>AccessDenied</Code>"), "{text}");

    // presigned URLs
    let cfg =
        aws_sdk_s3::presigning::PresigningConfig::expires_in(std::time::Duration::from_secs(300))
            .unwrap();
    let url = good
        .get_object()
        .bucket("sig")
        .key("k")
        .presigned(cfg.clone())
        .await
        .unwrap();
    let target = url.uri().strip_prefix(&s.endpoint).unwrap().to_owned();
    let (status, text) = raw(s.port, "GET", &target, &[], b"").await;
    assert_eq!(status, 200, "{text}");
    assert!(text.ends_with("\r\n\r\nv"), "{text}");
    let (head, sig) = target.split_once("X-Amz-Signature=").unwrap();
    let flipped = match sig.strip_prefix('0') {
        Some(rest) => format!("1{rest}"),
        None => format!("0{}", &sig[1..]),
    };
    let tampered = format!("{head}X-Amz-Signature={flipped}");
    let (status, text) = raw(s.port, "GET", &tampered, &[], b"").await;
    assert_eq!(status, 403, "{text}");
    let url = wrong
        .get_object()
        .bucket("sig")
        .key("k")
        .presigned(cfg)
        .await
        .unwrap();
    let target = url.uri().strip_prefix(&s.endpoint).unwrap().to_owned();
    let (status, text) = raw(s.port, "GET", &target, &[], b"").await;
    assert_eq!(status, 403, "{text}");
    assert!(
        text.contains("<Code>SignatureDoesNotMatch</Code>"),
        "{text}"
    );
}

#[tokio::test]
async fn open_mode_accepts_any_signature() {
    let s = start(&[]).await;
    let c = client_with(&s, "ANYKEY", "any-secret").await;
    c.create_bucket().bucket("open").send().await.unwrap();
    c.put_object()
        .bucket("open")
        .key("k")
        .body(ByteStream::from_static(b"v"))
        .send()
        .await
        .unwrap();
    let anon = anonymous(&s).await;
    assert_eq!(
        body_of(
            anon.get_object()
                .bucket("open")
                .key("k")
                .send()
                .await
                .unwrap()
        )
        .await,
        b"v"
    );
    let cfg =
        aws_sdk_s3::presigning::PresigningConfig::expires_in(std::time::Duration::from_secs(300))
            .unwrap();
    let url = c
        .get_object()
        .bucket("open")
        .key("k")
        .presigned(cfg)
        .await
        .unwrap();
    let target = url.uri().strip_prefix(&s.endpoint).unwrap().to_owned();
    let (status, text) = raw(s.port, "GET", &target, &[], b"").await;
    assert_eq!(status, 200, "{text}");
}

#[tokio::test]
async fn open_mode_verifies_chunked_trailers() {
    let s = start(&[]).await;
    let c = client(&s).await;
    c.create_bucket().bucket("trl").send().await.unwrap();
    let headers = [
        ("x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"),
        ("content-encoding", "aws-chunked"),
        ("x-amz-decoded-content-length", "11"),
        ("x-amz-trailer", "x-amz-checksum-crc32"),
    ];
    let bad = b"6\r\nhello \r\n5\r\nworld\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n";
    let (status, text) = raw(s.port, "PUT", "/trl/k", &headers, bad).await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("<Code>BadDigest</Code>"), "{text}");
    assert_eq!(
        code(c.head_object().bucket("trl").key("k").send().await),
        "404/NotFound"
    );
    let good = b"6\r\nhello \r\n5\r\nworld\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n";
    let (status, text) = raw(s.port, "PUT", "/trl/k", &headers, good).await;
    assert_eq!(status, 200, "{text}");
    let got = c
        .get_object()
        .bucket("trl")
        .key("k")
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await
        .unwrap();
    assert_eq!(got.checksum_crc32(), Some("DUoRhQ=="));
    assert_eq!(body_of(got).await, b"hello world");
    let truncated = b"6\r\nhello \r\n5\r\nwor";
    let (status, text) = raw(s.port, "PUT", "/trl/k2", &headers, truncated).await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("<Code>IncompleteBody</Code>"), "{text}");
}
