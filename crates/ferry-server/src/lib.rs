//! Ferry's server: one HTTP port that speaks the DynamoDB JSON 1.0 protocol
//! (`X-Amz-Target: DynamoDB_20120810.*`), the CloudWatch Logs subset
//! (`Logs_20140328.*`) and, for every other request, S3 (through `ferry-s3`).
//!
//! Entry points: [`Config`] and [`start`] (used by the `ferry serve` binary
//! and by the SDK tests). A request goes `conn.rs` (accept, connection cap,
//! timeouts) → `http.rs` (CORS and health from `web.rs`, body intake with its
//! limits in `intake.rs`, signature via `auth.rs`, framing) →
//! `router.rs` (which operation) → `dispatch.rs` (the one `match`) → the
//! family's file (`tables.rs`, `items.rs`, `query.rs`, `scan.rs`,
//! `batch.rs`, `tags.rs`, `ttl.rs`, `account.rs`, …) → `ferry-storage`, with
//! wire shapes in `wire/`, capacity accounting in `capacity.rs` and every
//! error mapped to the wire in `errors.rs`. `ttl.rs` also runs the
//! background sweeper that deletes expired items.
// Input reaches this crate: a panic is never the answer to bad input.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod account;
mod auth;
mod backups;
mod batch;
mod batch_checks;
mod capacity;
mod conn;
mod describe;
mod dispatch;
pub mod errors;
pub mod exports;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
mod http;
mod iam;
pub mod imports;
mod intake;
mod items;
mod jobs;
mod keys;
mod legacy;
mod logs;
mod paging;
mod params;
mod partiql;
mod query;
mod router;
mod s3;
mod scan;
mod state;
mod streams;
mod tables;
mod tags;
mod transact;
mod ttl;
mod validation;
mod web;
mod wire;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use ferry_storage::{Engine, EngineConfig};
use tokio::sync::watch;

pub use state::AppState;

/// Server settings (the `ferry serve` flags).
#[derive(Clone, Debug)]
pub struct Config {
    pub listen: SocketAddr,
    /// `None` = in memory (a temporary directory removed at exit).
    pub data_dir: Option<PathBuf>,
    pub region: String,
    pub account_id: String,
    /// Access key id -> secret. Empty = accept any request, signed or not.
    pub credentials: Vec<(String, String)>,
    /// The IAM file (`--iam`): accounts, users, their keys and policies.
    /// With it, the keys are its users' (`credentials` must be empty) and
    /// every request is authorized (`iam/`).
    pub iam: Option<Arc<ferry_iam::Iam>>,
    /// fsync each commit.
    pub sync: bool,
    /// Enable the test-only clock control endpoint.
    pub test_clock: bool,
    /// An external S3-compatible endpoint for import/export buckets
    /// (`--s3-endpoint`); `None` = every bucket is in the embedded store.
    pub external_s3: Option<ferry_objects::ExternalS3Config>,
    /// With `external_s3`: only these buckets go external (empty = all).
    pub external_buckets: Vec<String>,
    /// A request head (line and headers) must arrive within this; an idle
    /// HTTP/1 keep-alive connection is closed after it too.
    pub header_read_timeout: Duration,
    /// A connection with nothing in service and no byte moved for this long
    /// is closed.
    pub idle_timeout: Duration,
    /// A JSON request body must arrive whole within this; a streamed S3 body
    /// may not pause longer than this.
    pub body_read_timeout: Duration,
    /// Connections served at once; one more is answered 503 and closed.
    pub max_connections: usize,
    /// Bytes of JSON request bodies held in memory at once (requests wait
    /// for their share).
    pub body_memory_limit: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8000)),
            data_dir: Some(PathBuf::from("ferry-data")),
            region: "us-east-1".into(),
            account_id: "000000000000".into(),
            credentials: Vec::new(),
            iam: None,
            sync: false,
            test_clock: false,
            external_s3: None,
            external_buckets: Vec::new(),
            header_read_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(60),
            body_read_timeout: Duration::from_secs(60),
            max_connections: 4096,
            body_memory_limit: 256 * 1024 * 1024,
        }
    }
}

