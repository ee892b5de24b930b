//! Running one export job to its end: `_started` first, then every hash-range
//! partition's data file (in parallel on all cores), then the manifests, so
//! that a manifest only ever names files that are complete. Any failure ends
//! the job as FAILED with AWS's FailureCode/FailureMessage; files already
//! written stay (AWS never deletes what an export wrote) but are named by no
//! manifest.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use ferry_storage::{Engine, Table, hash_ranges};

use super::layout::Layout;
use super::manifest::{Totals, files_json, md5_file, summary_json};
use super::partition::{FileResult, PartitionError, Partitioner, Source};
use super::record::ExportRecord;
use super::sink::{SinkError, SinkFactory};
use super::spec::ExportType;

/// How a job ends badly: `FailureCode` and `FailureMessage`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub code: String,
    pub message: String,
}

impl Failure {
    fn new(code: &str, message: impl Into<String>) -> Failure {
        Failure {
            code: code.to_string(),
            message: message.into(),
        }
    }
}

impl From<SinkError> for Failure {
    /// S3 failures: `S3NoSuchBucket`, `S3AccessDenied`, ... with S3's message.
    fn from(e: SinkError) -> Failure {
        Failure {
            code: format!("S3{}", e.code),
            message: e.message,
        }
    }
}

/// The failure code of a job stopped by a shutdown (it is resumed, never
/// recorded as FAILED).
pub const CANCELLED: &str = "Cancelled";

/// How a job ends well.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Completed {
    pub end_time: i64,
    pub item_count: u64,
    pub billed_size_bytes: u64,
    pub manifest_key: String,
    pub files: Vec<FileResult>,
}

/// What a running export has written so far: the items and billed bytes of
/// its finished data files, and how many files are finished.
#[derive(Debug, Default)]
pub struct Progress {
    files: AtomicU64,
    items: AtomicU64,
    billed_bytes: AtomicU64,
}

impl Progress {
    fn add(&self, file: &FileResult) {
        self.items.fetch_add(file.item_count, Ordering::Relaxed);
        self.billed_bytes
            .fetch_add(file.billed_bytes, Ordering::Relaxed);
        self.files.fetch_add(1, Ordering::Release);
    }

    /// `(items, billed bytes)` so far, once a data file is finished.
    pub fn get(&self) -> Option<(u64, u64)> {
        (self.files.load(Ordering::Acquire) > 0).then(|| {
            (
                self.items.load(Ordering::Relaxed),
                self.billed_bytes.load(Ordering::Relaxed),
            )
        })
    }
}

/// Tunables of the export runner.
#[derive(Clone, Debug)]
pub struct RunConfig {
    /// Encoder threads per export (default: the machine's cores).
    pub workers: usize,
    /// Fixed partition count (tests); `None` = from the table size.
    pub partitions: Option<u32>,
    /// libdeflate level of the data files (default: `ferry-formats`'
    /// export level).
    pub gzip_level: u32,
}

impl Default for RunConfig {
    fn default() -> Self {
        RunConfig {
            workers: std::thread::available_parallelism().map_or(2, |n| n.get()),
            partitions: None,
            gzip_level: ferry_formats::compress::EXPORT_DEFLATE_LEVEL,
        }
    }
}

/// Bytes of table per data file before another partition is added.
const BYTES_PER_PARTITION: u64 = 32 * 1024 * 1024;
const MAX_PARTITIONS: u64 = 4096;

/// How many hash-range partitions (= data files) an export of `table` uses:
/// at least four per worker so the workers stay busy to the end, more for a
/// large table so that files stay around 32 MB of table data.
pub fn partition_count(table: &Table, config: &RunConfig) -> u32 {
    if let Some(n) = config.partitions {
        return n.max(1);
    }
    let by_size = table.stats().size_bytes / BYTES_PER_PARTITION;
    let floor = (config.workers as u64 * 4).max(1);
    by_size.clamp(floor, MAX_PARTITIONS.max(floor)) as u32
}

/// Check that the table the export reads is still the one it started on and
/// that its history still covers what the export reads.
fn check_source(engine: &Engine, rec: &ExportRecord) -> Result<Arc<Table>, Failure> {
    let not_found = || {
        Failure::new(
            "TableNotFoundException",
            format!("Table not found: {}", rec.table_arn),
        )
    };
    let table = engine.table(&rec.table_name).ok_or_else(not_found)?;
    let def = table.def();
    if def.id != rec.table_id {
        return Err(not_found());
    }
    let read_from = match rec.export_type {
        ExportType::Full => rec.export_time.unwrap_or(rec.start_time),
        ExportType::Incremental => rec.period.map_or(rec.start_time, |p| p.from),
    };
    let epoch_ok = def.pitr.as_ref().map(|p| p.enabled_micros) == rec.pitr_epoch;
    let window_ok = match table.earliest_restorable() {
        Some(e) => e <= read_from,
        // `ferry export --data-dir` of a table without PITR: the current
        // state, read in the process that holds the data directory.
        None => rec.request.without_pitr && rec.pitr_epoch.is_none(),
    };
    if !epoch_ok || !window_ok {
        return Err(Failure::new(
            "PointInTimeRecoveryUnavailableException",
            format!(
                "Point in time recovery is not enabled for table '{}' or the export time is no longer in its window",
                rec.table_name
            ),
        ));
    }
    Ok(table)
}

