//! ExportTableToPointInTime, DescribeExport, ListExports: the wire side of
//! exports to S3. Request shapes are checked here with DynamoDB's "N
//! validation errors detected" messages; everything about tables, times,
//! tokens and the job itself is `ferry_jobs::export`.
//!
//! Wire facts followed (measured against AWS): ExportType is echoed only
//! when the request gave it (ListExports' summaries always carry it);
//! S3SseAlgorithm defaults to AES256 in descriptions; S3BucketOwner and
//! S3Prefix only when given; ItemCount, BilledSizeBytes, ExportManifest and
//! EndTime appear once the export is COMPLETED (EndTime also when FAILED);
//! a ClientToken is always returned (generated when absent).
//!
//! Ferry's deliberate differences (`docs/design/export.md`): while an export
//! runs, ItemCount and BilledSizeBytes show what its finished data files
//! hold so far (AWS shows them only at the end; the console and `ferry
//! export` read them as progress); [`export_table_offline`] (`ferry export
//! --data-dir`, no wire operation) exports a table without PITR as it is now.

use ferry_jobs::export::{
    ExportError, ExportFormat, ExportRecord, ExportRequest, ExportStatus, ExportType,
    ExportViewType, IncrementalSpec, SseAlgorithm,
};
use serde::{Deserialize, Serialize};

use crate::describe::epoch_seconds;
use crate::errors::{ApiError, ErrorCode};
use crate::state::{AppState, blocking};
use crate::validation::Checks;
use crate::wire::parse;

