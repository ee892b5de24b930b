//! The manifests of an export, byte for byte as AWS writes them:
//! `manifest-files.json` (one JSON line per data file) and
//! `manifest-summary.json` (members in the order of AWS's examples,
//! `s3Prefix`/`s3SseKmsKeyId` as `null` when absent), plus their `.md5`
//! companions, which hold the base64 MD5 of the JSON file's bytes (no
//! newline), as real exports do.

use base64::Engine as _;
use ferry_formats::manifest::{
    FULL_EXPORT_VERSION, INCREMENTAL_EXPORT_VERSION, IsoTime, ManifestFileEntry, ManifestSummary,
    write_manifest_files,
};
use md5::Digest;

use super::partition::FileResult;
use super::record::ExportRecord;
use super::spec::{ExportType, SseAlgorithm};

/// `manifest-files.json`: one line per data file, each ending in `\n`.
pub fn files_json(files: &[FileResult]) -> Vec<u8> {
    let entries: Vec<ManifestFileEntry> = files
        .iter()
        .map(|f| ManifestFileEntry {
            item_count: f.item_count,
            md5_checksum: f.md5.clone(),
            etag: f.etag.clone(),
            data_file_s3_key: f.key.clone(),
        })
        .collect();
    write_manifest_files(&entries)
}

/// The totals a summary reports.
pub struct Totals<'a> {
    pub end_time: i64,
    pub item_count: u64,
    pub billed_size_bytes: u64,
    pub manifest_files_key: &'a str,
}

/// `manifest-summary.json` for `rec` (one line, as AWS writes it), through
/// the manifest model `ferry import` reads back (`ferry_formats::manifest`).
pub fn summary_json(rec: &ExportRecord, totals: &Totals<'_>) -> Vec<u8> {
    let req = &rec.request;
    let period = match rec.export_type {
        ExportType::Incremental => rec.period,
        ExportType::Full => None,
    };
    ManifestSummary {
        version: if period.is_some() {
            INCREMENTAL_EXPORT_VERSION
        } else {
            FULL_EXPORT_VERSION
        }
        .to_string(),
        export_arn: rec.export_arn.clone(),
        start_time: IsoTime(rec.start_time),
        end_time: IsoTime(totals.end_time),
        table_arn: rec.table_arn.clone(),
        table_id: rec.table_id.clone(),
        export_time: period
            .is_none()
            .then(|| IsoTime(rec.export_time.unwrap_or(rec.start_time))),
        export_from_time: period.map(|p| IsoTime(p.from)),
        export_to_time: period.map(|p| IsoTime(p.to)),
        s3_bucket: req.s3_bucket.clone(),
        s3_prefix: req.s3_prefix.clone(),
        s3_sse_algorithm: req
            .s3_sse_algorithm
            .unwrap_or(SseAlgorithm::Aes256)
            .as_str()
            .to_string(),
        s3_sse_kms_key_id: req.s3_sse_kms_key_id.clone(),
        manifest_files_s3_key: totals.manifest_files_key.to_string(),
        billed_size_bytes: totals.billed_size_bytes,
        item_count: totals.item_count,
        output_format: rec.format,
        output_view: period.map(|p| p.view),
        export_type: if period.is_some() {
            ExportType::Incremental
        } else {
            ExportType::Full
        },
    }
    .to_json()
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
