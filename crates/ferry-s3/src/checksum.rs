//! Additional checksums (CRC32, CRC32C, CRC64NVME, SHA1, SHA256) as S3 does
//! them: which ones a request asks for (headers, `x-amz-sdk-checksum-algorithm`,
//! `x-amz-trailer`), verification against what was received (s3s parses the
//! values but checks none), multipart composites, and Content-MD5.

use base64::Engine as _;
use ferry_objects::Checksums;
use http::HeaderMap;
use s3s::checksum::ChecksumHasher;
use s3s::dto::Checksum;
use s3s::{S3Error, S3ErrorCode};

use crate::errors::{err, msg};

/// The algorithms S3 knows, with their header names and digest lengths.
pub const ALGORITHMS: [(&str, &str, usize); 5] = [
    ("CRC32", "x-amz-checksum-crc32", 4),
    ("CRC32C", "x-amz-checksum-crc32c", 4),
    ("CRC64NVME", "x-amz-checksum-crc64nvme", 8),
    ("SHA1", "x-amz-checksum-sha1", 20),
    ("SHA256", "x-amz-checksum-sha256", 32),
];

/// Checksum values by algorithm index into [`ALGORITHMS`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Values(pub [Option<String>; 5]);

impl Values {
    /// From the `checksum_*` fields of a request input.
    pub fn new(
        crc32: Option<String>,
        crc32c: Option<String>,
        crc64nvme: Option<String>,
        sha1: Option<String>,
        sha256: Option<String>,
    ) -> Self {
        Values([crc32, crc32c, crc64nvme, sha1, sha256])
    }

    pub fn from_dto(c: Checksum) -> Self {
        Values::new(
            c.checksum_crc32,
            c.checksum_crc32c,
            c.checksum_crc64nvme,
            c.checksum_sha1,
            c.checksum_sha256,
        )
    }

    pub fn from_stored(c: &Checksums) -> Self {
        Values::new(
            c.crc32.clone(),
            c.crc32c.clone(),
            c.crc64nvme.clone(),
            c.sha1.clone(),
            c.sha256.clone(),
        )
    }

    pub fn into_stored(self, checksum_type: Option<&str>) -> Checksums {
        let [crc32, crc32c, crc64nvme, sha1, sha256] = self.0;
        let mut c = Checksums {
            crc32,
            crc32c,
            crc64nvme,
            sha1,
            sha256,
            checksum_type: None,
        };
        if !c.is_empty() {
            c.checksum_type = checksum_type.map(str::to_owned);
        }
        c
    }

    /// Adds the values of checksum trailers (`x-amz-checksum-*`).
    pub fn merge_trailers(&mut self, trailers: &HeaderMap) {
        for (i, (_, name, _)) in ALGORITHMS.iter().enumerate() {
            if let Some(v) = trailers.get(*name).and_then(|v| v.to_str().ok()) {
                self.0[i] = Some(v.trim().to_owned());
            }
        }
    }
}

/// Index of an algorithm name (`CRC32`, `crc32c`, …).
pub fn algorithm_index(name: &str) -> Option<usize> {
    ALGORITHMS
        .iter()
        .position(|(a, _, _)| a.eq_ignore_ascii_case(name))
}

/// The algorithms to compute for a body: those with a value in the request,
/// the declared algorithm, and those announced as trailers.
pub fn wanted(expected: &Values, algorithm: Option<&str>, headers: &HeaderMap) -> [bool; 5] {
    let mut want = [false; 5];
    for (i, v) in expected.0.iter().enumerate() {
        want[i] = v.is_some();
    }
    if let Some(i) = algorithm.and_then(algorithm_index) {
        want[i] = true;
    }
    for t in headers.get_all("x-amz-trailer") {
        for name in t.to_str().unwrap_or_default().split(',') {
            let name = name.trim().to_ascii_lowercase();
            if let Some(i) = ALGORITHMS.iter().position(|(_, h, _)| *h == name) {
                want[i] = true;
            }
        }
    }
    want
}

/// A hasher computing the wanted algorithms.
pub fn hasher(want: &[bool; 5]) -> ChecksumHasher {
    use s3s::crypto::Checksum as _;
    let mut h = ChecksumHasher::default();
    if want[0] {
        h.crc32 = Some(s3s::crypto::Crc32::new());
    }
    if want[1] {
        h.crc32c = Some(s3s::crypto::Crc32c::new());
    }
    if want[2] {
        h.crc64nvme = Some(s3s::crypto::Crc64Nvme::new());
    }
    if want[3] {
        h.sha1 = Some(s3s::crypto::Sha1::new());
    }
    if want[4] {
        h.sha256 = Some(s3s::crypto::Sha256::new());
    }
    h
}

