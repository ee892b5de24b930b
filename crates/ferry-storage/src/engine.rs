//! `Engine`: opens the fjall database (completing a directory whose creation
//! never finished, `fresh.rs`), loads the catalog, creates and deletes
//! tables, and runs the background work (history pruning, purging the data
//! of deleted tables, and a watchdog that notices when the database stops
//! accepting writes).
//!
//! A deleted table whose stream retention has not passed is *retired*
//! instead of purged: its catalog record moves to `r<tid>`, its items and
//! change log stay, it takes no more writes, and its streams stay readable
//! (`retired_tables`, `Table::stream_changes`) for the day DynamoDB keeps a
//! deleted table's streams; the pruner purges it afterwards.

use std::collections::BTreeMap;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Weak};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use ferry_model::TableDef;
use fjall::{Database, Readable};
use parking_lot::{Mutex, RwLock};

use crate::catalog::{
    BULK_PREFIX, IndexEntry, NEXT_TID_KEY, PURGE_PREFIX, RETIRED_PREFIX, STATS_PREFIX,
    TABLE_PREFIX, TableRecord, table_key, tid_key, tid_of_key,
};
use crate::clock::Clock;
use crate::index::purge_prefix;
use crate::meta::MetaStore;
use crate::stats::Counters;
use crate::store::{Store, engine_err};
use crate::table::Table;
use crate::{EngineConfig, STREAM_GRACE_MICROS, STREAM_RETENTION_MICROS, StorageError};

/// How often the background pruner passes over the tables with history.
const PRUNE_INTERVAL: Duration = Duration::from_secs(600);

/// How often the watchdog checks that the database still accepts writes.
const HEALTH_INTERVAL: Duration = Duration::from_secs(1);

/// The engine: a catalog of tables plus a small durable metadata store.
pub struct Engine {
    store: Arc<Store>,
    tables: RwLock<BTreeMap<String, Arc<Table>>>,
    /// Deleted tables whose stream history is kept, by table id.
    retired: RwLock<BTreeMap<u32, Arc<Table>>>,
    meta: MetaStore,
    next_tid: Mutex<u32>,
    purges: Mutex<Vec<JoinHandle<()>>>,
    /// Dropping it stops the background thread (pruner and watchdog).
    _background_stop: mpsc::Sender<()>,
}

fn io_err(e: std::io::Error) -> StorageError {
    StorageError::Engine(Box::new(e))
}

impl Engine {
    /// Open (or create) the engine. Tables, items, history and metadata of an
    /// earlier run are all there again.
    pub fn open(config: EngineConfig) -> Result<Arc<Engine>, StorageError> {
        let (path, temporary) = match &config.path {
            Some(p) => {
                std::fs::create_dir_all(p).map_err(io_err)?;
                crate::fresh::complete_unfinished_creation(p).map_err(io_err)?;
                (p.clone(), false)
            }
            None => {
                let dir = tempfile::Builder::new()
                    .prefix("ferry-")
                    .tempdir()
                    .map_err(io_err)?;
                (dir.keep(), true)
            }
        };
        let db = Database::builder(&path)
            .temporary(temporary)
            .cache_size(64 * 1024 * 1024)
            .open()
            .map_err(engine_err)?;
        let spill_dir = path.join("ferry-bulk");
        let store = Arc::new(Store::open(db, config.sync, spill_dir.clone())?);

        let snap = store.snapshot();
        let mut tables = BTreeMap::new();
        let mut migrated = store.batch();
        let mut any_migrated = false;
        for guard in snap.prefix(&store.sys, [TABLE_PREFIX]) {
            let (k, v) = guard.into_inner().map_err(engine_err)?;
            let (record, old) = TableRecord::decode(&v)?;
            if old {
                migrated.insert(&store.sys, k.to_vec(), record.encode()?);
                any_migrated = true;
            }
            let counters = match snap
                .get(&store.sys, tid_key(STATS_PREFIX, record.tid))
                .map_err(engine_err)?
            {
                Some(raw) => Counters::decode(&raw)?,
                None => Counters::default(),
            };
            let name = record.def.name.clone();
            tables.insert(name, Arc::new(Table::new(store.clone(), record, counters)));
        }
        let next_tid = match snap.get(&store.sys, NEXT_TID_KEY).map_err(engine_err)? {
            Some(raw) => u32::from_be_bytes(
                raw.as_ref()
                    .try_into()
                    .map_err(|_| StorageError::Corrupt("table id counter".to_string()))?,
            ),
            None => 1,
        };
        let mut retired = BTreeMap::new();
        for guard in snap.prefix(&store.sys, [RETIRED_PREFIX]) {
            let (k, v) = guard.into_inner().map_err(engine_err)?;
            let (record, old) = TableRecord::decode(&v)?;
            if old {
                migrated.insert(&store.sys, k.to_vec(), record.encode()?);
                any_migrated = true;
            }
            let table = Table::new(store.clone(), record, Counters::default());
            table.mark_dropped();
            retired.insert(table.tid, Arc::new(table));
        }
        let mut pending = Vec::new();
        for guard in snap.prefix(&store.sys, [PURGE_PREFIX]) {
            let k = guard.key().map_err(engine_err)?;
            if let Some(tid) = tid_of_key(&k) {
                pending.push(tid);
            }
        }
        drop(snap);
        if any_migrated {
            store.commit_plain(migrated)?;
        }
        crate::bulk::repair::recover(&store, &tables, &spill_dir)?;
        crate::backfill::resume(&tables);
        crate::stream_log::start_missing_logs(&tables)?;

        let (stop_tx, stop_rx) = mpsc::channel();
        let engine = Arc::new(Engine {
            meta: MetaStore::new(store.clone()),
            store,
            tables: RwLock::new(tables),
            retired: RwLock::new(retired),
            next_tid: Mutex::new(next_tid),
            purges: Mutex::new(Vec::new()),
            _background_stop: stop_tx,
        });
        for tid in pending {
            engine.spawn_purge(tid);
        }
        let weak = Arc::downgrade(&engine);
        std::thread::Builder::new()
            .name("ferry-background".to_string())
            .spawn(move || background(weak, stop_rx))
            .map_err(io_err)?;
        Ok(engine)
    }

