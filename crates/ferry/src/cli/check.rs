//! `ferry check SOURCE`: a dry run of an import. The source is read by the
//! import pipeline itself (same readers, same validation, same error
//! messages and item pointers as the import's CloudWatch log), but good
//! items go to a counting sink instead of a table: nothing is created.
//! Reports items, bytes, errors per object, duplicate keys, the key and
//! index-key types seen, and whether the import would end COMPLETED or FAILED.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::{Hash as _, Hasher as _};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use clap::Args;
use ferry_jobs::import::pipeline::{self, ErrorLog, ItemSink, Live, Plan};
use ferry_jobs::import::{ITEM_VALIDATION_CODE, ITEM_VALIDATION_MESSAGE, MAX_OBJECTS};
use ferry_jobs::import::{
    InputFormat, ObjectSource, Settings, error_message, objects::ObjectsSource,
};
use ferry_model::{Item, PrimaryKey, ScalarType, TableDef};
use serde_json::{Value, json};
use std::sync::Mutex;

use super::import::MAX_PRINTED_ERRORS;
use super::progress::{Progress, Snapshot, print_json};
use super::source::{locate_source, resolve};
use super::{CliError, FormatArgs, OutputArgs, TableArgs, table};

#[derive(Args, Debug)]
#[command(after_help = "\
Examples:
  ferry check ./export/AWSDynamoDB/01693685827463-2d8752fd --table-definition describe-table.json
  ferry check ./items.csv --key Artist:S --key SongTitle:S --json")]
pub struct CheckArgs {
    /// A local folder or file, or s3://bucket/prefix.
    pub source: String,
    #[command(flatten)]
    pub table: TableArgs,
    #[command(flatten)]
    pub format: FormatArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Good items: counted, their keys hashed to count duplicates, the types of
/// key and index-key attributes tallied.
struct CountingSink<'a> {
    table: &'a TableDef,
    /// Key attributes (table and index keys).
    key_names: Vec<String>,
    seen: Mutex<HashSet<u64>>,
    duplicates: AtomicU64,
    types: Mutex<BTreeMap<String, BTreeMap<&'static str, u64>>>,
}

/// A 64-bit hash of an item's primary key (duplicates are counted by it).
fn key_hash(key: &PrimaryKey) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    format!("{key:?}").hash(&mut h);
    h.finish()
}

impl ItemSink for CountingSink<'_> {
    fn write(&self, items: Vec<Item>) -> Result<(), String> {
        let mut dup = 0;
        let mut tally: BTreeMap<String, BTreeMap<&'static str, u64>> = BTreeMap::new();
        {
            let mut seen = self.seen.lock().map_err(|e| e.to_string())?;
            for item in &items {
                if let Some(k) = PrimaryKey::from_item(item, &self.table.key)
                    && !seen.insert(key_hash(&k))
                {
                    dup += 1;
                }
                for name in &self.key_names {
                    let ty = item.get(name).map_or("(absent)", |v| v.type_name());
                    *tally
                        .entry(name.clone())
                        .or_default()
                        .entry(ty)
                        .or_default() += 1;
                }
            }
        }
        self.duplicates.fetch_add(dup, Ordering::Relaxed);
        let mut types = self.types.lock().map_err(|e| e.to_string())?;
        for (name, counts) in tally {
            let entry = types.entry(name).or_default();
            for (ty, n) in counts {
                *entry.entry(ty).or_default() += n;
            }
        }
        Ok(())
    }
}

/// Bad items: the first ones kept as the import would log them, all counted
/// per object.
struct CollectingLog<'a> {
    bucket: &'a str,
    errors: Mutex<Vec<Value>>,
    per_object: Mutex<BTreeMap<String, u64>>,
}

impl ErrorLog for CollectingLog<'_> {
    fn item_error(&self, key: &str, index: u64, message: String) {
        if let Ok(mut per) = self.per_object.lock() {
            *per.entry(key.to_owned()).or_default() += 1;
        }
        if let Ok(mut errors) = self.errors.lock()
            && errors.len() < MAX_PRINTED_ERRORS
        {
            let line = error_message(self.bucket, key, index, "", &message);
            errors.push(serde_json::from_str(&line).unwrap_or(Value::String(line)));
        }
    }
}

/// The types CSV columns get: key and index-key attributes.
fn key_types(table: &TableDef) -> HashMap<String, ScalarType> {
    let schemas = std::iter::once(&table.key).chain(table.indexes.iter().map(|i| &i.key));
    schemas
        .flat_map(|k| std::iter::once(&k.hash).chain(k.range.as_ref()))
        .map(|a| (a.name.clone(), a.ty))
        .collect()
}

