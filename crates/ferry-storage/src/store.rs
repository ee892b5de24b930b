//! The fjall database shared by the engine, its tables and the metadata
//! store: keyspace handles, the clock and the commit lock.
//!
//! Every data commit goes through [`Store::commit`]: under one engine-wide
//! mutex it issues the commit timestamp, lets the caller fill the batch with
//! keys carrying that timestamp, records the stamp as the clock's durable
//! high-water mark (so stamps keep increasing across restarts), and commits. So timestamp order is commit
//! order, and a snapshot taken under the same mutex holds exactly the commits
//! up to the last issued timestamp ([`Store::settled_snapshot`]): reads as of
//! a past time are exact and repeatable. fjall serialises its journal writes
//! anyway, so the mutex costs no parallelism; the expensive parts of a write
//! (reading, encoding, index projection) happen before it.
//!
//! A failed journal write (a full disk, "too many open files", an I/O error)
//! or a crashed fjall flush/compaction worker *poisons* the fjall database:
//! it refuses every later write until it is reopened. The store records the
//! first such failure ([`Failure`]) and tells whoever registered with
//! [`Store::on_failure`] (the server exits so that a supervisor restarts it).

use std::path::PathBuf;
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, OnceLock};

use fjall::{Database, Keyspace, OwnedWriteBatch, PersistMode, Snapshot};
use parking_lot::Mutex;

use crate::catalog::CLOCK_HW_KEY;
use crate::clock::Clock;
use crate::{StorageError, Timestamp};

pub(crate) fn engine_err(e: fjall::Error) -> StorageError {
    StorageError::Engine(Box::new(e))
}

/// Called once with the reason when the database stops accepting writes.
pub(crate) type FailureHook = Box<dyn FnOnce(&str) + Send>;

/// The first failure that poisoned the database, and who to tell about it.
#[derive(Default)]
pub(crate) struct Failure {
    reason: OnceLock<Arc<str>>,
    hooks: Mutex<Vec<FailureHook>>,
}

impl Failure {
    /// Records `reason` (only the first one counts) and runs the hooks.
    fn record(&self, reason: String) {
        if self.reason.set(Arc::from(reason.as_str())).is_err() {
            return;
        }
        tracing::error!(
            reason = %reason,
            "the storage engine refuses every further write until it is reopened"
        );
        let hooks = std::mem::take(&mut *self.hooks.lock());
        for hook in hooks {
            hook(&reason);
        }
    }
}

pub(crate) struct Store {
    pub db: Database,
    /// Item versions of every table.
    pub items: Keyspace,
    /// Secondary index entries of every table.
    pub index: Keyspace,
    /// Catalog, statistics, clock high-water mark.
    pub sys: Keyspace,
    /// The change log of tables with a stream (`stream_log.rs`).
    pub changes: Keyspace,
    /// The `MetaStore`.
    pub meta: Keyspace,
    pub clock: Clock,
    /// Scratch directory of bulk loads (sorted runs).
    pub spill_dir: PathBuf,
    /// Buffered bytes per bulk load run (tests make it small).
    pub bulk_run_bytes: AtomicUsize,
    commit: Mutex<()>,
    sync: bool,
    failure: Failure,
}

impl Store {
    pub fn open(db: Database, sync: bool, spill_dir: PathBuf) -> Result<Store, StorageError> {
        let ks = |name: &str| db.keyspace(name, fjall::KeyspaceCreateOptions::default);
        let items = ks("items").map_err(engine_err)?;
        let index = ks("index").map_err(engine_err)?;
        let sys = ks("sys").map_err(engine_err)?;
        let changes = ks("changes").map_err(engine_err)?;
        let meta = ks("meta").map_err(engine_err)?;
        let hw = match sys.get(CLOCK_HW_KEY).map_err(engine_err)? {
            Some(v) => i64::from_be_bytes(
                v.as_ref()
                    .try_into()
                    .map_err(|_| StorageError::Corrupt("clock high-water mark".to_string()))?,
            ),
            None => 0,
        };
        Ok(Store {
            db,
            items,
            index,
            sys,
            changes,
            meta,
            clock: Clock::new(hw),
            spill_dir,
            bulk_run_bytes: AtomicUsize::new(crate::bulk::RUN_BYTES),
            commit: Mutex::new(()),
            sync,
            failure: Failure::default(),
        })
    }