    pub fn clock(&self) -> &Clock {
        &self.store.clock
    }

    /// Create a table (status as given in `def`). Fails with `TableExists`.
    pub fn create_table(&self, def: TableDef) -> Result<Arc<Table>, StorageError> {
        let mut tables = self.tables.write();
        if tables.contains_key(&def.name) {
            return Err(StorageError::TableExists(def.name));
        }
        let mut next_tid = self.next_tid.lock();
        let tid = *next_tid;
        let indexes: Vec<IndexEntry> = def
            .indexes
            .iter()
            .zip(1u32..)
            .map(|(d, iid)| IndexEntry {
                iid,
                def: d.clone(),
                backfilling: false,
                probe: None,
            })
            .collect();
        let next_iid = indexes.len() as u32 + 1;
        let mut base = def;
        base.indexes = Vec::new();
        let record = TableRecord {
            tid,
            history: base.pitr.is_some(),
            def: base,
            indexes,
            next_iid,
            stream_until: None,
            stream_log_from: None,
            retired_until: None,
        };
        let mut batch = self.store.batch();
        batch.insert(
            &self.store.sys,
            table_key(&record.def.name),
            record.encode()?,
        );
        batch.insert(
            &self.store.sys,
            NEXT_TID_KEY,
            (tid + 1).to_be_bytes().to_vec(),
        );
        batch.insert(
            &self.store.sys,
            tid_key(STATS_PREFIX, tid),
            Counters::default().encode(),
        );
        self.store.commit_plain(batch)?;
        *next_tid = tid + 1;
        let name = record.def.name.clone();
        let table = Arc::new(Table::new(self.store.clone(), record, Counters::default()));
        tables.insert(name, table.clone());
        Ok(table)
    }

    /// Delete a table and all its data and history. Returns its last
    /// definition. The data is removed in the background (resumed after a
    /// restart); the table is gone at once. A table with stream history to
    /// keep is retired instead (module docs) until the retention passes,
    /// 24 hours at most.
    pub fn delete_table(&self, name: &str) -> Result<TableDef, StorageError> {
        let mut tables = self.tables.write();
        let table = tables
            .get(name)
            .cloned()
            .ok_or_else(|| StorageError::TableNotFound(name.to_string()))?;
        let def = table.def();
        let now = self.store.clock.now();
        let retired = table
            .state()
            .record
            .stream_until
            .map(|u| u.min(now.saturating_add(STREAM_RETENTION_MICROS)))
            .filter(|&u| u > now)
            .map(|until| TableRecord {
                retired_until: Some(until.saturating_add(STREAM_GRACE_MICROS)),
                ..table.state().record.clone()
            });
        let mut batch = self.store.batch();
        batch.remove(&self.store.sys, table_key(name));
        batch.remove(&self.store.sys, tid_key(STATS_PREFIX, table.tid).to_vec());
        batch.remove(&self.store.sys, tid_key(BULK_PREFIX, table.tid).to_vec());
        match &retired {
            Some(record) => batch.insert(
                &self.store.sys,
                tid_key(RETIRED_PREFIX, table.tid).to_vec(),
                record.encode()?,
            ),
            None => batch.insert(
                &self.store.sys,
                tid_key(PURGE_PREFIX, table.tid).to_vec(),
                Vec::new(),
            ),
        }
        table.mark_dropped();
        self.store.commit_plain(batch)?;
        tables.remove(name);
        match retired {
            Some(record) => {
                *table.state.write() = Arc::new(crate::table::TableState::new(record));
                self.retired.write().insert(table.tid, table);
            }
            None => self.spawn_purge(table.tid),
        }
        Ok(def)
    }

