//! Streaming, atomic object writes: bytes go to a temporary file in the store
//! (MD5 computed on the way), then metadata and footer are appended, the file
//! is optionally fsynced, and one rename publishes it. Until the rename no
//! reader can see it; a crash leaves only a temporary file, removed at the
//! next open. Dropping an unfinished writer removes its temporary file.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::sync::Arc;

use chrono::Utc;
use md5::{Digest, Md5};

use super::bucket::Bucket;
use super::format::{ObjectAttrs, ObjectInfo, write_trailer};
use crate::error::StoreError;

/// A condition on the object a write replaces (S3 conditional writes).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PutCondition {
    /// `If-Match`: the current object must exist with this ETag (unquoted).
    pub if_match: Option<String>,
    /// `If-None-Match: *`: no object may exist under the key.
    pub if_none_match_any: bool,
}

pub(crate) enum Target {
    Object {
        bucket: Arc<Bucket>,
        key: String,
    },
    Part {
        dir: PathBuf,
        key: String,
        part: u32,
    },
}

/// A write in progress. Feed it with [`StoreWriter::write`], then publish
/// with [`BucketStore::finish_put`](crate::BucketStore::finish_put) (objects)
/// or [`BucketStore::finish_part`](crate::BucketStore::finish_part) (parts).
pub struct StoreWriter {
    pub(crate) target: Target,
    pub(crate) tmp: PathBuf,
    file: Option<BufWriter<File>>,
    md5: Md5,
    size: u64,
    pub(crate) fsync: bool,
}

impl std::fmt::Debug for StoreWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreWriter")
            .field("tmp", &self.tmp)
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

/// What a finished write produced, before it is published.
pub(crate) struct Written {
    pub tmp: PathBuf,
    pub info: ObjectInfo,
}

impl StoreWriter {
    pub(crate) fn create(target: Target, tmp: PathBuf, fsync: bool) -> Result<Self, StoreError> {
        let file =
            File::create(&tmp).map_err(StoreError::io(format!("create {}", tmp.display())))?;
        Ok(StoreWriter {
            target,
            tmp,
            file: Some(BufWriter::with_capacity(1 << 20, file)),
            md5: Md5::new(),
            size: 0,
            fsync,
        })
    }

    /// Appends bytes.
    pub fn write(&mut self, data: &[u8]) -> Result<(), StoreError> {
        let Some(f) = self.file.as_mut() else {
            return Err(StoreError::InvalidArgument(
                "writer already finished".into(),
            ));
        };
        f.write_all(data)
            .map_err(StoreError::io(format!("write {}", self.tmp.display())))?;
        self.md5.update(data);
        self.size += data.len() as u64;
        Ok(())
    }

    /// Hex MD5 of the bytes written so far.
    pub fn md5_hex(&self) -> String {
        hex::encode(self.md5.clone().finalize())
    }

    /// Bytes written so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The key this writer writes.
    pub fn key(&self) -> &str {
        match &self.target {
            Target::Object { key, .. } | Target::Part { key, .. } => key,
        }
    }

    /// Appends the trailer (metadata + footer), flushes and fsyncs. The
    /// temporary file is then complete but not yet published.
    pub(crate) fn seal(
        mut self,
        attrs: ObjectAttrs,
        etag: Option<String>,
        parts: Option<(u32, Vec<u64>)>,
    ) -> Result<Written, StoreError> {
        let Some(mut f) = self.file.take() else {
            return Err(StoreError::InvalidArgument(
                "writer already finished".into(),
            ));
        };
        let md5 = std::mem::take(&mut self.md5).finalize();
        let (parts_count, part_sizes) = match parts {
            Some((n, sizes)) => (Some(n), sizes),
            None => (None, Vec::new()),
        };
        let info = ObjectInfo {
            key: self.key().to_owned(),
            size: self.size,
            etag: etag.unwrap_or_else(|| hex::encode(md5)),
            last_modified: Utc::now(),
            parts_count,
            part_sizes,
            attrs,
        };
        let ctx = || format!("write {}", self.tmp.display());
        write_trailer(&mut f, &info).map_err(StoreError::io(ctx()))?;
        let file = f
            .into_inner()
            .map_err(|e| StoreError::io(ctx())(e.into_error()))?;
        if self.fsync {
            file.sync_all().map_err(StoreError::io(ctx()))?;
        }
        drop(file);
        let tmp = std::mem::take(&mut self.tmp);
        Ok(Written { tmp, info })
    }
}

impl Drop for StoreWriter {
    fn drop(&mut self) {
        if !self.tmp.as_os_str().is_empty() {
            self.file = None;
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// The base64 MD5 of the bytes of an object whose ETag is a plain MD5 (not
/// multipart); `None` for multipart ETags.
#[must_use]
pub fn etag_md5_base64(etag: &str) -> Option<String> {
    use base64::Engine as _;
    if etag.len() != 32 {
        return None;
    }
    let raw = hex::decode(etag).ok()?;
    Some(base64::engine::general_purpose::STANDARD.encode(raw))
}
