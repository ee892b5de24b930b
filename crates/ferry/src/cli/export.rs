//! `ferry export TABLE DEST`: an ExportTableToPointInTime to a local folder
//! or an S3 URL, in AWS's exact layout (`AWSDynamoDB/<export-id>/...`,
//! manifests, `.md5` files). Online the table needs point-in-time recovery
//! on, as for the API. Offline (`--data-dir`) the request goes through the
//! server's own handler in this process (`export_table_offline`: a table
//! without PITR is exported as it is now, Ferry's extension) and the job
//! writes straight into DEST. Progress is DescribeExport's ItemCount and
//! BilledSizeBytes, which Ferry fills while the export runs.
//! Online (`--endpoint-url`) the server exports to its own S3 (to DEST when
//! it is an `s3://` URL, else under a fresh prefix of the upload bucket,
//! downloaded into DEST afterwards).

use std::time::Duration;

use clap::{Args, ValueEnum};
use ferry_formats::manifest::IsoTime;
use serde_json::{Value, json};

use super::online::{Api, UPLOAD_BUCKET};
use super::progress::{Progress, Snapshot, print_json};
use super::source::{Location, copy_object, locate_dest, parse_s3_url};
use super::{CliError, OutputArgs, TargetArgs, offline, online};

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

/// Where the export request goes.
enum Conn<'a> {
    Offline(&'a ferry_server::AppState),
    Online(&'a Api),
}

impl Conn<'_> {
    async fn call(&self, op: &str, body: &Value) -> Result<Value, CliError> {
        let state = match self {
            Conn::Online(api) => return api.call(&format!("DynamoDB_20120810.{op}"), body).await,
            Conn::Offline(state) => state,
        };
        let bytes = serde_json::to_vec(body).unwrap_or_default();
        let out = match op {
            "ExportTableToPointInTime" => {
                ferry_server::exports::export_table_offline(state, &bytes)
                    .await
                    .map(|o| serde_json::to_value(o).unwrap_or_default())
            }
            _ => ferry_server::exports::describe_export(state, &bytes)
                .await
                .map(|o| serde_json::to_value(o).unwrap_or_default()),
        };
        out.map_err(offline::api_error)
    }

    /// Start the export and poll it to its end; its final description.
    async fn export(&self, body: &Value, output: OutputArgs) -> Result<Value, CliError> {
        let started = self.call("ExportTableToPointInTime", body).await?;
        let arn = started["ExportDescription"]["ExportArn"].clone();
        let poll = json!({ "ExportArn": arn });
        let mut progress = Progress::new(output, "exported", None);
        let every = match self {
            Conn::Offline(_) => POLL,
            Conn::Online(_) => online::POLL,
        };
        loop {
            let now = self.call("DescribeExport", &poll).await?;
            let d = now["ExportDescription"].clone();
            progress.update(Snapshot {
                bytes: d["BilledSizeBytes"].as_u64().unwrap_or(0),
                items: d["ItemCount"].as_u64().unwrap_or(0),
                errors: 0,
            });
            if d["ExportStatus"] != "IN_PROGRESS" {
                progress.finish();
                return Ok(d);
            }
            tokio::time::sleep(every).await;
        }
    }
}

/// `ferry export`.
pub async fn run(args: ExportArgs) -> Result<u8, CliError> {
    let data_dir = match (&args.target.data_dir, &args.target.endpoint_url) {
        (Some(d), _) => d,
        (None, Some(url)) => return run_online(url, &args).await,
        (None, None) => return Err(CliError::usage("give --data-dir or --endpoint-url")),
    };
    let dest = locate_dest(&args.dest)?;
    let server = offline::open(data_dir).await?;
    let state = server.state().clone();
    server.objects().mount(&dest.bucket, dest.client.clone());
    let result = async {
        let body = request(
            &args,
            &state.table_arn(&args.table),
            &dest.bucket,
            &dest.prefix,
        )?;
        let description = Conn::Offline(&state).export(&body, args.output).await?;
        Ok::<_, CliError>(report(&args, &description))
    }
    .await;
    drop(state);
    server.shutdown().await;
    result
}

/// `ferry export --endpoint-url`.
async fn run_online(url: &str, args: &ExportArgs) -> Result<u8, CliError> {
    let api = Api::new(url)?;
    let table = api
        .call(
            "DynamoDB_20120810.DescribeTable",
            &json!({ "TableName": args.table }),
        )
        .await?;
    let table_arn = table["Table"]["TableArn"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let (remote, local) = match parse_s3_url(&args.dest) {
        Some((bucket, prefix)) => {
            let client = api.s3();
            (
                Location {
                    client,
                    bucket,
                    prefix,
                },
                None,
            )
        }
        None => {
            api.ensure_bucket(UPLOAD_BUCKET).await?;
            let remote = Location {
                client: api.s3(),
                bucket: UPLOAD_BUCKET.to_owned(),
                prefix: uuid::Uuid::new_v4().to_string(),
            };
            (remote, Some(locate_dest(&args.dest)?))
        }
    };
    let body = request(args, &table_arn, &remote.bucket, &remote.prefix)?;
    let description = Conn::Online(&api).export(&body, args.output).await?;
    if let Some(local) = local
        && description["ExportStatus"] == "COMPLETED"
    {
        download(&remote, &local).await?;
    }
    Ok(report(args, &description))
}

/// Copy every object under `remote.prefix` into the local folder, keys
/// relative to the prefix.
async fn download(remote: &Location, local: &Location) -> Result<(), CliError> {
    let prefix = format!("{}/", remote.prefix);
    let listed = remote
        .client
        .list_all(&remote.bucket, &prefix, usize::MAX - 1)
        .await
        .map_err(|e| CliError::failed(format!("listing the export: {}", e.s3_message())))?;
    for o in listed {
        let key = o.key.strip_prefix(&prefix).unwrap_or(&o.key);
        copy_object(remote, &o.key, local, key).await?;
    }
    Ok(())
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
