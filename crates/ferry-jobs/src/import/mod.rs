//! ImportTable jobs: accept a request (synchronous checks, durable record,
//! the new table in CREATING), run it in the background (list, pin, stream,
//! validate, bulk-load, log bad items), finish it (table ACTIVE, record
//! COMPLETED or FAILED), and resume it after a restart.
//!
//! See `docs/design/import.md` for the pipeline, the record format and the
//! recovery rule. The server (`ferry-server/src/imports.rs`) owns the wire
//! shapes and parameter validation; this module owns everything after.

pub mod check;
mod errlog;
mod job;
pub mod objects;
pub mod pipeline;
pub mod source;
pub mod spec;
mod store;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use ferry_storage::{Engine, StorageError};
use parking_lot::Mutex;

use crate::cwlogs::LogStore;
use crate::ids;
pub use errlog::error_message;
pub use pipeline::{ErrorPolicy, Settings};
pub use source::{ObjectSource, SourceError, SourceErrorKind, SourceObject};
pub use spec::{
    Compression, Counters, CsvOptions, Failure, FormatOptions, ImportRecord, ImportRequest,
    ImportStatus, ImportView, InputFormat, Phase, S3Source,
};
use store::RecordStore;

/// At most this many imports run at once (AWS: 50 concurrent import jobs).
pub const MAX_IN_PROGRESS: usize = 50;
/// An import reads at most this many objects (AWS: 50,000).
pub const MAX_OBJECTS: usize = 50_000;
/// Import records are kept this long (AWS: 90 days).
pub const RETENTION_MILLIS: i64 = 90 * 24 * 3600 * 1000;
/// A ClientToken identifies its import this long (AWS: 8 hours).
pub const TOKEN_MILLIS: i64 = 8 * 3600 * 1000;
/// Error-log events kept per import; further bad items are still counted.
pub const MAX_LOGGED_ERRORS: u64 = 100_000;
/// A restarted import is retried this many times in all before it fails.
pub const MAX_ATTEMPTS: u32 = 3;

/// `FailureCode` / `FailureMessage` of an import with bad items.
pub const ITEM_VALIDATION_CODE: &str = "ItemValidationError";
pub const ITEM_VALIDATION_MESSAGE: &str = "Some of the items failed validation checks and were not imported. Please check CloudWatch error logs for more details.";

/// Why ImportTable was refused. The server maps each to DynamoDB's error.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// ResourceInUseException: "Table already exists: <name>".
    #[error("Table already exists: {0}")]
    TableExists(String),
    /// ImportConflictException: the ClientToken was used for another import.
    #[error("{0}")]
    Conflict(String),
    /// LimitExceededException.
    #[error("{0}")]
    LimitExceeded(String),
    /// An import into an existing table (Ferry's extension) was refused:
    /// ResourceNotFoundException when the table does not exist.
    #[error("Requested resource not found: Table: {0} not found")]
    NoTable(String),
    /// ResourceInUseException: the table is not ACTIVE, or another import
    /// into it runs.
    #[error("{0}")]
    TableBusy(String),
    /// ValidationException: the key schema differs from the table's.
    #[error("{0}")]
    KeyMismatch(String),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// The message of a ClientToken reused with other parameters (real
/// DynamoDB's words, measured).
pub const CONFLICT_MESSAGE: &str =
    "Import conflict: Duplicate request detected with conflicting parameters";
/// The message of the concurrent-import limit.
pub const LIMIT_MESSAGE: &str = "There are too many concurrent imports in progress. The maximum number of concurrent imports is 50.";

/// Why DescribeImport could not answer.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DescribeError {
    /// ValidationException.
    #[error("Invalid Import ARN: {0}")]
    InvalidArn(String),
    /// ImportNotFoundException.
    #[error("Import not found: {0}")]
    NotFound(String),
}

/// Settings of the import runner.
#[derive(Clone, Debug, Default)]
pub struct ImportConfig {
    pub pipeline: Settings,
}

