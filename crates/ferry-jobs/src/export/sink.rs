//! The export's view of object storage: a blocking, streaming "create an
//! object, write chunks, finish" interface that the encoder threads call
//! directly. The adapter over `ferry-objects` (embedded bucket store or an
//! external S3 endpoint) lives in `objects.rs`; tests use [`MemorySink`].
//!
//! Errors carry the S3 error code (`NoSuchBucket`, `AccessDenied`, ...) and
//! the message in the shape AWS puts into an export's FailureMessage; the job
//! turns them into `FailureCode = "S3" + code`.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// An object-storage failure, as S3 reported it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SinkError {
    /// S3's error code, e.g. `NoSuchBucket`.
    pub code: String,
    /// The full message, e.g. `The specified bucket does not exist (Service:
    /// Amazon S3; Status Code: 404; Error Code: NoSuchBucket; ...)`.
    pub message: String,
}

/// What S3 said about a finished object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PutOutcome {
    /// The ETag without quotes (`<hex md5>` or `<hex>-<parts>`).
    pub etag: String,
    /// Base64 MD5 of the object's bytes (the manifests' `md5Checksum`).
    pub md5: String,
    pub size: u64,
}

/// Creates objects in one bucket.
pub trait ObjectSink: Send + Sync {
    /// Start writing `key`. Nothing is visible until `finish`.
    fn create(&self, key: &str) -> Result<Box<dyn ObjectUpload>, SinkError>;

    /// Write a small object in one go.
    fn put(&self, key: &str, body: &[u8]) -> Result<PutOutcome, SinkError> {
        let mut up = self.create(key)?;
        up.write(body.to_vec())?;
        up.finish()
    }
}

/// One object being written.
pub trait ObjectUpload: Send {
    fn write(&mut self, chunk: Vec<u8>) -> Result<(), SinkError>;
    fn finish(self: Box<Self>) -> Result<PutOutcome, SinkError>;
}

/// Finds the sink for a bucket (the embedded store or an external endpoint).
pub trait SinkFactory: Send + Sync {
    fn sink(&self, bucket: &str) -> Result<Arc<dyn ObjectSink>, SinkError>;
}

/// An in-memory bucket for tests: objects appear on `finish`, ETag = hex MD5.
#[derive(Clone, Default)]
pub struct MemorySink {
    pub objects: Arc<Mutex<BTreeMap<String, Vec<u8>>>>,
    /// When set, every `create` fails with this error.
    pub fail_with: Arc<Mutex<Option<SinkError>>>,
}

impl MemorySink {
    #[must_use]
    pub fn get(&self, key: &str) -> Option<Vec<u8>> {
        self.objects.lock().ok()?.get(key).cloned()
    }

    pub fn keys(&self) -> Vec<String> {
        self.objects
            .lock()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    }
}

struct MemoryUpload {
    key: String,
    data: Vec<u8>,
    objects: Arc<Mutex<BTreeMap<String, Vec<u8>>>>,
}

impl ObjectSink for MemorySink {
    fn create(&self, key: &str) -> Result<Box<dyn ObjectUpload>, SinkError> {
        if let Some(err) = self.fail_with.lock().ok().and_then(|g| g.clone()) {
            return Err(err);
        }
        Ok(Box::new(MemoryUpload {
            key: key.to_string(),
            data: Vec::new(),
            objects: self.objects.clone(),
        }))
    }
}

impl ObjectUpload for MemoryUpload {
    fn write(&mut self, chunk: Vec<u8>) -> Result<(), SinkError> {
        self.data.extend_from_slice(&chunk);
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<PutOutcome, SinkError> {
        use base64::Engine as _;
        use md5::Digest;
        let digest = md5::Md5::digest(&self.data);
        let etag = hex::encode(digest);
        let md5 = base64::engine::general_purpose::STANDARD.encode(digest);
        let size = self.data.len() as u64;
        if let Ok(mut m) = self.objects.lock() {
            m.insert(self.key, self.data);
        }
        Ok(PutOutcome { etag, md5, size })
    }
}

impl SinkFactory for MemorySink {
    fn sink(&self, _bucket: &str) -> Result<Arc<dyn ObjectSink>, SinkError> {
        Ok(Arc::new(self.clone()))
    }
}
