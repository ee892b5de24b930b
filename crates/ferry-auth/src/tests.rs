//! Unit tests of the JSON-protocol verifier: every refusal with DynamoDB's exact
//! code and message, plus the credentials file parser. Valid signatures come
//! from the `aws-sigv4` crate (the SDKs' own signer).

use std::time::{Duration, SystemTime};

use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;

use super::*;

const AK: &str = "AKIDFERRY";
const SK: &str = "ferry-secret";
// 2024-03-01T12:00:00Z
const T0: u64 = 1_709_294_400;

fn t0() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(T0)
}

fn creds() -> Credentials {
    Credentials::new([(AK.to_owned(), SK.to_owned())])
}

/// A DynamoDB-style request signed by aws-sigv4 at `at`.
fn signed(
    target: &str,
    body: &[u8],
    at: SystemTime,
    service: &str,
    secret: &str,
) -> http::request::Parts {
    let headers = [
        ("host", "localhost:8000"),
        ("content-type", "application/x-amz-json-1.0"),
        ("x-amz-target", target),
    ];
    let identity = aws_credential_types::Credentials::new(AK, secret, None, None, "test").into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region("eu-west-3")
        .name(service)
        .time(at)
        .settings(SigningSettings::default())
        .build()
        .unwrap()
        .into();
    let signable = SignableRequest::new(
        "POST",
        "http://localhost:8000/",
        headers.iter().copied(),
        SignableBody::Bytes(body),
    )
    .unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    let mut req = http::Request::builder().method("POST").uri("/");
    for (k, v) in headers {
        req = req.header(k, v);
    }
    let mut req = req.body(()).unwrap();
    instructions.apply_to_request_http1x(&mut req);
    req.into_parts().0
}

fn ddb(body: &[u8]) -> http::request::Parts {
    signed("DynamoDB_20120810.ListTables", body, t0(), "dynamodb", SK)
}

fn with_header(
    mut parts: http::request::Parts,
    name: &'static str,
    v: &str,
) -> http::request::Parts {
    parts.headers.insert(name, v.parse().unwrap());
    parts
}

fn err(parts: &http::request::Parts, body: &[u8]) -> AuthError {
    creds().verify(parts, body, t0()).unwrap_err()
}

#[test]
fn accepts_sdk_signature() {
    let p = ddb(b"{}");
    let got = creds().verify(&p, b"{}", t0()).unwrap();
    assert_eq!(
        got,
        Some(Principal {
            access_key: AK.into(),
            region: "eu-west-3".into()
        })
    );
    assert_eq!(request_region(&p).as_deref(), Some("eu-west-3"));
}

#[test]
fn accepts_both_scopes_for_streams_targets() {
    let target = "DynamoDBStreams_20120810.ListStreams";
    for service in ["dynamodb", "streams.dynamodb"] {
        let p = signed(target, b"{}", t0(), service, SK);
        assert!(
            creds().verify(&p, b"{}", t0()).unwrap().is_some(),
            "{service}"
        );
    }
    let p = signed(target, b"{}", t0(), "logs", SK);
    let e = creds().verify(&p, b"{}", t0()).unwrap_err();
    assert_eq!(e.code(), "InvalidSignatureException");
    assert_eq!(
        e.message(),
        "Credential should be scoped to correct service: 'dynamodb'."
    );
    // The streams name is not a DynamoDB scope.
    let p = signed(
        "DynamoDB_20120810.ListTables",
        b"{}",
        t0(),
        "streams.dynamodb",
        SK,
    );
    assert_eq!(
        err(&p, b"{}").message(),
        "Credential should be scoped to correct service: 'dynamodb'."
    );
}

#[test]
fn accepts_logs_scope_for_logs_target() {
    let p = signed("Logs_20140328.GetLogEvents", b"{}", t0(), "logs", SK);
    assert!(creds().verify(&p, b"{}", t0()).unwrap().is_some());
    // a dynamodb scope on a Logs target is refused
    let p = signed("Logs_20140328.GetLogEvents", b"{}", t0(), "dynamodb", SK);
    let e = creds().verify(&p, b"{}", t0()).unwrap_err();
    assert_eq!(e.code(), "InvalidSignatureException");
    assert_eq!(
        e.message(),
        "Credential should be scoped to correct service: 'logs'."
    );
}

#[test]
fn missing_authorization() {
    let mut p = ddb(b"{}");
    p.headers.remove("authorization");
    let e = err(&p, b"{}");
    assert_eq!(e, AuthError::MissingAuthenticationToken);
    assert_eq!(e.code(), "MissingAuthenticationTokenException");
    assert_eq!(e.message(), "Request is missing Authentication Token");
    assert_eq!(e.status(), 400);
    assert_eq!(
        e.qualified_type(),
        "com.amazon.coral.service#MissingAuthenticationTokenException"
    );
    let p = with_header(ddb(b"{}"), "authorization", "Basic abc");
    assert_eq!(err(&p, b"{}"), AuthError::MissingAuthenticationToken);
}

