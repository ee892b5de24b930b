//! The embedded bucket store: buckets and objects in a directory tree.
//!
//! ```text
//! <root>/
//!   FORMAT                      "ferry-bucket-store 1"
//!   tmp/                        in-flight writes (emptied at open)
//!   buckets/<bucket>/bucket.json  {version, name, created, owner?, policy?}
//!   buckets/<bucket>/objects/<h0h1>/<h2h3>/<sha256(key) hex>   object files (see format.rs)
//!   uploads/<bucket>/<upload-id>/upload.json, part-00001 …     multipart uploads
//! ```
//!
//! Invariants:
//! - Bucket directories are named by validated bucket names (S3's rules: no
//!   `/`, no `..`); object files by the SHA-256 of the key; upload directories
//!   by ids of 32 hex digits that the store issued. So no bucket name, key or
//!   upload id can name a path outside the store, and keys round-trip exactly
//!   (any UTF-8, `//`, trailing `/`, `.` and `..` segments): the key itself
//!   lives in the object file's metadata.
//! - An object file appears only by `rename` of a complete temporary file;
//!   readers stream from the file handle they opened.
//! - Each bucket keeps an in-memory `BTreeMap` of key → (size, ETag,
//!   last-modified), built from the object files on first use (in parallel)
//!   and updated under the bucket's commit lock together with each rename or
//!   unlink. Listing is a range scan of it: efficient for 50,000+ objects.
//!
//! All methods block (std::fs): call them from `spawn_blocking` in async code.

mod bucket;
pub mod format;
pub mod list;
mod multipart;
mod writer;

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};

pub use self::bucket::BucketAccess;
use self::bucket::{BUCKET_FILE_VERSION, Bucket, BucketFile};
use self::format::{ObjectAttrs, ObjectInfo, open_object};
use self::list::{IndexEntry, ListPage, ListQuery};
use self::writer::{Target, Written};
use crate::error::StoreError;
use crate::names::{is_valid_bucket_name, is_valid_key, key_file};

pub use self::multipart::{CompleteHook, NoHook, PartRef, UploadInfo};
pub use self::writer::{PutCondition, StoreWriter, etag_md5_base64};

const FORMAT_LINE: &str = "ferry-bucket-store 1";

/// Store settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreOptions {
    /// fsync each object file before it is published (durable against power
    /// loss, not only process crashes).
    pub fsync: bool,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions { fsync: true }
    }
}

/// A bucket as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketInfo {
    pub name: String,
    pub created: DateTime<Utc>,
}

/// An object opened for reading: its metadata and the open file, positioned
/// anywhere; its data is bytes `0..info.size`.
#[derive(Debug)]
pub struct OpenObject {
    pub info: ObjectInfo,
    pub file: File,
}

impl OpenObject {
    /// Seeks to `offset` in the data and returns a reader of `len` bytes.
    pub fn into_reader(mut self, offset: u64, len: u64) -> Result<impl Read, StoreError> {
        self.file
            .seek(SeekFrom::Start(offset))
            .map_err(StoreError::io("seek object"))?;
        Ok(self.file.take(len))
    }
}

/// The embedded bucket store (see the module docs for layout and invariants).
pub struct BucketStore {
    root: PathBuf,
    opts: StoreOptions,
    buckets: RwLock<BTreeMap<String, Arc<Bucket>>>,
}

impl std::fmt::Debug for BucketStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BucketStore")
            .field("root", &self.root)
            .finish_non_exhaustive()
    }
}

fn io_at(what: &str, p: &Path) -> impl FnOnce(std::io::Error) -> StoreError {
    StoreError::io(format!("{what} {}", p.display()))
}