    /// Deleted tables whose stream history is still kept (module docs):
    /// their definitions and `Table::stream_changes` work, nothing else.
    pub fn retired_tables(&self) -> Vec<Arc<Table>> {
        self.retired.read().values().cloned().collect()
    }

    /// Purges the retired tables whose retention has passed.
    fn purge_retired(&self) -> Result<(), StorageError> {
        let now = self.store.clock.now();
        let done: Vec<u32> = self
            .retired
            .read()
            .values()
            .filter(|t| t.state().record.retired_until.is_none_or(|u| u <= now))
            .map(|t| t.tid)
            .collect();
        for tid in done {
            let mut batch = self.store.batch();
            batch.remove(&self.store.sys, tid_key(RETIRED_PREFIX, tid).to_vec());
            batch.insert(
                &self.store.sys,
                tid_key(PURGE_PREFIX, tid).to_vec(),
                Vec::new(),
            );
            self.store.commit_plain(batch)?;
            self.retired.write().remove(&tid);
            self.spawn_purge(tid);
        }
        Ok(())
    }

    fn spawn_purge(&self, tid: u32) {
        let store = self.store.clone();
        let run = move || {
            let head = tid.to_be_bytes();
            let done = purge_prefix(&store, &store.items, &head)
                .and_then(|()| purge_prefix(&store, &store.index, &head))
                .and_then(|()| purge_prefix(&store, &store.changes, &head))
                .and_then(|()| {
                    let mut batch = store.batch();
                    batch.remove(&store.sys, tid_key(PURGE_PREFIX, tid).to_vec());
                    store.commit_plain(batch)
                });
            if let Err(e) = done {
                tracing::warn!(table_id = tid, error = %e, "purging a deleted table failed");
            }
        };
        match std::thread::Builder::new()
            .name("ferry-purge".to_string())
            .spawn(run)
        {
            Ok(h) => self.purges.lock().push(h),
            Err(e) => tracing::warn!(error = %e, "cannot start the purge thread"),
        }
    }

    /// Waits until the data of every deleted table is gone.
    pub fn wait_for_purges(&self) {
        let handles: Vec<JoinHandle<()>> = std::mem::take(&mut *self.purges.lock());
        for h in handles {
            let _ = h.join();
        }
    }

    pub fn table(&self, name: &str) -> Option<Arc<Table>> {
        self.tables.read().get(name).cloned()
    }

    /// All tables, sorted by name.
    pub fn tables(&self) -> Vec<Arc<Table>> {
        self.tables.read().values().cloned().collect()
    }

    /// Durable small records for other layers (jobs, log events, tokens).
    pub fn meta(&self) -> &MetaStore {
        &self.meta
    }

    /// Why the database refuses every write until it is reopened (a failed
    /// journal write, a crashed background flush), once it does. fjall
    /// cannot recover from that in place: see "Faults" in
    /// `docs/design/storage.md`.
    pub fn failure(&self) -> Option<Arc<str>> {
        self.store.failure()
    }

    /// Runs `hook` once, with the reason, when the database stops accepting
    /// writes (at once if it already has). A watchdog checks every second, so
    /// this also fires when no write is attempted.
    pub fn on_failure(&self, hook: impl FnOnce(&str) + Send + 'static) {
        self.store.on_failure(Box::new(hook));
    }

    /// Flush everything to disk (called on graceful shutdown).
    pub fn flush(&self) -> Result<(), StorageError> {
        self.store.persist()
    }

    /// One prune pass over every table (the background pruner runs this
    /// every ten minutes). Returns the number of versions removed.
    pub fn prune_history(&self) -> Result<u64, StorageError> {
        self.purge_retired()?;
        let mut removed = 0;
        for table in self.tables() {
            match table.prune_history() {
                Ok(n) => removed += n,
                Err(StorageError::TableNotFound(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(removed)
    }
}

/// The background thread: every second the watchdog check, every ten
/// minutes a prune pass.
fn background(engine: Weak<Engine>, stop: mpsc::Receiver<()>) {
    let mut last_prune = Instant::now();
    loop {
        match stop.recv_timeout(HEALTH_INTERVAL) {
            Err(RecvTimeoutError::Timeout) => {}
            Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
        }
        let Some(engine) = engine.upgrade() else {
            return;
        };
        engine.store.check_health();
        if last_prune.elapsed() < PRUNE_INTERVAL {
            continue;
        }
        last_prune = Instant::now();
        match engine.prune_history() {
            Ok(n) if n > 0 => tracing::debug!(removed = n, "pruned item history"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "pruning item history failed"),
        }
    }
}
