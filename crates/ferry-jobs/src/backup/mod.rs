//! On-demand backups (CreateBackup, DescribeBackup, ListBackups,
//! DeleteBackup; RestoreTableFromBackup's data comes from here).
//!
//! A backup is materialised: its items are copied out of the table into the
//! `MetaStore` (`data.rs`), so it outlives PITR pruning and its table. The
//! copy reads one engine snapshot taken while CreateBackup is answered, so
//! writers are never blocked and the backup holds the table as of its
//! creation time (`docs/design/backups.md`). A backup is CREATING until its
//! last chunk and its AVAILABLE record are written in one batch.
//!
//! Records live in the `backup` namespace under `r/<backup arn>` (so a
//! listing is in ARN order: by table, then by creation time).

mod data;
#[cfg(test)]
mod tests;

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use ferry_model::{Item, TableDef, TableStatus};
use ferry_storage::{Engine, StorageError, Table, Timestamp, hash_ranges};
use serde::{Deserialize, Serialize};

pub use data::{Totals, load_into};

pub(crate) const NS_BACKUPS: &str = "backup";
/// The version of [`BackupRecord`]'s encoding (1: the table definition of
/// catalog format 1, upgraded when read).
const BACKUP_VERSION: u32 = 2;

/// Where a backup is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BackupStatus {
    Creating,
    Available,
}

/// The durable record of a backup (JSON, versioned).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BackupRecord {
    pub version: u32,
    pub arn: String,
    pub name: String,
    pub status: BackupStatus,
    /// The time the backup holds the table at (microseconds).
    pub created_micros: Timestamp,
    pub table_arn: String,
    /// The source table's definition at the backup time.
    pub table: TableDef,
    pub items: u64,
    pub size_bytes: u64,
}

/// Why a backup cannot be deleted or read now.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("backup not found")]
    NotFound,
    #[error("backup is being created")]
    InUse,
    #[error(transparent)]
    Storage(#[from] StorageError),
}

fn record_key(arn: &str) -> Vec<u8> {
    let mut k = b"r/".to_vec();
    k.extend_from_slice(arn.as_bytes());
    k
}

fn encode(rec: &BackupRecord) -> Result<Vec<u8>, StorageError> {
    serde_json::to_vec(rec).map_err(|e| StorageError::Corrupt(e.to_string()))
}

/// Decodes a backup record; version 1 (whose table definition is catalog
/// format 1's, with `extra`) is upgraded on the way.
fn decode(bytes: &[u8]) -> Result<BackupRecord, StorageError> {
    let corrupt = |e: serde_json::Error| StorageError::Corrupt(format!("backup record: {e}"));
    let mut json: serde_json::Value = serde_json::from_slice(bytes).map_err(corrupt)?;
    match json.get("version").and_then(serde_json::Value::as_u64) {
        Some(1) => {
            if let Some(table) = json.get_mut("table") {
                ferry_storage::upgrade_table_def_v1(table)?;
            }
            json["version"] = BACKUP_VERSION.into();
        }
        Some(v) if v == u64::from(BACKUP_VERSION) => {}
        v => {
            return Err(StorageError::Corrupt(format!(
                "backup record: unknown version {v:?}"
            )));
        }
    }
    serde_json::from_value(json).map_err(corrupt)
}

/// The record of backup `arn` in `engine`'s `MetaStore`, if it exists.
pub fn stored(engine: &Engine, arn: &str) -> Result<Option<BackupRecord>, StorageError> {
    engine
        .meta()
        .get(NS_BACKUPS, &record_key(arn))?
        .map(|v| decode(&v))
        .transpose()
}

/// The backups and their running copies.
pub struct Backups {
    engine: Arc<Engine>,
    runtime: tokio::runtime::Handle,
    running: Mutex<HashSet<String>>,
    cancel: AtomicBool,
}

impl Backups {
    pub fn new(engine: Arc<Engine>, runtime: tokio::runtime::Handle) -> Arc<Backups> {
        Arc::new(Backups {
            engine,
            runtime,
            running: Mutex::new(HashSet::new()),
            cancel: AtomicBool::new(false),
        })
    }

    /// Start a backup of `table` (ARN `table_arn`) named `name`: records it
    /// CREATING, takes the snapshot the copy reads, and returns the record
    /// once the snapshot is taken (the copy goes on in the background).
    pub fn create(
        self: &Arc<Self>,
        table: Arc<Table>,
        name: String,
        table_arn: String,
    ) -> Result<BackupRecord, StorageError> {
        let ts = self.engine.clock().now();
        let rec = BackupRecord {
            version: BACKUP_VERSION,
            arn: format!(
                "{table_arn}/backup/{}",
                crate::ids::new_backup_id(ts.div_euclid(1000))
            ),
            name,
            status: BackupStatus::Creating,
            created_micros: ts,
            table_arn,
            table: table.def(),
            items: 0,
            size_bytes: 0,
        };
        self.engine
            .meta()
            .put(NS_BACKUPS, &record_key(&rec.arn), &encode(&rec)?)?;
        // With PITR the history holds the table as of `ts` exactly; without
        // it only the snapshot does, so it reads everything in the snapshot
        // (taken right after `ts`, see docs/design/backups.md).
        let as_of = if rec.table.pitr.is_some() {
            ts
        } else {
            Timestamp::MAX
        };
        let (taken, snapshot) = mpsc::channel();
        self.spawn(rec.clone(), table, as_of, Some(taken));
        match snapshot.recv() {
            Ok(Ok(())) => Ok(rec),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(StorageError::Corrupt("backup copy ended early".into())),
        }
    }

