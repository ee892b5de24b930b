//! The export sink over `ferry-objects` (the embedded bucket store or an
//! external S3 endpoint): the async client driven from the export's encoder
//! threads through a tokio runtime handle (they are never runtime threads).

use std::sync::Arc;

use bytes::Bytes;
use ferry_objects::{ObjectClient, ObjectError, ObjectWriter};

use super::sink::{ObjectSink, ObjectUpload, PutOutcome, SinkError, SinkFactory};

/// Picks the client for a bucket (embedded store or external endpoint).
pub type ClientResolver = Arc<dyn Fn(&str) -> Arc<dyn ObjectClient> + Send + Sync>;

fn sink_error(e: &ObjectError) -> SinkError {
    SinkError {
        code: e.code().to_string(),
        message: e.failure_message(),
    }
}

/// Writes export objects through `ferry-objects`.
pub struct ObjectsSinks {
    resolve: ClientResolver,
    handle: tokio::runtime::Handle,
}

impl ObjectsSinks {
    pub fn new(resolve: ClientResolver, handle: tokio::runtime::Handle) -> ObjectsSinks {
        ObjectsSinks { resolve, handle }
    }
}

impl SinkFactory for ObjectsSinks {
    fn sink(&self, bucket: &str) -> Result<Arc<dyn ObjectSink>, SinkError> {
        Ok(Arc::new(BucketSink {
            client: (self.resolve)(bucket),
            bucket: bucket.to_string(),
            handle: self.handle.clone(),
        }))
    }
}

struct BucketSink {
    client: Arc<dyn ObjectClient>,
    bucket: String,
    handle: tokio::runtime::Handle,
}

impl ObjectSink for BucketSink {
    fn create(&self, key: &str) -> Result<Box<dyn ObjectUpload>, SinkError> {
        let writer = self
            .handle
            .block_on(self.client.put(&self.bucket, key))
            .map_err(|e| sink_error(&e))?;
        Ok(Box::new(Upload {
            writer: Some(writer),
            handle: self.handle.clone(),
        }))
    }
}

struct Upload {
    writer: Option<Box<dyn ObjectWriter>>,
    handle: tokio::runtime::Handle,
}

impl ObjectUpload for Upload {
    fn write(&mut self, chunk: Vec<u8>) -> Result<(), SinkError> {
        let Some(w) = self.writer.as_mut() else {
            return Err(SinkError {
                code: "InternalError".into(),
                message: "the upload was already finished".into(),
            });
        };
        self.handle
            .block_on(w.write(Bytes::from(chunk)))
            .map_err(|e| sink_error(&e))
    }

    fn finish(mut self: Box<Self>) -> Result<PutOutcome, SinkError> {
        let Some(w) = self.writer.take() else {
            return Err(SinkError {
                code: "InternalError".into(),
                message: "the upload was already finished".into(),
            });
        };
        let put = self
            .handle
            .block_on(w.finish())
            .map_err(|e| sink_error(&e))?;
        Ok(PutOutcome {
            etag: put.etag,
            md5: put.md5_base64,
            size: put.size,
        })
    }
}

impl Drop for Upload {
    /// An upload dropped unfinished (its export failed) leaves no object.
    fn drop(&mut self) {
        if let Some(w) = self.writer.take() {
            self.handle.spawn(async move {
                let _ = w.abort().await;
            });
        }
    }
}
