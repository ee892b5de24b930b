//! SigV4 building blocks: URI encoding, the canonical request, the string to
//! sign and the signing key, as AWS's "Signature Version 4" reference defines
//! them for non-S3 services (double-encoded, normalized path).

use std::borrow::Cow;

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// The only algorithm SigV4 (not SigV4a) defines.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// Percent-encodes every byte except the RFC 3986 unreserved characters
/// (and `/` when `keep_slash`), with upper-case hex, as SigV4 requires.
pub fn uri_encode(s: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for &b in s.as_bytes() {
        let unreserved = b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~');
        if unreserved || (keep_slash && b == b'/') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(hex_upper(b >> 4));
            out.push(hex_upper(b & 0x0f));
        }
    }
    out
}

fn hex_upper(n: u8) -> char {
    char::from(if n < 10 { b'0' + n } else { b'A' + n - 10 })
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Decodes `%XX` escapes (and `+` as a space when `plus_is_space`); invalid
/// escapes are kept literally and invalid UTF-8 is replaced, like the
/// `form_urlencoded` parser the AWS SDK signers use.
pub fn percent_decode(s: &str, plus_is_space: bool) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%'
            && let (Some(h), Some(l)) = (
                bytes.get(i + 1).copied().and_then(hex_val),
                bytes.get(i + 2).copied().and_then(hex_val),
            )
        {
            out.push(h << 4 | l);
            i += 3;
            continue;
        }
        out.push(if plus_is_space && b == b'+' { b' ' } else { b });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Splits a raw query string into decoded `(name, value)` pairs
/// (`application/x-www-form-urlencoded` rules, empty pieces skipped).
pub fn parse_query(raw: &str) -> Vec<(String, String)> {
    raw.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k, true), percent_decode(v, true))
        })
        .collect()
}

/// The canonical query string: every pair re-encoded strictly, sorted by
/// encoded name then value, `X-Amz-Signature` left out.
pub fn canonical_query(pairs: &[(String, String)]) -> String {
    let mut enc: Vec<(String, String)> = pairs
        .iter()
        .filter(|(k, _)| k != "X-Amz-Signature")
        .map(|(k, v)| (uri_encode(k, false), uri_encode(v, false)))
        .collect();
    enc.sort();
    let mut out = String::new();
    for (i, (k, v)) in enc.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(k);
        out.push('=');
        out.push_str(v);
    }
    out
}

/// RFC 3986 dot-segment removal (empty segments dropped too), as the AWS SDKs
/// normalize paths for every service but S3.
pub fn normalize_path(path: &str) -> Cow<'_, str> {
    if path.is_empty() {
        return Cow::Borrowed("/");
    }
    let path: Cow<'_, str> = if path.starts_with('/') {
        Cow::Borrowed(path)
    } else {
        Cow::Owned(format!("/{path}"))
    };
    if !(path.contains('.') || path.contains("//")) {
        return path;
    }
    let mut segs: Vec<&str> = Vec::new();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                segs.pop();
            }
            s => segs.push(s),
        }
    }
    let mut out = format!("/{}", segs.join("/"));
    let ends_with_slash = path.ends_with('/') || path.ends_with("/.") || path.ends_with("/..");
    if ends_with_slash && !out.ends_with('/') {
        out.push('/');
    }
    Cow::Owned(out)
}

/// The canonical path for non-S3 services: normalized, then encoded again
/// (the raw path is already percent-encoded, so `%` becomes `%25`).
pub fn canonical_path(raw_path: &str) -> String {
    uri_encode(&normalize_path(raw_path), true)
}

/// Trims spaces at both ends and folds runs of spaces into one.
pub fn trim_header_value(v: &str) -> String {
    let v = v.trim_matches(' ');
    let mut out = String::with_capacity(v.len());
    let mut prev_space = false;
    for c in v.chars() {
        if c == ' ' {
            if !prev_space {
                out.push(c);
            }
            prev_space = true;
        } else {
            out.push(c);
            prev_space = false;
        }
    }
    out
}

