//! One bucket in memory: its directory, creation date, owner and policy, the commit lock that
//! orders renames with index updates, and the lazily built sorted key index.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::format::open_object;
use super::list::IndexEntry;
use crate::error::StoreError;

/// `bucket.json`. Version 1 had no `owner` and no `policy`; version 2
/// (written since Ferry has IAM) may carry both. Readers accept both.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct BucketFile {
    pub version: u32,
    pub name: String,
    pub created: DateTime<Utc>,
    /// The account that created the bucket (`None`: the default account).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// The bucket policy's JSON text, as PutBucketPolicy stored it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
}

/// The `bucket.json` version this build writes.
pub(crate) const BUCKET_FILE_VERSION: u32 = 2;

/// A bucket's owner and policy (kept in `bucket.json`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BucketAccess {
    /// `None`: the default account (buckets made before accounts existed).
    pub owner: Option<String>,
    pub policy: Option<String>,
}

pub(crate) type Index = BTreeMap<String, IndexEntry>;

pub(crate) struct Bucket {
    pub name: String,
    pub dir: PathBuf,
    pub created: DateTime<Utc>,
    /// Owner and policy; written to `bucket.json` under this lock.
    pub access: Mutex<BucketAccess>,
    /// Held while renaming into the bucket and updating the index, so that
    /// the index order of two writes of one key is their rename order.
    commit: Mutex<()>,
    /// Built from the object files on first use.
    index: RwLock<Option<Index>>,
    pub deleted: AtomicBool,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Bucket {
    pub fn new(name: String, dir: PathBuf, created: DateTime<Utc>, access: BucketAccess) -> Self {
        Bucket {
            name,
            dir,
            created,
            access: Mutex::new(access),
            commit: Mutex::new(()),
            index: RwLock::new(None),
            deleted: AtomicBool::new(false),
        }
    }

    pub fn objects_dir(&self) -> PathBuf {
        self.dir.join("objects")
    }

    pub fn is_deleted(&self) -> bool {
        self.deleted.load(Ordering::Acquire)
    }

    pub fn commit_lock(&self) -> MutexGuard<'_, ()> {
        lock(&self.commit)
    }

    /// Read access to the index, building it first if needed.
    pub fn read_index(&self) -> Result<RwLockReadGuard<'_, Option<Index>>, StoreError> {
        {
            let g = self.index.read().unwrap_or_else(|e| e.into_inner());
            if g.is_some() {
                return Ok(g);
            }
        }
        self.load()?;
        Ok(self.index.read().unwrap_or_else(|e| e.into_inner()))
    }

    /// Write access to the index (built first if needed). Callers hold the
    /// commit lock.
    pub fn write_index(&self) -> Result<RwLockWriteGuard<'_, Option<Index>>, StoreError> {
        self.load()?;
        Ok(self.index.write().unwrap_or_else(|e| e.into_inner()))
    }

    fn load(&self) -> Result<(), StoreError> {
        let mut g = self.index.write().unwrap_or_else(|e| e.into_inner());
        if g.is_none() {
            *g = Some(scan(&self.objects_dir())?);
        }
        Ok(())
    }
}

/// Reads every object file's metadata under `objects/` (two fan-out levels),
/// spread over the machine's cores.
fn scan(objects: &Path) -> Result<Index, StoreError> {
    let mut dirs = Vec::new();
    match std::fs::read_dir(objects) {
        Ok(rd) => {
            for e in rd {
                let e = e.map_err(StoreError::io(format!("list {}", objects.display())))?;
                dirs.push(e.path());
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Index::new()),
        Err(e) => return Err(StoreError::io(format!("list {}", objects.display()))(e)),
    }
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 8);
    let chunk = dirs.len().div_ceil(threads).max(1);
    let results: Vec<Result<Vec<(String, IndexEntry)>, StoreError>> = std::thread::scope(|s| {
        let handles: Vec<_> = dirs
            .chunks(chunk)
            .map(|part| s.spawn(move || scan_dirs(part)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Ok(Vec::new())))
            .collect()
    });
    let mut index = Index::new();
    for r in results {
        index.extend(r?);
    }
    Ok(index)
}

fn scan_dirs(dirs: &[PathBuf]) -> Result<Vec<(String, IndexEntry)>, StoreError> {
    let mut out = Vec::new();
    for d1 in dirs {
        for e2 in std::fs::read_dir(d1).map_err(StoreError::io(format!("list {}", d1.display())))? {
            let d2 = e2
                .map_err(StoreError::io(format!("list {}", d1.display())))?
                .path();
            for e3 in
                std::fs::read_dir(&d2).map_err(StoreError::io(format!("list {}", d2.display())))?
            {
                let path = e3
                    .map_err(StoreError::io(format!("list {}", d2.display())))?
                    .path();
                match open_object(&path) {
                    Ok(Some((_, info))) => out.push((
                        info.key,
                        IndexEntry {
                            size: info.size,
                            etag: Arc::from(info.etag),
                            last_modified: info.last_modified,
                        },
                    )),
                    Ok(None) => {}
                    Err(e) => {
                        tracing::warn!(error = %e, "skipping unreadable object file");
                    }
                }
            }
        }
    }
    Ok(out)
}
