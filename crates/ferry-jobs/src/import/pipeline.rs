//! The import pipeline: objects → decompress → records → validated items →
//! the engine's bulk loader, on plain threads (blocking code; called from
//! `spawn_blocking`).
//!
//! ```text
//!  reader threads (one object at a time each)        worker threads
//!  ┌──────────────────────────────────────┐  tasks  ┌─────────────────────────────┐
//!  │ open (pinned ETag) → decompress       │ ──────► │ parse lines (DYNAMODB_JSON)  │
//!  │ DYNAMODB_JSON: cut ~1 MiB line chunks │ bounded │ validate keys, GSI keys, size│
//!  │ CSV / ION: parse, batch records       │ channel │ sequence per object          │
//!  └──────────────────────────────────────┘         │ bulk-load good items, log bad│
//!                                                    └─────────────────────────────┘
//! ```
//!
//! Chunks of one object may be parsed by several workers at once, but they
//! are *accepted* in order (a per-object sequencer): an object is abandoned
//! at its first record that cannot form an item (what DynamoDB does, see
//! [`ErrorPolicy`]; items that merely fail validation are skipped one by
//! one), so a
//! chunk is only written once every chunk before it is known to be clean.
//! Memory is bounded by the channel (a few chunks per worker).

mod read;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

use crossbeam_channel::{Receiver, bounded};
use ferry_formats::{Record, RecordError, RecordErrorKind};
use ferry_model::{IndexKeyContext, Item, TableDef};
use parking_lot::Mutex;

use super::source::{ErrorSlot, GuardedReader, ObjectSource, SourceObject};
use super::spec::{Compression, Counters, Failure, InputFormat};

/// What happens to the rest of an object after a bad item.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorPolicy {
    /// Stop reading the object at its first record that cannot form an
    /// item (real DynamoDB, measured: "the first line DynamoDB cannot turn
    /// into an item abandons the rest of its object"); items that fail
    /// validation are still skipped one by one. The default.
    AbandonObject,
    /// Skip only the bad record and go on with the object (tests).
    #[cfg(test)]
    SkipItem,
}

/// Tuning of the pipeline.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Parse/validate/write threads.
    pub workers: usize,
    /// Objects read at the same time.
    pub readers: usize,
    /// Bytes of decompressed DYNAMODB_JSON per task.
    pub chunk_bytes: usize,
    /// Records per task for CSV and ION (parsed by the reader).
    pub batch_records: usize,
    pub policy: ErrorPolicy,
}

impl Default for Settings {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Settings {
            workers: cores.max(1),
            readers: cores.max(2),
            chunk_bytes: 1 << 20,
            batch_records: 2048,
            policy: ErrorPolicy::AbandonObject,
        }
    }
}

/// Live counters, shared with DescribeImport.
#[derive(Debug, Default)]
pub struct Live {
    pub processed_bytes: AtomicU64,
    pub processed_items: AtomicU64,
    pub imported_items: AtomicU64,
    pub errors: AtomicU64,
}

impl Live {
    pub fn snapshot(&self) -> Counters {
        Counters {
            processed_bytes: self.processed_bytes.load(Ordering::Relaxed),
            processed_items: self.processed_items.load(Ordering::Relaxed),
            imported_items: self.imported_items.load(Ordering::Relaxed),
            errors: self.errors.load(Ordering::Relaxed),
        }
    }

    pub fn reset(&self) {
        self.set(Counters::default());
    }

    pub fn set(&self, c: Counters) {
        self.processed_bytes
            .store(c.processed_bytes, Ordering::Relaxed);
        self.processed_items
            .store(c.processed_items, Ordering::Relaxed);
        self.imported_items
            .store(c.imported_items, Ordering::Relaxed);
        self.errors.store(c.errors, Ordering::Relaxed);
    }
}

/// Where good items go (the engine's bulk loader in production).
pub trait ItemSink: Sync {
    fn write(&self, items: Vec<Item>) -> Result<(), String>;
}

/// Where bad items are reported (the CloudWatch error log in production).
pub trait ErrorLog: Sync {
    /// Item `index` (0-based over the object's items) of `key` is bad.
    fn item_error(&self, key: &str, index: u64, message: String);
}

/// Checks one item against the table: key attributes, index keys, values
/// and size, with DynamoDB's messages.
pub struct ItemChecker<'a> {
    table: &'a TableDef,
}

impl<'a> ItemChecker<'a> {
    #[must_use]
    pub fn new(table: &'a TableDef) -> Self {
        ItemChecker { table }
    }

    /// The checks of every write path (`ferry_model::validate_written_item`).
    pub fn check(&self, item: &Item) -> Result<(), String> {
        ferry_model::validate_written_item(item, self.table, IndexKeyContext::Put)
            .map(drop)
            .map_err(|e| e.message)
    }
}