/// Ferry opened on a data directory without a listener: the engine, the
/// job runner (interrupted jobs resumed) and the TTL sweeper, with the
/// state the handlers run on. `ferry import` / `ferry export --data-dir`
/// call the handlers on it in-process; [`start`] adds the HTTP listener.
pub struct Instance {
    stop: watch::Sender<bool>,
    /// The time-to-live sweeper (`ttl.rs`).
    sweeper: tokio::task::JoinHandle<()>,
    state: Arc<AppState>,
    /// Set when the table engine stops accepting writes for good.
    storage_failure: watch::Receiver<Option<Arc<str>>>,
}

impl Instance {
    /// Stop the sweeper and the jobs, flush storage.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        if let Err(e) = self.sweeper.await {
            tracing::warn!(error = %e, "TTL sweeper ended abnormally");
        }
        let engine = self.state.engine.clone();
        let jobs = self.state.jobs.clone();
        drop(self.state);
        if let Err(e) = tokio::task::spawn_blocking(move || jobs.shutdown()).await {
            tracing::error!(error = %e, "stopping jobs panicked");
        }
        match tokio::task::spawn_blocking(move || engine.flush()).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::error!(error = %e, "flush at shutdown failed"),
            Err(e) => tracing::error!(error = %e, "flush at shutdown panicked"),
        }
    }

    /// The bucket store (benchmarks fill buckets through it directly).
    pub fn objects(&self) -> &ferry_objects::Objects {
        &self.state.objects
    }

    /// The shared state: `ferry import` / `ferry export` call the ImportTable
    /// and ExportTableToPointInTime handlers on it directly (offline mode).
    pub fn state(&self) -> &Arc<AppState> {
        &self.state
    }

    /// Resolves, with the reason, once the table engine refuses every write
    /// until it is reopened (a failed journal write, a crashed background
    /// flush). The binary then exits so that a supervisor restarts it.
    pub async fn storage_failed(&self) -> Arc<str> {
        let mut rx = self.storage_failure.clone();
        match rx.wait_for(Option::is_some).await {
            Ok(reason) => reason.clone().unwrap_or_default(),
            // The sender is dropped after it sent the reason (seen above)
            // or with the engine, which this handle keeps.
            Err(_) => std::future::pending().await,
        }
    }
}

/// A running server: an [`Instance`] and its HTTP listener.
pub struct ServerHandle {
    pub local_addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
    instance: Instance,
}

impl ServerHandle {
    /// Stop accepting, finish in-flight requests, flush storage.
    pub async fn shutdown(self) {
        let _ = self.instance.stop.send(true);
        if let Err(e) = self.task.await {
            tracing::warn!(error = %e, "server task ended abnormally");
        }
        self.instance.shutdown().await;
    }

    /// The bucket store (benchmarks fill buckets through it directly).
    pub fn objects(&self) -> &ferry_objects::Objects {
        self.instance.objects()
    }

    /// The shared state the handlers run on.
    pub fn state(&self) -> &Arc<AppState> {
        self.instance.state()
    }

    /// See [`Instance::storage_failed`].
    pub async fn storage_failed(&self) -> Arc<str> {
        self.instance.storage_failed().await
    }
}

/// Where the table engine keeps its files under the data directory.
fn engine_dir(data_dir: &std::path::Path) -> PathBuf {
    data_dir.join("db")
}

/// The file under the data directory naming the process that holds it
/// (written once the engine's lock is taken; read only while it is held).
const PID_FILE: &str = "ferry.pid";

