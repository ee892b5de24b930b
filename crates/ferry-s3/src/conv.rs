//! Conversions between s3s DTO types and the store's types.

use std::time::SystemTime;

use chrono::{DateTime, Utc};
use ferry_objects::{ObjectAttrs, ObjectInfo};
use s3s::dto::{ETag, Metadata, Owner, Timestamp, TimestampFormat};

/// The single owner of every bucket and object.
pub const OWNER_ID: &str = "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a";
pub const OWNER_NAME: &str = "ferry";

pub fn owner() -> Owner {
    Owner {
        display_name: Some(OWNER_NAME.to_owned()),
        id: Some(OWNER_ID.to_owned()),
    }
}

pub fn timestamp(t: DateTime<Utc>) -> Timestamp {
    Timestamp::from(SystemTime::from(t))
}

/// Whole seconds since the epoch (HTTP dates have second precision).
pub fn epoch_secs(t: Timestamp) -> i64 {
    time::OffsetDateTime::from(t).unix_timestamp()
}

pub fn etag(value: &str) -> ETag {
    ETag::Strong(value.to_owned())
}

fn http_date(t: &Timestamp) -> Option<String> {
    let mut buf = Vec::new();
    t.format(TimestampFormat::HttpDate, &mut buf).ok()?;
    String::from_utf8(buf).ok()
}

pub fn parse_http_date(s: &str) -> Option<Timestamp> {
    Timestamp::parse(TimestampFormat::HttpDate, s).ok()
}

/// The stored attributes of a new object from a request's headers.
#[allow(clippy::too_many_arguments)]
pub fn attrs(
    content_type: Option<String>,
    content_encoding: Option<String>,
    content_disposition: Option<String>,
    content_language: Option<String>,
    cache_control: Option<String>,
    expires: Option<Timestamp>,
    metadata: Option<Metadata>,
) -> ObjectAttrs {
    let content_encoding = content_encoding.and_then(|e| {
        let rest: Vec<&str> = e
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty() && *t != "aws-chunked")
            .collect();
        (!rest.is_empty()).then(|| rest.join(", "))
    });
    ObjectAttrs {
        content_type,
        content_encoding,
        content_disposition,
        content_language,
        cache_control,
        expires: expires.as_ref().and_then(http_date),
        user_metadata: metadata
            .unwrap_or_default()
            .into_iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v))
            .collect(),
        checksums: Default::default(),
    }
}

pub fn metadata(info: &ObjectInfo) -> Option<Metadata> {
    let m = &info.attrs.user_metadata;
    (!m.is_empty()).then(|| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
}

/// Percent-encodes a key for `encoding-type=url` listings: everything but
/// unreserved characters and `/`.
pub fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_encoding_and_dates() {
        assert_eq!(url_encode("a b+c/ü%"), "a%20b%2Bc/%C3%BC%25");
        let t = parse_http_date("Wed, 21 Oct 2015 07:28:00 GMT").unwrap();
        assert_eq!(epoch_secs(t.clone()), 1_445_412_480);
        assert_eq!(
            http_date(&t).as_deref(),
            Some("Wed, 21 Oct 2015 07:28:00 GMT")
        );
    }

    #[test]
    fn aws_chunked_is_not_stored() {
        let a = attrs(
            None,
            Some("aws-chunked".into()),
            None,
            None,
            None,
            None,
            None,
        );
        assert_eq!(a.content_encoding, None);
        let a = attrs(
            None,
            Some("gzip, aws-chunked".into()),
            None,
            None,
            None,
            None,
            None,
        );
        assert_eq!(a.content_encoding.as_deref(), Some("gzip"));
    }
}
