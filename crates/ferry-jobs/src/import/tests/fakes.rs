//! In-memory stand-ins for the object store, the item sink and the error
//! log, and small helpers to build tables and compressed data.

use std::collections::BTreeMap;
use std::io::{Cursor, Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use ferry_model::{
    AttributeValue, IndexDef, IndexKind, Item, KeyAttr, KeySchema, Projection, ProjectionType,
    ScalarType, TableDef, TableStatus,
};
use parking_lot::Mutex;

use crate::import::pipeline::{ErrorLog, ItemSink};
use crate::import::source::{ObjectSource, SourceError, SourceObject, source_io_error};

/// Objects of a bucket: key → (bytes, ETag).
type Bucket = BTreeMap<String, (Vec<u8>, String)>;

/// A bucket of objects in memory. ETags are a counter per write, so a
/// rewritten object gets a new one.
#[derive(Default)]
pub struct MemSource {
    pub buckets: Mutex<BTreeMap<String, Bucket>>,
    writes: AtomicUsize,
    /// Objects whose reads fail after this many bytes (a broken connection).
    pub fail_after: Mutex<BTreeMap<String, usize>>,
    /// Called on every open (tests use it to change objects mid-import).
    #[allow(clippy::type_complexity)]
    pub on_open: Mutex<Option<Box<dyn Fn(&MemSource, &str) + Send + Sync>>>,
    pub opens: AtomicUsize,
}

impl MemSource {
    pub fn new() -> Arc<MemSource> {
        Arc::new(MemSource::default())
    }

    pub fn bucket(&self, name: &str) {
        self.buckets.lock().entry(name.to_string()).or_default();
    }

    pub fn put(&self, bucket: &str, key: &str, data: Vec<u8>) {
        let n = self.writes.fetch_add(1, Ordering::SeqCst);
        let etag = format!("{n:032x}");
        self.buckets
            .lock()
            .entry(bucket.to_string())
            .or_default()
            .insert(key.to_string(), (data, etag));
    }
}

struct FailingReader {
    inner: Cursor<Vec<u8>>,
    left: usize,
}

impl Read for FailingReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            return Err(source_io_error(SourceError::new(
                crate::import::source::SourceErrorKind::Other,
                "InternalError",
                "We encountered an internal error. Please try again.",
                500,
            )));
        }
        let n = buf.len().min(self.left);
        let got = self.inner.read(&mut buf[..n])?;
        self.left -= got;
        Ok(got)
    }
}

impl ObjectSource for MemSource {
    fn list(
        &self,
        bucket: &str,
        prefix: &str,
        limit: usize,
    ) -> Result<Vec<SourceObject>, SourceError> {
        let buckets = self.buckets.lock();
        let b = buckets
            .get(bucket)
            .ok_or_else(SourceError::no_such_bucket)?;
        Ok(b.range(prefix.to_string()..)
            .take_while(|(k, _)| k.starts_with(prefix))
            .take(limit)
            .map(|(k, (data, etag))| SourceObject {
                key: k.clone(),
                size: data.len() as u64,
                etag: etag.clone(),
            })
            .collect())
    }

    fn open(
        &self,
        bucket: &str,
        object: &SourceObject,
    ) -> Result<Box<dyn Read + Send>, SourceError> {
        self.opens.fetch_add(1, Ordering::SeqCst);
        if let Some(hook) = self.on_open.lock().as_ref() {
            hook(self, &object.key);
        }
        let buckets = self.buckets.lock();
        let b = buckets
            .get(bucket)
            .ok_or_else(SourceError::no_such_bucket)?;
        let (data, etag) = b.get(&object.key).ok_or_else(|| {
            SourceError::new(
                crate::import::source::SourceErrorKind::NoSuchKey,
                "NoSuchKey",
                "The specified key does not exist.",
                404,
            )
        })?;
        if *etag != object.etag {
            return Err(SourceError::modified());
        }
        let cursor = Cursor::new(data.clone());
        match self.fail_after.lock().get(&object.key) {
            Some(&left) => Ok(Box::new(FailingReader {
                inner: cursor,
                left,
            })),
            None => Ok(Box::new(cursor)),
        }
    }
}

/// Collects written items.
#[derive(Default)]
pub struct VecSink {
    pub items: Mutex<Vec<Item>>,
}

impl ItemSink for VecSink {
    fn write(&self, items: Vec<Item>) -> Result<(), String> {
        self.items.lock().extend(items);
        Ok(())
    }
}

impl VecSink {
    /// The written items' `pk` values, sorted.
    pub fn keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self
            .items
            .lock()
            .iter()
            .map(|i| match i.get("pk") {
                Some(AttributeValue::S(s)) => s.clone(),
                Some(AttributeValue::N(n)) => n.to_string(),
                other => format!("{other:?}"),
            })
            .collect();
        keys.sort();
        keys
    }
}

/// Collects item errors as (key, index, message), sorted.
#[derive(Default)]
pub struct VecLog {
    pub errors: Mutex<Vec<(String, u64, String)>>,
}

impl ErrorLog for VecLog {
    fn item_error(&self, key: &str, index: u64, message: String) {
        self.errors.lock().push((key.to_string(), index, message));
    }
}

impl VecLog {
    pub fn sorted(&self) -> Vec<(String, u64, String)> {
        let mut e = self.errors.lock().clone();
        e.sort();
        e
    }
}

pub fn key(name: &str, ty: ScalarType) -> KeyAttr {
    KeyAttr {
        name: name.to_string(),
        ty,
    }
}

/// A table keyed `pk` (S), optionally with sort key `sk` (S).
pub fn table(name: &str, with_sort: bool) -> TableDef {
    TableDef {
        name: name.to_string(),
        id: String::new(),
        key: KeySchema {
            hash: key("pk", ScalarType::S),
            range: with_sort.then(|| key("sk", ScalarType::S)),
        },
        indexes: Vec::new(),
        created_micros: 0,
        status: TableStatus::Creating,
        pitr: None,
        settings: Default::default(),
    }
}

/// `table` plus a GSI `by_n` on `n` (N).
pub fn table_with_gsi(name: &str) -> TableDef {
    let mut t = table(name, false);
    t.indexes.push(IndexDef {
        name: "by_n".into(),
        kind: IndexKind::Global,
        key: KeySchema {
            hash: key("n", ScalarType::N),
            range: None,
        },
        projection: Projection {
            ty: ProjectionType::All,
            non_key_attributes: Vec::new(),
        },
    });
    t
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

pub fn zstd(data: &[u8]) -> Vec<u8> {
    zstd::encode_all(data, 1).unwrap()
}

/// `n` DynamoDB JSON lines `{"Item":{"pk":{"S":"<prefix><i>"},"n":{"N":"<i>"}}}`.
pub fn json_lines(prefix: &str, range: std::ops::Range<u64>) -> Vec<u8> {
    let mut out = Vec::new();
    for i in range {
        out.extend_from_slice(
            format!(
                "{{\"Item\":{{\"pk\":{{\"S\":\"{prefix}{i:06}\"}},\"n\":{{\"N\":\"{i}\"}}}}}}\n"
            )
            .as_bytes(),
        );
    }
    out
}
