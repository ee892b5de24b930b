//! SDK tests: credentials on both services. Open by default (any signature or
//! none); with credentials every S3 and DynamoDB request must carry a valid
//! SigV4 signature, and a missing, unknown or wrong one gets the error each
//! service sends.

use aws_sdk_dynamodb::error::ProvideErrorMetadata as _;
use aws_sdk_s3::primitives::ByteStream;

use crate::common::*;
use crate::s3::{raw_http, s3_code, s3_message};

const AK: &str = "AKIDFERRYTEST";
const SK: &str = "ferry-test-secret";

async fn sdk_config(server: &TestServer, ak: &str, sk: &str) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(&server.endpoint)
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_credential_types::Credentials::new(
            ak, sk, None, None, "test",
        ))
        .load()
        .await
}

async fn s3_as(server: &TestServer, ak: &str, sk: &str) -> aws_sdk_s3::Client {
    let conf = aws_sdk_s3::config::Builder::from(&sdk_config(server, ak, sk).await)
        .force_path_style(true)
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}

async fn ddb_as(server: &TestServer, ak: &str, sk: &str) -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::new(&sdk_config(server, ak, sk).await)
}

async fn s3_anonymous(server: &TestServer) -> aws_sdk_s3::Client {
    let conf = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(&server.endpoint)
        .region(aws_config::Region::new("us-east-1"))
        .no_credentials()
        .load()
        .await;
    let conf = aws_sdk_s3::config::Builder::from(&conf)
        .force_path_style(true)
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}

async fn secured() -> TestServer {
    TestServer::start_with(|c| {
        c.credentials = vec![
            (AK.to_owned(), SK.to_owned()),
            ("AKIDSECOND".to_owned(), "second-secret".to_owned()),
        ];
    })
    .await
}

fn ddb_err<T: std::fmt::Debug, E: aws_sdk_dynamodb::error::ProvideErrorMetadata>(
    r: Result<
        T,
        aws_sdk_dynamodb::error::SdkError<E, aws_sdk_dynamodb::config::http::HttpResponse>,
    >,
) -> (u16, String, String) {
    match r {
        Ok(v) => panic!("expected an error, got {v:?}"),
        Err(e) => {
            let status = e.raw_response().map_or(0, |r| r.status().as_u16());
            (
                status,
                e.code().unwrap_or("<none>").to_owned(),
                e.message().unwrap_or("<none>").to_owned(),
            )
        }
    }
}

#[tokio::test]
async fn dynamodb_signatures() {
    let server = secured().await;
    server.dynamodb().await.list_tables().send().await.unwrap();
    ddb_as(&server, "AKIDSECOND", "second-secret")
        .await
        .list_tables()
        .send()
        .await
        .unwrap();

    let (status, code, msg) = ddb_err(
        ddb_as(&server, AK, "wrong-secret")
            .await
            .list_tables()
            .send()
            .await,
    );
    assert_eq!((status, code.as_str()), (400, "InvalidSignatureException"));
    assert_eq!(
        msg,
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
    );
    let (status, code, msg) = ddb_err(
        ddb_as(&server, "AKIDUNKNOWN", SK)
            .await
            .list_tables()
            .send()
            .await,
    );
    assert_eq!(
        (status, code.as_str()),
        (400, "UnrecognizedClientException")
    );
    assert_eq!(
        msg,
        "The security token included in the request is invalid."
    );
    let e = ddb_as(&server, "AKIDUNKNOWN", SK)
        .await
        .list_tables()
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        e.into_service_error().meta().code(),
        Some("UnrecognizedClientException")
    );

    // unsigned
    let r = raw_post(
        server.addr(),
        &[
            ("X-Amz-Target", "DynamoDB_20120810.ListTables"),
            ("Content-Type", "application/x-amz-json-1.0"),
        ],
        "{}",
    )
    .await;
    assert_eq!(r.status, 400, "{}", r.body);
    let v = r.json();
    assert!(
        v["__type"]
            .as_str()
            .unwrap()
            .ends_with("MissingAuthenticationTokenException"),
        "{v}"
    );
    assert_eq!(v["message"], "Request is missing Authentication Token");
    // an incomplete Authorization header
    let r = raw_post(
        server.addr(),
        &[
            ("X-Amz-Target", "DynamoDB_20120810.ListTables"),
            ("Content-Type", "application/x-amz-json-1.0"),
            ("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDFERRYTEST/20240101/us-east-1/dynamodb/aws4_request"),
            ("X-Amz-Date", "20240101T000000Z"),
        ],
        "{}",
    )
    .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(
        r.json()["__type"]
            .as_str()
            .unwrap()
            .ends_with("IncompleteSignatureException"),
        "{}",
        r.body
    );
    // a stale date
    let r = raw_post(
        server.addr(),
        &[
            ("X-Amz-Target", "DynamoDB_20120810.ListTables"),
            ("Content-Type", "application/x-amz-json-1.0"),
            (
                "Authorization",
                "AWS4-HMAC-SHA256 Credential=AKIDFERRYTEST/20200101/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=0000000000000000000000000000000000000000000000000000000000000000",
            ),
            ("X-Amz-Date", "20200101T000000Z"),
        ],
        "{}",
    )
    .await;
    assert_eq!(r.status, 400, "{}", r.body);
    let v = r.json();
    assert!(
        v["__type"]
            .as_str()
            .unwrap()
            .ends_with("InvalidSignatureException"),
        "{v}"
    );
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .starts_with("Signature expired: 20200101T000000Z is now earlier than "),
        "{v}"
    );
    assert!(
        v["message"].as_str().unwrap().ends_with(" - 15 min.)"),
        "{v}"
    );
}

