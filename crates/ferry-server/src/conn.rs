//! Connections: the accept loop (hyper 1, HTTP/1.1 and HTTP/2), the cap on
//! open connections, the timeouts that keep slow or idle clients from holding
//! sockets, and graceful shutdown.
//!
//! - At most `Config::max_connections` connections are served at once, and at
//!   most half the process's file descriptors (at start the soft
//!   `RLIMIT_NOFILE` is raised to the hard limit; the other half stays for the
//!   storage engine, jobs and the S3 store). One more is answered at once with
//!   a bare `503 Service Unavailable` (`Connection: close`, `Retry-After: 1`)
//!   and closed; nothing of its request is read. The SDKs retry a 503.
//! - `Config::header_read_timeout`: a request head (request line and headers)
//!   must arrive within it (hyper's HTTP/1 header timer, which also runs while
//!   a keep-alive connection waits for its next request, so an idle HTTP/1
//!   connection is closed after it too).
//! - `Config::idle_timeout`: a connection with no request being served that
//!   has neither sent nor received a byte for this long is closed (a client
//!   that connects and sends nothing, an idle HTTP/2 connection, a response
//!   nobody reads).
//! - Request bodies have their own timeout (`Config::body_read_timeout`):
//!   JSON bodies in `intake.rs`, streamed S3 bodies through [`IdleBody`]
//!   (no new bytes for that long ends the body with an error).

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use hyper::body::{Body as HttpBody, Frame, Incoming, SizeHint};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use tokio::time::{Instant, Sleep};

use crate::http::Limits;
use crate::state::AppState;

/// How long a graceful shutdown waits for in-flight connections.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// The whole answer to a connection over the cap.
const FULL_RESPONSE: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\nRetry-After: 1\r\n\r\n";

/// Accept connections until `shutdown` turns true, then drain.
pub async fn serve(
    listener: TcpListener,
    state: Arc<AppState>,
    mut shutdown: watch::Receiver<bool>,
) {
    let config = &state.config;
    let cap = connection_cap(config.max_connections);
    tracing::debug!(cap, "connection cap");
    let slots = Arc::new(Semaphore::new(cap.clamp(1, Semaphore::MAX_PERMITS)));
    let limits = Arc::new(Limits::new(config));
    let idle = config.idle_timeout;
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(config.header_read_timeout);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(None);
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, _) = match accepted {
                    Ok(s) => s,
                    Err(e) => {
                        // Out of file descriptors (or similar): the queue waits.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let Ok(slot) = slots.clone().try_acquire_owned() else {
                    refuse(stream);
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let state = state.clone();
                let limits = limits.clone();
                let builder = builder.clone();
                let stop = shutdown.clone();
                conns.spawn(async move {
                    serve_connection(stream, state, limits, builder, idle, stop).await;
                    drop(slot);
                });
            }
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
            _ = stopped(&mut shutdown) => break,
        }
    }
    drop(listener);
    let drain = async { while conns.join_next().await.is_some() {} };
    if tokio::time::timeout(DRAIN_TIMEOUT, drain).await.is_err() {
        tracing::warn!("connections still open after the drain timeout; closing them");
        conns.abort_all();
    }
}

/// The connection cap: `configured`, and at most half the file descriptors
/// once the soft `RLIMIT_NOFILE` is raised to the hard limit.
#[cfg(unix)]
fn connection_cap(configured: usize) -> usize {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let mut limit = getrlimit(Resource::Nofile);
    if limit.current < limit.maximum || (limit.maximum.is_none() && limit.current.is_some()) {
        let raised = Rlimit {
            current: limit.maximum,
            maximum: limit.maximum,
        };
        match setrlimit(Resource::Nofile, raised) {
            Ok(()) => limit = raised,
            Err(e) => tracing::debug!(error = %e, "could not raise RLIMIT_NOFILE"),
        }
    }
    match limit.current {
        Some(fds) => configured.min(usize::try_from(fds / 2).unwrap_or(usize::MAX)),
        None => configured,
    }
}

#[cfg(not(unix))]
fn connection_cap(configured: usize) -> usize {
    configured
}

/// Answers a connection over the cap without waiting for anything.
fn refuse(stream: TcpStream) {
    tracing::debug!("connection refused: the connection cap is reached");
    // Written straight to the (non-blocking) socket, not through the reactor's
    // readiness: a fresh socket's send buffer is empty, so the whole answer
    // goes at once and nothing waits.
    if let Ok(socket) = stream.into_std() {
        let _ = std::io::Write::write(&mut &socket, FULL_RESPONSE);
    }
}

