//! RestoreTableToPointInTime's data copy: every item of the source table as
//! of the restore time (read from its MVCC history, all hash ranges in
//! parallel) bulk-loaded into the new target table, which the server has
//! already created in CREATING state. When the copy is done the target
//! becomes ACTIVE (through the server's `finish` hook, which also drops the
//! RestoreSummary it keeps in the table's description).
//!
//! A restore is recorded in the `MetaStore` (namespace `restore`, key =
//! target table name) until it ends, so a restart resumes it: the copy is
//! re-run from scratch into the still-CREATING target (re-written keys just
//! overwrite). If the source or its history is gone by then, the target
//! cannot be completed and is deleted.
//!
//! RestoreTableFromBackup runs the same job with the backup as its source
//! (`RestoreRecord::backup`): the items come from the backup's stored copy
//! (`crate::backup::load_into`) instead of the source table's history.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ferry_model::{TableDef, TableStatus};
use ferry_storage::{Engine, StorageError, Table, Timestamp, hash_ranges};
use serde::{Deserialize, Serialize};

use super::record::RECORD_VERSION;

const NS_RESTORES: &str = "restore";
/// Items per bulk-loader batch.
const BATCH: usize = 2048;

/// The durable record of a running restore.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestoreRecord {
    pub version: u32,
    pub target: String,
    pub target_id: String,
    pub source: String,
    pub source_id: String,
    pub restore_time: Timestamp,
    /// The source's `PitrSettings::enabled_micros` when the restore started.
    pub pitr_epoch: Option<i64>,
    /// The ARN of the backup restored from (RestoreTableFromBackup), whose
    /// stored items are the source instead of the table's history.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup: Option<String>,
}

/// Turns a finished target's definition ACTIVE (server-provided: it also
/// owns the described settings in `TableDef::settings`).
pub type Finisher = Arc<dyn Fn(&mut TableDef) + Send + Sync>;

/// The default finisher: just `status = Active`.
pub fn activate(def: &mut TableDef) {
    def.status = TableStatus::Active;
}

/// Copy every item of `source` as of `ts` into `target` with `workers`
/// threads. Returns the number of items copied.
/// Stops early (returning `Ok` with what was copied) when `cancel` is set.
pub fn copy_as_of(
    source: &Table,
    target: &Arc<Table>,
    ts: Timestamp,
    workers: usize,
    cancel: &AtomicBool,
) -> Result<u64, StorageError> {
    let ranges = hash_ranges((workers.max(1) * 4) as u32);
    let loader = target.bulk_loader();
    let next = AtomicUsize::new(0);
    let copied = AtomicUsize::new(0);
    let first_error: Mutex<Option<StorageError>> = Mutex::new(None);
    std::thread::scope(|scope| {
        for _ in 0..workers.clamp(1, ranges.len()) {
            scope.spawn(|| {
                let run = || -> Result<(), StorageError> {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= ranges.len() || cancel.load(Ordering::Relaxed) {
                            return Ok(());
                        }
                        let mut batch = Vec::with_capacity(BATCH);
                        for item in source.scan_as_of(ts, ranges[i].clone())? {
                            batch.push(item?);
                            if batch.len() == BATCH {
                                if cancel.load(Ordering::Relaxed) {
                                    return Ok(());
                                }
                                copied.fetch_add(batch.len(), Ordering::Relaxed);
                                loader.write(std::mem::replace(
                                    &mut batch,
                                    Vec::with_capacity(BATCH),
                                ))?;
                            }
                        }
                        if !batch.is_empty() {
                            copied.fetch_add(batch.len(), Ordering::Relaxed);
                            loader.write(batch)?;
                        }
                        if first_error.lock().map(|e| e.is_some()).unwrap_or(true) {
                            return Ok(());
                        }
                    }
                };
                if let Err(e) = run()
                    && let Ok(mut first) = first_error.lock()
                {
                    first.get_or_insert(e);
                }
            });
        }
    });
    if let Some(e) = first_error.into_inner().ok().flatten() {
        return Err(e);
    }
    loader.finish()?;
    Ok(copied.into_inner() as u64)
}

/// Running restores.
pub struct Restores {
    engine: Arc<Engine>,
    runtime: tokio::runtime::Handle,
    finish: Finisher,
    workers: usize,
    running: Mutex<HashSet<String>>,
    cancel: AtomicBool,
}

impl Restores {
    pub fn new(
        engine: Arc<Engine>,
        runtime: tokio::runtime::Handle,
        finish: Finisher,
    ) -> Arc<Restores> {
        Arc::new(Restores {
            engine,
            runtime,
            finish,
            workers: std::thread::available_parallelism().map_or(2, |n| n.get()),
            running: Mutex::new(HashSet::new()),
            cancel: AtomicBool::new(false),
        })
    }

    /// Start filling `target` (just created, CREATING) from `source` as of
    /// `ts`. The caller has validated everything.
    pub fn start(
        self: &Arc<Self>,
        source: &Table,
        target: &Table,
        ts: Timestamp,
    ) -> Result<(), StorageError> {
        let (s, t) = (source.def(), target.def());
        let rec = RestoreRecord {
            version: RECORD_VERSION,
            target: t.name.clone(),
            target_id: t.id.clone(),
            source: s.name.clone(),
            source_id: s.id.clone(),
            restore_time: ts,
            pitr_epoch: s.pitr.as_ref().map(|p| p.enabled_micros),
            backup: None,
        };
        self.record_and_spawn(rec)
    }