#[test]
fn open_mode_accepts_anything() {
    let open = Credentials::open();
    let mut p = ddb(b"{}");
    assert_eq!(
        open.verify(&p, b"tampered", t0())
            .unwrap()
            .unwrap()
            .access_key,
        AK
    );
    p.headers.remove("authorization");
    assert_eq!(open.verify(&p, b"{}", t0()).unwrap(), None);
}

#[test]
fn wrong_body_is_a_signature_mismatch() {
    let p = ddb(b"{}");
    let e = err(&p, b"{\"Limit\":1}");
    assert_eq!(e.code(), "InvalidSignatureException");
    assert_eq!(e.message(), SIGNATURE_MISMATCH_MESSAGE);
    assert_eq!(e.status(), 400);
}

#[test]
fn wrong_secret_is_a_signature_mismatch() {
    let p = signed(
        "DynamoDB_20120810.ListTables",
        b"{}",
        t0(),
        "dynamodb",
        "nope",
    );
    assert_eq!(
        err(&p, b"{}"),
        AuthError::InvalidSignature(SIGNATURE_MISMATCH_MESSAGE.into())
    );
}

#[test]
fn unknown_access_key() {
    let p = ddb(b"{}");
    let other = Credentials::new([("SOMEONEELSE".to_owned(), SK.to_owned())]);
    let e = other.verify(&p, b"{}", t0()).unwrap_err();
    assert_eq!(e.code(), "UnrecognizedClientException");
    assert_eq!(
        e.message(),
        "The security token included in the request is invalid."
    );
}

#[test]
fn clock_skew_is_fifteen_minutes() {
    let p = ddb(b"{}");
    let ok_late = t0() + Duration::from_secs(15 * 60);
    assert!(creds().verify(&p, b"{}", ok_late).is_ok());
    let ok_early = t0() - Duration::from_secs(15 * 60);
    assert!(creds().verify(&p, b"{}", ok_early).is_ok());

    let e = creds()
        .verify(&p, b"{}", t0() + Duration::from_secs(16 * 60))
        .unwrap_err();
    assert_eq!(
        e,
        AuthError::InvalidSignature(
            "Signature expired: 20240301T120000Z is now earlier than 20240301T120100Z (20240301T121600Z - 15 min.)".into()
        )
    );
    let e = creds()
        .verify(&p, b"{}", t0() - Duration::from_secs(20 * 60))
        .unwrap_err();
    assert_eq!(
        e,
        AuthError::InvalidSignature(
            "Signature not yet current: 20240301T120000Z is still later than 20240301T115500Z (20240301T114000Z + 15 min.)".into()
        )
    );
}

#[test]
fn incomplete_authorization_header() {
    let auth = "AWS4-HMAC-SHA256 Credential=AKIDFERRY/20240301/us-east-1/dynamodb/aws4_request";
    let mut p = with_header(ddb(b"{}"), "authorization", auth);
    p.headers.remove("x-amz-date");
    let e = err(&p, b"{}");
    assert_eq!(e.code(), "IncompleteSignatureException");
    assert_eq!(
        e.message(),
        format!(
            "Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization={auth}"
        )
    );
}

#[test]
fn bad_date_format() {
    let p = with_header(ddb(b"{}"), "x-amz-date", "2024-03-01");
    let e = err(&p, b"{}");
    assert_eq!(
        e,
        AuthError::IncompleteSignature(
            "Date must be in ISO-8601 'basic format'. Got '2024-03-01'. See http://en.wikipedia.org/wiki/ISO_8601".into()
        )
    );
}

fn replace_auth(p: http::request::Parts, from: &str, to: &str) -> http::request::Parts {
    let auth = p.headers["authorization"]
        .to_str()
        .unwrap()
        .replace(from, to);
    with_header(p, "authorization", &auth)
}

#[test]
fn host_must_be_signed() {
    let p = replace_auth(
        ddb(b"{}"),
        "SignedHeaders=content-type;host;",
        "SignedHeaders=content-type;",
    );
    assert_eq!(
        err(&p, b"{}"),
        AuthError::InvalidSignature(
            "'Host' must be a 'SignedHeader' in the AWS Authorization.".into()
        )
    );
}

#[test]
fn unsupported_algorithm() {
    let p = replace_auth(ddb(b"{}"), "AWS4-HMAC-SHA256 ", "AWS4-HMAC-SHA25 ");
    assert_eq!(
        err(&p, b"{}"),
        AuthError::IncompleteSignature(
            "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA25' (only AWS4-HMAC-SHA256 for now). "
                .into()
        )
    );
}

