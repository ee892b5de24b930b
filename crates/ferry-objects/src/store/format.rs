//! The on-disk object file: the object's bytes, then its metadata as JSON,
//! then a 16-byte footer.
//!
//! ```text
//! +----------------------+----------------------+---------------------------+
//! | data (size bytes)    | metadata JSON (m B)  | m: u64 LE | "FERRYOB1"    |
//! +----------------------+----------------------+---------------------------+
//! ```
//!
//! Data first lets a writer stream an object of unknown length in one pass
//! and append the metadata (size, ETag, checksums) once it is known. The
//! magic's last byte is the format version. A reader opens the file, reads the
//! footer and metadata, and streams `0..size` from the same open file handle,
//! so a concurrent overwrite (a rename over the path) never mixes versions.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::StoreError;

/// Footer magic; the last byte is the format version.
pub const MAGIC: &[u8; 8] = b"FERRYOB1";
/// Footer length.
pub const FOOTER_LEN: u64 = 16;
/// Upper bound on the metadata JSON, to refuse corrupt footers.
const MAX_META_LEN: u64 = 1 << 20;

/// Additional checksums stored with an object (base64 of the big-endian
/// digest, as S3 sends them), and how they were computed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checksums {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crc32: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crc32c: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crc64nvme: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha1: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// `FULL_OBJECT` or `COMPOSITE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checksum_type: Option<String>,
}

impl Checksums {
    /// True when no checksum is stored.
    pub fn is_empty(&self) -> bool {
        self.crc32.is_none()
            && self.crc32c.is_none()
            && self.crc64nvme.is_none()
            && self.sha1.is_none()
            && self.sha256.is_none()
    }
}

/// What a writer says about an object besides its bytes: the HTTP headers S3
/// stores and returns, user metadata (`x-amz-meta-*`, names lower-case) and
/// verified checksums.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectAttrs {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_encoding: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_disposition: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_language: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_control: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub user_metadata: BTreeMap<String, String>,
    #[serde(default)]
    pub checksums: Checksums,
}

/// Everything stored about one object (or one multipart part).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectInfo {
    pub key: String,
    pub size: u64,
    /// Without quotes: 32 hex digits, or `<hex>-<parts>` for multipart.
    pub etag: String,
    pub last_modified: DateTime<Utc>,
    /// Number of parts for a multipart object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parts_count: Option<u32>,
    /// Sizes of the parts of a multipart object (for `partNumber` reads).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub part_sizes: Vec<u64>,
    #[serde(flatten)]
    pub attrs: ObjectAttrs,
}

/// Appends the metadata and footer after the data.
pub fn write_trailer(w: &mut impl Write, info: &ObjectInfo) -> std::io::Result<()> {
    let json = serde_json::to_vec(info).map_err(std::io::Error::other)?;
    w.write_all(&json)?;
    w.write_all(&(json.len() as u64).to_le_bytes())?;
    w.write_all(MAGIC)?;
    Ok(())
}

fn corrupt(path: &Path, reason: impl Into<String>) -> StoreError {
    StoreError::Corrupt {
        path: path.display().to_string(),
        reason: reason.into(),
    }
}

/// Reads the metadata of an open object file (the file position is left
/// anywhere; callers seek before reading data).
pub fn read_info(file: &mut File, path: &Path) -> Result<ObjectInfo, StoreError> {
    let len = file
        .metadata()
        .map_err(StoreError::io(format!("stat {}", path.display())))?
        .len();
    if len < FOOTER_LEN {
        return Err(corrupt(path, "shorter than the footer"));
    }
    let mut footer = [0u8; FOOTER_LEN as usize];
    file.seek(SeekFrom::Start(len - FOOTER_LEN))
        .and_then(|_| file.read_exact(&mut footer))
        .map_err(StoreError::io(format!("read {}", path.display())))?;
    let (meta_len, magic) = footer.split_at(8);
    if magic != MAGIC {
        return Err(corrupt(path, "bad magic"));
    }
    let mut n = [0u8; 8];
    n.copy_from_slice(meta_len);
    let meta_len = u64::from_le_bytes(n);
    if meta_len > MAX_META_LEN || meta_len + FOOTER_LEN > len {
        return Err(corrupt(path, "bad metadata length"));
    }
    let mut json = vec![0u8; meta_len as usize];
    file.seek(SeekFrom::Start(len - FOOTER_LEN - meta_len))
        .and_then(|_| file.read_exact(&mut json))
        .map_err(StoreError::io(format!("read {}", path.display())))?;
    let info: ObjectInfo =
        serde_json::from_slice(&json).map_err(|e| corrupt(path, format!("metadata: {e}")))?;
    if info.size + meta_len + FOOTER_LEN != len {
        return Err(corrupt(path, "size does not match the file length"));
    }
    Ok(info)
}

/// Opens an object file and reads its metadata.
pub fn open_object(path: &Path) -> Result<Option<(File, ObjectInfo)>, StoreError> {
    let mut file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(StoreError::io(format!("open {}", path.display()))(e)),
    };
    let info = read_info(&mut file, path)?;
    Ok(Some((file, info)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip_and_corruption() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("obj");
        let info = ObjectInfo {
            key: "a//b/".into(),
            size: 5,
            etag: "5d41402abc4b2a76b9719d911017c592".into(),
            last_modified: DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
            parts_count: None,
            part_sizes: vec![],
            attrs: ObjectAttrs {
                content_type: Some("text/plain".into()),
                user_metadata: [("k".to_owned(), "v".to_owned())].into(),
                ..Default::default()
            },
        };
        let mut f = File::create(&path).unwrap();
        f.write_all(b"hello").unwrap();
        write_trailer(&mut f, &info).unwrap();
        drop(f);
        let (mut file, got) = open_object(&path).unwrap().unwrap();
        assert_eq!(got, info);
        let mut data = vec![0u8; 5];
        file.seek(SeekFrom::Start(0)).unwrap();
        file.read_exact(&mut data).unwrap();
        assert_eq!(&data, b"hello");

        std::fs::write(&path, b"garbage that is long enough").unwrap();
        let e = open_object(&path).unwrap_err();
        assert!(
            matches!(e, StoreError::Corrupt { ref reason, .. } if reason == "bad magic"),
            "{e}"
        );
        assert!(open_object(&dir.path().join("missing")).unwrap().is_none());
    }
}