#[tokio::test]
async fn s3_signatures() {
    let server = secured().await;
    let good = server.s3().await;
    good.create_bucket().bucket("sig").send().await.unwrap();
    good.put_object()
        .bucket("sig")
        .key("k")
        .body(ByteStream::from_static(b"v"))
        .send()
        .await
        .unwrap();
    // a streamed body: signed aws-chunked with a signed trailer, verified by s3s
    let path = server.dir.path().join("up.bin");
    std::fs::write(&path, vec![42u8; 3_000_000]).unwrap();
    good.put_object()
        .bucket("sig")
        .key("streamed")
        .body(ByteStream::from_path(&path).await.unwrap())
        .send()
        .await
        .unwrap();
    s3_as(&server, "AKIDSECOND", "second-secret")
        .await
        .get_object()
        .bucket("sig")
        .key("k")
        .send()
        .await
        .unwrap();

    let wrong = s3_as(&server, AK, "wrong-secret").await;
    assert_eq!(
        s3_code(wrong.list_objects_v2().bucket("sig").send().await),
        "403/SignatureDoesNotMatch"
    );
    assert_eq!(
        s3_message(wrong.get_object().bucket("sig").key("k").send().await),
        "The request signature we calculated does not match the signature you provided. Check your key and signing method."
    );
    assert_eq!(
        s3_code(
            wrong
                .put_object()
                .bucket("sig")
                .key("w")
                .body(ByteStream::from_path(&path).await.unwrap())
                .send()
                .await
        ),
        "403/SignatureDoesNotMatch"
    );
    let unknown = s3_as(&server, "AKIDUNKNOWN", SK).await;
    assert_eq!(
        s3_code(unknown.list_buckets().send().await),
        "403/InvalidAccessKeyId"
    );
    assert_eq!(
        s3_message(unknown.list_buckets().send().await),
        "The AWS Access Key Id you provided does not exist in our records."
    );
    let anon = s3_anonymous(&server).await;
    assert_eq!(
        s3_code(anon.get_object().bucket("sig").key("k").send().await),
        "403/AccessDenied"
    );
    assert_eq!(
        s3_message(anon.list_buckets().send().await),
        "Access Denied"
    );
    let (status, text) = raw_http(server.addr(), "GET", "/sig/k", &[], b"").await;
    assert_eq!(status, 403, "{text}");
    assert!(text.contains("<Code>AccessDenied</Code>"), "{text}");
    // nothing was written by the refused requests
    let listed: Vec<String> = good
        .list_objects_v2()
        .bucket("sig")
        .send()
        .await
        .unwrap()
        .contents()
        .iter()
        .map(|o| o.key().unwrap().to_owned())
        .collect();
    assert_eq!(listed, ["k", "streamed"]);

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
    let target = url.uri().strip_prefix(&server.endpoint).unwrap().to_owned();
    let (status, text) = raw_http(server.addr(), "GET", &target, &[], b"").await;
    assert_eq!(status, 200, "{text}");
    assert!(text.ends_with("\r\n\r\nv"), "{text}");
    // one changed digit of the signature
    let (head, sig) = target.split_once("X-Amz-Signature=").unwrap();
    let flipped = match sig.strip_prefix('0') {
        Some(rest) => format!("1{rest}"),
        None => format!("0{}", &sig[1..]),
    };
    let tampered = format!("{head}X-Amz-Signature={flipped}");
    let (status, text) = raw_http(server.addr(), "GET", &tampered, &[], b"").await;
    assert_eq!(status, 403, "{text}");
    assert!(
        text.contains("<Code>SignatureDoesNotMatch</Code>"),
        "{text}"
    );
    let url = wrong
        .get_object()
        .bucket("sig")
        .key("k")
        .presigned(cfg)
        .await
        .unwrap();
    let target = url.uri().strip_prefix(&server.endpoint).unwrap().to_owned();
    let (status, text) = raw_http(server.addr(), "GET", &target, &[], b"").await;
    assert_eq!(status, 403, "{text}");
    assert!(
        text.contains("<Code>SignatureDoesNotMatch</Code>"),
        "{text}"
    );
}

#[tokio::test]
async fn open_by_default() {
    let server = TestServer::start().await;
    // any key and secret, on both services
    let s3 = s3_as(&server, "WHOEVER", "whatever").await;
    s3.create_bucket().bucket("open").send().await.unwrap();
    let path = server.dir.path().join("up.bin");
    std::fs::write(&path, vec![1u8; 2_000_000]).unwrap();
    s3.put_object()
        .bucket("open")
        .key("k")
        .body(ByteStream::from_path(&path).await.unwrap())
        .send()
        .await
        .unwrap();
    let anon = s3_anonymous(&server).await;
    let got = anon
        .get_object()
        .bucket("open")
        .key("k")
        .send()
        .await
        .unwrap();
    assert_eq!(
        got.body.collect().await.unwrap().into_bytes().len(),
        2_000_000
    );
    // a presigned URL works too
    let cfg =
        aws_sdk_s3::presigning::PresigningConfig::expires_in(std::time::Duration::from_secs(300))
            .unwrap();
    let url = s3
        .get_object()
        .bucket("open")
        .key("k")
        .presigned(cfg)
        .await
        .unwrap();
    let target = url.uri().strip_prefix(&server.endpoint).unwrap().to_owned();
    let (status, text) = raw_http(server.addr(), "GET", &target, &[], b"").await;
    assert_eq!(status, 200, "{text}");
    ddb_as(&server, "WHOEVER", "whatever")
        .await
        .list_tables()
        .send()
        .await
        .unwrap();
    let r = raw_post(
        server.addr(),
        &[
            ("X-Amz-Target", "DynamoDB_20120810.ListTables"),
            ("Content-Type", "application/x-amz-json-1.0"),
        ],
        "{}",
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
}
