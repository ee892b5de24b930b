//! Streams a request body into a store writer: the async side receives, a
//! blocking task hashes (the requested checksums) and writes, so network,
//! hashing and disk overlap on both cores. Nothing is published here.

use bytes::Bytes;
use ferry_objects::StoreWriter;
use futures::StreamExt as _;
use s3s::S3Error;
use s3s::dto::StreamingBlob;
use tokio::sync::mpsc;

use crate::checksum::{Values, finish, hasher};
use crate::errors::{body_error, msg, store_error};

/// A fully received body, written but not yet published.
pub struct Received {
    pub writer: StoreWriter,
    pub computed: Values,
    pub md5_hex: String,
    pub size: u64,
}

/// Receives `body` into `writer`, computing the `want`ed checksums.
pub async fn receive(
    writer: StoreWriter,
    body: Option<StreamingBlob>,
    want: [bool; 5],
) -> Result<Received, S3Error> {
    let (tx, mut rx) = mpsc::channel::<Bytes>(4);
    let task = tokio::task::spawn_blocking(move || {
        let mut writer = writer;
        let mut h = hasher(&want);
        while let Some(b) = rx.blocking_recv() {
            h.update(&b);
            writer.write(&b)?;
        }
        Ok::<_, ferry_objects::StoreError>((writer, finish(h)))
    });
    let mut failure: Option<S3Error> = None;
    if let Some(mut body) = body {
        while let Some(chunk) = body.next().await {
            match chunk {
                Ok(b) => {
                    if tx.send(b).await.is_err() {
                        break;
                    }
                }
                Err(e) => {
                    failure = Some(body_error(&*e));
                    break;
                }
            }
        }
    }
    drop(tx);
    let joined = task.await.map_err(|e| {
        tracing::error!(error = %e, "body writer task failed");
        crate::errors::err(s3s::S3ErrorCode::InternalError, msg::INTERNAL)
    })?;
    // On a body failure the writer is dropped here: its temporary file goes.
    let (writer, computed) = joined.map_err(store_error)?;
    if let Some(e) = failure {
        return Err(e);
    }
    Ok(Received {
        md5_hex: writer.md5_hex(),
        size: writer.size(),
        writer,
        computed,
    })
}
