//! The object-access trait import and export use, whatever the store:
//! listing by raw prefix, streaming reads pinned by ETag, streaming writes
//! that report the MD5 and ETag of what they wrote.

use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures::stream::BoxStream;

use crate::error::ObjectError;

/// S3's page size for listings.
pub const LIST_PAGE: usize = 1000;

/// An object as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectMeta {
    pub key: String,
    pub size: u64,
    /// Without quotes, e.g. `5d41402abc4b2a76b9719d911017c592` or `…-3`.
    pub etag: String,
    pub last_modified: DateTime<Utc>,
}

/// One page of a listing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListPage {
    pub objects: Vec<ObjectMeta>,
    /// `Some(key)` when more objects follow: pass it as `start_after`.
    pub next_start_after: Option<String>,
}

/// A streaming read: the object's metadata, then its bytes.
pub struct GetObject {
    pub meta: ObjectMeta,
    pub body: BoxStream<'static, Result<Bytes, ObjectError>>,
}

impl std::fmt::Debug for GetObject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GetObject")
            .field("meta", &self.meta)
            .finish_non_exhaustive()
    }
}

/// What a finished write produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PutResult {
    /// The store's ETag, without quotes (`<md5 hex>` for a single PUT,
    /// `<hex>-<n>` after a multipart upload).
    pub etag: String,
    /// Base64 MD5 of the bytes written (the export manifests' `md5Checksum`).
    pub md5_base64: String,
    /// Hex MD5 of the bytes written.
    pub md5_hex: String,
    pub size: u64,
}

/// A streaming write. Nothing is visible under the key before
/// [`ObjectWriter::finish`]; [`ObjectWriter::abort`] (or dropping the writer)
/// leaves the key as it was.
#[async_trait::async_trait]
pub trait ObjectWriter: Send {
    async fn write(&mut self, data: Bytes) -> Result<(), ObjectError>;
    async fn finish(self: Box<Self>) -> Result<PutResult, ObjectError>;
    async fn abort(self: Box<Self>) -> Result<(), ObjectError>;
}

/// Object access for jobs. Two implementations: [`crate::EmbeddedClient`]
/// (Ferry's own bucket store, in process) and [`crate::ExternalClient`] (any
/// S3-compatible endpoint).
#[async_trait::async_trait]
pub trait ObjectClient: Send + Sync + std::fmt::Debug {
    /// `embedded` or `external`.
    fn kind(&self) -> &'static str;

    /// `Ok` if the bucket exists and is reachable, else `NoSuchBucket`,
    /// `AccessDenied`, ….
    async fn head_bucket(&self, bucket: &str) -> Result<(), ObjectError>;

    /// One page (at most `max_keys`, capped at 1000) of the objects whose key
    /// starts with `prefix` (a raw string, not a directory), after
    /// `start_after`, in S3's key order.
    async fn list_page(
        &self,
        bucket: &str,
        prefix: &str,
        start_after: Option<&str>,
        max_keys: usize,
    ) -> Result<ListPage, ObjectError>;

    /// Reads an object. With `if_match` (an ETag, quoted or not), fails with
    /// `PreconditionFailed` if the object no longer has that ETag.
    async fn get(
        &self,
        bucket: &str,
        key: &str,
        if_match: Option<&str>,
    ) -> Result<GetObject, ObjectError>;

    /// Starts a streaming write to `key`.
    async fn put(&self, bucket: &str, key: &str) -> Result<Box<dyn ObjectWriter>, ObjectError>;

    /// Lists every object under `prefix`, stopping with an error past `limit`
    /// objects (`limit + 1` are read to tell).
    async fn list_all(
        &self,
        bucket: &str,
        prefix: &str,
        limit: usize,
    ) -> Result<Vec<ObjectMeta>, ObjectError> {
        let mut out = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let page = self
                .list_page(bucket, prefix, after.as_deref(), LIST_PAGE)
                .await?;
            out.extend(page.objects);
            if out.len() > limit {
                return Err(ObjectError::Other {
                    code: "TooManyObjects".into(),
                    message: format!("more than {limit} objects match the prefix"),
                    status: 400,
                });
            }
            match page.next_start_after {
                Some(k) => after = Some(k),
                None => return Ok(out),
            }
        }
    }

    /// Writes a whole object from memory.
    async fn put_bytes(
        &self,
        bucket: &str,
        key: &str,
        data: Bytes,
    ) -> Result<PutResult, ObjectError> {
        let mut w = self.put(bucket, key).await?;
        w.write(data).await?;
        w.finish().await
    }

    /// Reads a whole object into memory (for small objects such as manifests).
    async fn get_bytes(&self, bucket: &str, key: &str) -> Result<Bytes, ObjectError> {
        use futures::TryStreamExt as _;
        let got = self.get(bucket, key, None).await?;
        let chunks: Vec<Bytes> = got.body.try_collect().await?;
        Ok(Bytes::from(chunks.concat()))
    }
}

/// Strips the quotes of an HTTP ETag (`"abc"` → `abc`, `W/"abc"` → `abc`).
pub fn unquote_etag(etag: &str) -> &str {
    let e = etag.strip_prefix("W/").unwrap_or(etag);
    e.strip_prefix('"')
        .and_then(|e| e.strip_suffix('"'))
        .unwrap_or(e)
}
