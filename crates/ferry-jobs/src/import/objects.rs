//! [`ObjectSource`] over `ferry-objects` (the embedded bucket store or an
//! external S3 endpoint): the async client driven from the pipeline's
//! blocking threads through a tokio runtime handle.

use bytes::Bytes;
use ferry_objects::{ObjectError, Objects};
use futures::StreamExt;
use futures::stream::BoxStream;
use std::io::{self, Read};

use super::source::{ObjectSource, SourceError, SourceErrorKind, SourceObject, source_io_error};

/// Reads import objects through `ferry-objects` (`Objects::client_for`
/// picks the embedded store or the external endpoint per bucket).
pub struct ObjectsSource {
    objects: Objects,
    handle: tokio::runtime::Handle,
}

impl ObjectsSource {
    /// `handle` runs the async client; the pipeline's threads block on it
    /// (they are never runtime threads).
    pub fn new(objects: Objects, handle: tokio::runtime::Handle) -> ObjectsSource {
        ObjectsSource { objects, handle }
    }
}

/// The import's view of an object-store failure.
pub fn source_error(e: &ObjectError) -> SourceError {
    match e {
        ObjectError::NoSuchBucket { .. } => SourceError::no_such_bucket(),
        ObjectError::NoSuchKey { .. } => SourceError::new(
            SourceErrorKind::NoSuchKey,
            "NoSuchKey",
            "The specified key does not exist.",
            404,
        ),
        ObjectError::PreconditionFailed { .. } => SourceError::modified(),
        ObjectError::AccessDenied { message } => {
            let message = if message.is_empty() {
                "Access Denied"
            } else {
                message.as_str()
            };
            SourceError::new(SourceErrorKind::AccessDenied, "AccessDenied", message, 403)
        }
        ObjectError::UnsupportedKey { key, reason } => SourceError::new(
            SourceErrorKind::Other,
            "InvalidObjectName",
            &format!("The object key {key:?} cannot be read: {reason}"),
            400,
        ),
        ObjectError::Other {
            code,
            message,
            status,
        } => SourceError::new(SourceErrorKind::Other, code, message, *status),
    }
}

impl ObjectSource for ObjectsSource {
    fn list(
        &self,
        bucket: &str,
        prefix: &str,
        limit: usize,
    ) -> Result<Vec<SourceObject>, SourceError> {
        let client = self.objects.client_for(bucket);
        self.handle.block_on(async move {
            let mut out = Vec::new();
            let mut after: Option<String> = None;
            loop {
                let page = client
                    .list_page(
                        bucket,
                        prefix,
                        after.as_deref(),
                        ferry_objects::client::LIST_PAGE,
                    )
                    .await
                    .map_err(|e| source_error(&e))?;
                out.extend(page.objects.into_iter().map(|o| SourceObject {
                    key: o.key,
                    size: o.size,
                    etag: o.etag,
                }));
                if out.len() >= limit {
                    out.truncate(limit);
                    return Ok(out);
                }
                match page.next_start_after {
                    Some(k) => after = Some(k),
                    None => return Ok(out),
                }
            }
        })
    }

    fn open(
        &self,
        bucket: &str,
        object: &SourceObject,
    ) -> Result<Box<dyn Read + Send>, SourceError> {
        let client = self.objects.client_for(bucket);
        let got = self
            .handle
            .block_on(client.get(bucket, &object.key, Some(&object.etag)))
            .map_err(|e| source_error(&e))?;
        Ok(Box::new(StreamReader {
            body: got.body,
            current: Bytes::new(),
            handle: self.handle.clone(),
        }))
    }
}

/// A blocking `Read` over an async byte stream.
struct StreamReader {
    body: BoxStream<'static, Result<Bytes, ObjectError>>,
    current: Bytes,
    handle: tokio::runtime::Handle,
}

impl Read for StreamReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.current.is_empty() {
            match self.handle.block_on(self.body.next()) {
                None => return Ok(0),
                Some(Ok(b)) => self.current = b,
                Some(Err(e)) => return Err(source_io_error(source_error(&e))),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current[..n]);
        let _ = self.current.split_to(n);
        Ok(n)
    }
}
