//! `BulkLoader`: imports and restores write many items into a table.
//!
//! Two paths, chosen when the first loader of a table opens:
//!
//! - **fast** (PITR off — every import and restore target): `write` only
//!   encodes the items (no lock; callers encode in parallel) into the shared
//!   buffer. Every [`run::RUN_BYTES`] of buffered batches become a sorted,
//!   deduplicated run spilled to a scratch file. `finish` (or dropping the
//!   last loader) merges all runs, one thread per hash partition, and writes
//!   them straight into new fjall tables (`ingest.rs`): no memtable, no
//!   journal, no compaction of overlapping runs. Nothing written is visible
//!   before then; all items of one ingestion carry one commit stamp.
//! - **careful** (PITR on): every `write` commits on its own (`careful.rs`).
//!
//! Semantics shared by both: the last write of a key wins (any order across
//! concurrent calls), index entries and statistics are exact, loading over
//! existing items replaces them. `finish` makes everything durable. A crash
//! before `finish` returns loses some subset of the load (fast: all of it,
//! unless the ingestion had started; see `repair.rs`) and leaves the table
//! consistent, so re-running the load gives the exact result.

mod batch;
mod careful;
mod heap;
mod ingest;
pub(crate) mod repair;
mod run;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use ferry_model::Item;
use parking_lot::{Condvar, Mutex};

use crate::StorageError;
use crate::table::Table;

pub(crate) use careful::BulkFilter;

use batch::Batch;
pub(crate) use run::RUN_BYTES;
use run::RunFile;

/// Distinguishes the spill files of concurrent loads.
static LOAD_IDS: AtomicU64 = AtomicU64::new(0);

/// The loaders of a table (`Table::bulk`): how many are open, and the path.
pub(crate) struct BulkState {
    loaders: usize,
    mode: Mode,
}

enum Mode {
    Careful(BulkFilter),
    Fast(Arc<FastLoad>),
}

impl BulkState {
    /// Records a key written by an ordinary write while loaders are open.
    pub(crate) fn note_write(&mut self, prefix: &[u8]) {
        if let Mode::Careful(f) = &mut self.mode {
            f.insert(prefix);
        }
    }

    pub(crate) fn filter_mut(&mut self) -> Option<&mut BulkFilter> {
        match &mut self.mode {
            Mode::Careful(f) => Some(f),
            Mode::Fast(_) => None,
        }
    }
}

/// The shared buffer of a fast load.
struct FastLoad {
    parts: usize,
    run_bytes: usize,
    dir: PathBuf,
    id: u64,
    tid: u32,
    fill: Mutex<Fill>,
    /// Signalled when a run has been spilled.
    spilled: Condvar,
    /// Serialises ingestions of this load.
    finishing: Mutex<()>,
}

struct Fill {
    batches: Vec<Batch>,
    bytes: usize,
    /// Number of the run being filled; runs are numbered in write order.
    next_run: u64,
    /// Runs below this number were ingested (or abandoned).
    consumed: u64,
    /// Spilled runs not yet ingested (`None`: empty or failed).
    done: BTreeMap<u64, Option<RunFile>>,
    failed: Option<String>,
}

impl Fill {
    fn take_run(&mut self) -> (u64, Vec<Batch>) {
        let no = self.next_run;
        self.next_run += 1;
        self.bytes = 0;
        (no, std::mem::take(&mut self.batches))
    }
}

fn sticky(msg: &str) -> StorageError {
    StorageError::Engine(Box::new(std::io::Error::other(format!(
        "an earlier bulk load write failed: {msg}"
    ))))
}

impl FastLoad {
    fn new(table: &Table) -> FastLoad {
        FastLoad {
            parts: std::thread::available_parallelism()
                .map_or(1, |n| n.get())
                .clamp(1, 8),
            run_bytes: table.store.bulk_run_bytes.load(Ordering::Relaxed),
            dir: table.store.spill_dir.clone(),
            id: LOAD_IDS.fetch_add(1, Ordering::Relaxed),
            tid: table.tid,
            fill: Mutex::new(Fill {
                batches: Vec::new(),
                bytes: 0,
                next_run: 0,
                consumed: 0,
                done: BTreeMap::new(),
                failed: None,
            }),
            spilled: Condvar::new(),
            finishing: Mutex::new(()),
        }
    }

    fn write(&self, table: &Table, items: Vec<Item>) -> Result<(), StorageError> {
        if let Some(msg) = &self.fill.lock().failed {
            return Err(sticky(msg));
        }
        let batch = Batch::encode(table.tid, &table.state(), items)?;
        if batch.items.is_empty() {
            return Ok(());
        }
        let full = {
            let mut fill = self.fill.lock();
            fill.bytes += batch.footprint();
            fill.batches.push(batch);
            (fill.bytes >= self.run_bytes).then(|| fill.take_run())
        };
        match full {
            Some((no, batches)) => self.spill(no, batches),
            None => Ok(()),
        }
    }

