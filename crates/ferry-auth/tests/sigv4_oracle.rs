//! Property test: the `aws-sigv4` crate (the AWS SDKs' signer) is the oracle.
//! Random requests (method, odd paths, queries, repeated and space-padded
//! headers, bodies, session tokens, header or presigned-query signatures) that
//! it signs must verify; any change to a signed part must not.

use std::time::{Duration, SystemTime};

use aws_sigv4::http_request::{
    SignableBody, SignableRequest, SignatureLocation, SigningSettings, sign,
};
use aws_sigv4::sign::v4;
use ferry_auth::{AuthError, Credentials, SIGNATURE_MISMATCH_MESSAGE};
use proptest::prelude::*;

const AK: &str = "AKIDORACLE";
const SK: &str = "oracle/secret+key";

#[derive(Debug, Clone)]
struct Case {
    method: &'static str,
    segments: Vec<String>,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    region: String,
    token: Option<String>,
    presigned: bool,
    at_secs: u64,
    skew_secs: i64,
}

fn enc(s: &str) -> String {
    let mut out = String::new();
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn case() -> impl Strategy<Value = Case> {
    let method = prop::sample::select(vec!["GET", "POST", "PUT", "DELETE", "HEAD"]);
    let segment = "[a-zA-Z0-9 ._~:@!$&'()*+,;=é%-]{0,8}";
    let segments = prop::collection::vec(segment, 0..4);
    let query = prop::collection::vec(
        ("[a-zA-Z0-9 _.~+/=&é-]{1,6}", "[a-zA-Z0-9 _.~+/=é-]{0,6}"),
        0..4,
    );
    let header_name = prop::sample::select(vec![
        "x-amz-target",
        "content-type",
        "x-amz-meta-a",
        "x-custom",
        "accept",
    ]);
    let headers = prop::collection::vec(
        (header_name, "[!-~]([ !-~]{0,10}[!-~])?|  [a-z]+   [a-z]+ "),
        0..5,
    );
    let body = prop::collection::vec(any::<u8>(), 0..64);
    let region = prop::sample::select(vec!["us-east-1", "eu-west-3", "local"]);
    let token = prop::option::of("[A-Za-z0-9/+=]{8,24}");
    (
        method,
        segments,
        query,
        headers,
        body,
        region,
        token,
        any::<bool>(),
        1_600_000_000u64..1_900_000_000,
        -899i64..899,
    )
        .prop_map(
            |(
                method,
                segments,
                query,
                headers,
                body,
                region,
                token,
                presigned,
                at_secs,
                skew_secs,
            )| Case {
                method,
                segments,
                query,
                headers: headers
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), v))
                    .collect(),
                body,
                region: region.to_owned(),
                token,
                presigned,
                at_secs,
                skew_secs,
            },
        )
}

impl Case {
    fn at(&self) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(self.at_secs)
    }

    fn now(&self) -> SystemTime {
        let at = self.at();
        if self.skew_secs >= 0 {
            at + Duration::from_secs(self.skew_secs.unsigned_abs())
        } else {
            at - Duration::from_secs(self.skew_secs.unsigned_abs())
        }
    }

    fn path_and_query(&self) -> String {
        let mut p = String::new();
        for s in &self.segments {
            p.push('/');
            p.push_str(&enc(s));
        }
        if p.is_empty() {
            p.push('/');
        }
        if !self.query.is_empty() {
            p.push('?');
            let q: Vec<String> = self
                .query
                .iter()
                .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
                .collect();
            p.push_str(&q.join("&"));
        }
        p
    }

    /// Signs with aws-sigv4 and returns the request parts as a server sees them.
    fn signed_parts(&self) -> http::request::Parts {
        let pq = self.path_and_query();
        let mut headers: Vec<(&str, &str)> = vec![("host", "127.0.0.1:8000")];
        headers.extend(self.headers.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let identity =
            aws_credential_types::Credentials::new(AK, SK, self.token.clone(), None, "oracle")
                .into();
        let mut settings = SigningSettings::default();
        if self.presigned {
            settings.signature_location = SignatureLocation::QueryParams;
            settings.expires_in = Some(Duration::from_secs(3600));
        }
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name("dynamodb")
            .time(self.at())
            .settings(settings)
            .build()
            .unwrap()
            .into();
        let signable = SignableRequest::new(
            self.method,
            format!("http://127.0.0.1:8000{pq}"),
            headers.iter().copied(),
            SignableBody::Bytes(&self.body),
        )
        .unwrap();
        let (instructions, _) = sign(signable, &params).unwrap().into_parts();
        let mut req = http::Request::builder()
            .method(self.method)
            .uri(pq.as_str());
        for (k, v) in &headers {
            req = req.header(*k, *v);
        }
        let mut req = req.body(()).unwrap();
        instructions.apply_to_request_http1x(&mut req);
        req.into_parts().0
    }
}

