//! `ferry check SOURCE`: a dry run of an import (`ferry_jobs::import::check`):
//! the source is read by the import pipeline itself (same readers, same
//! validation, same error messages and item pointers as the import's
//! CloudWatch log), but good items are only counted: nothing is created.
//! Reports items, bytes, errors per object, duplicate keys, the key and
//! index-key types seen, and whether the import would end COMPLETED or
//! FAILED. Locally the pipeline runs in this process; with
//! `--endpoint-url` the server runs it (ImportTable with Ferry's
//! `FerryDryRun` member), after local files are uploaded to its S3.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use clap::Args;
use ferry_jobs::import::check::{csv_options, dry_run, key_types};
use ferry_jobs::import::pipeline::{Live, Plan};
use ferry_jobs::import::{
    CsvOptions, FormatOptions, InputFormat, MAX_OBJECTS, ObjectSource, Settings,
    objects::ObjectsSource,
};
use serde_json::{Value, json};

use super::import::{request, server_source};
use super::online::Api;
use super::progress::{Progress, Snapshot, print_json};
use super::source::{Resolved, locate_source, resolve};
use super::{CliError, FormatArgs, OutputArgs, TableArgs, table};

#[derive(Args, Debug)]
#[command(after_help = "\
Examples:
  ferry check ./export/AWSDynamoDB/01693685827463-2d8752fd --table-definition describe-table.json
  ferry check ./items.csv --key Artist:S --key SongTitle:S --json
  ferry check ./items.csv --key pk:S --endpoint-url http://127.0.0.1:8000")]
pub struct CheckArgs {
    /// A local folder or file, or s3://bucket/prefix.
    pub source: String,
    #[command(flatten)]
    pub table: TableArgs,
    #[command(flatten)]
    pub format: FormatArgs,
    /// Let a running Ferry server check it (ImportTable with Ferry's
    /// `FerryDryRun` member; local files are uploaded to its S3 first).
    #[arg(long)]
    pub endpoint_url: Option<String>,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// `ferry check`.
pub async fn run(args: CheckArgs) -> Result<u8, CliError> {
    let params = table::creation_parameters(&args.table, None)?;
    let report = match &args.endpoint_url {
        Some(url) => online(url, &args, params).await?,
        None => local(&args, &params).await?,
    };
    Ok(print(&args, &report))
}

/// The dry run in this process.
async fn local(args: &CheckArgs, params: &Value) -> Result<Value, CliError> {
    let table = table::table_def(params)?;
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
    let options = format_options(&resolved, &args.format);
    let plan = Plan {
        bucket: &loc.bucket,
        objects: &listed,
        format: resolved.format,
        compression: resolved.compression,
        csv: csv_options(options.as_ref()),
        key_types: key_types(&table),
        table: &table,
    };
    let live = Live::default();
    let stop = AtomicBool::new(false);
    let mut progress = Progress::new(args.output, "checked", None);
    let done = AtomicBool::new(false);
    let report = std::thread::scope(|s| {
        let worker = s.spawn(|| {
            let r = dry_run(&plan, &Settings::default(), &source, &live, &stop);
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
    Ok(report)
}

/// The CSV options the flags give (for a CSV source).
fn format_options(resolved: &Resolved, format: &FormatArgs) -> Option<FormatOptions> {
    (resolved.format == InputFormat::Csv).then(|| FormatOptions {
        csv: Some(CsvOptions {
            delimiter: format.csv_delimiter,
            header_list: format.csv_header.clone(),
        }),
    })
}

/// The dry run on a running server.
async fn online(url: &str, args: &CheckArgs, mut params: Value) -> Result<Value, CliError> {
    let api = Api::new(url)?;
    // ImportTable requires a table name; a dry run creates no table.
    if params.get("TableName").is_none() {
        params["TableName"] = json!("ferry-check");
    }
    let resolved = server_source(&api, &args.source, &args.format, args.output).await?;
    let mut body = request(&resolved, &args.format, params);
    body["FerryDryRun"] = json!(true);
    api.call("DynamoDB_20120810.ImportTable", &body).await
}

/// Print the report; the exit code (0 only when it would COMPLETE).
fn print(args: &CheckArgs, out: &Value) -> u8 {
    let status = out["Status"].as_str().unwrap_or_default();
    if args.output.json {
        print_json(out);
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
            out["ImportedItemCount"],
            out["ProcessedItemCount"],
            out["ErrorCount"],
            out["DuplicateKeyCount"],
            out["ProcessedSizeBytes"]
        );
        if let Some(m) = out["FailureMessage"].as_str() {
            println!("{}: {m}", out["FailureCode"].as_str().unwrap_or_default());
        }
    }
    if status == "COMPLETED" {
        0
    } else {
        super::EXIT_FAILED
    }
}
