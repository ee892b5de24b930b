//! S3's naming rules (bucket names, object keys) and the mapping of a key to
//! the file that holds it. Keys never become path components: a key's file is
//! named by the SHA-256 of the key, so no key can reach outside its bucket.

use sha2::{Digest, Sha256};

/// The longest key S3 accepts, in UTF-8 bytes.
pub const MAX_KEY_LEN: usize = 1024;

/// Whether `name` is a legal general-purpose S3 bucket name:
/// 3-63 characters of lowercase letters, digits, `.` and `-`, starting and
/// ending with a letter or digit, no `..`, not an IPv4 address, and none of
/// the prefixes and suffixes AWS reserves.
pub fn is_valid_bucket_name(name: &str) -> bool {
    let b = name.as_bytes();
    if !(3..=63).contains(&b.len()) {
        return false;
    }
    if !b
        .iter()
        .all(|&c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'.' || c == b'-')
    {
        return false;
    }
    let alnum = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    if !alnum(b[0]) || !alnum(b[b.len() - 1]) {
        return false;
    }
    if name.contains("..") {
        return false;
    }
    if name.parse::<std::net::Ipv4Addr>().is_ok() {
        return false;
    }
    const BAD_PREFIXES: [&str; 3] = ["xn--", "sthree-", "amzn-s3-demo-"];
    const BAD_SUFFIXES: [&str; 5] = ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"];
    if BAD_PREFIXES.iter().any(|p| name.starts_with(p))
        || BAD_SUFFIXES.iter().any(|s| name.ends_with(s))
    {
        return false;
    }
    true
}

/// Whether `key` is a legal object key (1 to 1024 bytes of UTF-8).
pub fn is_valid_key(key: &str) -> bool {
    !key.is_empty() && key.len() <= MAX_KEY_LEN
}

/// The file name of a key inside its bucket: two fan-out directories and the
/// hex SHA-256 of the key, e.g. `ab/cd/abcd…`. Only hex digits and `/`.
pub fn key_file(key: &str) -> String {
    let h = hex::encode(Sha256::digest(key.as_bytes()));
    format!("{}/{}/{}", &h[0..2], &h[2..4], h)
}

/// Whether `id` has the shape of an upload id this store issues (32 lowercase
/// hex digits); anything else cannot name an upload directory.
pub fn is_valid_upload_id(id: &str) -> bool {
    id.len() == 32
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_rules() {
        for ok in ["abc", "my.bucket-1", "a-b", "0ab", &"a".repeat(63)] {
            assert!(is_valid_bucket_name(ok), "{ok}");
        }
        for bad in [
            "ab",
            &"a".repeat(64),
            "Abc",
            "a_b",
            "-ab",
            "ab-",
            ".ab",
            "a..b",
            "192.168.1.1",
            "xn--abc",
            "sthree-x",
            "abc-s3alias",
            "abc--ol-s3",
            "..",
            "a/b",
            "a b",
            "ab\0",
        ] {
            assert!(!is_valid_bucket_name(bad), "{bad}");
        }
    }

    #[test]
    fn key_files_are_hex_only() {
        for key in ["../../etc/passwd", "/", "a//b/", ".", "..", "é/ü", "\0"] {
            let f = key_file(key);
            assert_eq!(f.len(), 2 + 1 + 2 + 1 + 64);
            assert!(f.bytes().all(|b| b == b'/' || b.is_ascii_hexdigit()), "{f}");
        }
        assert_ne!(key_file("a"), key_file("a/"));
    }

    #[test]
    fn keys_and_upload_ids() {
        assert!(is_valid_key("a"));
        assert!(is_valid_key(&"é".repeat(512)));
        assert!(!is_valid_key(&"é".repeat(513)));
        assert!(!is_valid_key(""));
        assert!(is_valid_upload_id(&"0123456789abcdef".repeat(2)));
        assert!(!is_valid_upload_id("../../../../etc/passwd/000000000"));
        assert!(!is_valid_upload_id(&"0123456789ABCDEF".repeat(2)));
    }
}