/// Run the export described by `rec` (IN_PROGRESS) to its end, adding
/// each finished data file to `progress`.
pub fn run_export(
    engine: &Engine,
    sinks: &dyn SinkFactory,
    config: &RunConfig,
    rec: &ExportRecord,
    cancel: &AtomicBool,
    progress: &Progress,
) -> Result<Completed, Failure> {
    let sink = sinks.sink(&rec.request.s3_bucket)?;
    let layout = Layout::new(
        rec.request.s3_prefix.as_deref(),
        &rec.export_id,
        rec.export_type,
        rec.format,
    );
    sink.put(&layout.started(), b"")?;

    let table = check_source(engine, rec)?;
    let key_schema = table.def().key;
    let source = match (rec.export_type, rec.period) {
        (ExportType::Incremental, Some(period)) => Source::Changes(period),
        _ => Source::Snapshot(rec.export_time.unwrap_or(rec.start_time)),
    };
    let ranges = hash_ranges(partition_count(&table, config));
    let keys: Vec<String> = ranges.iter().map(|_| layout.new_data_file()).collect();

    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let results: Mutex<Vec<Option<FileResult>>> = Mutex::new(vec![None; ranges.len()]);
    let first_error: Mutex<Option<Failure>> = Mutex::new(None);
    let workers = config.workers.clamp(1, ranges.len().max(1));
    let partitioner = Partitioner {
        table: &table,
        key_schema: &key_schema,
        source,
        format: rec.format,
        sink: sink.as_ref(),
        gzip_level: config.gzip_level,
    };
    let should_stop = || stop.load(Ordering::Relaxed) || cancel.load(Ordering::Relaxed);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= ranges.len() || should_stop() {
                        break;
                    }
                    let r = partitioner.write(ranges[i].clone(), &keys[i], &should_stop);
                    match r {
                        Ok(file) => {
                            progress.add(&file);
                            if let Ok(mut res) = results.lock() {
                                res[i] = Some(file);
                            }
                        }
                        Err(PartitionError::Stopped) => break,
                        Err(e) => {
                            stop.store(true, Ordering::Relaxed);
                            if let Ok(mut first) = first_error.lock() {
                                first.get_or_insert(partition_failure(e, rec));
                            }
                            break;
                        }
                    }
                }
            });
        }
    });
    if cancel.load(Ordering::Relaxed) {
        return Err(Failure::new(CANCELLED, "the server is shutting down"));
    }
    if let Some(f) = first_error.into_inner().ok().flatten() {
        return Err(f);
    }
    let files: Vec<FileResult> = results
        .into_inner()
        .map_err(|_| Failure::new("InternalServerError", "an export worker panicked"))?
        .into_iter()
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| Failure::new("InternalServerError", "an export worker stopped early"))?;

    // The history must still be the one the export started on: if PITR was
    // switched off meanwhile, versions may have been pruned under the scan.
    check_source(engine, rec)?;

    let item_count: u64 = files.iter().map(|f| f.item_count).sum();
    let billed: u64 = files.iter().map(|f| f.billed_bytes).sum();
    // AWS bills incremental exports at least 10 MB (and reports it so).
    let billed = match rec.export_type {
        ExportType::Incremental => billed.max(10_000_000),
        ExportType::Full => billed,
    };
    let files_key = layout.manifest_files();
    let files_body = files_json(&files);
    sink.put(&files_key, &files_body)?;
    sink.put(&layout.manifest_files_md5(), &md5_file(&files_body))?;
    let end_time = engine.clock().now();
    let totals = Totals {
        end_time,
        item_count,
        billed_size_bytes: billed,
        manifest_files_key: &files_key,
    };
    let summary = summary_json(rec, &totals);
    let summary_key = layout.manifest_summary();
    sink.put(&summary_key, &summary)?;
    sink.put(&layout.manifest_summary_md5(), &md5_file(&summary))?;
    Ok(Completed {
        end_time,
        item_count,
        billed_size_bytes: billed,
        manifest_key: summary_key,
        files,
    })
}

fn partition_failure(e: PartitionError, rec: &ExportRecord) -> Failure {
    match e {
        PartitionError::Sink(s) => s.into(),
        PartitionError::Storage(s) => {
            tracing::error!(export = %rec.export_arn, error = %s, "export read failed");
            Failure::new(
                "InternalServerError",
                format!("Reading table '{}' failed: {s}", rec.table_name),
            )
        }
        PartitionError::Io(io) => Failure::new(
            "InternalServerError",
            format!("Compressing export data failed: {io}"),
        ),
        PartitionError::Stopped => Failure::new("InternalServerError", "the export was stopped"),
    }
}
