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

use std::collections::BTreeMap;
use std::io::{self, Read};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

use crossbeam_channel::{Receiver, Sender, bounded};
use ferry_formats::{Record, RecordError};
use ferry_model::{IndexKeyContext, Item, TableDef};
use parking_lot::Mutex;

use super::source::{ErrorSlot, GuardedReader, ObjectSource, SourceObject};
use super::spec::{Counters, Failure, InputCompression, InputFormat};

/// What happens to the rest of an object after a bad item.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorPolicy {
    /// Stop reading the object at its first record that cannot form an
    /// item (real DynamoDB, measured: "the first line DynamoDB cannot turn
    /// into an item abandons the rest of its object"); items that fail
    /// validation are still skipped one by one. The default.
    AbandonObject,
    /// Skip only the bad record and go on with the object.
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
    pub compression: InputCompression,
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
    /// The object ends here (abandoned).
    stop: bool,
}

#[derive(Default)]
struct ObjState {
    next: u64,
    /// Item index of the first record of task `next`.
    base: u64,
    pending: BTreeMap<u64, Outcome>,
    abandoned: bool,
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
            s.spawn(move || reader_loop(shared, tx));
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

// ------------------------------------------------------------------ readers

fn reader_loop(shared: &Shared<'_>, tx: Sender<Task>) {
    loop {
        if shared.stopped() {
            return;
        }
        let i = shared.next_object.fetch_add(1, Ordering::SeqCst);
        if i >= shared.plan.objects.len() {
            return;
        }
        read_object(shared, i, &tx);
    }
}

/// Counts decompressed bytes into `ProcessedSizeBytes` as they are read.
struct Counting<'a, R> {
    inner: R,
    live: &'a Live,
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.live
            .processed_bytes
            .fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

fn broken_message(compression: InputCompression, e: &io::Error) -> String {
    match compression {
        InputCompression::None => format!("Unable to read the object: {e}"),
        c => format!("Unable to decompress the object as {}: {e}", c.as_str()),
    }
}

fn read_object(shared: &Shared<'_>, i: usize, tx: &Sender<Task>) {
    let plan = shared.plan;
    let object = &plan.objects[i];
    let raw = match shared.source.open(plan.bucket, object) {
        Ok(r) => r,
        Err(e) => return shared.fail(e.failure()),
    };
    let slot = ErrorSlot::default();
    let guarded = GuardedReader::new(raw, slot.clone());
    let mut seq = 0u64;
    let mut send = |payload: Payload| -> bool {
        let task = Task {
            obj: i,
            seq,
            payload,
        };
        seq += 1;
        tx.send(task).is_ok()
    };
    // A read error: the source failed (the import fails) or the data is
    // corrupt (an error for this object; the others go on).
    let on_error = |e: &io::Error, send: &mut dyn FnMut(Payload) -> bool| {
        if let Some(source_error) = slot.take() {
            shared.fail(source_error.failure());
        } else {
            send(Payload::Broken(broken_message(plan.compression, e)));
        }
    };
    match plan.format {
        InputFormat::DynamoDbJson => {
            let decoder =
                match ferry_formats::compress::decoder(plan.compression.to_formats(), guarded) {
                    Ok(d) => d,
                    Err(e) => return on_error(&e, &mut send),
                };
            let mut reader = Counting {
                inner: decoder,
                live: shared.live,
            };
            let chunk = shared.settings.chunk_bytes.max(4096);
            let mut buf: Vec<u8> = vec![0; chunk];
            let mut filled = 0;
            loop {
                if shared.stopped() || shared.abandoned[i].load(Ordering::Relaxed) {
                    return;
                }
                // Fill the buffer.
                let mut eof = false;
                let mut failed = None;
                while filled < buf.len() {
                    match reader.read(&mut buf[filled..]) {
                        Ok(0) => {
                            eof = true;
                            break;
                        }
                        Ok(n) => filled += n,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => {
                            failed = Some(e);
                            break;
                        }
                    }
                }
                if let Some(e) = failed {
                    // Send the complete lines read before the failure.
                    if let Some(p) = memrchr_newline(&buf[..filled]) {
                        buf.truncate(p + 1);
                        if !send(Payload::Lines(std::mem::take(&mut buf))) {
                            return;
                        }
                    }
                    return on_error(&e, &mut send);
                }
                if eof {
                    if filled > 0 {
                        buf.truncate(filled);
                        send(Payload::Lines(buf));
                    }
                    return;
                }
                match memrchr_newline(&buf[..filled]) {
                    Some(p) => {
                        // Complete lines go; the partial last line starts the next chunk.
                        let rest = filled - (p + 1);
                        let mut next = vec![0; chunk.max(rest + 4096)];
                        next[..rest].copy_from_slice(&buf[p + 1..filled]);
                        let mut full = std::mem::replace(&mut buf, next);
                        full.truncate(p + 1);
                        filled = rest;
                        if !send(Payload::Lines(full)) {
                            return;
                        }
                    }
                    None if filled > ferry_formats::errors::MAX_RECORD_BYTES => {
                        send(Payload::Broken(
                            ferry_formats::errors::msg::record_too_long(),
                        ));
                        return;
                    }
                    // One line longer than the buffer: grow it.
                    None => buf.resize(buf.len() * 2, 0),
                }
            }
        }
        InputFormat::Csv | InputFormat::Ion => {
            let format = match plan.format {
                InputFormat::Csv => ferry_formats::InputFormat::Csv {
                    options: plan.csv.clone().unwrap_or_default(),
                    types: plan.key_types.clone(),
                },
                _ => ferry_formats::InputFormat::Ion,
            };
            let mut reader = match ferry_formats::open_reader(
                &format,
                plan.compression.to_formats(),
                Box::new(guarded),
            ) {
                Ok(r) => r,
                Err(e) => return on_error(&e, &mut send),
            };
            let mut counted = 0u64;
            let mut batch = Vec::with_capacity(shared.settings.batch_records);
            loop {
                if shared.stopped() || shared.abandoned[i].load(Ordering::Relaxed) {
                    return;
                }
                match reader.next() {
                    None => break,
                    Some(Ok(record)) => {
                        batch.push(record);
                        if batch.len() >= shared.settings.batch_records {
                            let now = reader.bytes_read();
                            shared
                                .live
                                .processed_bytes
                                .fetch_add(now - counted, Ordering::Relaxed);
                            counted = now;
                            if !send(Payload::Records(std::mem::take(&mut batch))) {
                                return;
                            }
                        }
                    }
                    Some(Err(ferry_formats::FormatError::Io(e))) => {
                        let now = reader.bytes_read();
                        shared
                            .live
                            .processed_bytes
                            .fetch_add(now.saturating_sub(counted), Ordering::Relaxed);
                        if !batch.is_empty() && !send(Payload::Records(std::mem::take(&mut batch)))
                        {
                            return;
                        }
                        return on_error(&e, &mut send);
                    }
                }
            }
            let now = reader.bytes_read();
            shared
                .live
                .processed_bytes
                .fetch_add(now.saturating_sub(counted), Ordering::Relaxed);
            if !batch.is_empty() {
                send(Payload::Records(batch));
            }
        }
    }
}

fn memrchr_newline(buf: &[u8]) -> Option<usize> {
    buf.iter().rposition(|&b| b == b'\n')
}

fn is_blank(line: &[u8]) -> bool {
    line.iter()
        .all(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
}

// ------------------------------------------------------------------ workers

fn worker_loop(shared: &Shared<'_>, rx: Receiver<Task>) {
    let checker = ItemChecker::new(shared.plan.table);
    for task in rx.iter() {
        if shared.stopped() {
            continue; // drain, so that readers never block
        }
        let outcome = process(&checker, shared.settings.policy, task.payload);
        for (base, accepted) in sequence(shared, task.obj, task.seq, outcome) {
            commit(shared, task.obj, base, accepted);
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
    };
    let consider = |out: &mut Outcome, item: Result<Item, RecordError>| {
        let pos = out.total;
        out.total += 1;
        if out.stop {
            return;
        }
        out.processed += 1;
        match item {
            // A record that is not an item at all (unparsable, wrong format):
            // the rest of the object is abandoned under `AbandonObject`.
            Err(e) => {
                out.errors.push((pos, e.message));
                if policy == ErrorPolicy::AbandonObject {
                    out.stop = true;
                }
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
        }
    }
    out
}

/// Put an outcome in its object's sequence; return the outcomes that are
/// now accepted, each with the item index of its first record.
fn sequence(shared: &Shared<'_>, obj: usize, seq: u64, outcome: Outcome) -> Vec<(u64, Outcome)> {
    let mut state = shared.objects[obj].lock();
    state.pending.insert(seq, outcome);
    let mut accepted = Vec::new();
    loop {
        let next = state.next;
        let Some(o) = state.pending.remove(&next) else {
            break;
        };
        state.next += 1;
        let base = state.base;
        state.base += o.total;
        if state.abandoned {
            continue;
        }
        if o.stop {
            state.abandoned = true;
            shared.abandoned[obj].store(true, Ordering::Relaxed);
        }
        accepted.push((base, o));
    }
    accepted
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
