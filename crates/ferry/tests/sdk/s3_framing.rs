//! S3 bodies whose framing or content-hash claim is wrong (issue 9, the
//! `s3_request` fuzz finding): an unknown `x-amz-content-sha256`, a
//! malformed aws-chunked body or a body that does not match its signed
//! SHA-256, sent to operations with an XML body, get S3's 400, never a 500,
//! and change nothing. POST-object form fields, read before their signature
//! can be checked, are bounded to 20 KiB.

use aws_sigv4::http_request::{
    PayloadChecksumKind, SignableBody, SignableRequest, SigningSettings, sign,
};

use crate::common::*;
use crate::s3::raw_http;

const AK: &str = "AKIDFRAMING";
const SK: &str = "framing-secret";

fn error_code(text: &str) -> &str {
    text.split_once("<Code>")
        .and_then(|(_, r)| r.split_once("</Code>"))
        .map_or("<none>", |(c, _)| c)
}

async fn bucket_names(c: &aws_sdk_s3::Client) -> Vec<String> {
    let out = c.list_buckets().send().await.unwrap();
    out.buckets()
        .iter()
        .filter_map(|b| b.name().map(str::to_owned))
        .collect()
}

/// The fuzz input: `PUT /fuzz-c` (CreateBucket) claiming a payload kind S3
/// does not know.
#[tokio::test]
async fn an_unknown_content_sha256_is_refused_with_400() {
    let server = TestServer::start().await;
    let s3 = server.s3().await;
    for claim in [
        "STREAMING-UNSIGNEPOST /fuzz?delete",
        "STREAMING-",
        "not-hex",
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85z",
    ] {
        let (status, text) = raw_http(
            server.addr(),
            "PUT",
            "/fuzz-c",
            &[("x-amz-content-sha256", claim)],
            b"",
        )
        .await;
        assert_eq!(status, 400, "{claim}: {text}");
        assert_eq!(error_code(&text), "InvalidArgument", "{text}");
        assert!(
            text.contains(
                "<Message>x-amz-content-sha256 must be UNSIGNED-PAYLOAD, \
                 STREAMING-AWS4-HMAC-SHA256-PAYLOAD, or a valid sha256 value.</Message>"
            ),
            "{text}"
        );
    }
    assert!(bucket_names(&s3).await.is_empty());
    server.stop().await;
}

/// Open mode: Ferry decodes aws-chunked itself; a malformed body sent to
/// CreateBucket and DeleteObjects (XML bodies read whole) is S3's
/// `IncompleteBody`.
#[tokio::test]
async fn malformed_aws_chunked_bodies_get_400_and_change_nothing() {
    let server = TestServer::start().await;
    let s3 = server.s3().await;
    s3.create_bucket().bucket("keep").send().await.unwrap();
    s3.put_object()
        .bucket("keep")
        .key("k")
        .body(b"v".to_vec().into())
        .send()
        .await
        .unwrap();
    let bodies: [&[u8]; 4] = [
        b"",
        b"zz\r\nhello\r\n",
        b"5\r\nhelloXX0\r\n\r\n",
        b"ffffffffffffffff\r\nab",
    ];
    for kind in [
        "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
    ] {
        for body in bodies {
            let headers = [("x-amz-content-sha256", kind)];
            let (status, text) = raw_http(server.addr(), "PUT", "/fresh", &headers, body).await;
            assert_eq!(status, 400, "{kind} {body:?}: {text}");
            assert_eq!(error_code(&text), "IncompleteBody", "{text}");
            let headers = [
                ("x-amz-content-sha256", kind),
                ("content-encoding", "aws-chunked"),
            ];
            let (status, text) =
                raw_http(server.addr(), "POST", "/keep?delete", &headers, body).await;
            assert_eq!(status, 400, "{kind} {body:?}: {text}");
            assert_eq!(error_code(&text), "IncompleteBody", "{text}");
        }
    }
    assert_eq!(bucket_names(&s3).await, ["keep"]);
    s3.head_object()
        .bucket("keep")
        .key("k")
        .send()
        .await
        .unwrap();
    server.stop().await;
}

/// With credentials s3s checks the body against the signed SHA-256 while
/// reading it: a CreateBucket whose body is not the one signed is S3's
/// `XAmzContentSHA256Mismatch`.
#[tokio::test]
async fn a_body_other_than_the_signed_digest_gets_400() {
    let server = TestServer::start_with(|c| c.credentials = vec![(AK.into(), SK.into())]).await;
    let host = server.addr().to_string();
    let signed_body = b"<CreateBucketConfiguration/>";
    let digest = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(signed_body));
    let identity = aws_credential_types::Credentials::new(AK, SK, None, None, "t").into();
    let mut settings = SigningSettings::default();
    settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name("s3")
        .time(std::time::SystemTime::now())
        .settings(settings)
        .build()
        .unwrap()
        .into();
    let headers = [("host", host.as_str())];
    let signable = SignableRequest::new(
        "PUT",
        format!("http://{host}/signed"),
        headers.iter().copied(),
        SignableBody::Precomputed(digest.clone()),
    )
    .unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    let signed: Vec<(String, String)> = instructions
        .headers()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let signed: Vec<(&str, &str)> = signed
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert!(signed.contains(&("x-amz-content-sha256", digest.as_str())));
    let forged = b"<CreateBucketConfiguration></CreateBucketConfiguration>";
    let (status, text) = raw_http(server.addr(), "PUT", "/signed", &signed, forged).await;
    assert_eq!(status, 400, "{text}");
    assert_eq!(error_code(&text), "XAmzContentSHA256Mismatch", "{text}");
    // Nothing was created: the signed body itself still creates the bucket.
    let (status, text) = raw_http(server.addr(), "PUT", "/signed", &signed, signed_body).await;
    assert_eq!(status, 200, "{text}");
    server.stop().await;
}

/// A browser-form upload whose fields before the file exceed 20 KiB is
/// refused before its (missing) signature is even looked at.
#[tokio::test]
async fn post_object_form_fields_are_bounded() {
    let server = TestServer::start_with(|c| c.credentials = vec![(AK.into(), SK.into())]).await;
    let boundary = "ferryboundary";
    let form = |field_len: usize| {
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\nk\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"x-amz-meta-pad\"\r\n\r\n{}\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f\"\r\n\
             Content-Type: text/plain\r\n\r\nhello\r\n--{boundary}--\r\n",
            "p".repeat(field_len)
        )
    };
    let content_type = format!("multipart/form-data; boundary={boundary}");
    let headers = [("content-type", content_type.as_str())];
    let (status, text) = raw_http(
        server.addr(),
        "POST",
        "/forms",
        &headers,
        form(30 * 1024).as_bytes(),
    )
    .await;
    assert_eq!(status, 400, "{text}");
    assert_eq!(error_code(&text), "MalformedPOSTRequest", "{text}");
    assert!(
        text.contains(
            "<Message>The body of your POST request is not well-formed multipart/form-data.</Message>"
        ),
        "{text}"
    );
    // A small form is read, then refused for its missing signature.
    let (status, text) = raw_http(
        server.addr(),
        "POST",
        "/forms",
        &headers,
        form(100).as_bytes(),
    )
    .await;
    assert_eq!(status, 403, "{text}");
    server.stop().await;
}
