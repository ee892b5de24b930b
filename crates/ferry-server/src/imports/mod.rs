//! ImportTable, DescribeImport, ListImports: the wire side of imports.
//! Validation is in `validate.rs`, shapes in `wire.rs`; the jobs themselves
//! (`ferry_jobs::import`) own everything after the request is accepted.
//!
//! Choices where AWS is silent or documented differently than it behaves
//! (see `docs/design/import.md`):
//! - a ClientToken reused with other parameters is `ImportConflictException`
//!   "Import conflict: Duplicate request detected with conflicting parameters" (what real
//!   DynamoDB answers and what the API model lists; the prose says
//!   IdempotentParameterMismatch), for any differing parameter;
//! - `S3BucketOwner` is reported as the account when not given;
//! - ListImports lists in start order; its `NextToken` is 112+ hex digits.
//!
//! Ferry's extension: `"FerryIntoExistingTable": true` in an ImportTable
//! request upserts into the existing table named by
//! `TableCreationParameters` (same key schema; the table stays ACTIVE)
//! instead of creating it. `ferry import --into-existing` sends it.
//! `"FerryDryRun": true` validates the request as usual, then only reads the
//! source as the import would and answers the dry run's report
//! (`ferry_jobs::import::check`); nothing is created or recorded (no
//! ClientToken is taken, no table is looked up). `ferry check
//! --endpoint-url` sends it.

mod validate;
pub mod wire;

use std::sync::Arc;

use ferry_jobs::Jobs;
use ferry_jobs::import::{DescribeError, ImportView, StartError};

use crate::errors::{ApiError, ErrorCode};
use crate::state::{AppState, blocking};
use crate::validation::Checks;
use crate::wire::parse;
use wire::{
    CsvOptionsW, DescribeImportInput, ImportSummary, ImportTableAnswer, ImportTableDescription,
    ImportTableInput, ImportTableOutput, InputFormatOptionsW, ListImportsInput, ListImportsOutput,
    S3BucketSourceW,
};

/// ListImports' page size when none is given (and the maximum).
const MAX_PAGE_SIZE: i64 = 25;

fn jobs(state: &AppState) -> Arc<Jobs> {
    state.jobs.clone()
}

fn seconds(millis: i64) -> f64 {
    millis as f64 / 1000.0
}

fn bucket_source(view: &ImportView) -> S3BucketSourceW {
    let s = &view.record.source;
    S3BucketSourceW {
        s3_bucket_owner: s.bucket_owner.clone(),
        s3_bucket: Some(s.bucket.clone()),
        s3_key_prefix: s.key_prefix.clone(),
    }
}

/// The `ImportTableDescription` of an import.
pub fn describe(view: &ImportView) -> ImportTableDescription {
    let r = &view.record;
    ImportTableDescription {
        import_arn: r.arn.clone(),
        import_status: r.status.as_str(),
        table_arn: r.table_arn.clone(),
        table_id: r.table_id.clone(),
        client_token: r.client_token.clone(),
        s3_bucket_source: bucket_source(view),
        error_count: view.counters.errors,
        cloud_watch_log_group_arn: r.log_group_arn(),
        input_format: r.format.as_str(),
        input_format_options: r.format_options.as_ref().map(|o| InputFormatOptionsW {
            csv: o.csv.as_ref().map(|c| CsvOptionsW {
                delimiter: c.delimiter.map(String::from),
                header_list: c.header_list.clone(),
            }),
        }),
        input_compression_type: r.compression.as_str(),
        table_creation_parameters: r.table_creation_parameters.clone(),
        start_time: seconds(r.start_millis),
        end_time: r.end_millis.map(seconds),
        processed_size_bytes: view.processed_size_bytes(),
        processed_item_count: view.counters.processed_items,
        imported_item_count: view.counters.imported_items,
        failure_code: r.failure.as_ref().map(|f| f.code.clone()),
        failure_message: r.failure.as_ref().map(|f| f.message.clone()),
    }
}

fn summary(view: &ImportView) -> ImportSummary {
    let r = &view.record;
    ImportSummary {
        import_arn: r.arn.clone(),
        import_status: r.status.as_str(),
        table_arn: r.table_arn.clone(),
        s3_bucket_source: bucket_source(view),
        cloud_watch_log_group_arn: r.log_group_arn(),
        input_format: r.format.as_str(),
        start_time: seconds(r.start_millis),
        end_time: r.end_millis.map(seconds),
    }
}

