//! `ferry export TABLE DEST`: an ExportTableToPointInTime to a local folder
//! or an S3 URL, offline on a data directory, in AWS's exact layout
//! (`AWSDynamoDB/<export-id>/...`, manifests, `.md5` files). The request
//! goes through the server's own handler and the job is the export job; the
//! table needs point-in-time recovery on, as for the API.

use std::time::Duration;

use clap::{Args, ValueEnum};
use ferry_formats::manifest::IsoTime;
use serde_json::{Value, json};

use super::progress::{Progress, Snapshot, print_json};
use super::source::locate_dest;
use super::{CliError, OutputArgs, TargetArgs, offline};

/// How often the job is polled.
const POLL: Duration = Duration::from_millis(100);

/// `--export-format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ExportFormatArg {
    DynamodbJson,
    Ion,
}

/// `--view-type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ViewTypeArg {
    NewImage,
    NewAndOldImages,
}

#[derive(Args, Debug)]
#[command(after_help = "\
Examples:
  ferry export Music ./exports --data-dir ./ferry-data
  ferry export Music ./exports --data-dir ./ferry-data --export-time 2026-12-06T10:00:00Z --export-format ION
  ferry export Music s3://my-bucket/exports --data-dir ./ferry-data \\
      --from 2026-12-06T10:00:00Z --to 2026-12-06T11:00:00Z --view-type NEW_IMAGE")]
pub struct ExportArgs {
    /// The table to export.
    pub table: String,
    /// A local folder (created if missing) or s3://bucket/prefix.
    pub dest: String,
    #[command(flatten)]
    pub target: TargetArgs,
    /// A full export as of this time (RFC 3339 UTC or epoch seconds; default now).
    #[arg(long, conflicts_with_all = ["from", "to"])]
    pub export_time: Option<String>,
    /// An incremental export of the changes from this time ...
    #[arg(long, requires = "to")]
    pub from: Option<String>,
    /// ... to this time.
    #[arg(long, requires = "from")]
    pub to: Option<String>,
    /// What an incremental export writes per change (default NEW_AND_OLD_IMAGES).
    #[arg(long, value_enum, requires = "from")]
    pub view_type: Option<ViewTypeArg>,
    /// DYNAMODB_JSON (default) or ION.
    #[arg(long, value_enum)]
    pub export_format: Option<ExportFormatArg>,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// A time flag as epoch seconds: `2026-12-06T10:00:00Z` or `1765015200`.
fn seconds(flag: &str, text: &str) -> Result<f64, CliError> {
    if let Ok(s) = text.parse::<f64>() {
        return Ok(s);
    }
    IsoTime::parse(text)
        .map(|t| t.0 as f64 / 1e6)
        .ok_or_else(|| {
            CliError::usage(format!(
                "{flag} must be a UTC time like 2026-12-06T10:00:00Z or epoch seconds, got {text:?}"
            ))
        })
}

/// The ExportTableToPointInTime request.
fn request(
    args: &ExportArgs,
    table_arn: &str,
    bucket: &str,
    prefix: &str,
) -> Result<Value, CliError> {
    let mut body = json!({
        "TableArn": table_arn,
        "S3Bucket": bucket,
        "ClientToken": uuid::Uuid::new_v4().to_string(),
    });
    if !prefix.is_empty() {
        body["S3Prefix"] = json!(prefix);
    }
    if let Some(f) = args.export_format {
        let name = match f {
            ExportFormatArg::DynamodbJson => "DYNAMODB_JSON",
            ExportFormatArg::Ion => "ION",
        };
        body["ExportFormat"] = json!(name);
    }
    if let Some(t) = &args.export_time {
        body["ExportTime"] = json!(seconds("--export-time", t)?);
    }
    if let (Some(from), Some(to)) = (&args.from, &args.to) {
        let mut spec = json!({
            "ExportFromTime": seconds("--from", from)?,
            "ExportToTime": seconds("--to", to)?,
        });
        if let Some(v) = args.view_type {
            let name = match v {
                ViewTypeArg::NewImage => "NEW_IMAGE",
                ViewTypeArg::NewAndOldImages => "NEW_AND_OLD_IMAGES",
            };
            spec["ExportViewType"] = json!(name);
        }
        body["ExportType"] = json!("INCREMENTAL_EXPORT");
        body["IncrementalExportSpecification"] = spec;
    }
    Ok(body)
}

fn api_error(e: ferry_server::errors::ApiError) -> CliError {
    CliError::usage(format!(
        "{}: {}",
        e.code.name(),
        e.message.unwrap_or_default()
    ))
}

/// `ferry export`.
pub async fn run(args: ExportArgs) -> Result<u8, CliError> {
    let Some(data_dir) = &args.target.data_dir else {
        return Err(CliError::usage(
            "--endpoint-url is not supported by `ferry export` yet; use --data-dir",
        ));
    };
    let dest = locate_dest(&args.dest)?;
    let server = offline::open(data_dir).await?;
    let state = server.state().clone();
    state.objects.mount(&dest.bucket, dest.client.clone());
    let result = async {
        let body = request(
            &args,
            &state.table_arn(&args.table),
            &dest.bucket,
            &dest.prefix,
        )?;
        let bytes = serde_json::to_vec(&body).unwrap_or_default();
        let started = ferry_server::exports::export_table_to_point_in_time(&state, &bytes)
            .await
            .map_err(api_error)?;
        let started = serde_json::to_value(started).unwrap_or_default();
        let arn = started["ExportDescription"]["ExportArn"].clone();
        let poll = serde_json::to_vec(&json!({ "ExportArn": arn })).unwrap_or_default();
        let mut progress = Progress::new(args.output, "exported", None);
        let description = loop {
            let now = ferry_server::exports::describe_export(&state, &poll)
                .await
                .map_err(api_error)?;
            let now = serde_json::to_value(now).unwrap_or_default();
            let d = now["ExportDescription"].clone();
            progress.update(Snapshot {
                bytes: d["BilledSizeBytes"].as_u64().unwrap_or(0),
                items: d["ItemCount"].as_u64().unwrap_or(0),
                errors: 0,
            });
            if d["ExportStatus"] != "IN_PROGRESS" {
                break d;
            }
            tokio::time::sleep(POLL).await;
        };
        progress.finish();
        Ok::<_, CliError>(report(&args, &description))
    }
    .await;
    drop(state);
    server.shutdown().await;
    result
}

fn report(args: &ExportArgs, d: &Value) -> u8 {
    let status = d["ExportStatus"].as_str().unwrap_or_default();
    if args.output.json {
        print_json(d);
    } else {
        let manifest = d["ExportManifest"].as_str().unwrap_or_default();
        println!(
            "{status}: exported {} items ({} bytes) to {}; manifest {manifest}",
            d["ItemCount"].as_u64().unwrap_or(0),
            d["BilledSizeBytes"].as_u64().unwrap_or(0),
            args.dest,
        );
        if let Some(m) = d["FailureMessage"].as_str() {
            println!("{}: {m}", d["FailureCode"].as_str().unwrap_or_default());
        }
    }
    if status == "COMPLETED" {
        0
    } else {
        super::EXIT_FAILED
    }
}