/// What one import reads.
pub struct Plan<'a> {
    pub bucket: &'a str,
    pub objects: &'a [SourceObject],
    pub format: InputFormat,
    pub compression: Compression,
    /// For CSV: the formats crate's options and key types.
    pub csv: Option<ferry_formats::csv::CsvOptions>,
    pub key_types: std::collections::HashMap<String, ferry_model::ScalarType>,
    pub table: &'a TableDef,
}

enum Payload {
    /// Complete DYNAMODB_JSON lines.
    Lines(Vec<u8>),
    /// Records parsed by the reader (CSV, ION).
    Records(Vec<Record>),
    /// The object cannot be read any further (corrupt compressed data,
    /// over-long record): one error at this point, then the object ends.
    Broken(String),
    /// The object's last task: the records the reader skipped (counted, not
    /// parsed) after it saw the object abandoned.
    End(u64),
}

struct Task {
    obj: usize,
    seq: u64,
    payload: Payload,
}

/// A processed task, waiting for its turn in its object's sequence.
struct Outcome {
    good: Vec<Item>,
    /// (position within the task, message)
    errors: Vec<(u64, String)>,
    /// Records in the task.
    total: u64,
    /// Records consumed (up to and including an abandoning error).
    processed: u64,
    /// The object ends here (abandoned); the last error is the reason.
    stop: bool,
    /// The records after the stop can be counted (not a broken stream).
    countable: bool,
    /// The object's last task.
    end: bool,
}

/// The error that abandoned an object, logged once the object's end is
/// known, with the count of what was skipped after it.
struct Abandoned {
    index: u64,
    message: String,
    skipped: u64,
    countable: bool,
}

/// What the sequencer lets through.
enum Accepted {
    /// An outcome, with the item index of its first record.
    Outcome(u64, Outcome),
    /// The object is done and was abandoned.
    Abandoned(Abandoned),
}

#[derive(Default)]
struct ObjState {
    next: u64,
    /// Item index of the first record of task `next`.
    base: u64,
    pending: BTreeMap<u64, Outcome>,
    abandoned: Option<Abandoned>,
}

struct Shared<'a> {
    plan: &'a Plan<'a>,
    settings: &'a Settings,
    source: &'a dyn ObjectSource,
    sink: &'a dyn ItemSink,
    log: &'a dyn ErrorLog,
    live: &'a Live,
    stop: &'a AtomicBool,
    failure: Mutex<Option<Failure>>,
    objects: Vec<Mutex<ObjState>>,
    abandoned: Vec<AtomicBool>,
    next_object: AtomicUsize,
}

impl Shared<'_> {
    fn fail(&self, failure: Failure) {
        let mut slot = self.failure.lock();
        if slot.is_none() {
            *slot = Some(failure);
        }
        self.stop.store(true, Ordering::SeqCst);
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }
}

/// Failure code for an engine write failure.
pub const INTERNAL_FAILURE_CODE: &str = "InternalServerError";

/// Run the pipeline to the end (or to the first import-level failure, or
/// until `stop` is set). Item errors are not failures: they are counted and
/// logged.
pub fn run(
    plan: &Plan<'_>,
    settings: &Settings,
    source: &dyn ObjectSource,
    sink: &dyn ItemSink,
    log: &dyn ErrorLog,
    live: &Live,
    stop: &AtomicBool,
) -> Result<(), Failure> {
    let n = plan.objects.len();
    let shared = Shared {
        plan,
        settings,
        source,
        sink,
        log,
        live,
        stop,
        failure: Mutex::new(None),
        objects: (0..n).map(|_| Mutex::new(ObjState::default())).collect(),
        abandoned: (0..n).map(|_| AtomicBool::new(false)).collect(),
        next_object: AtomicUsize::new(0),
    };
    let workers = settings.workers.max(1);
    let readers = settings.readers.clamp(1, n.max(1));
    let (tx, rx) = bounded::<Task>(workers * 2);
    std::thread::scope(|s| {
        for _ in 0..readers {
            let tx = tx.clone();
            let shared = &shared;
            s.spawn(move || read::reader_loop(shared, tx));
        }
        drop(tx);
        for _ in 0..workers {
            let rx = rx.clone();
            let shared = &shared;
            s.spawn(move || worker_loop(shared, rx));
        }
    });
    match shared.failure.into_inner() {
        Some(f) => Err(f),
        None => Ok(()),
    }
}

