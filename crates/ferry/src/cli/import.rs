//! `ferry import SOURCE`: an ImportTable from a local folder, a file or an
//! S3 URL into a new table, or with `--into-existing` (Ferry's
//! `FerryIntoExistingTable` extension) upserted into an existing one, whose
//! definition is read with DescribeTable when no `--key` or
//! `--table-definition` is given. Offline (`--data-dir`) the request goes through
//! the server's own ImportTable handler in this process (same validation,
//! same messages), the job is the import job, and its progress is read from
//! the live counters DescribeImport reports. Online (`--endpoint-url`) local
//! files are uploaded to the server's S3 first, then ImportTable and
//! DescribeImport are called over HTTP; both print the same result.

use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use ferry_jobs::cwlogs::{GetEventsQuery, IMPORT_LOG_GROUP};
use ferry_jobs::import::{Compression, ImportStatus, InputFormat};
use serde_json::{Value, json};

use super::online::{Api, UPLOAD_BUCKET};
use super::progress::{Progress, Snapshot, print_json};
use super::source::{
    LOCAL_BUCKET, Location, Resolved, copy_object, locate_source, parse_s3_url, resolve,
};
use super::{CliError, FormatArgs, OutputArgs, TableArgs, TargetArgs, offline, online, table};

/// Error-log events printed at the end (all of them are in the log).
pub const MAX_PRINTED_ERRORS: usize = 100;

/// How often the job's counters are read.
const POLL: Duration = Duration::from_millis(100);

#[derive(Args, Debug)]
#[command(after_help = "\
Examples:
  ferry import ./export/AWSDynamoDB/01693685827463-2d8752fd --data-dir ./ferry-data \\
      --table-definition music-describe-table.json
  ferry import ./items.csv --data-dir ./ferry-data --table-name Music --key Artist:S --key SongTitle:S
  ferry import s3://my-bucket/exports/ --data-dir ./ferry-data --table-name T --key pk:S --json
  ferry import ./more-items.json --endpoint-url http://127.0.0.1:8000 --table-name Music --into-existing")]
