//! [`LocalDirClient`]: the object-access trait over one local directory, so
//! that `ferry import ./folder` and `ferry export TABLE ./folder` drive the
//! same import and export jobs as ImportTable and ExportTableToPointInTime.
//!
//! The directory is the bucket (whatever name the job uses for it); keys are
//! paths relative to it with `/` separators. Listings walk the tree and sort
//! keys bytewise, as S3 does. A listed object's ETag is `<size>-<mtime>` in
//! hex (reading every file for an MD5 just to list it would double an
//! import's reads); a read pinned to that ETag fails with
//! `PreconditionFailed` when the file changed since. Writes go to a temporary
//! file beside the target, computing the MD5 on the way, and are renamed into
//! place on `finish` (their ETag is the MD5, as S3's single PUT).

use std::io::Write as _;
use std::path::{Path, PathBuf};

use futures::StreamExt as _;
use md5::Digest as _;

use crate::client::{GetObject, ListPage, ObjectClient, ObjectMeta, ObjectWriter, PutResult};
use crate::client::{LIST_PAGE, unquote_etag};
use crate::error::ObjectError;
use crate::stream::{blocking_writer, spawn_reader};

/// Prefix of the temporary files of unfinished writes (never listed).
const TEMP_PREFIX: &str = ".ferry-tmp-";

/// Object access on one local directory.
#[derive(Debug, Clone)]
pub struct LocalDirClient {
    root: PathBuf,
}

fn io_error(context: &str, path: &Path, e: &std::io::Error) -> ObjectError {
    match e.kind() {
        std::io::ErrorKind::PermissionDenied => ObjectError::AccessDenied {
            message: format!("{context} {}: {e}", path.display()),
        },
        _ => ObjectError::Other {
            code: "InternalError".into(),
            message: format!("{context} {}: {e}", path.display()),
            status: 500,
        },
    }
}

/// The ETag a local file is listed with: size and modification time.
fn file_etag(meta: &std::fs::Metadata) -> String {
    let mtime = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    format!("{:x}-{mtime:x}", meta.len())
}

fn object_meta(key: String, meta: &std::fs::Metadata) -> ObjectMeta {
    let last_modified = meta
        .modified()
        .map(chrono::DateTime::<chrono::Utc>::from)
        .unwrap_or_default();
    ObjectMeta {
        key,
        size: meta.len(),
        etag: file_etag(meta),
        last_modified,
    }
}

/// Every regular file under `dir` as (key, metadata), keys relative to `root`.
fn walk(
    root: &Path,
    dir: &Path,
    out: &mut Vec<(String, std::fs::Metadata)>,
) -> Result<(), ObjectError> {
    let entries = std::fs::read_dir(dir).map_err(|e| io_error("listing", dir, &e))?;
    for entry in entries {
        let entry = entry.map_err(|e| io_error("listing", dir, &e))?;
        let path = entry.path();
        let meta = std::fs::metadata(&path).map_err(|e| io_error("reading", &path, &e))?;
        if meta.is_dir() {
            walk(root, &path, out)?;
        } else if meta.is_file() {
            if entry.file_name().to_string_lossy().starts_with(TEMP_PREFIX) {
                continue;
            }
            let Ok(rel) = path.strip_prefix(root) else {
                continue;
            };
            let key: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            out.push((key.join("/"), meta));
        }
    }
    Ok(())
}

impl LocalDirClient {
    /// Serves `root` (a directory) as the bucket.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        LocalDirClient { root: root.into() }
    }

    /// The directory served.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The file of `key`, refusing keys that would leave the directory.
    fn path_of(&self, key: &str) -> Result<PathBuf, ObjectError> {
        let bad = key.is_empty()
            || key.starts_with('/')
            || key
                .split('/')
                .any(|s| s.is_empty() || s == "." || s == ".." || s.contains('\\'));
        if bad {
            return Err(ObjectError::UnsupportedKey {
                key: key.to_owned(),
                reason: "not a relative path of plain segments".into(),
            });
        }
        Ok(self.root.join(key))
    }

    fn no_such_bucket(&self, bucket: &str) -> ObjectError {
        ObjectError::NoSuchBucket {
            bucket: bucket.to_owned(),
        }
    }
}

