//! Moving bytes between blocking file I/O and async streams: a reader thread
//! that streams a file region as `Bytes` chunks (reading ahead while the
//! consumer works), with an exact remaining length.

use std::io::Read;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures::Stream;
use tokio::sync::mpsc;

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
