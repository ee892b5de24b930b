//! Export manifests: `manifest-summary.json` (one JSON object, fields in
//! AWS's order) and `manifest-files.json` (JSON lines, one per data file),
//! with ISO-8601 millisecond timestamps (`2020-11-04T07:28:34.028Z`).
//! Their `.md5` companions hold the base64 MD5 of the file.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

ferry_model::named_enum!(
    /// An export's `ExportFormat` (`outputFormat` in the summary manifest).
    ExportFormat {
        DynamoDbJson = "DYNAMODB_JSON",
        Ion = "ION",
    }
);

impl ExportFormat {
    /// The data files' name suffix.
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::DynamoDbJson => ".json.gz",
            ExportFormat::Ion => ".ion.gz",
        }
    }
}

/// `version` of a full export's summary.
pub const FULL_EXPORT_VERSION: &str = "2020-06-30";
/// `version` of an incremental export's summary.
pub const INCREMENTAL_EXPORT_VERSION: &str = "2023-08-01";

ferry_model::named_enum!(
    /// `ExportType` (`exportType` in the summary manifest).
    ExportType {
        Full = "FULL_EXPORT",
        Incremental = "INCREMENTAL_EXPORT",
    }
);

ferry_model::named_enum!(
    /// `ExportViewType` (`outputView` of incremental exports; AWS's default
    /// is `NEW_AND_OLD_IMAGES`).
    ExportViewType {
        NewImage = "NEW_IMAGE",
        NewAndOldImages = "NEW_AND_OLD_IMAGES",
    }
);

/// A time in a manifest: microseconds since the Unix epoch, written as
/// ISO-8601 UTC with milliseconds (`2023-09-19T04:20:18.000Z`; the
/// sub-millisecond part is dropped).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IsoTime(pub i64);

impl fmt::Display for IsoTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let millis = self.0.div_euclid(1000);
        let secs = millis.div_euclid(1000);
        let ms = millis.rem_euclid(1000);
        let days = secs.div_euclid(86_400);
        let sod = secs.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        write!(
            f,
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{ms:03}Z",
            sod / 3600,
            sod / 60 % 60,
            sod % 60
        )
    }
}

impl IsoTime {
    /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction]Z`.
    #[must_use]
    pub fn parse(text: &str) -> Option<IsoTime> {
        let b = text.as_bytes();
        if b.len() < 20
            || b[4] != b'-'
            || b[7] != b'-'
            || b[10] != b'T'
            || b[13] != b':'
            || b[16] != b':'
            || *b.last()? != b'Z'
        {
            return None;
        }
        let num = |r: std::ops::Range<usize>| -> Option<i64> {
            let s = text.get(r)?;
            if !s.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            s.parse().ok()
        };
        let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
        let (h, mi, s) = (num(11..13)?, num(14..16)?, num(17..19)?);
        if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
            return None;
        }
        let frac = &text[19..text.len() - 1];
        let micros_frac = if frac.is_empty() {
            0
        } else {
            let digits = frac.strip_prefix('.')?;
            if digits.is_empty() || digits.len() > 9 || !digits.bytes().all(|c| c.is_ascii_digit())
            {
                return None;
            }
            let mut padded = digits.to_owned();
            padded.truncate(6);
            while padded.len() < 6 {
                padded.push('0');
            }
            padded.parse::<i64>().ok()?
        };
        let days = days_from_civil(y, mo, d);
        Some(IsoTime(
            ((days * 86_400 + h * 3600 + mi * 60 + s) * 1_000_000) + micros_frac,
        ))
    }
}

impl Serialize for IsoTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for IsoTime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = std::borrow::Cow::<str>::deserialize(d)?;
        IsoTime::parse(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("invalid ISO-8601 time {text}")))
    }
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian
/// (Howard Hinnant's `civil_from_days`).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// (year, month, day) → days since 1970-01-01.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `manifest-summary.json`. Field order is AWS's: full exports carry
/// `exportTime`; incremental ones `exportFromTime`, `exportToTime` and
/// `outputView`. `s3Prefix` and `s3SseKmsKeyId` are written as `null` when absent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManifestSummary {
    /// [`FULL_EXPORT_VERSION`] or [`INCREMENTAL_EXPORT_VERSION`].
    pub version: String,
    pub export_arn: String,
    pub start_time: IsoTime,
    pub end_time: IsoTime,
    pub table_arn: String,
    pub table_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub export_time: Option<IsoTime>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub export_from_time: Option<IsoTime>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub export_to_time: Option<IsoTime>,
    pub s3_bucket: String,
    pub s3_prefix: Option<String>,
    /// `AES256` or `KMS`.
    pub s3_sse_algorithm: String,
    pub s3_sse_kms_key_id: Option<String>,
    pub manifest_files_s3_key: String,
    pub billed_size_bytes: u64,
    pub item_count: u64,
    pub output_format: ExportFormat,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_view: Option<ExportViewType>,
    pub export_type: ExportType,
}

impl ManifestSummary {
    /// The file's bytes (compact JSON).
    pub fn to_json(&self) -> Vec<u8> {
        // Serializing plain strings, numbers and enums into a Vec cannot fail.
        serde_json::to_vec(self).unwrap_or_default()
    }
}

/// One line of `manifest-files.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManifestFileEntry {
    pub item_count: u64,
    /// Base64 MD5 of the data file.
    pub md5_checksum: String,
    /// The data file's S3 ETag.
    pub etag: String,
    /// The full object key, S3 prefix included.
    pub data_file_s3_key: String,
}

/// `manifest-files.json`: one compact JSON object per line, each ending in `\n`.
pub fn write_manifest_files(entries: &[ManifestFileEntry]) -> Vec<u8> {
    let mut out = Vec::with_capacity(entries.len() * 160);
    for entry in entries {
        append_manifest_file_line(entry, &mut out);
    }
    out
}

/// Appends one `manifest-files.json` line.
pub fn append_manifest_file_line(entry: &ManifestFileEntry, out: &mut Vec<u8>) {
    // Plain strings and numbers: cannot fail.
    let _ = serde_json::to_writer(&mut *out, entry);
    out.push(b'\n');
}

/// Parses `manifest-files.json` (blank lines ignored).
pub fn parse_manifest_files(data: &[u8]) -> Result<Vec<ManifestFileEntry>, serde_json::Error> {
    data.split(|&b| b == b'\n')
        .filter(|line| !line.iter().all(u8::is_ascii_whitespace))
        .map(serde_json::from_slice)
        .collect()
}

#[cfg(test)]
#[path = "manifest_tests.rs"]
mod tests;