async fn serve_connection(
    stream: TcpStream,
    state: Arc<AppState>,
    limits: Arc<Limits>,
    builder: auto::Builder<TokioExecutor>,
    idle: Duration,
    mut stop: watch::Receiver<bool>,
) {
    let peer = stream.peer_addr().ok().map(crate::iam::PeerAddr);
    let activity = Arc::new(Activity::new());
    let io = TokioIo::new(Watched {
        inner: stream,
        activity: activity.clone(),
    });
    let in_service = activity.clone();
    let svc = hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
        if let Some(peer) = peer {
            req.extensions_mut().insert(peer);
        }
        let state = state.clone();
        let limits = limits.clone();
        let busy = Busy::new(&in_service);
        async move {
            let resp = crate::http::handle_caught(state, limits, req).await;
            drop(busy);
            Ok::<_, Infallible>(resp)
        }
    });
    let conn = builder.serve_connection(io, svc);
    tokio::pin!(conn);
    tokio::select! {
        res = conn.as_mut() => {
            if let Err(e) = res {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        }
        _ = activity.idle_for(idle) => {
            tracing::debug!("closing an idle connection");
        }
        _ = stopped(&mut stop) => {
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    }
}

/// Resolve once the shutdown flag is set.
async fn stopped(rx: &mut watch::Receiver<bool>) {
    let _ = rx.wait_for(|s| *s).await;
}

/// When a connection last moved a byte, and how many of its requests are
/// being served.
struct Activity {
    origin: Instant,
    /// Milliseconds since `origin` of the last byte read or written.
    last: AtomicU64,
    busy: AtomicUsize,
}

impl Activity {
    fn new() -> Self {
        Activity {
            origin: Instant::now(),
            last: AtomicU64::new(0),
            busy: AtomicUsize::new(0),
        }
    }

    fn touch(&self) {
        let ms = u64::try_from(self.origin.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last.store(ms, Ordering::Relaxed);
    }

    /// Resolves once no request is being served and no byte has moved for
    /// `idle`.
    async fn idle_for(&self, idle: Duration) {
        loop {
            let last = self.last.load(Ordering::Relaxed);
            let deadline = self.origin + Duration::from_millis(last) + idle;
            tokio::time::sleep_until(deadline).await;
            if self.busy.load(Ordering::Relaxed) == 0 && self.last.load(Ordering::Relaxed) == last {
                return;
            }
            if self.busy.load(Ordering::Relaxed) > 0 {
                // A request is being served: look again one period later.
                self.touch();
            }
        }
    }
}

/// Marks one request as being served while alive.
struct Busy(Arc<Activity>);

impl Busy {
    fn new(activity: &Arc<Activity>) -> Self {
        activity.busy.fetch_add(1, Ordering::Relaxed);
        Busy(activity.clone())
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.busy.fetch_sub(1, Ordering::Relaxed);
        self.0.touch();
    }
}

/// A socket that records its activity.
struct Watched {
    inner: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.touch();
        }
        r
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        r
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        r
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// A streamed request body that fails when no new bytes arrive within
/// `timeout` (S3 uploads: a stalled client cannot hold its request open).
pub struct IdleBody {
    inner: Incoming,
    timeout: Duration,
    sleep: Pin<Box<Sleep>>,
}

impl IdleBody {
    pub fn new(inner: Incoming, timeout: Duration) -> Self {
        IdleBody {
            inner,
            timeout,
            sleep: Box::pin(tokio::time::sleep(timeout)),
        }
    }
}

/// The error of a body that stalled.
#[derive(Debug, thiserror::Error)]
#[error("no request body bytes received for {0:?}")]
pub struct BodyStalled(Duration);

impl HttpBody for IdleBody {
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(frame) => {
                let deadline = Instant::now() + this.timeout;
                this.sleep.as_mut().reset(deadline);
                Poll::Ready(frame.map(|f| f.map_err(Into::into)))
            }
            Poll::Pending => match this.sleep.as_mut().poll(cx) {
                Poll::Ready(()) => Poll::Ready(Some(Err(BodyStalled(this.timeout).into()))),
                Poll::Pending => Poll::Pending,
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