    /// Start filling `target` (just created, CREATING) from the stored items
    /// of the backup `rec` (AVAILABLE; the caller has checked).
    pub fn start_from_backup(
        self: &Arc<Self>,
        backup: &crate::backup::BackupRecord,
        target: &Table,
    ) -> Result<(), StorageError> {
        let t = target.def();
        let rec = RestoreRecord {
            version: RECORD_VERSION,
            target: t.name.clone(),
            target_id: t.id.clone(),
            source: backup.table.name.clone(),
            source_id: backup.table.id.clone(),
            restore_time: backup.created_micros,
            pitr_epoch: None,
            backup: Some(backup.arn.clone()),
        };
        self.record_and_spawn(rec)
    }

    fn record_and_spawn(self: &Arc<Self>, rec: RestoreRecord) -> Result<(), StorageError> {
        let bytes = serde_json::to_vec(&rec).map_err(|e| StorageError::Corrupt(e.to_string()))?;
        self.engine
            .meta()
            .put(NS_RESTORES, rec.target.as_bytes(), &bytes)?;
        self.spawn(rec);
        Ok(())
    }

    /// Whether a restore (running or to be resumed) reads backup `arn`.
    pub fn reads_backup(&self, arn: &str) -> Result<bool, StorageError> {
        for (_, v) in self.engine.meta().scan(NS_RESTORES, b"", None)? {
            let rec: RestoreRecord = serde_json::from_slice(&v)
                .map_err(|e| StorageError::Corrupt(format!("restore record: {e}")))?;
            if rec.backup.as_deref() == Some(arn) {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Stop running restores (they resume at the next `recover`) and wait up
    /// to `timeout` for them to end.
    pub fn shutdown(&self, timeout: Duration) -> bool {
        self.cancel.store(true, Ordering::Relaxed);
        let deadline = Instant::now() + timeout;
        while !self.running.lock().map(|r| r.is_empty()).unwrap_or(true) {
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        true
    }

    /// Whether a restore into `target` is running.
    pub fn is_running(&self, target: &str) -> bool {
        self.running
            .lock()
            .map(|r| r.contains(target))
            .unwrap_or(false)
    }

    fn spawn(self: &Arc<Self>, rec: RestoreRecord) {
        if let Ok(mut r) = self.running.lock() {
            r.insert(rec.target.clone());
        }
        let this = self.clone();
        self.runtime.spawn_blocking(move || {
            if let Err(e) = this.run(&rec) {
                tracing::error!(target_table = %rec.target, error = %e, "restore failed");
            }
            if let Ok(mut r) = this.running.lock() {
                r.remove(&rec.target);
            }
        });
    }

    fn run(&self, rec: &RestoreRecord) -> Result<(), StorageError> {
        let target = match self.engine.table(&rec.target) {
            Some(t) if t.def().id == rec.target_id && t.def().status == TableStatus::Creating => t,
            _ => {
                return self
                    .engine
                    .meta()
                    .delete(NS_RESTORES, rec.target.as_bytes());
            }
        };
        if let Some(arn) = &rec.backup {
            if crate::backup::stored(&self.engine, arn)?.is_none() {
                tracing::error!(target_table = %rec.target, "restore source backup is gone; dropping the target");
                self.engine.delete_table(&rec.target)?;
                return self
                    .engine
                    .meta()
                    .delete(NS_RESTORES, rec.target.as_bytes());
            }
            let items = crate::backup::load_into(&self.engine, arn, &target, &self.cancel)?;
            return self.end(rec, &target, items);
        }
        let usable = self.engine.table(&rec.source).filter(|s| {
            let def = s.def();
            def.id == rec.source_id
                && def.pitr.as_ref().map(|p| p.enabled_micros) == rec.pitr_epoch
                && s.earliest_restorable()
                    .is_some_and(|e| e <= rec.restore_time)
        });
        let Some(source) = usable else {
            tracing::error!(target_table = %rec.target, "restore source or its history is gone; dropping the target");
            self.engine.delete_table(&rec.target)?;
            return self
                .engine
                .meta()
                .delete(NS_RESTORES, rec.target.as_bytes());
        };
        let items = copy_as_of(
            &source,
            &target,
            rec.restore_time,
            self.workers,
            &self.cancel,
        )?;
        self.end(rec, &target, items)
    }

    /// Activate the filled target and forget the restore (unless cancelled:
    /// then the next `recover` resumes it).
    fn end(&self, rec: &RestoreRecord, target: &Table, items: u64) -> Result<(), StorageError> {
        if self.cancel.load(Ordering::Relaxed) {
            return Ok(()); // resumed by the next `recover`
        }
        let finish = self.finish.clone();
        target.update_def(&mut |def| finish(def))?;
        self.engine
            .meta()
            .delete(NS_RESTORES, rec.target.as_bytes())?;
        tracing::info!(target_table = %rec.target, items, "restore completed");
        Ok(())
    }

    /// Resume the restores a restart interrupted (call once at startup).
    pub fn recover(self: &Arc<Self>) -> Result<usize, StorageError> {
        let mut n = 0;
        for (_, v) in self.engine.meta().scan(NS_RESTORES, b"", None)? {
            let rec: RestoreRecord = serde_json::from_slice(&v)
                .map_err(|e| StorageError::Corrupt(format!("restore record: {e}")))?;
            if rec.version != RECORD_VERSION {
                return Err(StorageError::Corrupt(format!(
                    "restore record: unknown version {}",
                    rec.version
                )));
            }
            self.spawn(rec);
            n += 1;
        }
        Ok(n)
    }
}