/// The pid of the process holding `data_dir`, as it recorded it (for the
/// "in use by another ferry process (pid N)" message).
pub fn data_dir_holder(data_dir: &std::path::Path) -> Option<u32> {
    std::fs::read_to_string(data_dir.join(PID_FILE))
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// The state every request is served with, over an open `engine` (its
/// bucket store, job runner, credentials and S3 endpoint); call inside a
/// tokio runtime.
fn new_state(config: Config, engine: Arc<Engine>) -> anyhow::Result<Arc<AppState>> {
    let (objects, scratch) = jobs::open_objects(&config)?;
    let job_runner = jobs::open_jobs(&engine, &objects)?;
    let credentials = Arc::new(match &config.iam {
        Some(iam) => {
            if !config.credentials.is_empty() {
                anyhow::bail!(
                    "give either an IAM file or credentials, not both: the IAM file holds its users' access keys"
                );
            }
            if iam.key_pairs().next().is_none() {
                anyhow::bail!("the IAM file declares no access key: no request could be signed");
            }
            ferry_auth::Credentials::new(
                iam.key_pairs().map(|(k, s)| (k.to_string(), s.to_string())),
            )
        }
        None => ferry_auth::Credentials::new(config.credentials.iter().cloned()),
    });
    let accounts = config.iam.as_ref().and_then(|iam| {
        Some(ferry_s3::Accounts {
            iam: iam.clone(),
            default_account: iam.default_account()?.to_string(),
        })
    });
    let s3 = ferry_s3::S3Endpoint::new(objects.store().clone(), credentials.clone(), accounts);
    Ok(Arc::new(AppState {
        config,
        engine,
        objects,
        jobs: job_runner,
        credentials,
        s3,
        tokens: Default::default(),
        _scratch: scratch,
    }))
}

/// Open the data directory (or a temporary one) in the current tokio
/// runtime, without binding a port.
pub async fn open(config: Config) -> anyhow::Result<Instance> {
    let path = match &config.data_dir {
        Some(dir) => {
            let p = engine_dir(dir);
            std::fs::create_dir_all(&p).with_context(|| format!("creating {}", p.display()))?;
            Some(p)
        }
        None => None,
    };
    let engine_config = EngineConfig {
        path,
        sync: config.sync,
    };
    let engine = tokio::task::spawn_blocking(move || Engine::open(engine_config))
        .await
        .context("opening the table engine")?
        .context("opening the table engine")?;
    if let Some(dir) = &config.data_dir
        && let Err(e) = std::fs::write(dir.join(PID_FILE), std::process::id().to_string())
    {
        tracing::warn!(error = %e, "cannot record the pid in the data directory");
    }
    let (failure_tx, storage_failure) = watch::channel(None);
    engine.on_failure(move |reason| {
        let _ = failure_tx.send(Some(Arc::from(reason)));
    });
    let state = new_state(config, engine)?;
    let recovering = state.jobs.clone();
    tokio::task::spawn_blocking(move || recovering.recover());
    let (stop, stop_rx) = watch::channel(false);
    let sweeper = tokio::spawn(ttl::run_sweeper(state.engine.clone(), stop_rx));
    Ok(Instance {
        stop,
        sweeper,
        state,
        storage_failure,
    })
}

/// Run one DynamoDB operation in-process (offline mode): `operation` is
/// the name after `DynamoDB_20120810.` (`DescribeTable`, ...), `body` its
/// JSON request; the JSON answer, or the error the wire would carry.
pub async fn call(
    state: &AppState,
    operation: &str,
    body: &[u8],
) -> Result<Vec<u8>, errors::ApiError> {
    match router::Operation::parse(operation) {
        Some(op) => dispatch::dynamodb(state, op, body).await,
        None => Err(errors::ApiError::unknown_operation()),
    }
}

/// Open (see [`open`]), bind and start serving in the current tokio runtime.
pub async fn start(config: Config) -> anyhow::Result<ServerHandle> {
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("binding {}", config.listen))?;
    let local_addr = listener.local_addr()?;
    let instance = open(config).await?;
    let task = tokio::spawn(conn::serve(
        listener,
        instance.state.clone(),
        instance.stop.subscribe(),
    ));
    tracing::info!(%local_addr, "ferry listening");
    Ok(ServerHandle {
        local_addr,
        task,
        instance,
    })
}