impl BucketStore {
    /// Opens (creating if needed) the store under `root`: removes leftover
    /// temporary files and reads the bucket list. Object indexes are built
    /// lazily per bucket.
    pub fn open(root: impl Into<PathBuf>, opts: StoreOptions) -> Result<Self, StoreError> {
        let root = root.into();
        for d in ["tmp", "buckets", "uploads"] {
            let p = root.join(d);
            std::fs::create_dir_all(&p).map_err(io_at("create", &p))?;
        }
        let format = root.join("FORMAT");
        match std::fs::read_to_string(&format) {
            Ok(s) if s.trim() == FORMAT_LINE => {}
            Ok(s) => {
                return Err(StoreError::Corrupt {
                    path: format.display().to_string(),
                    reason: format!("unknown store format {:?}", s.trim()),
                });
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                std::fs::write(&format, format!("{FORMAT_LINE}\n"))
                    .map_err(io_at("write", &format))?;
            }
            Err(e) => return Err(io_at("read", &format)(e)),
        }
        let tmp = root.join("tmp");
        for e in std::fs::read_dir(&tmp).map_err(io_at("list", &tmp))? {
            let p = e.map_err(io_at("list", &tmp))?.path();
            let _ = std::fs::remove_file(&p);
        }
        let mut buckets = BTreeMap::new();
        let dir = root.join("buckets");
        for e in std::fs::read_dir(&dir).map_err(io_at("list", &dir))? {
            let path = e.map_err(io_at("list", &dir))?.path();
            let Some(name) = path.file_name().and_then(|n| n.to_str()).map(str::to_owned) else {
                continue;
            };
            if !is_valid_bucket_name(&name) {
                continue;
            }
            let meta = path.join("bucket.json");
            let Ok(text) = std::fs::read(&meta) else {
                // A bucket whose creation did not finish.
                continue;
            };
            let bf: BucketFile =
                serde_json::from_slice(&text).map_err(|e| StoreError::Corrupt {
                    path: meta.display().to_string(),
                    reason: e.to_string(),
                })?;
            if bf.version > BUCKET_FILE_VERSION {
                return Err(StoreError::Corrupt {
                    path: meta.display().to_string(),
                    reason: format!("unknown bucket.json version {}", bf.version),
                });
            }
            let access = BucketAccess {
                owner: bf.owner,
                policy: bf.policy,
            };
            buckets.insert(
                name.clone(),
                Arc::new(Bucket::new(name, path, bf.created, access)),
            );
        }
        Ok(BucketStore {
            root,
            opts,
            buckets: RwLock::new(buckets),
        })
    }

