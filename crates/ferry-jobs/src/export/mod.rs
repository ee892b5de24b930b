//! ExportTableToPointInTime jobs — full and incremental exports exactly as
//! AWS writes them — and point-in-time restores.
//!
//! [`Exports`] is the registry the server calls (every method blocks: call
//! it from `spawn_blocking`):
//! - [`Exports::start`] validates a typed [`ExportRequest`] against the table
//!   (exists, PITR on, times in the window, ClientToken idempotency, the
//!   concurrent-export limit), records the export durably as IN_PROGRESS and
//!   starts the job;
//! - [`Exports::describe`] / [`Exports::list`] answer from the records;
//! - [`Exports::recover`] (at startup) resumes every export a restart cut
//!   short: the job is re-run from scratch at its recorded time, which reads
//!   the same history and so writes the same data (the partial files of the
//!   cut run are named by no manifest). An export whose history is gone ends
//!   FAILED with a clear message; none ends COMPLETED with a missing file.
//!
//! See `docs/design/export.md` for the layout, partitioning and semantics.

mod layout;
mod manifest;
pub mod objects;
mod partition;
mod record;
pub mod restore;
mod run;
mod sink;
mod spec;
#[cfg(test)]
pub(crate) mod tests;
#[cfg(test)]
mod tests_external;
#[cfg(test)]
mod tests_incremental;
#[cfg(test)]
mod tests_raw;
pub mod transcode;
pub mod transcode_ion;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ferry_model::TableStatus;
use ferry_storage::{Engine, Timestamp};

pub use layout::{Layout, data_file_name};
pub use manifest::md5_file;
pub use partition::{FileResult, Partitioner, Source, record_images};
pub use record::{ExportRecord, ExportStatus, RECORD_VERSION};
pub use run::{CANCELLED, Completed, Failure, Progress, RunConfig, partition_count, run_export};
pub use sink::{MemorySink, ObjectSink, ObjectUpload, PutOutcome, SinkError, SinkFactory};
pub use spec::{
    ExportError, ExportFormat, ExportRequest, ExportType, ExportViewType, IncrementalSpec, Period,
    SseAlgorithm, Window, check_full_time, check_incremental_period, iso_millis, iso_seconds,
};

use crate::ids::{new_job_id, parse_job_arn};
use record::{
    RECORD_TTL, RecordStore, TOKEN_TTL, TokenEntry, decode_next_token, encode_next_token,
};

/// AWS's limit on exports running at once per account.
pub const MAX_CONCURRENT_EXPORTS: usize = 300;

/// Settings of the export registry.
#[derive(Clone, Debug)]
pub struct ExportConfig {
    pub max_concurrent: usize,
    pub run: RunConfig,
}

impl Default for ExportConfig {
    fn default() -> Self {
        ExportConfig {
            max_concurrent: MAX_CONCURRENT_EXPORTS,
            run: RunConfig::default(),
        }
    }
}

/// The export registry: starts, tracks and answers for exports.
pub struct Exports {
    engine: Arc<Engine>,
    sinks: Arc<dyn SinkFactory>,
    runtime: tokio::runtime::Handle,
    config: ExportConfig,
    /// Serialises the check-then-record part of `start` (tokens, limit).
    start_lock: Mutex<()>,
    /// The exports whose job is running in this process, by id, with what
    /// they have written so far (DescribeExport shows it).
    running: Mutex<HashMap<String, Arc<Progress>>>,
    /// Set by `shutdown`: running jobs stop and stay IN_PROGRESS.
    cancel: AtomicBool,
}

impl Exports {
    /// A registry writing through `sinks`, running jobs on `runtime`.
    pub fn new(
        engine: Arc<Engine>,
        sinks: Arc<dyn SinkFactory>,
        runtime: tokio::runtime::Handle,
        config: ExportConfig,
    ) -> Arc<Exports> {
        Arc::new(Exports {
            engine,
            sinks,
            runtime,
            config,
            start_lock: Mutex::new(()),
            running: Mutex::new(HashMap::new()),
            cancel: AtomicBool::new(false),
        })
    }

