//! A dry run of an import (`ferry check`, and ImportTable with Ferry's
//! `FerryDryRun` member): the source is read by the import pipeline itself
//! (same readers, same validation, same error messages and item pointers
//! as the import's CloudWatch log), but good items go to a counting sink
//! instead of a table, and nothing is created or logged. The report counts
//! items, bytes, errors per object and duplicate keys, tallies the types of
//! the key and index-key attributes seen, and says whether the import would
//! end COMPLETED or FAILED.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::{Hash as _, Hasher as _};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use ferry_model::{Item, PrimaryKey, ScalarType, TableDef};
use serde_json::{Value, json};

use super::pipeline::{self, ErrorLog, ItemSink, Live, Plan, Settings};
use super::source::ObjectSource;
use super::spec::FormatOptions;
use super::{ITEM_VALIDATION_CODE, ITEM_VALIDATION_MESSAGE, error_message};

/// Error-log lines a report carries (all are counted).
pub const MAX_REPORTED_ERRORS: usize = 100;

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
            && errors.len() < MAX_REPORTED_ERRORS
        {
            let line = error_message(self.bucket, key, index, "", &message);
            errors.push(serde_json::from_str(&line).unwrap_or(Value::String(line)));
        }
    }
}

/// The types CSV columns get: the table's and its indexes' key attributes.
pub fn key_types(table: &TableDef) -> HashMap<String, ScalarType> {
    let schemas = std::iter::once(&table.key).chain(table.indexes.iter().map(|i| &i.key));
    schemas
        .flat_map(|k| std::iter::once(&k.hash).chain(k.range.as_ref()))
        .map(|a| (a.name.clone(), a.ty))
        .collect()
}

/// The CSV reader's options of an import's InputFormatOptions (`None`
/// without CSV options: the reader's defaults).
pub fn csv_options(options: Option<&FormatOptions>) -> Option<ferry_formats::csv::CsvOptions> {
    let csv = options?.csv.as_ref()?;
    let mut delimiter = [0u8; 4];
    Some(ferry_formats::csv::CsvOptions {
        delimiter: csv
            .delimiter
            .map_or(b',', |d| d.encode_utf8(&mut delimiter).as_bytes()[0]),
        header: csv.header_list.clone(),
    })
}

/// The report of a dry run that could not read its source (listing failed,
/// too many objects), with the import's FailureCode and message.
pub fn failed(
    format: super::InputFormat,
    compression: super::Compression,
    failure: super::Failure,
) -> Value {
    json!({
        "Status": "FAILED",
        "InputFormat": format.as_str(),
        "InputCompressionType": compression.as_str(),
        "ProcessedSizeBytes": 0,
        "ProcessedItemCount": 0,
        "ImportedItemCount": 0,
        "ErrorCount": 0,
        "FailureCode": failure.code,
        "FailureMessage": failure.message,
    })
}

/// Run the dry run of `plan` to its end; its report as one JSON object
/// (`Status`, the DescribeImport counters, `DuplicateKeyCount`, `KeyTypes`,
/// `Objects`, `Errors`, and FailureCode/FailureMessage when it would fail).
/// `live` shows the counters while it runs; `stop` ends it early.
pub fn dry_run(
    plan: &Plan<'_>,
    settings: &Settings,
    source: &dyn ObjectSource,
    live: &Live,
    stop: &AtomicBool,
) -> Value {
    let table = plan.table;
    let mut key_names: Vec<String> = key_types(table).into_keys().collect();
    key_names.sort();
    let sink = CountingSink {
        table,
        key_names,
        seen: Mutex::default(),
        duplicates: AtomicU64::new(0),
        types: Mutex::default(),
    };
    let log = CollectingLog {
        bucket: plan.bucket,
        errors: Mutex::default(),
        per_object: Mutex::default(),
    };
    let result = pipeline::run(plan, settings, source, &sink, &log, live, stop);
    let c = live.snapshot();
    let failure = match result {
        Err(f) => Some((f.code, f.message)),
        Ok(()) if c.errors > 0 => {
            Some((ITEM_VALIDATION_CODE.into(), ITEM_VALIDATION_MESSAGE.into()))
        }
        Ok(()) => None,
    };
    let per_object = log.per_object.into_inner().unwrap_or_default();
    let mut out = json!({
        "Status": if failure.is_some() { "FAILED" } else { "COMPLETED" },
        "InputFormat": plan.format.as_str(),
        "InputCompressionType": plan.compression.as_str(),
        "ProcessedSizeBytes": c.processed_bytes,
        "ProcessedItemCount": c.processed_items,
        "ImportedItemCount": c.imported_items,
        "ErrorCount": c.errors,
        "DuplicateKeyCount": sink.duplicates.load(Ordering::Relaxed),
        "KeyTypes": sink.types.into_inner().unwrap_or_default(),
        "Objects": plan.objects.iter().map(|o| json!({
            "Key": o.key,
            "SizeBytes": o.size,
            "ErrorCount": per_object.get(&o.key).copied().unwrap_or(0),
        })).collect::<Vec<_>>(),
        "Errors": log.errors.into_inner().unwrap_or_default(),
    });
    if let Some((code, message)) = failure {
        out["FailureCode"] = json!(code);
        out["FailureMessage"] = json!(message);
    }
    out
}