fn decodes_to(value: &str, len: usize) -> bool {
    base64::engine::general_purpose::STANDARD
        .decode(value)
        .is_ok_and(|v| v.len() == len)
}

/// Checks every expected value against what was computed: a malformed value
/// is `InvalidRequest`, a different one `BadDigest`, as S3 answers.
pub fn verify(computed: &Values, expected: &Values) -> Result<(), S3Error> {
    for (i, (alg, header, len)) in ALGORITHMS.iter().enumerate() {
        let Some(want) = &expected.0[i] else { continue };
        if !decodes_to(want, *len) {
            return Err(err(
                S3ErrorCode::InvalidRequest,
                &format!("Value for {header} header is invalid."),
            ));
        }
        if computed.0[i].as_deref() != Some(want.as_str()) {
            return Err(err(
                S3ErrorCode::BadDigest,
                &format!("The {alg} you specified did not match the calculated checksum."),
            ));
        }
    }
    Ok(())
}

/// Checks a `Content-MD5` header (base64) against the MD5 of the body.
pub fn verify_content_md5(content_md5: Option<&str>, md5_hex: &str) -> Result<(), S3Error> {
    let Some(b64) = content_md5 else {
        return Ok(());
    };
    let raw = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .ok()
        .filter(|r| r.len() == 16)
        .ok_or_else(|| err(S3ErrorCode::InvalidDigest, msg::INVALID_MD5))?;
    if hex::encode(raw) != md5_hex {
        return Err(err(S3ErrorCode::BadDigest, msg::BAD_MD5));
    }
    Ok(())
}

/// S3's composite checksum of a multipart object: the checksum of the
/// concatenated binary part checksums, then `-<part count>`. `None` when a
/// part lacks the algorithm.
pub fn composite(index: usize, parts: &[Option<String>]) -> Option<String> {
    let mut want = [false; 5];
    want[index] = true;
    let mut h = hasher(&want);
    for p in parts {
        let raw = base64::engine::general_purpose::STANDARD
            .decode(p.as_deref()?)
            .ok()?;
        h.update(&raw);
    }
    let v = Values::from_dto(h.finalize()).0[index].clone()?;
    Some(format!("{v}-{}", parts.len()))
}

/// Values computed by a hasher.
pub fn finish(h: ChecksumHasher) -> Values {
    Values::from_dto(h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values() {
        let mut h = hasher(&[true, true, true, true, true]);
        h.update(b"hello world");
        let v = finish(h);
        assert_eq!(v.0[0].as_deref(), Some("DUoRhQ=="));
        assert_eq!(v.0[1].as_deref(), Some("yZRlqg=="));
        assert_eq!(
            v.0[4].as_deref(),
            Some("uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek=")
        );
        assert_eq!(v.0[3].as_deref(), Some("Kq5sNclPz7QV2+lfQIuc6R7oRu0="));
    }

    #[test]
    fn verify_reports_like_s3() {
        let computed = Values::new(Some("DUoRhQ==".into()), None, None, None, None);
        assert!(verify(&computed, &computed).is_ok());
        let wrong = Values::new(Some("AAAAAA==".into()), None, None, None, None);
        let e = verify(&computed, &wrong).unwrap_err();
        assert_eq!(e.code(), &S3ErrorCode::BadDigest);
        assert_eq!(
            e.message(),
            Some("The CRC32 you specified did not match the calculated checksum.")
        );
        let bad = Values::new(Some("nope".into()), None, None, None, None);
        let e = verify(&computed, &bad).unwrap_err();
        assert_eq!(e.code(), &S3ErrorCode::InvalidRequest);
        assert_eq!(
            e.message(),
            Some("Value for x-amz-checksum-crc32 header is invalid.")
        );
    }

    #[test]
    fn content_md5() {
        // md5("hello world")
        let hex = "5eb63bbbe01eeed093cb22bb8f5acdc3";
        assert!(verify_content_md5(Some("XrY7u+Ae7tCTyyK7j1rNww=="), hex).is_ok());
        let e = verify_content_md5(Some("AAAAAAAAAAAAAAAAAAAAAA=="), hex).unwrap_err();
        assert_eq!(e.code(), &S3ErrorCode::BadDigest);
        let e = verify_content_md5(Some("xx"), hex).unwrap_err();
        assert_eq!(e.code(), &S3ErrorCode::InvalidDigest);
    }

    #[test]
    fn wanted_from_trailer_and_algorithm() {
        let mut h = HeaderMap::new();
        h.insert("x-amz-trailer", "x-amz-checksum-crc32c".parse().unwrap());
        let w = wanted(&Values::default(), Some("sha256"), &h);
        assert_eq!(w, [false, true, false, false, true]);
    }
}