pub async fn import_table(state: &AppState, body: &[u8]) -> Result<ImportTableAnswer, ApiError> {
    let input: ImportTableInput = parse(body)?;
    let raw: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    let raw_params = raw
        .get("TableCreationParameters")
        .cloned()
        .unwrap_or_default();
    let dry_run = input.ferry_dry_run == Some(true);
    let req = validate::import_request(state, input, raw_params)?;
    let jobs = jobs(state);
    if dry_run {
        let report = blocking(move || Ok(jobs.imports.dry_run(&req))).await?;
        return Ok(ImportTableAnswer::DryRun(report));
    }
    let view = blocking(move || {
        jobs.imports.start(req).map_err(|e| match e {
            StartError::TableExists(name) => ApiError::new(
                ErrorCode::ResourceInUseException,
                format!("Table already exists: {name}"),
            ),
            StartError::Conflict(m) => ApiError::new(ErrorCode::ImportConflictException, m),
            StartError::LimitExceeded(m) => ApiError::new(ErrorCode::LimitExceededException, m),
            e @ StartError::NoTable(_) => {
                ApiError::new(ErrorCode::ResourceNotFoundException, e.to_string())
            }
            StartError::TableBusy(m) => ApiError::new(ErrorCode::ResourceInUseException, m),
            StartError::KeyMismatch(m) => ApiError::validation(m),
            StartError::Storage(e) => e.into(),
        })
    })
    .await?;
    Ok(ImportTableAnswer::Started(Box::new(ImportTableOutput {
        import_table_description: describe(&view),
    })))
}

pub async fn describe_import(state: &AppState, body: &[u8]) -> Result<ImportTableOutput, ApiError> {
    let input: DescribeImportInput = parse(body)?;
    let mut checks = Checks::new();
    checks.not_null(input.import_arn.as_ref(), "importArn");
    if let Some(arn) = input.import_arn.as_deref() {
        let n = arn.chars().count();
        if n < 37 {
            checks.fail(
                Some(arn),
                "importArn",
                "Member must have length greater than or equal to 37",
            );
        }
        if n > 1024 {
            checks.fail(
                Some(arn),
                "importArn",
                "Member must have length less than or equal to 1024",
            );
        }
    }
    checks.finish()?;
    let arn = input.import_arn.unwrap_or_default();
    let view = jobs(state).imports.describe(&arn).map_err(|e| match e {
        DescribeError::InvalidArn(_) => ApiError::validation("Invalid Import ARN"),
        DescribeError::NotFound(arn) => ApiError::new(
            ErrorCode::ImportNotFoundException,
            format!("Import not found: {arn}"),
        ),
    })?;
    Ok(ImportTableOutput {
        import_table_description: describe(&view),
    })
}

/// ListImports' `NextToken`: the last listed import id, space-padded to 56
/// bytes, hex (the SDKs insist on `([0-9a-f]{16})+`, 112–1024 characters).
pub fn encode_next_token(id: &str) -> String {
    let mut raw = id.as_bytes().to_vec();
    let len = raw.len().max(56).div_ceil(8) * 8;
    raw.resize(len, b' ');
    hex::encode(raw)
}

pub fn decode_next_token(token: &str) -> Option<String> {
    let raw = hex::decode(token).ok()?;
    let text = String::from_utf8(raw).ok()?;
    let id = text.trim_end_matches(' ');
    ferry_jobs::ids::is_job_id(id).then(|| id.to_string())
}

pub async fn list_imports(state: &AppState, body: &[u8]) -> Result<ListImportsOutput, ApiError> {
    let input: ListImportsInput = parse(body)?;
    let mut checks = Checks::new();
    checks.at_least(input.page_size, "pageSize", 1);
    checks.at_most(input.page_size, "pageSize", MAX_PAGE_SIZE);
    if let Some(t) = input.table_arn.as_deref()
        && (t.is_empty() || t.chars().count() > 1024)
    {
        let msg = if t.is_empty() {
            "Member must have length greater than or equal to 1"
        } else {
            "Member must have length less than or equal to 1024"
        };
        checks.fail(Some(t), "tableArn", msg);
    }
    if let Some(t) = input.next_token.as_deref() {
        let n = t.len();
        if n < 112 {
            checks.fail(
                Some(t),
                "nextToken",
                "Member must have length greater than or equal to 112",
            );
        }
        if n > 1024 {
            checks.fail(
                Some(t),
                "nextToken",
                "Member must have length less than or equal to 1024",
            );
        }
        let shaped = n.is_multiple_of(16)
            && t.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !shaped {
            checks.fail(
                Some(t),
                "nextToken",
                "Member must satisfy regular expression pattern: ([0-9a-f]{16})+",
            );
        }
    }
    checks.finish()?;
    let after = match input.next_token.as_deref() {
        None => None,
        Some(t) => {
            Some(decode_next_token(t).ok_or_else(|| ApiError::validation("Invalid NextToken"))?)
        }
    };
    let limit = input.page_size.unwrap_or(MAX_PAGE_SIZE) as usize;
    let jobs = jobs(state);
    let table_arn = input.table_arn.clone();
    let (views, next) = blocking(move || {
        Ok(jobs
            .imports
            .list(table_arn.as_deref(), after.as_deref(), limit))
    })
    .await?;
    Ok(ListImportsOutput {
        import_summary_list: views.iter().map(summary).collect(),
        next_token: next.as_deref().map(encode_next_token),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_tokens_match_the_sdk_pattern_and_round_trip() {
        let id = "01693685827463-2d8752fd";
        let t = encode_next_token(id);
        assert_eq!(t.len(), 112);
        assert!(
            t.len().is_multiple_of(16)
                && t.bytes()
                    .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
        assert_eq!(decode_next_token(&t).as_deref(), Some(id));
        assert_eq!(decode_next_token(&"0".repeat(112)), None);
    }
}