#[derive(Default)]
struct Registry {
    records: std::collections::BTreeMap<String, ImportRecord>,
    /// Live state of running imports.
    running: HashMap<String, Arc<job::Running>>,
}

/// The import runner: records, running jobs, recovery.
pub struct Imports {
    engine: Arc<Engine>,
    logs: Arc<LogStore>,
    source: Arc<dyn ObjectSource>,
    config: ImportConfig,
    store: RecordStore,
    registry: Mutex<Registry>,
    shutting_down: AtomicBool,
    /// Background job threads, joined on shutdown.
    threads: Mutex<Vec<std::thread::JoinHandle<()>>>,
}

impl Imports {
    /// Load the records of earlier runs (recovery is a separate step:
    /// [`Imports::recover`]).
    pub fn open(
        engine: Arc<Engine>,
        logs: Arc<LogStore>,
        source: Arc<dyn ObjectSource>,
        config: ImportConfig,
    ) -> Result<Arc<Imports>, StorageError> {
        let store = RecordStore::new(engine.clone());
        let mut registry = Registry::default();
        for rec in store.load_all()? {
            registry.records.insert(rec.id.clone(), rec);
        }
        Ok(Arc::new(Imports {
            engine,
            logs,
            source,
            config,
            store,
            registry: Mutex::new(registry),
            shutting_down: AtomicBool::new(false),
            threads: Mutex::new(Vec::new()),
        }))
    }

    fn now_millis(&self) -> i64 {
        self.engine.clock().now() / 1000
    }

    /// ImportTable: check, record, create the table (CREATING), start the
    /// job. Blocking. A refused request changes nothing.
    pub fn start(self: &Arc<Self>, req: ImportRequest) -> Result<ImportView, StartError> {
        let now = self.now_millis();
        self.purge_expired(now);
        let mut reg = self.registry.lock();
        // The ClientToken comes first (AWS): within its 8 hours, the same
        // request names its import again, whatever its status (a retrying
        // client must not be told its own import's table already exists);
        // other parameters are a conflict.
        let by_token = reg
            .records
            .values()
            .filter(|r| r.client_token == req.client_token && now - r.start_millis < TOKEN_MILLIS)
            .max_by_key(|r| r.start_millis);
        if let Some(rec) = by_token {
            return if req.same_parameters(rec) {
                Ok(self.view_locked(&reg, rec))
            } else {
                Err(StartError::Conflict(CONFLICT_MESSAGE.into()))
            };
        }
        let name = req.table.name.clone();
        let target_busy = reg
            .records
            .values()
            .any(|r| r.status == ImportStatus::InProgress && r.table_name == name);
        let existing = self.engine.table(&name).map(|t| t.def());
        let into = match (req.into_existing, existing) {
            (false, None) if !target_busy => None,
            (false, _) => return Err(StartError::TableExists(name)),
            (true, None) => return Err(StartError::NoTable(name)),
            (true, Some(def)) => Some(check_existing(&req, def, target_busy)?),
        };
        let in_progress = reg
            .records
            .values()
            .filter(|r| r.status == ImportStatus::InProgress)
            .count();
        if in_progress >= MAX_IN_PROGRESS {
            return Err(StartError::LimitExceeded(LIMIT_MESSAGE.into()));
        }
        let now_micros = self.engine.clock().now();
        let rec = match into {
            Some(def) => job::new_record_into(req, def, now, now_micros),
            None => job::new_record(req, now, now_micros),
        };
        self.store.put(&rec)?;
        if !rec.into_existing
            && let Err(e) = self.engine.create_table(rec.table.clone())
        {
            // The request fails either way; a record left behind is only
            // listed (as IN_PROGRESS until the next start fails it).
            if let Err(d) = self.store.delete(&rec.id) {
                tracing::error!(import = %rec.arn, error = %d, "cannot remove the record of an import whose table was not created");
            }
            return Err(match e {
                StorageError::TableExists(n) => StartError::TableExists(n),
                other => StartError::Storage(other),
            });
        }
        let running = Arc::new(job::Running::default());
        reg.running.insert(rec.id.clone(), running.clone());
        reg.records.insert(rec.id.clone(), rec.clone());
        let view = self.view_locked(&reg, &rec);
        drop(reg);
        self.spawn(rec.id.clone(), running);
        tracing::info!(import = %rec.arn, table = %rec.table_name, "import started");
        Ok(view)
    }