const S3_BUCKET_PATTERN: &str = r"^[a-z0-9A-Z]+[\.\-\w]*[a-z0-9A-Z]+$";
const CLIENT_TOKEN_PATTERN: &str = r"^[^\$]+$";
/// S3Prefix has no pattern in the API model, but AWS refuses control
/// characters (a tab) in it; its exact constraint text is not published, so
/// Ferry words the rule as a pattern (`docs/design/export.md`).
const S3_PREFIX_PATTERN: &str = r"[^\p{Cc}]*";
/// AWS's message for an ARN of another account (measured: AWS authorizes
/// before it looks the resource up).
const ACCESS_DENIED: &str = "Access is denied";
/// ListExports' page size when MaxResults is not given.
const DEFAULT_PAGE: usize = 25;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct IncrementalW {
    export_from_time: Option<f64>,
    export_to_time: Option<f64>,
    export_view_type: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ExportInput {
    table_arn: Option<String>,
    export_time: Option<f64>,
    client_token: Option<String>,
    s3_bucket: Option<String>,
    s3_bucket_owner: Option<String>,
    s3_prefix: Option<String>,
    s3_sse_algorithm: Option<String>,
    s3_sse_kms_key_id: Option<String>,
    export_format: Option<String>,
    export_type: Option<String>,
    incremental_export_specification: Option<IncrementalW>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DescribeExportInput {
    export_arn: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListExportsInput {
    table_arn: Option<String>,
    max_results: Option<i64>,
    next_token: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct IncrementalDescription {
    export_from_time: f64,
    export_to_time: f64,
    export_view_type: &'static str,
}

/// `ExportDescription`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ExportDescription {
    export_arn: String,
    export_status: &'static str,
    start_time: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    end_time: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    export_manifest: Option<String>,
    table_arn: String,
    table_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    export_time: Option<f64>,
    client_token: String,
    s3_bucket: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    s3_bucket_owner: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    s3_prefix: Option<String>,
    s3_sse_algorithm: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    s3_sse_kms_key_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    failure_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    failure_message: Option<String>,
    export_format: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    billed_size_bytes: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    item_count: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    export_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    incremental_export_specification: Option<IncrementalDescription>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ExportDescriptionOutput {
    export_description: ExportDescription,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ExportSummary {
    export_arn: String,
    export_status: &'static str,
    export_type: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListExportsOutput {
    export_summaries: Vec<ExportSummary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_token: Option<String>,
}

/// The description of `rec`; `progress` is what its running job has
/// written so far (items, billed bytes).
fn describe(rec: &ExportRecord, progress: Option<(u64, u64)>) -> ExportDescription {
    let done = rec.status == ExportStatus::Completed;
    let running = progress.filter(|_| rec.status == ExportStatus::InProgress);
    let req = &rec.request;
    ExportDescription {
        export_arn: rec.export_arn.clone(),
        export_status: rec.status.as_str(),
        start_time: epoch_seconds(rec.start_time),
        end_time: rec.end_time.map(epoch_seconds),
        export_manifest: rec.manifest_key.clone().filter(|_| done),
        table_arn: rec.table_arn.clone(),
        table_id: rec.table_id.clone(),
        export_time: rec.export_time.map(epoch_seconds),
        client_token: rec.client_token.clone(),
        s3_bucket: req.s3_bucket.clone(),
        s3_bucket_owner: req.s3_bucket_owner.clone(),
        s3_prefix: req.s3_prefix.clone(),
        s3_sse_algorithm: req
            .s3_sse_algorithm
            .unwrap_or(SseAlgorithm::Aes256)
            .as_str(),
        s3_sse_kms_key_id: req.s3_sse_kms_key_id.clone(),
        failure_code: rec.failure_code.clone(),
        failure_message: rec.failure_message.clone(),
        export_format: rec.format.as_str(),
        billed_size_bytes: rec
            .billed_size_bytes
            .filter(|_| done)
            .or(running.map(|p| p.1)),
        item_count: rec.item_count.filter(|_| done).or(running.map(|p| p.0)),
        export_type: req.export_type.map(ExportType::as_str),
        incremental_export_specification: rec.period.map(|p| IncrementalDescription {
            export_from_time: epoch_seconds(p.from),
            export_to_time: epoch_seconds(p.to),
            export_view_type: p.view.as_str(),
        }),
    }
}

/// An API timestamp (epoch seconds, possibly fractional) in microseconds.
pub(crate) fn micros(seconds: f64) -> i64 {
    (seconds * 1_000_000.0).round() as i64
}

/// The table name in a table ARN (`arn:<partition>:dynamodb:<region>:<account>:table/<name>`).
/// `Err(true)` when the text is not an ARN at all, `Err(false)` when it is
/// an ARN but not of a table (an index or stream ARN, another service).
pub(crate) fn table_name_of_arn(arn: &str) -> Result<&str, bool> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    if parts.len() != 6 || parts[0] != "arn" {
        return Err(true);
    }
    if parts[2] != "dynamodb" {
        return Err(false);
    }
    let name = parts[5].strip_prefix("table/").ok_or(false)?;
    if name.is_empty() || name.contains('/') {
        return Err(false);
    }
    Ok(name)
}

/// The owner of `arn:<partition>:<service>:<region>:<account>:<resource>`.
struct ArnParts<'a> {
    partition: &'a str,
    service: &'a str,
    account: &'a str,
}

fn arn_parts(arn: &str) -> Option<ArnParts<'_>> {
    let mut parts = arn.splitn(6, ':');
    if parts.next()? != "arn" {
        return None;
    }
    let (partition, service, _region, account) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    parts.next()?;
    Some(ArnParts {
        partition,
        service,
        account,
    })
}

/// An ARN of another account, partition or service is AccessDeniedException
/// (AWS authorizes before it looks the resource up); text that is not an
/// ARN at all is left to the operation's own validation.
fn check_owned(state: &AppState, arn: &str) -> Result<(), ApiError> {
    match arn_parts(arn) {
        Some(p)
            if p.partition != "aws"
                || p.service != "dynamodb"
                || p.account != state.account_id() =>
        {
            Err(ApiError::new(
                ErrorCode::AccessDeniedException,
                ACCESS_DENIED,
            ))
        }
        _ => Ok(()),
    }
}

pub(crate) fn export_error(e: ExportError) -> ApiError {
    match e {
        ExportError::TableNotFound(m) => ApiError::new(ErrorCode::TableNotFoundException, m),
        ExportError::PitrUnavailable(m) => {
            ApiError::new(ErrorCode::PointInTimeRecoveryUnavailableException, m)
        }
        ExportError::InvalidExportTime(m) => {
            ApiError::new(ErrorCode::InvalidExportTimeException, m)
        }
        ExportError::Conflict(m) => ApiError::new(ErrorCode::ExportConflictException, m),
        ExportError::LimitExceeded(m) => ApiError::new(ErrorCode::LimitExceededException, m),
        ExportError::ExportNotFound(m) => ApiError::new(ErrorCode::ExportNotFoundException, m),
        ExportError::Validation(m) => ApiError::validation(m),
        ExportError::Storage(s) => s.into(),
    }
}

fn matches_bucket_pattern(b: &str) -> bool {
    let bytes = b.as_bytes();
    let edge = |c: u8| c.is_ascii_alphanumeric();
    let mid = |c: u8| c.is_ascii_alphanumeric() || c == b'.' || c == b'-' || c == b'_';
    bytes.len() >= 2
        && edge(bytes[0])
        && edge(bytes[bytes.len() - 1])
        && bytes.iter().all(|&c| mid(c))
}

fn check_shape(input: &ExportInput) -> Result<(), ApiError> {
    let mut c = Checks::new();
    c.not_null(input.table_arn.as_ref(), "tableArn");
    if let Some(arn) = &input.table_arn {
        if arn.is_empty() {
            c.fail(
                Some(arn),
                "tableArn",
                "Member must have length greater than or equal to 1",
            );
        }
        if arn.chars().count() > 1024 {
            c.fail(
                Some(arn),
                "tableArn",
                "Member must have length less than or equal to 1024",
            );
        }
    }
    c.not_null(input.s3_bucket.as_ref(), "s3Bucket");
    if let Some(b) = &input.s3_bucket {
        if b.chars().count() > 255 {
            c.fail(
                Some(b),
                "s3Bucket",
                "Member must have length less than or equal to 255",
            );
        }
        if !matches_bucket_pattern(b) {
            c.fail(
                Some(b),
                "s3Bucket",
                &format!("Member must satisfy regular expression pattern: {S3_BUCKET_PATTERN}"),
            );
        }
    }
    if let Some(o) = &input.s3_bucket_owner
        && !(o.len() == 12 && o.bytes().all(|b| b.is_ascii_digit()))
    {
        c.fail(
            Some(o),
            "s3BucketOwner",
            "Member must satisfy regular expression pattern: [0-9]{12}",
        );
    }
    if let Some(p) = &input.s3_prefix {
        if p.is_empty() {
            c.fail(
                Some(p),
                "s3Prefix",
                "Member must have length greater than or equal to 1",
            );
        }
        if p.chars().count() > 1024 {
            c.fail(
                Some(p),
                "s3Prefix",
                "Member must have length less than or equal to 1024",
            );
        }
        if p.chars().any(char::is_control) {
            c.fail(
                Some(p),
                "s3Prefix",
                &format!("Member must satisfy regular expression pattern: {S3_PREFIX_PATTERN}"),
            );
        }
    }
    c.one_of(
        input.s3_sse_algorithm.as_deref(),
        "s3SseAlgorithm",
        SseAlgorithm::NAMES,
    );
    if let Some(k) = &input.s3_sse_kms_key_id {
        if k.is_empty() {
            c.fail(
                Some(k),
                "s3SseKmsKeyId",
                "Member must have length greater than or equal to 1",
            );
        }
        if k.chars().count() > 2048 {
            c.fail(
                Some(k),
                "s3SseKmsKeyId",
                "Member must have length less than or equal to 2048",
            );
        }
    }
    c.one_of(
        input.export_format.as_deref(),
        "exportFormat",
        ExportFormat::NAMES,
    );
    c.one_of(
        input.export_type.as_deref(),
        "exportType",
        ExportType::NAMES,
    );
    if let Some(spec) = &input.incremental_export_specification {
        c.one_of(
            spec.export_view_type.as_deref(),
            "incrementalExportSpecification.exportViewType",
            ExportViewType::NAMES,
        );
    }
    if let Some(t) = &input.client_token
        && (t.is_empty() || t.contains('$'))
    {
        c.fail(
            Some(t),
            "clientToken",
            &format!("Member must satisfy regular expression pattern: {CLIENT_TOKEN_PATTERN}"),
        );
    }
    c.finish()?;
    if input.s3_sse_kms_key_id.is_some() && input.s3_sse_algorithm.as_deref() != Some("KMS") {
        return Err(ApiError::validation(
            "Invalid Request: KMS Key Id is not supported for this encryption type",
        ));
    }
    Ok(())
}

/// The table name of a request's TableArn, with AWS's messages.
fn resolve_table_arn(arn: &str) -> Result<String, ApiError> {
    match table_name_of_arn(arn) {
        Ok(name) => Ok(name.to_string()),
        Err(true) => Err(ApiError::validation(
            "One or more parameter values were invalid: tableArn is not a valid ARN",
        )),
        Err(false) => Err(ApiError::validation(
            "Invalid Request: Table ARN is invalid.",
        )),
    }
}

pub async fn export_table_to_point_in_time(
    state: &AppState,
    body: &[u8],
) -> Result<ExportDescriptionOutput, ApiError> {
    start_export(state, body, false).await
}

/// ExportTableToPointInTime for `ferry export --data-dir` (Ferry's offline
/// extension, called in-process, never on the wire): a table without
/// point-in-time recovery is exported as it is now; any other ExportTime,
/// or an incremental export, is refused as for the API.
pub async fn export_table_offline(
    state: &AppState,
    body: &[u8],
) -> Result<ExportDescriptionOutput, ApiError> {
    start_export(state, body, true).await
}

async fn start_export(
    state: &AppState,
    body: &[u8],
    without_pitr: bool,
) -> Result<ExportDescriptionOutput, ApiError> {
    let input: ExportInput = parse(body)?;
    check_shape(&input)?;
    let table_arn = input.table_arn.clone().unwrap_or_default();
    check_owned(state, &table_arn)?;
    let table_name = resolve_table_arn(&table_arn)?;
    let incremental = input
        .incremental_export_specification
        .as_ref()
        .map(|s| IncrementalSpec {
            from: s.export_from_time.map(micros),
            to: s.export_to_time.map(micros),
            view: s
                .export_view_type
                .as_deref()
                .and_then(ExportViewType::parse),
        });
    let req = ExportRequest {
        table_arn,
        table_name,
        export_time: input.export_time.map(micros),
        client_token: input.client_token,
        s3_bucket: input.s3_bucket.unwrap_or_default(),
        s3_bucket_owner: input.s3_bucket_owner,
        s3_prefix: input.s3_prefix,
        s3_sse_algorithm: input
            .s3_sse_algorithm
            .as_deref()
            .and_then(SseAlgorithm::parse),
        s3_sse_kms_key_id: input.s3_sse_kms_key_id,
        export_format: input.export_format.as_deref().and_then(ExportFormat::parse),
        export_type: input.export_type.as_deref().and_then(ExportType::parse),
        incremental,
        without_pitr,
    };
    let exports = state.jobs.exports.clone();
    let rec = blocking(move || exports.start(req).map_err(export_error)).await?;
    Ok(ExportDescriptionOutput {
        export_description: describe(&rec, None),
    })
}

pub async fn describe_export(
    state: &AppState,
    body: &[u8],
) -> Result<ExportDescriptionOutput, ApiError> {
    let input: DescribeExportInput = parse(body)?;
    let mut c = Checks::new();
    c.not_null(input.export_arn.as_ref(), "exportArn");
    if let Some(arn) = &input.export_arn {
        let n = arn.chars().count();
        if n < 37 {
            c.fail(
                Some(arn),
                "exportArn",
                "Member must have length greater than or equal to 37",
            );
        }
        if n > 1024 {
            c.fail(
                Some(arn),
                "exportArn",
                "Member must have length less than or equal to 1024",
            );
        }
    }
    c.finish()?;
    let arn = input.export_arn.unwrap_or_default();
    check_owned(state, &arn)?;
    // A well-formed export ARN of another region (measured wording).
    if ferry_jobs::ids::parse_job_arn(&arn, "export").is_some_and(|p| p.region != state.region()) {
        return Err(ApiError::new(
            ErrorCode::ExportNotFoundException,
            "Export not found: Invalid export arn",
        ));
    }
    let exports = state.jobs.exports.clone();
    blocking(move || {
        let rec = exports.describe(&arn).map_err(export_error)?;
        let progress = exports.progress(&rec.export_id);
        Ok(ExportDescriptionOutput {
            export_description: describe(&rec, progress),
        })
    })
    .await
}

pub async fn list_exports(state: &AppState, body: &[u8]) -> Result<ListExportsOutput, ApiError> {
    let input: ListExportsInput = parse(body)?;
    let mut c = Checks::new();
    if let Some(arn) = &input.table_arn {
        if arn.is_empty() {
            c.fail(
                Some(arn),
                "tableArn",
                "Member must have length greater than or equal to 1",
            );
        }
        if arn.chars().count() > 1024 {
            c.fail(
                Some(arn),
                "tableArn",
                "Member must have length less than or equal to 1024",
            );
        }
    }
    c.at_least(input.max_results, "maxResults", 1);
    c.at_most(input.max_results, "maxResults", 25);
    c.finish()?;
    let table = match &input.table_arn {
        Some(arn) => {
            check_owned(state, arn)?;
            Some((arn.clone(), resolve_table_arn(arn)?))
        }
        None => None,
    };
    let max = input.max_results.map_or(DEFAULT_PAGE, |m| m as usize);
    let exports = state.jobs.exports.clone();
    let (page, next_token) = blocking(move || {
        let filter = table
            .as_ref()
            .map(|(arn, name)| (arn.as_str(), name.as_str()));
        exports
            .list(filter, max, input.next_token.as_deref())
            .map_err(export_error)
    })
    .await?;
    Ok(ListExportsOutput {
        export_summaries: page
            .iter()
            .map(|r| ExportSummary {
                export_arn: r.export_arn.clone(),
                export_status: r.status.as_str(),
                export_type: r.export_type.as_str(),
            })
            .collect(),
        next_token,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_arns() {
        assert_eq!(
            table_name_of_arn("arn:aws:dynamodb:us-east-1:000000000000:table/T.x-1"),
            Ok("T.x-1")
        );
        assert_eq!(table_name_of_arn("MyTable"), Err(true));
        assert_eq!(
            table_name_of_arn("arn:aws:dynamodb:us-east-1:0:table/T/index/g"),
            Err(false)
        );
        assert_eq!(table_name_of_arn("arn:aws:s3:::bucket"), Err(false));
    }

    #[test]
    fn bucket_pattern() {
        for ok in ["ab", "my-bucket", "My_Bucket.1", "a.b-c"] {
            assert!(matches_bucket_pattern(ok), "{ok}");
        }
        for bad in ["", "a", "-ab", "ab-", "a b", "arn:aws:s3:::b"] {
            assert!(!matches_bucket_pattern(bad), "{bad}");
        }
    }

    #[test]
    fn shape_messages() {
        let input: ExportInput =
            serde_json::from_str(r#"{"TableArn":"t","S3Bucket":"","ExportFormat":"CSV"}"#).unwrap();
        assert_eq!(
            check_shape(&input).unwrap_err().message.unwrap(),
            "2 validation errors detected: Value '' at 's3Bucket' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-z0-9A-Z]+[\\.\\-\\w]*[a-z0-9A-Z]+$; Value 'CSV' at 'exportFormat' failed to satisfy constraint: Member must satisfy enum value set: [DYNAMODB_JSON, ION]"
        );
        let input: ExportInput =
            serde_json::from_str(r#"{"TableArn":"t","S3Bucket":"bb","S3SseKmsKeyId":"k"}"#)
                .unwrap();
        assert_eq!(
            check_shape(&input).unwrap_err().message.unwrap(),
            "Invalid Request: KMS Key Id is not supported for this encryption type"
        );
    }

    #[test]
    fn micros_round_trip_sdk_seconds() {
        assert_eq!(micros(1_693_685_827.463_123), 1_693_685_827_463_123);
        assert_eq!(
            micros(epoch_seconds(1_791_506_414_432_017)),
            1_791_506_414_432_017
        );
    }
}
