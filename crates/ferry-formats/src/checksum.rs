//! MD5 and S3 ETag helpers for export files: a pass-through writer that
//! counts bytes and hashes what goes through it (whole file and, optionally,
//! per multipart-upload part), and the ETag forms S3 gives objects.

use std::io::{self, Write};

use base64::Engine;
use md5::{Digest, Md5};

/// MD5 of `data`.
pub fn md5(data: &[u8]) -> [u8; 16] {
    Md5::digest(data).into()
}

/// Base64 MD5 of `data` (the `md5Checksum` of manifests and the content of
/// `manifest-*.md5` files).
pub fn md5_base64(data: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(md5(data))
}

/// The ETag of an object uploaded in one part: the hex MD5.
pub fn etag_single(md5: &[u8; 16]) -> String {
    hex::encode(md5)
}

/// The ETag of a multipart upload: hex MD5 of the concatenated part MD5s,
/// `-`, the number of parts.
pub fn etag_multipart(part_md5s: &[[u8; 16]]) -> String {
    let mut h = Md5::new();
    for part in part_md5s {
        h.update(part);
    }
    let digest: [u8; 16] = h.finalize().into();
    format!("{}-{}", hex::encode(digest), part_md5s.len())
}

/// What an [`Md5Writer`] saw.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Md5Summary {
    /// MD5 of all bytes.
    pub md5: [u8; 16],
    /// Number of bytes.
    pub bytes: u64,
    /// MD5 of each part, when a part size was set (at least one part, even
    /// for an empty file: a multipart upload has at least one part).
    pub part_md5s: Vec<[u8; 16]>,
}

impl Md5Summary {
    /// Base64 of the whole-file MD5 (the manifest's `md5Checksum`).
    pub fn md5_base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.md5)
    }

    /// The ETag S3 gives the object: multipart form when a part size was set,
    /// else the hex MD5.
    pub fn etag(&self) -> String {
        if self.part_md5s.is_empty() {
            etag_single(&self.md5)
        } else {
            etag_multipart(&self.part_md5s)
        }
    }
}

/// Writes through to `W`, counting bytes and computing the MD5 (and per-part
/// MD5s when built with [`Md5Writer::with_part_size`]).
pub struct Md5Writer<W> {
    inner: W,
    md5: Md5,
    bytes: u64,
    part_size: Option<u64>,
    part: Md5,
    part_bytes: u64,
    parts: Vec<[u8; 16]>,
}

impl<W: Write> Md5Writer<W> {
    pub fn new(inner: W) -> Self {
        Md5Writer {
            inner,
            md5: Md5::new(),
            bytes: 0,
            part_size: None,
            part: Md5::new(),
            part_bytes: 0,
            parts: Vec::new(),
        }
    }

    /// Also hashes every `part_size` bytes separately, as a multipart upload
    /// with that part size would split the file (for its ETag).
    pub fn with_part_size(inner: W, part_size: u64) -> Self {
        let mut w = Self::new(inner);
        w.part_size = Some(part_size.max(1));
        w
    }

    /// Bytes written so far.
    pub fn bytes_written(&self) -> u64 {
        self.bytes
    }

    pub fn get_ref(&self) -> &W {
        &self.inner
    }

    pub fn get_mut(&mut self) -> &mut W {
        &mut self.inner
    }

    /// Returns the inner writer and what was written.
    pub fn finish(mut self) -> (W, Md5Summary) {
        if self.part_size.is_some() && (self.part_bytes > 0 || self.parts.is_empty()) {
            let part = std::mem::replace(&mut self.part, Md5::new());
            self.parts.push(part.finalize().into());
        }
        let summary = Md5Summary {
            md5: self.md5.finalize().into(),
            bytes: self.bytes,
            part_md5s: self.parts,
        };
        (self.inner, summary)
    }

    fn hash(&mut self, mut data: &[u8]) {
        self.md5.update(data);
        self.bytes += data.len() as u64;
        let Some(part_size) = self.part_size else {
            return;
        };
        while !data.is_empty() {
            let room = (part_size - self.part_bytes) as usize;
            let take = room.min(data.len());
            self.part.update(&data[..take]);
            self.part_bytes += take as u64;
            data = &data[take..];
            if self.part_bytes == part_size {
                let part = std::mem::replace(&mut self.part, Md5::new());
                self.parts.push(part.finalize().into());
                self.part_bytes = 0;
            }
        }
    }
}

impl<W: Write> Write for Md5Writer<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn md5_known_values() {
        assert_eq!(hex::encode(md5(b"")), "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(md5_base64(b""), "1B2M2Y8AsgTpgAmY7PhCfg==");
        assert_eq!(
            etag_single(&md5(b"abc")),
            "900150983cd24fb0d6963f7d28e17f72"
        );
    }

    #[test]
    fn multipart_etag_is_md5_of_part_md5s() {
        // Checked by hand: md5(md5("abc") ++ md5("def")).
        let parts = [md5(b"abc"), md5(b"def")];
        let mut concat = Vec::new();
        concat.extend_from_slice(&parts[0]);
        concat.extend_from_slice(&parts[1]);
        assert_eq!(
            etag_multipart(&parts),
            format!("{}-2", hex::encode(md5(&concat)))
        );
        assert_eq!(
            etag_multipart(&[md5(b"")]),
            "59adb24ef3cdbe0297f05b395827453f-1"
        );
    }

    #[test]
    fn writer_counts_and_hashes() {
        let mut w = Md5Writer::new(Vec::new());
        w.write_all(b"hello ").unwrap();
        w.write_all(b"world").unwrap();
        assert_eq!(w.bytes_written(), 11);
        let (inner, summary) = w.finish();
        assert_eq!(inner, b"hello world");
        assert_eq!(summary.bytes, 11);
        assert_eq!(summary.md5, md5(b"hello world"));
        assert_eq!(summary.etag(), hex::encode(md5(b"hello world")));
        assert_eq!(summary.md5_base64(), md5_base64(b"hello world"));
        assert!(summary.part_md5s.is_empty());
    }

    #[test]
    fn writer_splits_parts_across_writes() {
        let mut w = Md5Writer::with_part_size(Vec::new(), 4);
        w.write_all(b"ab").unwrap();
        w.write_all(b"cdefghij").unwrap();
        let (_, summary) = w.finish();
        assert_eq!(
            summary.part_md5s,
            vec![md5(b"abcd"), md5(b"efgh"), md5(b"ij")]
        );
        assert_eq!(summary.etag(), etag_multipart(&summary.part_md5s));
        assert!(summary.etag().ends_with("-3"));
    }

    #[test]
    fn writer_exact_multiple_and_empty() {
        let mut w = Md5Writer::with_part_size(Vec::new(), 3);
        w.write_all(b"abcdef").unwrap();
        assert_eq!(w.finish().1.part_md5s, vec![md5(b"abc"), md5(b"def")]);
        let empty = Md5Writer::with_part_size(Vec::new(), 3).finish().1;
        assert_eq!(empty.part_md5s, vec![md5(b"")]);
        assert_eq!(empty.etag(), "59adb24ef3cdbe0297f05b395827453f-1");
    }
}