    fn view_locked(&self, reg: &Registry, rec: &ImportRecord) -> ImportView {
        let counters = match reg.running.get(&rec.id) {
            Some(r) if rec.status == ImportStatus::InProgress => r.live.snapshot(),
            _ => rec.counters,
        };
        ImportView {
            record: rec.clone(),
            counters,
        }
    }

    /// DescribeImport.
    pub fn describe(&self, arn: &str) -> Result<ImportView, DescribeError> {
        let parsed = ids::parse_job_arn(arn, "import")
            .ok_or_else(|| DescribeError::InvalidArn(arn.to_string()))?;
        if !is_table_name(parsed.table) {
            return Err(DescribeError::InvalidArn(arn.to_string()));
        }
        let reg = self.registry.lock();
        match reg.records.get(parsed.id) {
            Some(rec) if rec.arn == arn => Ok(self.view_locked(&reg, rec)),
            _ => Err(DescribeError::NotFound(arn.to_string())),
        }
    }

    /// ListImports: imports in start order, optionally of one table, after
    /// the import `after` (an id), at most `limit`. Returns the page and the
    /// id to continue after, if there is more.
    pub fn list(
        &self,
        table_arn: Option<&str>,
        after: Option<&str>,
        limit: usize,
    ) -> (Vec<ImportView>, Option<String>) {
        self.purge_expired(self.now_millis());
        let reg = self.registry.lock();
        let mut out = Vec::new();
        let mut more = false;
        let matching = reg
            .records
            .values()
            .filter(|r| after.is_none_or(|a| r.id.as_str() > a))
            .filter(|r| table_arn.is_none_or(|t| r.table_arn == t));
        for rec in matching {
            if out.len() == limit {
                more = true;
                break;
            }
            out.push(self.view_locked(&reg, rec));
        }
        let next = if more {
            out.last().map(|v| v.record.id.clone())
        } else {
            None
        };
        (out, next)
    }

    /// Drop records older than the retention period, with their logs.
    fn purge_expired(&self, now: i64) {
        let expired: Vec<ImportRecord> = {
            let reg = self.registry.lock();
            reg.records
                .values()
                .filter(|r| r.status.is_terminal() && now - r.start_millis > RETENTION_MILLIS)
                .cloned()
                .collect()
        };
        for rec in expired {
            match self.store.delete(&rec.id) {
                Ok(()) => {
                    if let Err(e) = self
                        .logs
                        .delete_stream(crate::cwlogs::IMPORT_LOG_GROUP, &rec.error_stream())
                    {
                        tracing::warn!(import = %rec.arn, error = %e, "cannot remove the error log of an expired import");
                    }
                    self.registry.lock().records.remove(&rec.id);
                }
                // Kept, and tried again at the next sweep.
                Err(e) => {
                    tracing::warn!(import = %rec.arn, error = %e, "cannot remove an expired import record")
                }
            }
        }
    }

    /// Resume every import a previous run left IN_PROGRESS (see the
    /// recovery rule in `docs/design/import.md`).
    pub fn recover(self: &Arc<Self>) {
        let pending: Vec<ImportRecord> = self
            .registry
            .lock()
            .records
            .values()
            .filter(|r| r.status == ImportStatus::InProgress)
            .cloned()
            .collect();
        for rec in pending {
            let running = Arc::new(job::Running {
                resumed: true,
                ..Default::default()
            });
            self.registry
                .lock()
                .running
                .insert(rec.id.clone(), running.clone());
            tracing::info!(import = %rec.arn, phase = ?rec.phase, "resuming import after restart");
            self.spawn(rec.id.clone(), running);
        }
    }