#[test]
fn credential_shape_and_scope() {
    let p = replace_auth(
        ddb(b"{}"),
        "/eu-west-3/dynamodb/aws4_request",
        "/eu-west-3/dynamodb",
    );
    assert_eq!(
        err(&p, b"{}"),
        AuthError::IncompleteSignature(
            "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'AKIDFERRY/20240301/eu-west-3/dynamodb'".into()
        )
    );
    let p = replace_auth(
        ddb(b"{}"),
        "20240301/eu-west-3/dynamodb/aws4_request",
        "20240302/eu-west-3/s3/aws4_reques",
    );
    assert_eq!(
        err(&p, b"{}"),
        AuthError::InvalidSignature(
            "Credential should be scoped to correct service: 'dynamodb'. Credential should be scoped with a valid terminator: 'aws4_request', not 'aws4_reques'. Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20240302' != '20240301', from '20240301T120000Z'.".into()
        )
    );
}

#[test]
fn tampered_signed_header_fails() {
    let p = with_header(ddb(b"{}"), "x-amz-target", "DynamoDB_20120810.DeleteTable");
    assert_eq!(
        err(&p, b"{}"),
        AuthError::InvalidSignature(SIGNATURE_MISMATCH_MESSAGE.into())
    );
    // an unsigned header may change freely
    let p = with_header(ddb(b"{}"), "user-agent", "something-else");
    assert!(creds().verify(&p, b"{}", t0()).is_ok());
}

#[test]
fn region_without_credentials() {
    let mut p = ddb(b"{}");
    assert_eq!(request_region(&p).as_deref(), Some("eu-west-3"));
    p.headers.remove("authorization");
    assert_eq!(request_region(&p), None);
    p.uri = "/?X-Amz-Credential=AK%2F20240301%2Fap-south-1%2Fdynamodb%2Faws4_request"
        .parse()
        .unwrap();
    assert_eq!(request_region(&p).as_deref(), Some("ap-south-1"));
}

#[test]
fn credentials_file_forms() {
    let c = Credentials::parse(
        "# comment\nAK1:secret/one\nAK2 secret2\n\n[default]\naws_access_key_id = AK3\naws_secret_access_key = s3cr=t\n",
    )
    .unwrap();
    assert_eq!(c.len(), 3);
    assert_eq!(c.secret("AK1"), Some("secret/one"));
    assert_eq!(c.secret("AK2"), Some("secret2"));
    assert_eq!(c.secret("AK3"), Some("s3cr=t"));
    assert!(!format!("{c:?}").contains("secret"));

    let e = Credentials::parse("AK1\n").unwrap_err();
    assert_eq!(
        e.to_string(),
        "credentials file line 1: expected ACCESS_KEY_ID:SECRET"
    );
    let e = Credentials::parse("[p]\naws_access_key_id = X\n[q]\n").unwrap_err();
    assert_eq!(
        e.to_string(),
        "credentials file line 2: aws_access_key_id without aws_secret_access_key"
    );
}

/// A DynamoDB ListTables presigned by aws-sigv4 at `at`, valid for `expires`.
fn presigned(at: SystemTime, expires: Duration) -> http::request::Parts {
    let identity = aws_credential_types::Credentials::new(AK, SK, None, None, "test").into();
    let mut settings = SigningSettings::default();
    settings.signature_location = aws_sigv4::http_request::SignatureLocation::QueryParams;
    settings.expires_in = Some(expires);
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name("dynamodb")
        .time(at)
        .settings(settings)
        .build()
        .unwrap()
        .into();
    let headers = [("host", "localhost:8000")];
    let signable = SignableRequest::new(
        "POST",
        "http://localhost:8000/",
        headers.iter().copied(),
        SignableBody::Bytes(b"{}"),
    )
    .unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    let mut req = http::Request::builder()
        .method("POST")
        .uri("http://localhost:8000/")
        .header("host", "localhost:8000")
        .header("x-amz-target", "DynamoDB_20120810.ListTables")
        .body(())
        .unwrap();
    instructions.apply_to_request_http1x(&mut req);
    req.into_parts().0
}

fn with_query_param(
    mut parts: http::request::Parts,
    name: &str,
    value: &str,
) -> http::request::Parts {
    let query = parts.uri.query().unwrap_or_default();
    let kept: Vec<&str> = query
        .split('&')
        .filter(|p| !p.starts_with(&format!("{name}=")))
        .collect();
    let uri = format!("{}?{}&{name}={value}", parts.uri.path(), kept.join("&"));
    parts.uri = uri.parse().unwrap();
    parts
}