    /// Sorts and spills run `no`, then records it.
    fn spill(&self, no: u64, batches: Vec<Batch>) -> Result<(), StorageError> {
        let mut pending = Pending {
            load: self,
            no,
            armed: true,
        };
        let result = if batches.is_empty() {
            Ok(None)
        } else {
            std::fs::create_dir_all(&self.dir)
                .map_err(|e| StorageError::Engine(Box::new(e)))
                .and_then(|()| {
                    let path = self.dir.join(format!("{}-{}-{no}.run", self.tid, self.id));
                    run::spill(batches, self.parts, path).map(Some)
                })
        };
        pending.armed = false;
        let mut fill = self.fill.lock();
        let out = match result {
            Ok(run) => {
                fill.done.insert(no, run);
                Ok(())
            }
            Err(e) => {
                fill.failed.get_or_insert_with(|| e.to_string());
                fill.done.insert(no, None);
                Err(e)
            }
        };
        self.spilled.notify_all();
        out
    }

    /// Ingests everything written so far.
    fn flush(&self, table: &Table) -> Result<(), StorageError> {
        let _one = self.finishing.lock();
        let (no, batches) = self.fill.lock().take_run();
        self.spill(no, batches)?;
        let runs = {
            let mut fill = self.fill.lock();
            while fill.failed.is_none()
                && fill.done.range(fill.consumed..=no).count() as u64 != no + 1 - fill.consumed
            {
                self.spilled.wait(&mut fill);
            }
            if let Some(msg) = &fill.failed {
                return Err(sticky(msg));
            }
            let consumed = fill.consumed;
            let runs: Vec<RunFile> = (consumed..=no)
                .filter_map(|n| fill.done.remove(&n).flatten())
                .collect();
            fill.consumed = no + 1;
            runs
        };
        ingest::ingest_runs(table, runs, self.parts)
    }
}

/// Records run `no` as failed if its spill unwinds (a `flush` waiting for
/// it would wait forever otherwise).
struct Pending<'a> {
    load: &'a FastLoad,
    no: u64,
    armed: bool,
}

impl Drop for Pending<'_> {
    fn drop(&mut self) {
        if self.armed {
            let mut fill = self.load.fill.lock();
            fill.failed
                .get_or_insert_with(|| "a bulk load writer panicked".to_string());
            fill.done.insert(self.no, None);
            self.load.spilled.notify_all();
        }
    }
}

/// Writes items in large batches (imports, restores). Thread-safe: several
/// workers may share one loader; use one loader per load.
pub struct BulkLoader {
    table: Arc<Table>,
    fast: Option<Arc<FastLoad>>,
    released: bool,
}

impl BulkLoader {
    pub(crate) fn new(table: Arc<Table>) -> BulkLoader {
        let fast = table.store.exclusive(|| {
            let mut bulk = table.bulk.lock();
            match bulk.as_mut() {
                Some(s) => {
                    s.loaders += 1;
                    match &s.mode {
                        Mode::Fast(f) => Some(f.clone()),
                        Mode::Careful(_) => None,
                    }
                }
                None => {
                    let (mode, fast) = if table.state().def.pitr.is_some() {
                        let saturated = table.counters.lock().table.item_count > 0;
                        (Mode::Careful(BulkFilter::new(saturated)), None)
                    } else {
                        let f = Arc::new(FastLoad::new(&table));
                        (Mode::Fast(f.clone()), Some(f))
                    };
                    *bulk = Some(BulkState { loaders: 1, mode });
                    fast
                }
            }
        });
        BulkLoader {
            table,
            fast,
            released: false,
        }
    }

    /// Write these items (key attributes already validated by the caller).
    /// Items with the same key as an earlier one (in this call or before)
    /// replace it: the last one wins. With PITR off the items become
    /// visible at `finish` (or when the last loader is dropped).
    pub fn write(&self, items: Vec<Item>) -> Result<(), StorageError> {
        if items.is_empty() {
            return Ok(());
        }
        self.table.check_live()?;
        match &self.fast {
            Some(f) => f.write(&self.table, items),
            None => careful::write(&self.table, items),
        }
    }

    /// Make everything written (by every loader of the table) visible and
    /// durable.
    pub fn finish(mut self) -> Result<(), StorageError> {
        self.released = true;
        let flushed = match &self.fast {
            Some(f) => f.flush(&self.table),
            None => Ok(()),
        };
        self.release();
        flushed?;
        self.table.store.persist()
    }

    /// One loader fewer; the last one takes the shared state away.
    fn release(&self) -> bool {
        let mut bulk = self.table.bulk.lock();
        let last = match bulk.as_mut() {
            Some(s) => {
                s.loaders = s.loaders.saturating_sub(1);
                s.loaders == 0
            }
            None => false,
        };
        if last {
            *bulk = None;
        }
        last
    }
}

impl Drop for BulkLoader {
    fn drop(&mut self) {
        if self.released {
            return;
        }
        // The last loader makes what was written visible (not synced).
        if self.release()
            && let Some(f) = &self.fast
            && let Err(e) = f.flush(&self.table)
        {
            tracing::warn!(table_id = self.table.tid, error = %e, "a bulk load dropped without finish failed to ingest");
        }
    }
}

impl Table {
    /// A bulk loader for imports: large batches, indexes maintained. Items
    /// with an existing key overwrite it (last one wins).
    pub fn bulk_loader(self: &Arc<Self>) -> BulkLoader {
        BulkLoader::new(self.clone())
    }
}