/// A write in progress: the temporary file, its MD5, its size.
struct LocalWrite {
    file: std::fs::File,
    temp: PathBuf,
    target: PathBuf,
    md5: md5::Md5,
    size: u64,
    done: bool,
}

impl Drop for LocalWrite {
    fn drop(&mut self) {
        if !self.done {
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}

#[async_trait::async_trait]
impl ObjectClient for LocalDirClient {
    fn kind(&self) -> &'static str {
        "local"
    }

    async fn head_bucket(&self, bucket: &str) -> Result<(), ObjectError> {
        if self.root.is_dir() {
            Ok(())
        } else {
            Err(self.no_such_bucket(bucket))
        }
    }

    async fn list_page(
        &self,
        bucket: &str,
        prefix: &str,
        start_after: Option<&str>,
        max_keys: usize,
    ) -> Result<ListPage, ObjectError> {
        if !self.root.is_dir() {
            return Err(self.no_such_bucket(bucket));
        }
        let root = self.root.clone();
        let (prefix, after) = (prefix.to_owned(), start_after.map(str::to_owned));
        let max = max_keys.clamp(1, LIST_PAGE);
        tokio::task::spawn_blocking(move || {
            let mut files = Vec::new();
            walk(&root, &root, &mut files)?;
            let mut objects: Vec<ObjectMeta> = files
                .into_iter()
                .filter(|(k, _)| k.starts_with(&prefix))
                .filter(|(k, _)| after.as_deref().is_none_or(|a| k.as_str() > a))
                .map(|(k, m)| object_meta(k, &m))
                .collect();
            objects.sort_by(|a, b| a.key.as_bytes().cmp(b.key.as_bytes()));
            let more = objects.len() > max;
            objects.truncate(max);
            let next_start_after = more
                .then(|| objects.last().map(|o| o.key.clone()))
                .flatten();
            Ok(ListPage {
                objects,
                next_start_after,
            })
        })
        .await
        .map_err(|e| io_error("listing", &self.root, &std::io::Error::other(e)))?
    }

    async fn get(
        &self,
        bucket: &str,
        key: &str,
        if_match: Option<&str>,
    ) -> Result<GetObject, ObjectError> {
        let path = self.path_of(key)?;
        let missing = || {
            if self.root.is_dir() {
                ObjectError::NoSuchKey {
                    bucket: bucket.to_owned(),
                    key: key.to_owned(),
                }
            } else {
                self.no_such_bucket(bucket)
            }
        };
        let file = match std::fs::File::open(&path) {
            Ok(f) => f,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
                ) =>
            {
                return Err(missing());
            }
            Err(e) => return Err(io_error("opening", &path, &e)),
        };
        let meta = file
            .metadata()
            .map_err(|e| io_error("reading", &path, &e))?;
        if !meta.is_file() {
            return Err(missing());
        }
        let meta = object_meta(key.to_owned(), &meta);
        if let Some(want) = if_match
            && unquote_etag(want) != meta.etag
        {
            return Err(ObjectError::PreconditionFailed {
                bucket: bucket.to_owned(),
                key: key.to_owned(),
            });
        }
        let body = spawn_reader(file, meta.size)
            .map(move |r| r.map_err(|e| io_error("reading", &path, &e)))
            .boxed();
        Ok(GetObject { meta, body })
    }