#[test]
fn presigned_requests_are_verified_and_expire() {
    let p = presigned(t0(), Duration::from_secs(300));
    assert!(creds().verify(&p, b"{}", t0()).unwrap().is_some());
    assert!(creds().precheck(&p, t0()).is_ok());
    let late = t0() + Duration::from_secs(301);
    let e = creds().verify(&p, b"{}", late).unwrap_err();
    assert_eq!(e.code(), "InvalidSignatureException");
    assert!(
        e.message()
            .starts_with("Signature expired: 20240301T120000Z"),
        "{e:?}"
    );
    assert_eq!(creds().precheck(&p, late), Err(e));
}

#[test]
fn presigned_expiry_is_capped_at_a_week_without_overflow() {
    let week = presigned(t0(), Duration::from_secs(604_800));
    assert!(creds().verify(&week, b"{}", t0()).is_ok());
    let too_long = AuthError::IncompleteSignature(EXPIRES_TOO_LONG_MESSAGE.into());
    // Past every integer type, past chrono's range, just over a week.
    for raw in ["10000000000000", "99999999999999999999999", "604801"] {
        let p = with_query_param(
            presigned(t0(), Duration::from_secs(60)),
            "X-Amz-Expires",
            raw,
        );
        assert_eq!(err(&p, b"{}"), too_long, "{raw}");
        assert_eq!(creds().precheck(&p, t0()), Err(too_long.clone()), "{raw}");
    }
    for raw in ["-1", "1e3", ""] {
        let p = with_query_param(
            presigned(t0(), Duration::from_secs(60)),
            "X-Amz-Expires",
            raw,
        );
        assert_eq!(
            err(&p, b"{}"),
            AuthError::IncompleteSignature(format!(
                "X-Amz-Expires must be a non-negative integer, got '{raw}'. Re-examine the query-string parameters."
            ))
        );
    }
    // A ten-year-old request claiming a long validity is refused.
    let old = t0() - Duration::from_secs(10 * 365 * 24 * 3600);
    let p = with_query_param(
        presigned(old, Duration::from_secs(60)),
        "X-Amz-Expires",
        "604800",
    );
    assert_eq!(err(&p, b"{}").code(), "InvalidSignatureException");
}

#[test]
fn an_unsigned_payload_claim_does_not_free_the_body() {
    let identity = aws_credential_types::Credentials::new(AK, SK, None, None, "test").into();
    let mut settings = SigningSettings::default();
    settings.payload_checksum_kind = aws_sigv4::http_request::PayloadChecksumKind::XAmzSha256;
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name("dynamodb")
        .time(t0())
        .settings(settings)
        .build()
        .unwrap()
        .into();
    let headers = [
        ("host", "localhost:8000"),
        ("x-amz-target", "DynamoDB_20120810.ListTables"),
    ];
    let signable = SignableRequest::new(
        "POST",
        "http://localhost:8000/",
        headers.iter().copied(),
        SignableBody::UnsignedPayload,
    )
    .unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    let mut req = http::Request::builder().method("POST").uri("/");
    for (k, v) in headers {
        req = req.header(k, v);
    }
    let mut req = req.body(()).unwrap();
    instructions.apply_to_request_http1x(&mut req);
    let p = req.into_parts().0;
    assert_eq!(p.headers["x-amz-content-sha256"], "UNSIGNED-PAYLOAD");
    // Whatever the body, the signature is checked against its real hash.
    for body in [&b"{}"[..], b"{\"Limit\":1}"] {
        let e = err(&p, body);
        assert_eq!(e.message(), SIGNATURE_MISMATCH_MESSAGE);
    }
    let p = with_header(p, "x-amz-content-sha256", "not-hex");
    assert_eq!(err(&p, b"{}").message(), SIGNATURE_MISMATCH_MESSAGE);
}

proptest::proptest! {
    /// No header or query value reaches a panic or an overflow: every input
    /// ends in `Ok` or an `AuthError`.
    #[test]
    fn arbitrary_signature_parts_never_panic(
        auth in "(AWS4-HMAC-SHA256 )?[ -~]{0,120}",
        date in "[0-9TZ+ -]{0,20}",
        expires in "-?[0-9]{0,25}",
        credential in "[A-Za-z0-9/]{0,40}",
        skew in 0u64..4_000_000_000,
    ) {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(skew);
        let mut p = ddb(b"{}");
        if let Ok(v) = auth.parse() {
            p.headers.insert("authorization", v);
        }
        if let Ok(v) = date.parse() {
            p.headers.insert("x-amz-date", v);
        }
        let _ = creds().verify(&p, b"{}", now);
        let _ = creds().precheck(&p, now);
        p.headers.remove("authorization");
        let query = format!(
            "/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={credential}&X-Amz-Date={date}&X-Amz-Expires={expires}&X-Amz-SignedHeaders=host&X-Amz-Signature=00"
        );
        if let Ok(uri) = query.replace(' ', "%20").replace('+', "%2B").parse() {
            p.uri = uri;
            let _ = creds().verify(&p, b"{}", now);
            let _ = creds().precheck(&p, now);
        }
    }
}