fn creds() -> Credentials {
    Credentials::new([(AK.to_owned(), SK.to_owned())])
}

fn mismatch() -> AuthError {
    AuthError::InvalidSignature(SIGNATURE_MISMATCH_MESSAGE.to_owned())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn sdk_signed_requests_verify(c in case()) {
        let parts = c.signed_parts();
        let got = creds().verify_for_service(&parts, &c.body, c.now(), "dynamodb");
        prop_assert_eq!(got.map(|p| p.map(|p| p.region)), Ok(Some(c.region.clone())));
    }

    #[test]
    fn changed_body_fails(c in case(), extra in any::<u8>()) {
        let parts = c.signed_parts();
        let mut body = c.body.clone();
        body.push(extra);
        let got = creds().verify_for_service(&parts, &body, c.now(), "dynamodb");
        prop_assert_eq!(got, Err(mismatch()));
    }

    #[test]
    fn changed_path_fails(c in case()) {
        let mut parts = c.signed_parts();
        let pq = parts.uri.path_and_query().unwrap().as_str().to_owned();
        let new = match pq.split_once('?') {
            Some((p, q)) => format!("{}/x?{q}", p.trim_end_matches('/')),
            None => format!("{}/x", pq.trim_end_matches('/')),
        };
        parts.uri = new.parse().unwrap();
        let got = creds().verify_for_service(&parts, &c.body, c.now(), "dynamodb");
        prop_assert_eq!(got, Err(mismatch()));
    }

    #[test]
    fn added_query_parameter_fails(c in case()) {
        let mut parts = c.signed_parts();
        let pq = parts.uri.path_and_query().unwrap().as_str().to_owned();
        let sep = if pq.contains('?') { '&' } else { '?' };
        parts.uri = format!("{pq}{sep}zz=1").parse().unwrap();
        let got = creds().verify_for_service(&parts, &c.body, c.now(), "dynamodb");
        prop_assert_eq!(got, Err(mismatch()));
    }

    #[test]
    fn changed_signed_header_fails(c in case(), value in "[a-z]{1,8}") {
        let mut parts = c.signed_parts();
        let old = parts.headers.get("host").unwrap().to_str().unwrap().to_owned();
        parts.headers.insert("host", format!("{old}{value}").parse().unwrap());
        let got = creds().verify_for_service(&parts, &c.body, c.now(), "dynamodb");
        prop_assert_eq!(got, Err(mismatch()));
    }

    #[test]
    fn wrong_secret_fails(c in case()) {
        let parts = c.signed_parts();
        let other = Credentials::new([(AK.to_owned(), format!("{SK}x"))]);
        let got = other.verify_for_service(&parts, &c.body, c.now(), "dynamodb");
        prop_assert_eq!(got, Err(mismatch()));
    }

    #[test]
    fn flipped_signature_fails(c in case(), pos in 0usize..64) {
        let mut parts = c.signed_parts();
        let flip = |s: &str| -> String {
            let mut b = s.as_bytes().to_vec();
            let i = b.len() - 64 + pos;
            b[i] = if b[i] == b'0' { b'1' } else { b'0' };
            String::from_utf8(b).unwrap()
        };
        if c.presigned {
            let pq = parts.uri.path_and_query().unwrap().as_str().to_owned();
            let (head, sig) = pq.rsplit_once("X-Amz-Signature=").unwrap();
            let (sig, tail) = sig.split_at(64);
            let sig = flip(sig);
            parts.uri = format!("{head}X-Amz-Signature={sig}{tail}").parse().unwrap();
        } else {
            let auth = parts.headers.get("authorization").unwrap().to_str().unwrap().to_owned();
            parts.headers.insert("authorization", flip(&auth).parse().unwrap());
        }
        let got = creds().verify_for_service(&parts, &c.body, c.now(), "dynamodb");
        prop_assert_eq!(got, Err(mismatch()));
    }
}