fn is_blank_byte(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

fn is_blank(line: &[u8]) -> bool {
    line.iter().all(|&b| is_blank_byte(b))
}

// ------------------------------------------------------------------ workers

fn worker_loop(shared: &Shared<'_>, rx: Receiver<Task>) {
    let checker = ItemChecker::new(shared.plan.table);
    for task in rx.iter() {
        if shared.stopped() {
            continue; // drain, so that readers never block
        }
        let outcome = process(&checker, shared.settings.policy, task.payload);
        for accepted in sequence(shared, task.obj, task.seq, outcome) {
            match accepted {
                Accepted::Outcome(base, o) => commit(shared, task.obj, base, o),
                Accepted::Abandoned(a) => log_abandoned(shared, task.obj, a),
            }
        }
    }
}

fn process(checker: &ItemChecker<'_>, policy: ErrorPolicy, payload: Payload) -> Outcome {
    let mut out = Outcome {
        good: Vec::new(),
        errors: Vec::new(),
        total: 0,
        processed: 0,
        stop: false,
        countable: true,
        end: false,
    };
    let consider = |out: &mut Outcome, item: Result<Item, RecordError>| {
        let pos = out.total;
        out.total += 1;
        if out.stop {
            return;
        }
        out.processed += 1;
        match item {
            // A record that cannot be read (unparsable, wrong format): the
            // rest of the object is abandoned under `AbandonObject`. A value
            // that does not fit its type (CSV) is an item error only.
            Err(e) => {
                if policy == ErrorPolicy::AbandonObject && e.kind == RecordErrorKind::Unreadable {
                    out.stop = true;
                }
                out.errors.push((pos, e.message));
            }
            // An item that fails validation (missing or mistyped key, size):
            // skipped, and the object goes on, as the guide says ("the import
            // job skips over that item and continues on with the next item").
            Ok(item) => match checker.check(&item) {
                Ok(()) => out.good.push(item),
                Err(message) => out.errors.push((pos, message)),
            },
        }
    };
    match payload {
        Payload::Lines(bytes) => {
            out.good.reserve(bytes.len() / 256);
            for line in bytes.split(|&b| b == b'\n') {
                if is_blank(line) {
                    continue;
                }
                consider(&mut out, ferry_formats::ddb_json::parse_item_line(line));
            }
        }
        Payload::Records(records) => {
            out.good.reserve(records.len());
            for r in records {
                consider(&mut out, r.item);
            }
        }
        Payload::Broken(message) => {
            out.total = 1;
            out.processed = 1;
            out.errors.push((0, message));
            out.stop = true;
            out.countable = false;
        }
        Payload::End(skipped) => {
            out.total = skipped;
            out.end = true;
        }
    }
    out
}

/// Put an outcome in its object's sequence; return what is now accepted.
/// The error that abandons an object is held back until the object's end,
/// counting the records skipped after it.
fn sequence(shared: &Shared<'_>, obj: usize, seq: u64, outcome: Outcome) -> Vec<Accepted> {
    let mut state = shared.objects[obj].lock();
    state.pending.insert(seq, outcome);
    let mut accepted = Vec::new();
    loop {
        let next = state.next;
        let Some(mut o) = state.pending.remove(&next) else {
            break;
        };
        state.next += 1;
        let base = state.base;
        state.base += o.total;
        if let Some(a) = &mut state.abandoned {
            a.skipped += o.total;
            if o.end {
                accepted.extend(state.abandoned.take().map(Accepted::Abandoned));
            }
            continue;
        }
        if o.stop
            && let Some((pos, message)) = o.errors.pop()
        {
            shared.abandoned[obj].store(true, Ordering::Relaxed);
            shared.live.errors.fetch_add(1, Ordering::Relaxed);
            state.abandoned = Some(Abandoned {
                index: base + pos,
                message,
                skipped: o.total - o.processed,
                countable: o.countable,
            });
        }
        if !o.end {
            accepted.push(Accepted::Outcome(base, o));
        }
    }
    accepted
}

/// Log the error that abandoned an object, saying how much was skipped.
fn log_abandoned(shared: &Shared<'_>, obj: usize, a: Abandoned) {
    let unit = match (shared.plan.format, a.skipped == 1) {
        (InputFormat::DynamoDbJson, true) => "line",
        (InputFormat::DynamoDbJson, false) => "lines",
        (InputFormat::Csv, true) => "row",
        (InputFormat::Csv, false) => "rows",
        (InputFormat::Ion, true) => "value",
        (InputFormat::Ion, false) => "values",
    };
    let message = if a.countable {
        format!(
            "{} (the rest of the object was not imported: {} more {unit} skipped)",
            a.message, a.skipped
        )
    } else {
        a.message
    };
    let key = &shared.plan.objects[obj].key;
    shared.log.item_error(key, a.index, message);
}

fn commit(shared: &Shared<'_>, obj: usize, base: u64, o: Outcome) {
    let key = &shared.plan.objects[obj].key;
    let live = shared.live;
    let n_errors = o.errors.len() as u64;
    for (pos, message) in o.errors {
        shared.log.item_error(key, base + pos, message);
    }
    live.errors.fetch_add(n_errors, Ordering::Relaxed);
    live.processed_items
        .fetch_add(o.processed, Ordering::Relaxed);
    if o.good.is_empty() {
        return;
    }
    let n = o.good.len() as u64;
    match shared.sink.write(o.good) {
        Ok(()) => {
            live.imported_items.fetch_add(n, Ordering::Relaxed);
        }
        Err(e) => {
            tracing::error!(error = %e, "import write failed");
            shared.fail(Failure {
                code: INTERNAL_FAILURE_CODE.into(),
                message: "The import failed because of an internal error.".into(),
            });
        }
    }
}