/// `ferry check`.
pub async fn run(args: CheckArgs) -> Result<u8, CliError> {
    let params = table::creation_parameters(&args.table, None)?;
    let table = table::table_def(&params)?;
    let resolved = resolve(
        locate_source(&args.source)?,
        &args.format,
        args.output.quiet,
    )
    .await?;
    let loc = resolved.location.clone();
    // The pipeline reads through the object layer; a scratch bucket store
    // stands in for the (unused) embedded one.
    let scratch = tempfile::tempdir().map_err(|e| CliError::failed(e.to_string()))?;
    let store = ferry_objects::BucketStore::open(scratch.path().join("s3"), Default::default())
        .map_err(|e| CliError::failed(e.to_string()))?;
    let objects = ferry_objects::Objects::new(Arc::new(store), None, Vec::new());
    objects.mount(&loc.bucket, loc.client.clone());
    let handle = tokio::runtime::Handle::current();
    let source = ObjectsSource::new(objects, handle);
    let listed = {
        let (bucket, prefix) = (loc.bucket.clone(), loc.prefix.clone());
        let source = &source;
        tokio::task::block_in_place(|| source.list(&bucket, &prefix, MAX_OBJECTS))
            .map_err(|e| CliError::failed(format!("listing SOURCE: {e}")))?
    };
    let csv = (resolved.format == InputFormat::Csv).then(|| ferry_formats::csv::CsvOptions {
        delimiter: args.format.csv_delimiter.map_or(b',', |c| {
            let mut buf = [0u8; 4];
            c.encode_utf8(&mut buf).as_bytes()[0]
        }),
        header: args.format.csv_header.clone(),
    });
    let sink = CountingSink {
        table: &table,
        key_names: {
            let mut names: Vec<String> = key_types(&table).into_keys().collect();
            names.sort();
            names
        },
        seen: Mutex::default(),
        duplicates: AtomicU64::new(0),
        types: Mutex::default(),
    };
    let log = CollectingLog {
        bucket: &loc.bucket,
        errors: Mutex::default(),
        per_object: Mutex::default(),
    };
    let plan = Plan {
        bucket: &loc.bucket,
        objects: &listed,
        format: resolved.format,
        compression: resolved.compression,
        csv,
        key_types: key_types(&table),
        table: &table,
    };
    let live = Live::default();
    let stop = AtomicBool::new(false);
    let mut progress = Progress::new(args.output, "checked", None);
    let done = AtomicBool::new(false);
    let result = std::thread::scope(|s| {
        let worker = s.spawn(|| {
            let r = pipeline::run(
                &plan,
                &Settings::default(),
                &source,
                &sink,
                &log,
                &live,
                &stop,
            );
            done.store(true, Ordering::SeqCst);
            r
        });
        tokio::task::block_in_place(|| {
            while !done.load(Ordering::SeqCst) {
                let c = live.snapshot();
                progress.update(Snapshot {
                    bytes: c.processed_bytes,
                    items: c.processed_items,
                    errors: c.errors,
                });
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
        });
        worker.join()
    })
    .map_err(|_| CliError::failed("the check stopped unexpectedly"))?;
    progress.finish();
    let c = live.snapshot();
    let failure = match result {
        Err(f) => Some((f.code, f.message)),
        Ok(()) if c.errors > 0 => {
            Some((ITEM_VALIDATION_CODE.into(), ITEM_VALIDATION_MESSAGE.into()))
        }
        Ok(()) => None,
    };
    let status = if failure.is_some() {
        "FAILED"
    } else {
        "COMPLETED"
    };
    let per_object = log.per_object.into_inner().unwrap_or_default();
    let mut out = json!({
        "Status": status,
        "InputFormat": resolved.format.as_str(),
        "InputCompressionType": resolved.compression.as_str(),
        "ProcessedSizeBytes": c.processed_bytes,
        "ProcessedItemCount": c.processed_items,
        "ImportedItemCount": c.imported_items,
        "ErrorCount": c.errors,
        "DuplicateKeyCount": sink.duplicates.load(Ordering::Relaxed),
        "KeyTypes": sink.types.into_inner().unwrap_or_default(),
        "Objects": listed.iter().map(|o| json!({
            "Key": o.key,
            "SizeBytes": o.size,
            "ErrorCount": per_object.get(&o.key).copied().unwrap_or(0),
        })).collect::<Vec<_>>(),
        "Errors": log.errors.into_inner().unwrap_or_default(),
    });
    if let Some((code, message)) = &failure {
        out["FailureCode"] = json!(code);
        out["FailureMessage"] = json!(message);
    }
    if args.output.json {
        print_json(&out);
    } else {
        for e in out["Errors"].as_array().into_iter().flatten() {
            println!("{e}");
        }
        for o in out["Objects"].as_array().into_iter().flatten() {
            println!(
                "{}: {} bytes, {} errors",
                o["Key"].as_str().unwrap_or_default(),
                o["SizeBytes"],
                o["ErrorCount"]
            );
        }
        println!("key types seen: {}", out["KeyTypes"]);
        println!(
            "{status} (dry run): {} items would be imported of {} read, {} errors, {} duplicate keys, {} bytes",
            c.imported_items,
            c.processed_items,
            c.errors,
            out["DuplicateKeyCount"],
            c.processed_bytes
        );
        if let Some((code, message)) = &failure {
            println!("{code}: {message}");
        }
    }
    Ok(if failure.is_some() {
        super::EXIT_FAILED
    } else {
        0
    })
}