    fn spawn(self: &Arc<Self>, id: String, running: Arc<job::Running>) {
        let me = self.clone();
        let name = format!("import-{}", &id[id.len().saturating_sub(8)..]);
        let spawned = std::thread::Builder::new()
            .name(name)
            .spawn(move || job::run(&me, &id, &running));
        match spawned {
            Ok(handle) => {
                let mut threads = self.threads.lock();
                threads.retain(|h| !h.is_finished());
                threads.push(handle);
            }
            Err(e) => tracing::error!(error = %e, "cannot start an import thread"),
        }
    }

    /// ImportTable with Ferry's `FerryDryRun`: read and validate the source
    /// exactly as the import would, creating, recording and logging nothing;
    /// the report of [`check::dry_run`]. Blocking.
    pub fn dry_run(&self, req: &ImportRequest) -> serde_json::Value {
        let compression = req.compression.unwrap_or(Compression::None);
        let prefix = req.source.key_prefix.clone().unwrap_or_default();
        let listed = match self
            .source
            .list(&req.source.bucket, &prefix, MAX_OBJECTS + 1)
        {
            Ok(list) if list.len() > MAX_OBJECTS => Err(Failure {
                code: job::TOO_MANY_OBJECTS_CODE.into(),
                message: job::too_many_objects_message(),
            }),
            Ok(list) => Ok(list),
            Err(e) => Err(e.failure()),
        };
        let listed = match listed {
            Ok(l) => l,
            Err(f) => return check::failed(req.format, compression, f),
        };
        let plan = pipeline::Plan {
            bucket: &req.source.bucket,
            objects: &listed,
            format: req.format,
            compression,
            csv: check::csv_options(req.format_options.as_ref()),
            key_types: check::key_types(&req.table),
            table: &req.table,
        };
        check::dry_run(
            &plan,
            &self.config.pipeline,
            self.source.as_ref(),
            &pipeline::Live::default(),
            &self.shutting_down,
        )
    }

    /// Ask running imports to stop (they stay IN_PROGRESS and resume on
    /// the next start); does not wait.
    pub fn stop_running(&self) {
        for r in self.registry.lock().running.values() {
            r.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        }
    }

    /// Stop running imports (see [`Imports::stop_running`]) and wait for
    /// their threads. Blocking: call it outside the async runtime's threads.
    pub fn shutdown(&self) {
        self.shutting_down
            .store(true, std::sync::atomic::Ordering::SeqCst);
        self.stop_running();
        let threads: Vec<_> = std::mem::take(&mut *self.threads.lock());
        for t in threads {
            let _ = t.join();
        }
    }

    /// Wait until no import is running (tests).
    #[cfg(test)]
    pub fn wait_idle(&self) {
        loop {
            let threads: Vec<_> = std::mem::take(&mut *self.threads.lock());
            if threads.is_empty() {
                return;
            }
            for t in threads {
                let _ = t.join();
            }
        }
    }
}

/// An import into the existing table `def` (Ferry's extension) needs it
/// ACTIVE, with no other import into it running, and with the request's key
/// schema. The messages are Ferry's own (AWS has no such import).
fn check_existing(
    req: &ImportRequest,
    def: ferry_model::TableDef,
    busy: bool,
) -> Result<ferry_model::TableDef, StartError> {
    if busy || def.status != ferry_model::TableStatus::Active {
        return Err(StartError::TableBusy(format!(
            "Table {} is not ACTIVE or another import into it is in progress",
            def.name
        )));
    }
    if def.key != req.table.key {
        return Err(StartError::KeyMismatch(format!(
            "One or more parameter values were invalid: the key schema of TableCreationParameters does not match the key schema of table {}",
            def.name
        )));
    }
    Ok(def)
}

/// A table name DynamoDB accepts: 3–255 of `[a-zA-Z0-9_.-]`.
fn is_table_name(name: &str) -> bool {
    (3..=255).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}