    fn store(&self) -> RecordStore<'_> {
        RecordStore::new(self.engine.meta())
    }

    /// The PITR window of a table now (`None`: PITR off). With PITR off, a
    /// request `without_pitr` (`ferry export --data-dir`) may read the one
    /// state the table keeps: now.
    fn window(
        &self,
        table: &ferry_storage::Table,
        now: Timestamp,
        without_pitr: bool,
    ) -> Option<Window> {
        let earliest = match table.def().pitr {
            Some(_) => table.earliest_restorable()?,
            None if without_pitr => now,
            None => return None,
        };
        Some(Window {
            earliest,
            latest: now,
        })
    }

    /// ExportTableToPointInTime: validate, record, start. Returns the record
    /// as DescribeExport would show it right away (IN_PROGRESS), or the
    /// existing export for a replayed ClientToken.
    pub fn start(self: &Arc<Self>, req: ExportRequest) -> Result<ExportRecord, ExportError> {
        let kind = req.effective_type()?;
        let _guard = self.start_lock.lock().map_err(|_| poisoned())?;
        if self.cancel.load(Ordering::Relaxed) {
            return Err(ExportError::LimitExceeded(
                "The server is shutting down".into(),
            ));
        }
        let now = self.engine.clock().now();
        let store = self.store();

        // The table is looked up before the token (AWS answers a replay whose
        // table is gone with TableNotFoundException).
        let table = self
            .engine
            .table(&req.table_name)
            .filter(|t| t.def().status != TableStatus::Creating)
            .ok_or_else(|| ExportError::table_not_found(&req.table_arn))?;

        if let Some(token) = &req.client_token
            && let Some(entry) = store.token(token)?
            && now - entry.created < TOKEN_TTL
            && let Some(existing) = store.get(&entry.export_id)?
        {
            if existing.request.fingerprint() == req.fingerprint() {
                return Ok(existing);
            }
            return Err(ExportError::conflict());
        }
        let def = table.def();
        let window = self.window(&table, now, req.without_pitr);
        let (export_time, period) = match kind {
            ExportType::Full => {
                let w = window.ok_or_else(|| ExportError::pitr_unavailable(&def.name))?;
                (Some(check_full_time(req.export_time, w)?), None)
            }
            ExportType::Incremental => {
                let spec = req.incremental.clone().unwrap_or_default();
                (None, Some(check_incremental_period(&spec, window, now)?))
            }
        };

        let running = self.running.lock().map_err(|_| poisoned())?.len();
        if running >= self.config.max_concurrent {
            return Err(ExportError::LimitExceeded(format!(
                "You have exceeded the limit of {} concurrent exports",
                self.config.max_concurrent
            )));
        }

        let export_id = new_job_id(now / 1000);
        let client_token = req
            .client_token
            .clone()
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let rec = ExportRecord {
            version: RECORD_VERSION,
            export_arn: format!("{}/export/{export_id}", req.table_arn),
            export_id,
            table_arn: req.table_arn.clone(),
            table_name: def.name.clone(),
            table_id: def.id.clone(),
            status: ExportStatus::InProgress,
            start_time: now,
            end_time: None,
            export_time,
            period,
            client_token: client_token.clone(),
            format: req.export_format.unwrap_or(ExportFormat::DynamoDbJson),
            export_type: kind,
            request: req,
            failure_code: None,
            failure_message: None,
            item_count: None,
            billed_size_bytes: None,
            manifest_key: None,
            pitr_epoch: def.pitr.as_ref().map(|p| p.enabled_micros),
        };
        store.put(&rec)?;
        store.put_token(
            &client_token,
            &TokenEntry {
                version: RECORD_VERSION,
                export_id: rec.export_id.clone(),
                created: now,
            },
        )?;
        self.spawn(rec.export_id.clone());
        tracing::info!(export = %rec.export_arn, "export started");
        Ok(rec)
    }

    /// Run the job of `export_id` in the background.
    fn spawn(self: &Arc<Self>, export_id: String) {
        if let Ok(mut running) = self.running.lock() {
            running.insert(export_id.clone(), Arc::default());
        }
        let this = self.clone();
        self.runtime.spawn_blocking(move || {
            this.run_job(&export_id);
            if let Ok(mut running) = this.running.lock() {
                running.remove(&export_id);
            }
        });
    }

    fn run_job(&self, export_id: &str) {
        let store = self.store();
        let mut rec = match store.get(export_id) {
            Ok(Some(rec)) => rec,
            Ok(None) => return,
            Err(e) => {
                tracing::error!(export = export_id, error = %e, "export record unreadable");
                return;
            }
        };
        let progress = self
            .running
            .lock()
            .ok()
            .and_then(|r| r.get(export_id).cloned())
            .unwrap_or_default();
        let outcome = run_export(
            &self.engine,
            self.sinks.as_ref(),
            &self.config.run,
            &rec,
            &self.cancel,
            &progress,
        );
        if self.cancel.load(Ordering::Relaxed) {
            tracing::info!(export = %rec.export_arn, "export interrupted by shutdown; it resumes on restart");
            return;
        }
        match outcome {
            Ok(done) => {
                rec.status = ExportStatus::Completed;
                rec.end_time = Some(done.end_time);
                rec.item_count = Some(done.item_count);
                rec.billed_size_bytes = Some(done.billed_size_bytes);
                rec.manifest_key = Some(done.manifest_key);
                tracing::info!(export = %rec.export_arn, items = done.item_count, "export completed");
            }
            Err(f) => {
                rec.fail(&f.code, &f.message, self.engine.clock().now());
                tracing::info!(export = %rec.export_arn, code = %f.code, message = %f.message, "export failed");
            }
        }
        if let Err(e) = store.put(&rec) {
            tracing::error!(export = %rec.export_arn, error = %e, "export record not saved");
        }
    }

    /// Resume the exports a restart interrupted (call once at startup).
    pub fn recover(self: &Arc<Self>) -> Result<usize, ExportError> {
        let mut resumed = 0;
        for rec in self.store().all()? {
            if rec.status == ExportStatus::InProgress
                && rec.request.without_pitr
                && rec.pitr_epoch.is_none()
            {
                // Only the state at its start was readable, and the table may
                // have changed since: resuming could write other data.
                let mut rec = rec;
                rec.fail(
                    "PointInTimeRecoveryUnavailableException",
                    "An export of a table without point in time recovery was interrupted and cannot be resumed",
                    self.engine.clock().now(),
                );
                self.store().put(&rec)?;
            } else if rec.status == ExportStatus::InProgress {
                tracing::info!(export = %rec.export_arn, "resuming export interrupted by a restart");
                self.spawn(rec.export_id);
                resumed += 1;
            }
        }
        Ok(resumed)
    }

    /// Stop the running jobs (they stay IN_PROGRESS and resume at the next
    /// `recover`) and wait up to `timeout` for them to end. Returns whether
    /// every job ended.
    pub fn shutdown(&self, timeout: Duration) -> bool {
        self.cancel.store(true, Ordering::Relaxed);
        let deadline = Instant::now() + timeout;
        loop {
            let idle = self.running.lock().map(|r| r.is_empty()).unwrap_or(true);
            if idle {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Whether the job of `export_id` is still running in this process.
    pub fn is_running(&self, export_id: &str) -> bool {
        self.running
            .lock()
            .map(|r| r.contains_key(export_id))
            .unwrap_or(false)
    }

    /// What the running job of `export_id` has written so far: items and
    /// billed bytes of its finished data files (`None` when it is not
    /// running here or has finished no file yet).
    pub fn progress(&self, export_id: &str) -> Option<(u64, u64)> {
        let running = self.running.lock().ok()?;
        running.get(export_id)?.get()
    }

    /// DescribeExport.
    pub fn describe(&self, export_arn: &str) -> Result<ExportRecord, ExportError> {
        let Some(parts) = parse_job_arn(export_arn, "export") else {
            // A well-formed export ARN whose id is not one of ours is "not
            // found"; anything else (a table ARN, an import ARN) is invalid.
            if export_arn.starts_with("arn:")
                && export_arn.contains(":table/")
                && export_arn.contains("/export/")
            {
                return Err(not_found(export_arn));
            }
            return Err(ExportError::Validation("Invalid Export ARN".into()));
        };
        let now = self.engine.clock().now();
        match self.store().get(parts.id)? {
            Some(rec) if rec.export_arn == export_arn && now - rec.start_time < RECORD_TTL => {
                Ok(rec)
            }
            _ => Err(not_found(export_arn)),
        }
    }

    /// ListExports: newest first; with a table filter, only exports of the
    /// table that currently has that name (AWS lists nothing for a deleted
    /// or re-created table). Returns the page and the next token.
    pub fn list(
        &self,
        table: Option<(&str, &str)>,
        max_results: usize,
        next_token: Option<&str>,
    ) -> Result<(Vec<ExportRecord>, Option<String>), ExportError> {
        let after = next_token.map(decode_next_token).transpose()?;
        let table_id = match table {
            Some((_, name)) => match self.engine.table(name) {
                Some(t) => Some(t.def().id),
                None => return Ok((Vec::new(), None)),
            },
            None => None,
        };
        let now = self.engine.clock().now();
        let mut all: Vec<ExportRecord> = self
            .store()
            .all()?
            .into_iter()
            .filter(|r| now - r.start_time < RECORD_TTL)
            .filter(|r| match (&table_id, table) {
                (Some(id), Some((arn, _))) => &r.table_id == id && r.table_arn == arn,
                _ => true,
            })
            .collect();
        all.reverse();
        let start = match &after {
            Some(id) => all
                .iter()
                .position(|r| r.export_id.as_str() < id.as_str())
                .unwrap_or(all.len()),
            None => 0,
        };
        let max = max_results.max(1);
        let page: Vec<ExportRecord> = all.iter().skip(start).take(max).cloned().collect();
        let more = start + page.len() < all.len();
        let token = match (more, page.last()) {
            (true, Some(last)) => Some(encode_next_token(&last.export_id)),
            _ => None,
        };
        Ok((page, token))
    }
}

fn not_found(export_arn: &str) -> ExportError {
    ExportError::ExportNotFound(format!("Export not found: Export not found: {export_arn}"))
}

fn poisoned() -> ExportError {
    ExportError::Storage(ferry_storage::StorageError::Corrupt(
        "export registry lock poisoned".into(),
    ))
}