    /// The store's root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    pub(crate) fn tmp_path(&self) -> PathBuf {
        self.root
            .join("tmp")
            .join(uuid::Uuid::new_v4().simple().to_string())
    }

    pub(crate) fn uploads_dir(&self, bucket: &str) -> PathBuf {
        self.root.join("uploads").join(bucket)
    }

    pub(crate) fn fsync(&self) -> bool {
        self.opts.fsync
    }

    pub(crate) fn bucket(&self, name: &str) -> Result<Arc<Bucket>, StoreError> {
        let g = self.buckets.read().unwrap_or_else(|e| e.into_inner());
        g.get(name)
            .cloned()
            .ok_or_else(|| StoreError::NoSuchBucket(name.to_owned()))
    }

    /// Creates a bucket of the default account. `BucketAlreadyOwnedByYou` if it exists.
    pub fn create_bucket(&self, name: &str) -> Result<BucketInfo, StoreError> {
        self.create_bucket_for(name, None)
    }

    /// Creates a bucket owned by `owner` (an account id; `None`: the default
    /// account). `BucketAlreadyOwnedByYou` if it exists.
    pub fn create_bucket_for(
        &self,
        name: &str,
        owner: Option<String>,
    ) -> Result<BucketInfo, StoreError> {
        if !is_valid_bucket_name(name) {
            return Err(StoreError::InvalidBucketName(name.to_owned()));
        }
        let mut g = self.buckets.write().unwrap_or_else(|e| e.into_inner());
        if g.contains_key(name) {
            return Err(StoreError::BucketAlreadyOwnedByYou(name.to_owned()));
        }
        let dir = self.root.join("buckets").join(name);
        std::fs::create_dir_all(dir.join("objects")).map_err(io_at("create", &dir))?;
        let created = Utc::now();
        let access = BucketAccess {
            owner,
            policy: None,
        };
        self.write_bucket_file(&dir, name, created, &access)?;
        g.insert(
            name.to_owned(),
            Arc::new(Bucket::new(name.to_owned(), dir, created, access)),
        );
        Ok(BucketInfo {
            name: name.to_owned(),
            created,
        })
    }

    /// Writes `bucket.json` whole (a temporary file renamed over it).
    fn write_bucket_file(
        &self,
        dir: &Path,
        name: &str,
        created: DateTime<Utc>,
        access: &BucketAccess,
    ) -> Result<(), StoreError> {
        let bf = BucketFile {
            version: BUCKET_FILE_VERSION,
            name: name.to_owned(),
            created,
            owner: access.owner.clone(),
            policy: access.policy.clone(),
        };
        let tmp = self.tmp_path();
        let json =
            serde_json::to_vec(&bf).map_err(|e| StoreError::io("encode bucket.json")(e.into()))?;
        std::fs::write(&tmp, json).map_err(io_at("write", &tmp))?;
        let meta = dir.join("bucket.json");
        std::fs::rename(&tmp, &meta).map_err(io_at("rename to", &meta))
    }

    /// The bucket's owner and policy, or `NoSuchBucket`.
    pub fn bucket_access(&self, name: &str) -> Result<BucketAccess, StoreError> {
        let b = self.bucket(name)?;
        let access = b.access.lock().unwrap_or_else(|e| e.into_inner());
        Ok(access.clone())
    }

    /// Sets (or with `None` removes) the bucket's policy, durably.
    pub fn set_bucket_policy(&self, name: &str, policy: Option<String>) -> Result<(), StoreError> {
        let b = self.bucket(name)?;
        let mut access = b.access.lock().unwrap_or_else(|e| e.into_inner());
        let mut next = access.clone();
        next.policy = policy;
        self.write_bucket_file(&b.dir, name, b.created, &next)?;
        *access = next;
        Ok(())
    }

    /// Deletes an empty bucket (and any unfinished multipart uploads in it).
    pub fn delete_bucket(&self, name: &str) -> Result<(), StoreError> {
        let mut g = self.buckets.write().unwrap_or_else(|e| e.into_inner());
        let Some(b) = g.get(name).cloned() else {
            return Err(StoreError::NoSuchBucket(name.to_owned()));
        };
        let _c = b.commit_lock();
        if b.read_index()?.as_ref().is_some_and(|ix| !ix.is_empty()) {
            return Err(StoreError::BucketNotEmpty(name.to_owned()));
        }
        b.deleted.store(true, Ordering::Release);
        g.remove(name);
        let meta = b.dir.join("bucket.json");
        std::fs::remove_file(&meta).map_err(io_at("remove", &meta))?;
        let _ = std::fs::remove_dir_all(&b.dir);
        let _ = std::fs::remove_dir_all(self.uploads_dir(name));
        Ok(())
    }

    /// The bucket's info, or `NoSuchBucket`.
    pub fn head_bucket(&self, name: &str) -> Result<BucketInfo, StoreError> {
        let b = self.bucket(name)?;
        Ok(BucketInfo {
            name: b.name.clone(),
            created: b.created,
        })
    }

    /// All buckets, by name.
    pub fn list_buckets(&self) -> Vec<BucketInfo> {
        let g = self.buckets.read().unwrap_or_else(|e| e.into_inner());
        g.values()
            .map(|b| BucketInfo {
                name: b.name.clone(),
                created: b.created,
            })
            .collect()
    }

    /// One page of an S3 listing.
    pub fn list_objects(&self, bucket: &str, q: &ListQuery<'_>) -> Result<ListPage, StoreError> {
        let b = self.bucket(bucket)?;
        let g = b.read_index()?;
        Ok(g.as_ref().map(|ix| list::list(ix, q)).unwrap_or_default())
    }

    /// Number of objects in a bucket.
    pub fn object_count(&self, bucket: &str) -> Result<usize, StoreError> {
        let b = self.bucket(bucket)?;
        let g = b.read_index()?;
        Ok(g.as_ref().map_or(0, BTreeMap::len))
    }

    fn object_path(b: &Bucket, key: &str) -> PathBuf {
        b.objects_dir().join(key_file(key))
    }

    /// Opens an object for reading.
    pub fn open_object(&self, bucket: &str, key: &str) -> Result<OpenObject, StoreError> {
        let b = self.bucket(bucket)?;
        let no_key = || StoreError::NoSuchKey {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
        };
        if !is_valid_key(key) {
            return Err(no_key());
        }
        match open_object(&Self::object_path(&b, key))? {
            Some((file, info)) if info.key == key => Ok(OpenObject { info, file }),
            _ => Err(no_key()),
        }
    }

    /// An object's metadata.
    pub fn head_object(&self, bucket: &str, key: &str) -> Result<ObjectInfo, StoreError> {
        self.open_object(bucket, key).map(|o| o.info)
    }

    /// Starts writing an object. Nothing is visible until
    /// [`BucketStore::finish_put`].
    pub fn begin_put(&self, bucket: &str, key: &str) -> Result<StoreWriter, StoreError> {
        let b = self.bucket(bucket)?;
        if !is_valid_key(key) {
            return Err(StoreError::InvalidKey);
        }
        StoreWriter::create(
            Target::Object {
                bucket: b,
                key: key.to_owned(),
            },
            self.tmp_path(),
            self.opts.fsync,
        )
    }

    /// Publishes a written object (ETag = MD5 of its bytes) if `cond` holds.
    pub fn finish_put(
        &self,
        w: StoreWriter,
        attrs: ObjectAttrs,
        cond: &PutCondition,
    ) -> Result<ObjectInfo, StoreError> {
        let Target::Object { bucket, .. } = &w.target else {
            return Err(StoreError::InvalidArgument("not an object writer".into()));
        };
        let bucket = bucket.clone();
        let written = w.seal(attrs, None, None)?;
        self.publish(&bucket, written, cond)
    }

    /// Renames a sealed temporary file into place and indexes it.
    pub(crate) fn publish(
        &self,
        b: &Bucket,
        written: Written,
        cond: &PutCondition,
    ) -> Result<ObjectInfo, StoreError> {
        let Written { tmp, info } = written;
        let cleanup = |e: StoreError| {
            let _ = std::fs::remove_file(&tmp);
            e
        };
        let _c = b.commit_lock();
        if b.is_deleted() {
            return Err(cleanup(StoreError::NoSuchBucket(b.name.clone())));
        }
        let mut g = b.write_index().map_err(cleanup)?;
        let ix = g.get_or_insert_with(BTreeMap::new);
        let current = ix.get(&info.key);
        if cond.if_none_match_any && current.is_some() {
            return Err(cleanup(StoreError::PreconditionFailed));
        }
        if let Some(want) = &cond.if_match
            && current.is_none_or(|c| &*c.etag != want.as_str())
        {
            return Err(cleanup(if current.is_none() {
                StoreError::NoSuchKey {
                    bucket: b.name.clone(),
                    key: info.key.clone(),
                }
            } else {
                StoreError::PreconditionFailed
            }));
        }
        let path = Self::object_path(b, &info.key);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(io_at("create", parent))
                .map_err(cleanup)?;
        }
        std::fs::rename(&tmp, &path)
            .map_err(io_at("rename to", &path))
            .map_err(cleanup)?;
        ix.insert(
            info.key.clone(),
            IndexEntry {
                size: info.size,
                etag: Arc::from(info.etag.as_str()),
                last_modified: info.last_modified,
            },
        );
        // With fsync on, a put is acknowledged only once its rename is
        // durable: a failed directory sync fails the put (the object is
        // visible, as it is on disk, but the writer is told it may not
        // survive a power loss).
        if self.opts.fsync
            && let Some(parent) = path.parent()
        {
            File::open(parent)
                .and_then(|d| d.sync_all())
                .map_err(io_at("sync directory", parent))?;
        }
        Ok(info)
    }

    /// Deletes an object; `Ok(false)` if there was none (S3 deletes are
    /// idempotent).
    pub fn delete_object(&self, bucket: &str, key: &str) -> Result<bool, StoreError> {
        let b = self.bucket(bucket)?;
        if !is_valid_key(key) {
            return Ok(false);
        }
        let _c = b.commit_lock();
        let mut g = b.write_index()?;
        let existed = g.as_mut().and_then(|ix| ix.remove(key)).is_some();
        let path = Self::object_path(&b, key);
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(existed),
            Err(e) => Err(io_at("remove", &path)(e)),
        }
    }

    /// Copies an object (streaming). `attrs: None` keeps the source's
    /// metadata (S3's `COPY` directive); a copy is a single-part object, so
    /// composite multipart checksums are dropped.
    pub fn copy_object(
        &self,
        src_bucket: &str,
        src_key: &str,
        dst_bucket: &str,
        dst_key: &str,
        attrs: Option<ObjectAttrs>,
        cond: &PutCondition,
    ) -> Result<ObjectInfo, StoreError> {
        let src = self.open_object(src_bucket, src_key)?;
        let mut attrs = attrs.unwrap_or_else(|| src.info.attrs.clone());
        if attrs.checksums.checksum_type.as_deref() == Some("COMPOSITE") {
            attrs.checksums = Default::default();
        }
        let mut w = self.begin_put(dst_bucket, dst_key)?;
        let size = src.info.size;
        let mut r = src.into_reader(0, size)?;
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = r
                .read(&mut buf)
                .map_err(StoreError::io("read copy source"))?;
            if n == 0 {
                break;
            }
            w.write(&buf[..n])?;
        }
        self.finish_put(w, attrs, cond)
    }
}

#[cfg(test)]
mod tests;