    async fn put(&self, bucket: &str, key: &str) -> Result<Box<dyn ObjectWriter>, ObjectError> {
        if !self.root.is_dir() {
            return Err(self.no_such_bucket(bucket));
        }
        let target = self.path_of(key)?;
        let dir = target.parent().unwrap_or(&self.root).to_path_buf();
        std::fs::create_dir_all(&dir).map_err(|e| io_error("creating", &dir, &e))?;
        let temp = dir.join(format!("{TEMP_PREFIX}{}", uuid::Uuid::new_v4()));
        let file = std::fs::File::create(&temp).map_err(|e| io_error("creating", &temp, &e))?;
        let state = LocalWrite {
            file,
            temp,
            target,
            md5: md5::Md5::new(),
            size: 0,
            done: false,
        };
        Ok(blocking_writer(
            state,
            |w, data| {
                w.md5.update(data);
                w.size += data.len() as u64;
                w.file
                    .write_all(data)
                    .map_err(|e| io_error("writing", &w.temp, &e))
            },
            |mut w| {
                w.file
                    .flush()
                    .map_err(|e| io_error("writing", &w.temp, &e))?;
                std::fs::rename(&w.temp, &w.target)
                    .map_err(|e| io_error("publishing", &w.target, &e))?;
                w.done = true;
                let digest: [u8; 16] = std::mem::take(&mut w.md5).finalize().into();
                let md5_hex = hex::encode(digest);
                use base64::Engine as _;
                Ok(PutResult {
                    etag: md5_hex.clone(),
                    md5_base64: base64::engine::general_purpose::STANDARD.encode(digest),
                    md5_hex,
                    size: w.size,
                })
            },
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    #[tokio::test]
    async fn put_list_get_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let c = LocalDirClient::new(dir.path());
        let put = c
            .put_bytes("b", "x/y/data.json", Bytes::from_static(b"hello"))
            .await
            .unwrap();
        assert_eq!(put.md5_hex, "5d41402abc4b2a76b9719d911017c592");
        assert_eq!(put.md5_base64, "XUFAKrxLKna5cZ2REBfFkg==");
        assert_eq!(put.size, 5);
        c.put_bytes("b", "a.csv", Bytes::from_static(b"1"))
            .await
            .unwrap();
        let all = c.list_all("b", "", 10).await.unwrap();
        let keys: Vec<_> = all.iter().map(|o| o.key.as_str()).collect();
        assert_eq!(keys, ["a.csv", "x/y/data.json"]);
        assert_eq!(c.list_all("b", "x/", 10).await.unwrap().len(), 1);
        let page = c.list_page("b", "", None, 1).await.unwrap();
        assert_eq!(page.next_start_after.as_deref(), Some("a.csv"));
        let got = c.get_bytes("b", "x/y/data.json").await.unwrap();
        assert_eq!(&got[..], b"hello");
        let etag = &all[1].etag;
        assert!(c.get("b", "x/y/data.json", Some(etag)).await.is_ok());
        let e = c
            .get("b", "x/y/data.json", Some("other"))
            .await
            .unwrap_err();
        assert_eq!(e.code(), "PreconditionFailed");
        let e = c.get("b", "nope", None).await.unwrap_err();
        assert_eq!(e.code(), "NoSuchKey");
        let e = c.get("b", "a.csv/below-a-file", None).await.unwrap_err();
        assert_eq!(e.code(), "NoSuchKey");
        let e = c.get("b", "../escape", None).await.unwrap_err();
        assert_eq!(e.code(), "InvalidArgument");
    }

    #[tokio::test]
    async fn aborted_write_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let c = LocalDirClient::new(dir.path());
        let mut w = c.put("b", "k").await.unwrap();
        w.write(Bytes::from_static(b"partial")).await.unwrap();
        w.abort().await.unwrap();
        assert!(c.list_all("b", "", 10).await.unwrap().is_empty());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        let missing = LocalDirClient::new(dir.path().join("absent"));
        let e = missing.head_bucket("b").await.unwrap_err();
        assert_eq!(e.code(), "NoSuchBucket");
    }
}