pub struct ImportArgs {
    /// A local folder or file, or s3://bucket/prefix.
    pub source: String,
    #[command(flatten)]
    pub target: TargetArgs,
    #[command(flatten)]
    pub table: TableArgs,
    /// The table to create (default: the definition's TableName).
    #[arg(long)]
    pub table_name: Option<String>,
    #[command(flatten)]
    pub format: FormatArgs,
    /// Upsert into the existing table --table-name (it stays ACTIVE and
    /// serving; indexes, streams and PITR see every item) instead of
    /// creating it. A Ferry extension: AWS imports only into new tables.
    #[arg(long)]
    pub into_existing: bool,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// The TableCreationParameters given by the flags; `None` for
/// `--into-existing` without `--key` or `--table-definition`: they are read
/// from the table (see [`existing_parameters`]).
fn flag_parameters(args: &ImportArgs) -> Result<Option<Value>, CliError> {
    let given = args.table.table_definition.is_some() || !args.table.key.is_empty();
    let name = args.table_name.as_deref();
    if args.into_existing && !given {
        return match name {
            Some(_) => Ok(None),
            None => Err(CliError::usage("--into-existing needs --table-name")),
        };
    }
    let params = table::creation_parameters(&args.table, name)?;
    if params.get("TableName").is_none() {
        return Err(CliError::usage("give --table-name"));
    }
    Ok(Some(params))
}

/// The DescribeTable request of `--table-name`, and the
/// TableCreationParameters its answer gives.
fn describe_request(args: &ImportArgs) -> Value {
    json!({ "TableName": args.table_name })
}

fn existing_parameters(args: &ImportArgs, answer: &Value) -> Result<Value, CliError> {
    table::from_describe_table(answer, args.table_name.as_deref())
}

/// The ImportTable request for `args`.
fn import_request(args: &ImportArgs, resolved: &Resolved, params: Value) -> Value {
    let mut body = request(resolved, &args.format, params);
    if args.into_existing {
        body["FerryIntoExistingTable"] = json!(true);
    }
    body
}

/// The ImportTable request for a resolved source.
pub fn request(resolved: &Resolved, format: &FormatArgs, params: Value) -> Value {
    let loc = &resolved.location;
    let mut body = json!({
        "ClientToken": uuid::Uuid::new_v4().to_string(),
        "S3BucketSource": {"S3Bucket": loc.bucket},
        "InputFormat": resolved.format.as_str(),
        "InputCompressionType": resolved.compression.as_str(),
        "TableCreationParameters": params,
    });
    if !loc.prefix.is_empty() {
        body["S3BucketSource"]["S3KeyPrefix"] = json!(loc.prefix);
    }
    if resolved.format == InputFormat::Csv {
        let mut csv = json!({});
        if let Some(d) = format.csv_delimiter {
            csv["Delimiter"] = json!(d.to_string());
        }
        if let Some(h) = &format.csv_header {
            csv["HeaderList"] = json!(h);
        }
        body["InputFormatOptions"] = json!({ "Csv": csv });
    }
    body
}

/// The first error-log messages of an import (CloudWatch's JSON events).
fn logged_errors(state: &ferry_server::AppState, stream: &str) -> Vec<Value> {
    let query = GetEventsQuery {
        limit: Some(MAX_PRINTED_ERRORS),
        start_from_head: true,
        ..GetEventsQuery::default()
    };
    match state.jobs.logs.get_events(IMPORT_LOG_GROUP, stream, &query) {
        Ok(page) => page
            .events
            .iter()
            .map(|e| serde_json::from_str(&e.message).unwrap_or(Value::String(e.message.clone())))
            .collect(),
        Err(_) => Vec::new(),
    }
}

/// Print the final result; the exit code (0 only when COMPLETED).
pub fn report(
    output: OutputArgs,
    progress: &Progress,
    description: Value,
    errors: Vec<Value>,
) -> u8 {
    progress.finish();
    let status = description["ImportStatus"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    if output.json {
        let mut out = description;
        out["Errors"] = json!(errors);
        print_json(&out);
    } else {
        for e in &errors {
            println!("{e}");
        }
        let secs = progress.elapsed().as_secs_f64();
        let imported = description["ImportedItemCount"].as_u64().unwrap_or(0);
        println!(
            "{status}: imported {imported} of {} items, {} errors, {} bytes in {secs:.1}s",
            description["ProcessedItemCount"],
            description["ErrorCount"],
            description["ProcessedSizeBytes"].as_u64().unwrap_or(0),
        );
        if let Some(m) = description["FailureMessage"].as_str() {
            println!(
                "{}: {m}",
                description["FailureCode"].as_str().unwrap_or_default()
            );
        }
    }
    if status == ImportStatus::Completed.as_str() {
        0
    } else {
        super::EXIT_FAILED
    }
}

/// `ferry import`.
pub async fn run(args: ImportArgs) -> Result<u8, CliError> {
    let data_dir = match (&args.target.data_dir, &args.target.endpoint_url) {
        (Some(d), _) => d,
        (None, Some(url)) => return run_online(url, &args).await,
        (None, None) => return Err(CliError::usage("give --data-dir or --endpoint-url")),
    };
    let params = flag_parameters(&args)?;
    let resolved = resolve(
        locate_source(&args.source)?,
        &args.format,
        args.output.quiet,
    )
    .await?;
    let server = offline::open(data_dir).await?;
    let state = server.state().clone();
    let loc = &resolved.location;
    server.objects().mount(&loc.bucket, loc.client.clone());
    let result = async {
        let params = match params {
            Some(p) => p,
            None => {
                let answer =
                    offline::call(&state, "DescribeTable", &describe_request(&args)).await?;
                existing_parameters(&args, &answer)?
            }
        };
        let body = import_request(&args, &resolved, params);
        drive(&state, &body, &resolved, args.output).await
    }
    .await;
    drop(state);
    server.shutdown().await;
    result
}

async fn drive(
    state: &Arc<ferry_server::AppState>,
    body: &Value,
    resolved: &Resolved,
    output: OutputArgs,
) -> Result<u8, CliError> {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    let started = ferry_server::imports::import_table(state, &bytes)
        .await
        .map_err(offline::api_error)?;
    let ferry_server::imports::wire::ImportTableAnswer::Started(started) = started else {
        return Err(CliError::failed("ImportTable answered a dry run"));
    };
    let arn = started.import_table_description.import_arn;
    let total = (resolved.compression == Compression::None).then_some(resolved.total_bytes);
    let mut progress = Progress::new(output, "imported", total);
    let view = loop {
        let view = state
            .jobs
            .imports
            .describe(&arn)
            .map_err(|e| CliError::failed(e.to_string()))?;
        let c = view.counters;
        progress.update(Snapshot {
            bytes: c.processed_bytes,
            items: c.imported_items,
            errors: c.errors,
        });
        if view.record.status.is_terminal() {
            break view;
        }
        tokio::time::sleep(POLL).await;
    };
    let errors = logged_errors(state, &view.record.error_stream());
    let description =
        serde_json::to_value(ferry_server::imports::describe(&view)).unwrap_or_default();
    Ok(report(output, &progress, description, errors))
}

/// SOURCE for a running server: an `s3://` URL names the server's own
/// buckets; local files are uploaded to its S3 first.
pub async fn server_source(
    api: &Api,
    source: &str,
    format: &FormatArgs,
    output: OutputArgs,
) -> Result<Resolved, CliError> {
    let location = match parse_s3_url(source) {
        Some((bucket, prefix)) => Location {
            client: api.s3(),
            bucket,
            prefix,
        },
        None => locate_source(source)?,
    };
    let mut resolved = resolve(location, format, output.quiet).await?;
    if resolved.location.bucket == LOCAL_BUCKET {
        resolved.location = upload(api, &resolved, output).await?;
    }
    Ok(resolved)
}

/// Upload the resolved local objects to the server's S3, under a fresh
/// prefix of [`UPLOAD_BUCKET`]; the location to import from.
pub async fn upload(
    api: &Api,
    resolved: &Resolved,
    output: OutputArgs,
) -> Result<Location, CliError> {
    api.ensure_bucket(UPLOAD_BUCKET).await?;
    let from = &resolved.location;
    let to = Location {
        client: api.s3(),
        bucket: UPLOAD_BUCKET.to_owned(),
        prefix: format!("{}/{}", uuid::Uuid::new_v4(), from.prefix),
    };
    let listed = from
        .client
        .list_all(&from.bucket, &from.prefix, ferry_jobs::import::MAX_OBJECTS)
        .await
        .map_err(|e| CliError::failed(format!("listing SOURCE: {}", e.s3_message())))?;
    let mut progress = Progress::new(output, "uploaded", Some(resolved.total_bytes));
    let mut done = Snapshot::default();
    for o in &listed {
        let key = format!(
            "{}{}",
            &to.prefix[..to.prefix.len() - from.prefix.len()],
            o.key
        );
        copy_object(from, &o.key, &to, &key).await?;
        done.bytes += o.size;
        done.items += 1;
        progress.update(done);
    }
    progress.finish();
    Ok(to)
}

/// The first events of an import's error log, read through the Logs API.
async fn online_errors(api: &Api, arn: &str) -> Vec<Value> {
    let id = arn.rsplit('/').next().unwrap_or_default();
    let query = json!({
        "logGroupName": IMPORT_LOG_GROUP,
        "logStreamName": format!("{id}/error"),
        "startFromHead": true,
        "limit": MAX_PRINTED_ERRORS,
    });
    // No stream (no bad item): no errors.
    let Ok(page) = api.call("Logs_20140328.GetLogEvents", &query).await else {
        return Vec::new();
    };
    page["events"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["message"].as_str())
        .map(|m| serde_json::from_str(m).unwrap_or(Value::String(m.to_owned())))
        .collect()
}

/// `ferry import --endpoint-url`.
async fn run_online(url: &str, args: &ImportArgs) -> Result<u8, CliError> {
    let api = Api::new(url)?;
    let params = match flag_parameters(args)? {
        Some(p) => p,
        None => {
            let answer = api
                .call("DynamoDB_20120810.DescribeTable", &describe_request(args))
                .await?;
            existing_parameters(args, &answer)?
        }
    };
    let resolved = server_source(&api, &args.source, &args.format, args.output).await?;
    let body = import_request(args, &resolved, params);
    let started = api.call("DynamoDB_20120810.ImportTable", &body).await?;
    let arn = started["ImportTableDescription"]["ImportArn"].clone();
    let total = (resolved.compression == Compression::None).then_some(resolved.total_bytes);
    let mut progress = Progress::new(args.output, "imported", total);
    let description = loop {
        let now = api
            .call(
                "DynamoDB_20120810.DescribeImport",
                &json!({ "ImportArn": arn }),
            )
            .await?;
        let d = now["ImportTableDescription"].clone();
        progress.update(Snapshot {
            bytes: d["ProcessedSizeBytes"].as_u64().unwrap_or(0),
            items: d["ImportedItemCount"].as_u64().unwrap_or(0),
            errors: d["ErrorCount"].as_u64().unwrap_or(0),
        });
        if d["ImportStatus"] != ImportStatus::InProgress.as_str() {
            break d;
        }
        tokio::time::sleep(online::POLL).await;
    };
    let errors = online_errors(&api, arn.as_str().unwrap_or_default()).await;
    Ok(report(args.output, &progress, description, errors))
}