    fn spawn(
        self: &Arc<Self>,
        rec: BackupRecord,
        table: Arc<Table>,
        as_of: Timestamp,
        taken: Option<mpsc::Sender<Result<(), StorageError>>>,
    ) {
        if let Ok(mut r) = self.running.lock() {
            r.insert(rec.arn.clone());
        }
        let this = self.clone();
        self.runtime.spawn_blocking(move || {
            if let Err(e) = this.copy(&rec, &table, as_of, taken) {
                // A copy that cannot finish (its table was deleted under it,
                // a storage failure) would stay CREATING for ever: drop it.
                tracing::error!(backup = %rec.arn, error = %e, "backup failed; dropping it");
                if let Err(e) = this.remove(&rec.arn) {
                    tracing::error!(backup = %rec.arn, error = %e, "failed backup not dropped");
                }
            }
            if let Ok(mut r) = this.running.lock() {
                r.remove(&rec.arn);
            }
        });
    }

    fn copy(
        &self,
        rec: &BackupRecord,
        table: &Table,
        as_of: Timestamp,
        taken: Option<mpsc::Sender<Result<(), StorageError>>>,
    ) -> Result<(), StorageError> {
        let full = hash_ranges(1).into_iter().next().unwrap_or(0..u64::MAX);
        let items = table.scan_as_of(as_of, full);
        if let Some(tx) = taken {
            let _ = tx.send(match &items {
                Ok(_) => Ok(()),
                Err(e) => Err(StorageError::Corrupt(e.to_string())),
            });
        }
        let mut writer = data::ChunkWriter::new(&self.engine, &rec.arn);
        for item in items? {
            if self.cancel.load(Ordering::Relaxed) {
                return Ok(()); // redone by the next `recover`
            }
            let item: Item = item?;
            writer.push(&item)?;
        }
        let totals = writer.totals;
        let done = BackupRecord {
            status: BackupStatus::Available,
            items: totals.items,
            size_bytes: totals.bytes,
            ..rec.clone()
        };
        writer.finish(&record_key(&rec.arn), &encode(&done)?)?;
        tracing::info!(backup = %rec.arn, items = totals.items, "backup available");
        Ok(())
    }

    /// The backup `arn`, if it exists.
    pub fn get(&self, arn: &str) -> Result<Option<BackupRecord>, StorageError> {
        stored(&self.engine, arn)
    }

    /// Every backup, in ARN order (by table, then creation time).
    pub fn list(&self) -> Result<Vec<BackupRecord>, StorageError> {
        self.engine
            .meta()
            .scan(NS_BACKUPS, b"r/", None)?
            .iter()
            .map(|(_, v)| decode(v))
            .collect()
    }

    /// Delete backup `arn` (record and data, in one batch); refused while it
    /// is being created or a restore reads it (`restoring`).
    pub fn delete(&self, arn: &str, restoring: bool) -> Result<BackupRecord, BackupError> {
        let rec = self.get(arn)?.ok_or(BackupError::NotFound)?;
        if rec.status == BackupStatus::Creating || restoring {
            return Err(BackupError::InUse);
        }
        self.remove(arn)?;
        Ok(rec)
    }

    fn remove(&self, arn: &str) -> Result<(), StorageError> {
        let keys = data::chunk_keys(&self.engine, arn)?;
        let rk = record_key(arn);
        let mut entries: Vec<(&[u8], Option<&[u8]>)> = vec![(&rk, None)];
        entries.extend(keys.iter().map(|k| (k.as_slice(), None)));
        self.engine.meta().put_many(NS_BACKUPS, &entries)
    }

    /// Let running copies finish for up to `timeout`, then cut the rest
    /// (a cut copy is redone at the next `recover` only from PITR history,
    /// so finishing is better). Returns whether all finished.
    pub fn shutdown(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while !self.running.lock().map(|r| r.is_empty()).unwrap_or(true) {
            if Instant::now() >= deadline {
                self.cancel.store(true, Ordering::Relaxed);
                return false;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        true
    }

    /// Redo or drop the backups a restart cut (call once at startup). The
    /// snapshot of a cut copy is gone: it is redone from the table's PITR
    /// history when that still reaches the backup time, else the backup is
    /// dropped. Returns (redone, dropped).
    pub fn recover(self: &Arc<Self>) -> Result<(usize, usize), StorageError> {
        let (mut redone, mut dropped) = (0, 0);
        for rec in self.list()? {
            if rec.status != BackupStatus::Creating {
                continue;
            }
            let source = self.engine.table(&rec.table.name).filter(|t| {
                let def = t.def();
                def.id == rec.table.id
                    && def.status != TableStatus::Creating
                    && def.pitr.is_some()
                    && t.earliest_restorable()
                        .is_some_and(|e| e <= rec.created_micros)
            });
            let chunks = data::chunk_keys(&self.engine, &rec.arn)?;
            let stale: Vec<(&[u8], Option<&[u8]>)> =
                chunks.iter().map(|k| (k.as_slice(), None)).collect();
            self.engine.meta().put_many(NS_BACKUPS, &stale)?;
            match source {
                Some(table) => {
                    let ts = rec.created_micros;
                    self.spawn(rec, table, ts, None);
                    redone += 1;
                }
                None => {
                    tracing::error!(backup = %rec.arn, "backup cut by a restart cannot be redone; dropping it");
                    self.remove(&rec.arn)?;
                    dropped += 1;
                }
            }
        }
        Ok((redone, dropped))
    }
}