    /// A batch with the engine's durability: flushed to the OS, or fsynced.
    pub fn batch(&self) -> OwnedWriteBatch {
        let mode = if self.sync {
            PersistMode::SyncData
        } else {
            PersistMode::Buffer
        };
        self.db.batch().durability(Some(mode))
    }

    /// Commits a batch without a timestamp (catalog and metadata records).
    pub fn commit_plain(&self, batch: OwnedWriteBatch) -> Result<(), StorageError> {
        let _g = self.commit.lock();
        batch.commit().map_err(|e| self.write_failed(e))
    }

    /// Issues a commit timestamp, lets `build` fill a batch with it, commits,
    /// then runs `after` (still under the commit lock) with the build result.
    pub fn commit<R>(
        &self,
        build: impl FnOnce(Timestamp, &mut OwnedWriteBatch) -> Result<R, StorageError>,
        after: impl FnOnce(R),
    ) -> Result<Timestamp, StorageError> {
        let _g = self.commit.lock();
        let ts = self.clock.issue();
        let mut batch = self.batch();
        let r = build(ts, &mut batch)?;
        batch.insert(&self.sys, CLOCK_HW_KEY, ts.to_be_bytes().to_vec());
        batch.commit().map_err(|e| self.write_failed(e))?;
        after(r);
        Ok(ts)
    }

    /// Runs `f` under the commit lock (no commit can interleave).
    pub fn exclusive<R>(&self, f: impl FnOnce() -> R) -> R {
        let _g = self.commit.lock();
        f()
    }

    /// A snapshot that holds every commit whose stamp is at most the clock's
    /// last issued value, and no partial commit.
    pub fn settled_snapshot(&self) -> Snapshot {
        let _g = self.commit.lock();
        self.db.snapshot()
    }

    /// [`Store::settled_snapshot`] and a time `t` such that the snapshot
    /// holds every commit stamped at or before `t` and every later commit
    /// gets a stamp after `t`.
    pub fn settled_snapshot_now(&self) -> (Snapshot, Timestamp) {
        let _g = self.commit.lock();
        (self.db.snapshot(), self.clock.now())
    }

    /// A snapshot for current-state reads.
    pub fn snapshot(&self) -> Snapshot {
        self.db.snapshot()
    }

    pub fn persist(&self) -> Result<(), StorageError> {
        self.db
            .persist(PersistMode::SyncAll)
            .map_err(|e| self.write_failed(e))
    }

    /// A failed batch commit or journal persist: fjall has poisoned the
    /// database (it does so before returning any such error), so record it.
    fn write_failed(&self, e: fjall::Error) -> StorageError {
        self.failure.record(format!("a write failed: {e}"));
        engine_err(e)
    }

    /// Checks that the database still accepts writes: flushes the journal's
    /// buffer (normally empty), which fails once fjall is poisoned, e.g. by
    /// a background flush that crashed on a full disk. Cheap; the engine's
    /// watchdog calls it every second.
    pub fn check_health(&self) {
        if self.failure.reason.get().is_some() {
            return;
        }
        if let Err(e) = self.db.persist(PersistMode::Buffer) {
            self.failure
                .record(format!("the database stopped accepting writes: {e}"));
        }
    }

    /// Why the database refuses writes for good, once it does.
    pub fn failure(&self) -> Option<Arc<str>> {
        self.failure.reason.get().cloned()
    }

    /// Runs `hook` once when the database stops accepting writes (at once if
    /// it already has).
    pub fn on_failure(&self, hook: FailureHook) {
        let mut hooks = self.failure.hooks.lock();
        match self.failure.reason.get() {
            Some(reason) => {
                drop(hooks);
                hook(reason);
            }
            None => hooks.push(hook),
        }
    }
}
