//! Moving bytes between blocking file I/O and async streams: a reader thread
//! that streams a file region as `Bytes` chunks (reading ahead while the
//! consumer works), with an exact remaining length; and an [`ObjectWriter`]
//! whose bytes go through a channel to a blocking writer task.

use std::io::Read;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures::Stream;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::client::{ObjectWriter, PutResult};
use crate::error::ObjectError;

/// Chunk size of [`spawn_reader`].
pub const READ_CHUNK: usize = 1 << 20;

/// A stream of chunks read by a blocking task. `Send + Sync`, knows how many
/// bytes remain.
#[derive(Debug)]
pub struct ChunkStream {
    rx: mpsc::Receiver<std::io::Result<Bytes>>,
    remaining: u64,
}

impl ChunkStream {
    /// Bytes not yet yielded.
    pub fn remaining(&self) -> u64 {
        self.remaining
    }
}

impl Stream for ChunkStream {
    type Item = std::io::Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        match self.rx.poll_recv(cx) {
            Poll::Ready(Some(Ok(b))) => {
                self.remaining = self.remaining.saturating_sub(b.len() as u64);
                Poll::Ready(Some(Ok(b)))
            }
            other => other,
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, None)
    }
}

/// Streams `len` bytes of `reader` from a blocking task (two chunks of
/// read-ahead). A short read is reported as `UnexpectedEof`. Must be called
/// inside a tokio runtime.
pub fn spawn_reader<R: Read + Send + 'static>(mut reader: R, len: u64) -> ChunkStream {
    let (tx, rx) = mpsc::channel(2);
    tokio::task::spawn_blocking(move || {
        let mut left = len;
        while left > 0 {
            let n = usize::try_from(left).unwrap_or(READ_CHUNK).min(READ_CHUNK);
            let mut buf = vec![0u8; n];
            let mut filled = 0;
            while filled < n {
                match reader.read(&mut buf[filled..]) {
                    Ok(0) => {
                        let _ = tx.blocking_send(Err(std::io::Error::new(
                            std::io::ErrorKind::UnexpectedEof,
                            "object file shorter than its recorded size",
                        )));
                        return;
                    }
                    Ok(k) => filled += k,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        let _ = tx.blocking_send(Err(e));
                        return;
                    }
                }
            }
            left -= n as u64;
            if tx.blocking_send(Ok(Bytes::from(buf))).is_err() {
                return;
            }
        }
    });
    ChunkStream { rx, remaining: len }
}

enum Msg {
    Data(Bytes),
    Finish,
}

struct BlockingWriter {
    tx: Option<mpsc::Sender<Msg>>,
    task: Option<JoinHandle<Result<PutResult, ObjectError>>>,
}

fn stopped(detail: impl std::fmt::Display) -> ObjectError {
    ObjectError::Other {
        code: "InternalError".into(),
        message: format!("the object writer stopped: {detail}"),
        status: 500,
    }
}

impl BlockingWriter {
    async fn join(&mut self) -> Result<PutResult, ObjectError> {
        match self.task.take() {
            Some(t) => t.await.unwrap_or_else(|e| Err(stopped(e))),
            None => Err(stopped("already finished")),
        }
    }
}

#[async_trait::async_trait]
impl ObjectWriter for BlockingWriter {
    async fn write(&mut self, data: Bytes) -> Result<(), ObjectError> {
        if let Some(tx) = &self.tx
            && tx.send(Msg::Data(data)).await.is_ok()
        {
            return Ok(());
        }
        // The writer task ended early: report its error.
        self.tx = None;
        match self.join().await {
            Err(e) => Err(e),
            Ok(_) => Err(stopped("unexpectedly")),
        }
    }

    async fn finish(mut self: Box<Self>) -> Result<PutResult, ObjectError> {
        if let Some(tx) = self.tx.take() {
            let _ = tx.send(Msg::Finish).await;
        }
        self.join().await
    }

    async fn abort(mut self: Box<Self>) -> Result<(), ObjectError> {
        self.tx = None;
        let _ = self.join().await;
        Ok(())
    }
}

/// An [`ObjectWriter`] over blocking state `S`: every chunk is handed to
/// `write` on a blocking task, and `finish` publishes. An abort (or a dropped
/// writer) drops `S` without calling `finish`, so `S`'s `Drop` must leave the
/// key as it was. Must be called inside a tokio runtime.
pub fn blocking_writer<S: Send + 'static>(
    mut state: S,
    write: impl Fn(&mut S, &[u8]) -> Result<(), ObjectError> + Send + 'static,
    finish: impl FnOnce(S) -> Result<PutResult, ObjectError> + Send + 'static,
) -> Box<dyn ObjectWriter> {
    let (tx, mut rx) = mpsc::channel::<Msg>(4);
    let task = tokio::task::spawn_blocking(move || {
        loop {
            match rx.blocking_recv() {
                Some(Msg::Data(d)) => write(&mut state, &d)?,
                Some(Msg::Finish) => break,
                None => {
                    return Err(ObjectError::Other {
                        code: "RequestAborted".into(),
                        message: "the write was aborted".into(),
                        status: 400,
                    });
                }
            }
        }
        finish(state)
    });
    Box::new(BlockingWriter {
        tx: Some(tx),
        task: Some(task),
    })
}