/// `hex(sha256(data))`.
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length: new_from_slice cannot fail.
    let mut mac = match HmacSha256::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => unreachable!("HMAC-SHA256 takes keys of any length"),
    };
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// The SigV4 signing key for `date` (`YYYYMMDD`), region and service.
pub fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
    let k_date = hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let k_region = hmac(&k_date, region.as_bytes());
    let k_service = hmac(&k_region, service.as_bytes());
    hmac(&k_service, b"aws4_request")
}

/// [`signing_key`], memoised: a client signs every request of a day with the
/// same key, so the four HMACs are done once per (secret, date, region,
/// service). Pure memoisation of a pure function: the answer is the same
/// with or without the cache. At most [`KEY_CACHE_SIZE`] keys are kept (the
/// oldest goes first).
pub fn cached_signing_key(secret: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
    type Entry = ([String; 4], [u8; 32]);
    static CACHE: std::sync::Mutex<Vec<Entry>> = std::sync::Mutex::new(Vec::new());
    let hit =
        |e: &&Entry| e.0[0] == secret && e.0[1] == date && e.0[2] == region && e.0[3] == service;
    if let Ok(cache) = CACHE.lock()
        && let Some((_, key)) = cache.iter().find(hit)
    {
        return *key;
    }
    let key = signing_key(secret, date, region, service);
    if let Ok(mut cache) = CACHE.lock() {
        if cache.len() >= KEY_CACHE_SIZE {
            cache.remove(0);
        }
        let parts = [secret, date, region, service].map(str::to_owned);
        cache.push((parts, key));
    }
    key
}

/// How many derived signing keys [`cached_signing_key`] keeps.
pub const KEY_CACHE_SIZE: usize = 32;

/// The string to sign over a canonical request.
pub fn string_to_sign(amz_date: &str, scope: &str, canonical_request: &str) -> String {
    format!(
        "{ALGORITHM}\n{amz_date}\n{scope}\n{}",
        sha256_hex(canonical_request.as_bytes())
    )
}

/// `hex(hmac(signing_key, string_to_sign))`.
pub fn signature(key: &[u8; 32], string_to_sign: &str) -> String {
    hex::encode(hmac(key, string_to_sign.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cached_signing_key_is_the_derived_one() {
        for i in 0..(KEY_CACHE_SIZE * 2) {
            let date = format!("2026{:04}", i % 40);
            for _ in 0..2 {
                assert_eq!(
                    cached_signing_key("secret", &date, "eu-west-1", "dynamodb"),
                    signing_key("secret", &date, "eu-west-1", "dynamodb")
                );
            }
            assert_ne!(
                cached_signing_key("other", &date, "eu-west-1", "dynamodb"),
                signing_key("secret", &date, "eu-west-1", "dynamodb")
            );
        }
    }

    #[test]
    fn encodes_like_sigv4() {
        assert_eq!(uri_encode("a b/c~d%e", true), "a%20b/c~d%25e");
        assert_eq!(uri_encode("a/b", false), "a%2Fb");
        assert_eq!(uri_encode("é", false), "%C3%A9");
    }

    #[test]
    fn decodes_form_urlencoded() {
        assert_eq!(percent_decode("a+b%20c%zz%4", true), "a b c%zz%4");
        assert_eq!(percent_decode("a+b", false), "a+b");
    }

    #[test]
    fn canonical_query_sorts_and_drops_signature() {
        let q = parse_query("b=2&a=1&a=0&X-Amz-Signature=zz&c");
        assert_eq!(canonical_query(&q), "a=0&a=1&b=2&c=");
    }

    #[test]
    fn normalizes_paths() {
        assert_eq!(normalize_path(""), "/");
        assert_eq!(normalize_path("/a/./b/../c"), "/a/c");
        assert_eq!(normalize_path("/a//b/"), "/a/b/");
        assert_eq!(normalize_path("/../x"), "/x");
        assert_eq!(normalize_path("/a/.."), "/");
    }

    #[test]
    fn aws_documented_signing_key() {
        // The example from AWS's SigV4 documentation.
        let key = signing_key(
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            "20120215",
            "us-east-1",
            "iam",
        );
        assert_eq!(
            hex::encode(key),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"
        );
    }

    #[test]
    fn trims_header_values() {
        assert_eq!(trim_header_value("  a   b  c "), "a b c");
        assert_eq!(trim_header_value("a\tb"), "a\tb");
    }
}
