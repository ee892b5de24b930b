//! The manifests of an export, byte for byte as AWS writes them:
//! `manifest-files.json` (one JSON line per data file) and
//! `manifest-summary.json` (members in the order of AWS's examples,
//! `s3Prefix`/`s3SseKmsKeyId` as `null` when absent), plus their `.md5`
//! companions, which hold the base64 MD5 of the JSON file's bytes (no
//! newline), as real exports do.

use base64::Engine as _;
use md5::Digest;
use serde::Serialize;

use super::partition::FileResult;
use super::record::ExportRecord;
use super::spec::{ExportType, iso_millis};

/// One line of `manifest-files.json`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FileLine<'a> {
    item_count: u64,
    md5_checksum: &'a str,
    etag: &'a str,
    data_file_s3_key: &'a str,
}

/// `manifest-files.json`: one line per data file, each ending in `\n`.
pub fn files_json(files: &[FileResult]) -> Vec<u8> {
    let mut out = Vec::with_capacity(files.len() * 160);
    for f in files {
        let line = FileLine {
            item_count: f.item_count,
            md5_checksum: &f.md5,
            etag: &f.etag,
            data_file_s3_key: &f.key,
        };
        if serde_json::to_writer(&mut out, &line).is_ok() {
            out.push(b'\n');
        }
    }
    out
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FullSummary<'a> {
    version: &'static str,
    export_arn: &'a str,
    start_time: String,
    end_time: String,
    table_arn: &'a str,
    table_id: &'a str,
    export_time: String,
    s3_bucket: &'a str,
    s3_prefix: Option<&'a str>,
    s3_sse_algorithm: &'a str,
    s3_sse_kms_key_id: Option<&'a str>,
    manifest_files_s3_key: &'a str,
    billed_size_bytes: u64,
    item_count: u64,
    output_format: &'a str,
    export_type: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct IncrementalSummary<'a> {
    version: &'static str,
    export_arn: &'a str,
    start_time: String,
    end_time: String,
    table_arn: &'a str,
    table_id: &'a str,
    export_from_time: String,
    export_to_time: String,
    s3_bucket: &'a str,
    s3_prefix: Option<&'a str>,
    s3_sse_algorithm: &'a str,
    s3_sse_kms_key_id: Option<&'a str>,
    manifest_files_s3_key: &'a str,
    billed_size_bytes: u64,
    item_count: u64,
    output_format: &'a str,
    output_view: &'a str,
    export_type: &'a str,
}

/// The totals a summary reports.
pub struct Totals<'a> {
    pub end_time: i64,
    pub item_count: u64,
    pub billed_size_bytes: u64,
    pub manifest_files_key: &'a str,
}

/// `manifest-summary.json` for `rec` (pretty-printed like AWS's example is
/// not required by any reader; AWS writes it on one line).
pub fn summary_json(rec: &ExportRecord, totals: &Totals<'_>) -> Vec<u8> {
    let req = &rec.request;
    let sse = req.s3_sse_algorithm.map_or("AES256", |a| a.as_str());
    let result = match (rec.export_type, rec.period) {
        (ExportType::Incremental, Some(period)) => serde_json::to_vec(&IncrementalSummary {
            version: "2023-08-01",
            export_arn: &rec.export_arn,
            start_time: iso_millis(rec.start_time),
            end_time: iso_millis(totals.end_time),
            table_arn: &rec.table_arn,
            table_id: &rec.table_id,
            export_from_time: iso_millis(period.from),
            export_to_time: iso_millis(period.to),
            s3_bucket: &req.s3_bucket,
            s3_prefix: req.s3_prefix.as_deref(),
            s3_sse_algorithm: sse,
            s3_sse_kms_key_id: req.s3_sse_kms_key_id.as_deref(),
            manifest_files_s3_key: totals.manifest_files_key,
            billed_size_bytes: totals.billed_size_bytes,
            item_count: totals.item_count,
            output_format: rec.format.as_str(),
            output_view: period.view.as_str(),
            export_type: ExportType::Incremental.as_str(),
        }),
        _ => serde_json::to_vec(&FullSummary {
            version: "2020-06-30",
            export_arn: &rec.export_arn,
            start_time: iso_millis(rec.start_time),
            end_time: iso_millis(totals.end_time),
            table_arn: &rec.table_arn,
            table_id: &rec.table_id,
            export_time: iso_millis(rec.export_time.unwrap_or(rec.start_time)),
            s3_bucket: &req.s3_bucket,
            s3_prefix: req.s3_prefix.as_deref(),
            s3_sse_algorithm: sse,
            s3_sse_kms_key_id: req.s3_sse_kms_key_id.as_deref(),
            manifest_files_s3_key: totals.manifest_files_key,
            billed_size_bytes: totals.billed_size_bytes,
            item_count: totals.item_count,
            output_format: rec.format.as_str(),
            export_type: ExportType::Full.as_str(),
        }),
    };
    result.unwrap_or_default()
}

/// The content of a `.md5` companion file: base64 of the MD5 of `bytes`.
pub fn md5_file(bytes: &[u8]) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .encode(md5::Md5::digest(bytes))
        .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_lines_have_aws_member_order() {
        let f = FileResult {
            key: "AWSDynamoDB/01693685827463-2d8752fd/data/asdl123dasas.json.gz".into(),
            item_count: 8,
            md5: "sQMSpEILNgoQmarvDFonGQ==".into(),
            etag: "af83d6f217c19b8b0fff8023d8ca4716-1".into(),
            size: 1,
            billed_bytes: 0,
            raw_bytes: 0,
        };
        assert_eq!(
            String::from_utf8(files_json(&[f.clone(), f])).unwrap(),
            "{\"itemCount\":8,\"md5Checksum\":\"sQMSpEILNgoQmarvDFonGQ==\",\"etag\":\"af83d6f217c19b8b0fff8023d8ca4716-1\",\"dataFileS3Key\":\"AWSDynamoDB/01693685827463-2d8752fd/data/asdl123dasas.json.gz\"}\n"
                .repeat(2)
        );
    }

    #[test]
    fn md5_files_are_base64() {
        assert_eq!(md5_file(b""), b"1B2M2Y8AsgTpgAmY7PhCfg==");
    }
}
