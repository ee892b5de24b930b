//! The typed ExportTableToPointInTime request (the server turns the wire JSON
//! into an [`ExportRequest`]), its enums, the errors an export request can be
//! refused with (AWS's exact messages), and the time-window rules for full
//! and incremental exports.
//!
//! Times are microseconds since the Unix epoch ([`Timestamp`]) everywhere.

use ferry_storage::{StorageError, Timestamp};
use serde::{Deserialize, Serialize};

/// One minute, in microseconds.
pub const MINUTE: Timestamp = 60_000_000;
/// The shortest incremental export period AWS accepts.
pub const MIN_INCREMENTAL_PERIOD: Timestamp = 15 * MINUTE;
/// The longest incremental export period AWS accepts.
pub const MAX_INCREMENTAL_PERIOD: Timestamp = 24 * 60 * MINUTE;

pub use ferry_formats::manifest::{ExportFormat, ExportType, ExportViewType};

ferry_model::named_enum!(
    /// `S3SseAlgorithm`.
    SseAlgorithm {
        Aes256 = "AES256",
        Kms = "KMS",
    }
);

/// `IncrementalExportSpecification` as requested (every member optional on
/// the wire; the job fills in the defaults).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncrementalSpec {
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
    pub view: Option<ExportViewType>,
}

/// An ExportTableToPointInTime request whose shape the server has already
/// validated (enums, patterns, lengths). `table_name` is the table the
/// server resolved `table_arn` to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportRequest {
    pub table_arn: String,
    pub table_name: String,
    pub export_time: Option<Timestamp>,
    pub client_token: Option<String>,
    pub s3_bucket: String,
    pub s3_bucket_owner: Option<String>,
    pub s3_prefix: Option<String>,
    pub s3_sse_algorithm: Option<SseAlgorithm>,
    pub s3_sse_kms_key_id: Option<String>,
    pub export_format: Option<ExportFormat>,
    pub export_type: Option<ExportType>,
    pub incremental: Option<IncrementalSpec>,
    /// Ferry's offline extension (`ferry export --data-dir`, never set from
    /// the wire): a table without point-in-time recovery may be exported as
    /// it is now (the only state its data directory keeps).
    #[serde(default)]
    pub without_pitr: bool,
}

impl ExportRequest {
    /// What "the same parameters" means for a reused ClientToken: every
    /// member as sent, except the token itself.
    pub fn fingerprint(&self) -> String {
        let mut copy = self.clone();
        copy.client_token = None;
        serde_json::to_string(&copy).unwrap_or_default()
    }

    /// The export type this request asks for, after AWS's coupling rules
    /// between `ExportType` and `IncrementalExportSpecification`.
    pub fn effective_type(&self) -> Result<ExportType, ExportError> {
        match (self.export_type, &self.incremental) {
            (None, None) | (Some(ExportType::Full), None) => Ok(ExportType::Full),
            (None, Some(_)) => Err(ExportError::Validation(
                "Invalid Request: Export Type expected to be Incremental Export when incremental \
                 export specification is provided"
                    .into(),
            )),
            (Some(ExportType::Full), Some(_)) => Err(ExportError::Validation(
                "Invalid Request: When Export Type is Full Export , Incremental Export \
                 Specification should not be provided"
                    .into(),
            )),
            (Some(ExportType::Incremental), None) => Err(ExportError::Validation(
                "Invalid Request: Incremental Export Specification expected when export type is \
                 set as Incremental Export"
                    .into(),
            )),
            (Some(ExportType::Incremental), Some(spec)) => {
                if spec.from.is_none() {
                    return Err(ExportError::Validation(
                        "Invalid Request: ExportFromTime must be provided in \
                         IncrementalExportSpecification"
                            .into(),
                    ));
                }
                Ok(ExportType::Incremental)
            }
        }
    }
}

/// Why an export request (or a describe/list call) is refused. The server
/// maps each variant to its DynamoDB error code; `Display` is the message.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// TableNotFoundException.
    #[error("{0}")]
    TableNotFound(String),
    /// PointInTimeRecoveryUnavailableException.
    #[error("{0}")]
    PitrUnavailable(String),
    /// InvalidExportTimeException.
    #[error("{0}")]
    InvalidExportTime(String),
    /// ExportConflictException.
    #[error("{0}")]
    Conflict(String),
    /// LimitExceededException.
    #[error("{0}")]
    LimitExceeded(String),
    /// ExportNotFoundException.
    #[error("{0}")]
    ExportNotFound(String),
    /// ValidationException.
    #[error("{0}")]
    Validation(String),
    /// InternalServerError.
    #[error("storage failure")]
    Storage(#[from] StorageError),
}

impl ExportError {
    /// TableNotFoundException as AWS words it for exports: the ARN is quoted.
    pub fn table_not_found(table_arn: &str) -> ExportError {
        ExportError::TableNotFound(format!("Table not found: {table_arn}"))
    }

    /// PointInTimeRecoveryUnavailableException for a table without PITR.
    pub fn pitr_unavailable(table_name: &str) -> ExportError {
        ExportError::PitrUnavailable(format!(
            "Point in time recovery is not enabled for table '{table_name}'"
        ))
    }

    /// ExportConflictException for a ClientToken reused with other parameters.
    pub fn conflict() -> ExportError {
        ExportError::Conflict(
            "Export conflict: Duplicate request detected with conflicting parameters".into(),
        )
    }
}

/// `2026-10-09T00:41:50Z`: how AWS quotes times in export and restore error
/// messages (whole seconds, UTC).
pub fn iso_seconds(t: Timestamp) -> String {
    chrono::DateTime::from_timestamp_micros(t)
        .map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_else(|| t.to_string())
}

/// `2020-11-04T07:28:34.028Z`: the manifests' time format (milliseconds, UTC).
pub fn iso_millis(t: Timestamp) -> String {
    ferry_formats::manifest::IsoTime(t).to_string()
}

/// The PITR window of a table at `now`: `[earliest, now]`, or `None` when
/// point-in-time recovery is off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub earliest: Timestamp,
    pub latest: Timestamp,
}

/// Check a full export's ExportTime (default: now) against the window.
/// AWS answers `Export Time is invalid` both for a time in the future and
/// for one before the window.
pub fn check_full_time(
    export_time: Option<Timestamp>,
    window: Window,
) -> Result<Timestamp, ExportError> {
    let t = export_time.unwrap_or(window.latest);
    if t > window.latest || t < window.earliest {
        return Err(ExportError::InvalidExportTime(
            "Export Time is invalid".into(),
        ));
    }
    Ok(t)
}

/// The resolved period of an incremental export.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    pub from: Timestamp,
    pub to: Timestamp,
    pub view: ExportViewType,
}

/// Check an incremental export's period against the PITR window (`None`:
/// PITR off) in AWS's order: start before the window, end in the future,
/// shorter than 15 minutes, longer than 24 hours. ExportToTime defaults to
/// now, ExportViewType to NEW_AND_OLD_IMAGES.
pub fn check_incremental_period(
    spec: &IncrementalSpec,
    window: Option<Window>,
    now: Timestamp,
) -> Result<Period, ExportError> {
    let from = spec.from.ok_or_else(|| {
        ExportError::Validation(
            "Invalid Request: ExportFromTime must be provided in IncrementalExportSpecification"
                .into(),
        )
    })?;
    let to = spec.to.unwrap_or(now);
    let view = spec.view.unwrap_or(ExportViewType::NewAndOldImages);
    // With PITR off AWS answers with the same "from time" error: there is no
    // history to read the period from.
    let earliest_ok = window.is_some_and(|w| from >= w.earliest);
    if !earliest_ok {
        return Err(ExportError::InvalidExportTime(format!(
            "Incremental export period from time cannot be less than the table creation time : {}",
            iso_seconds(from)
        )));
    }
    if to > now {
        return Err(ExportError::InvalidExportTime(format!(
            "Incremental export period to time cannot be greater than the current time : {}",
            iso_seconds(to)
        )));
    }
    if to - from < MIN_INCREMENTAL_PERIOD {
        return Err(ExportError::InvalidExportTime(
            "Difference between export period from time and export period to time is less than \
             15 minutes"
                .into(),
        ));
    }
    if to - from > MAX_INCREMENTAL_PERIOD {
        return Err(ExportError::InvalidExportTime(
            "Difference between export period from time and export period to time is greater \
             than 24 hours"
                .into(),
        ));
    }
    Ok(Period { from, to, view })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Timestamp = 1_791_506_414_432_000; // 2026-10-09T00:40:14.432Z

    fn req() -> ExportRequest {
        ExportRequest {
            table_arn: "arn:aws:dynamodb:us-east-1:000000000000:table/t".into(),
            table_name: "t".into(),
            export_time: None,
            client_token: None,
            s3_bucket: "b".into(),
            s3_bucket_owner: None,
            s3_prefix: None,
            s3_sse_algorithm: None,
            s3_sse_kms_key_id: None,
            export_format: None,
            export_type: None,
            incremental: None,
            without_pitr: false,
        }
    }

    #[test]
    fn formats_times_like_aws() {
        assert_eq!(iso_seconds(NOW), "2026-10-09T00:40:14Z");
        assert_eq!(iso_millis(NOW), "2026-10-09T00:40:14.432Z");
        assert_eq!(iso_millis(0), "1970-01-01T00:00:00.000Z");
    }

    #[test]
    fn type_coupling_rules() {
        assert_eq!(req().effective_type().unwrap(), ExportType::Full);
        let mut r = req();
        r.incremental = Some(IncrementalSpec {
            from: Some(1),
            to: None,
            view: None,
        });
        assert_eq!(
            r.effective_type().unwrap_err().to_string(),
            "Invalid Request: Export Type expected to be Incremental Export when incremental export specification is provided"
        );
        r.export_type = Some(ExportType::Full);
        assert_eq!(
            r.effective_type().unwrap_err().to_string(),
            "Invalid Request: When Export Type is Full Export , Incremental Export Specification should not be provided"
        );
        r.export_type = Some(ExportType::Incremental);
        assert_eq!(r.effective_type().unwrap(), ExportType::Incremental);
        r.incremental = Some(IncrementalSpec::default());
        assert_eq!(
            r.effective_type().unwrap_err().to_string(),
            "Invalid Request: ExportFromTime must be provided in IncrementalExportSpecification"
        );
        r.incremental = None;
        assert_eq!(
            r.effective_type().unwrap_err().to_string(),
            "Invalid Request: Incremental Export Specification expected when export type is set as Incremental Export"
        );
    }

    #[test]
    fn fingerprint_ignores_only_the_token() {
        let mut a = req();
        a.client_token = Some("x".into());
        let mut b = req();
        b.client_token = Some("y".into());
        assert_eq!(a.fingerprint(), b.fingerprint());
        b.s3_prefix = Some("p".into());
        assert_ne!(a.fingerprint(), b.fingerprint());
    }

    #[test]
    fn full_export_time_window() {
        let w = Window {
            earliest: NOW - 3_600_000_000,
            latest: NOW,
        };
        assert_eq!(check_full_time(None, w).unwrap(), NOW);
        assert_eq!(check_full_time(Some(NOW - 5), w).unwrap(), NOW - 5);
        assert_eq!(check_full_time(Some(w.earliest), w).unwrap(), w.earliest);
        for bad in [NOW + 1, w.earliest - 1, -1_000_000] {
            assert_eq!(
                check_full_time(Some(bad), w).unwrap_err().to_string(),
                "Export Time is invalid"
            );
        }
    }

    #[test]
    fn incremental_period_rules_in_aws_order() {
        let w = Some(Window {
            earliest: NOW - 48 * 60 * MINUTE,
            latest: NOW,
        });
        let spec = |from: Timestamp, to: Option<Timestamp>| IncrementalSpec {
            from: Some(from),
            to,
            view: None,
        };
        let p = check_incremental_period(&spec(NOW - 20 * MINUTE, None), w, NOW).unwrap();
        assert_eq!(
            p,
            Period {
                from: NOW - 20 * MINUTE,
                to: NOW,
                view: ExportViewType::NewAndOldImages
            }
        );
        let exact = check_incremental_period(&spec(NOW - 15 * MINUTE, Some(NOW)), w, NOW).unwrap();
        assert_eq!(exact.to - exact.from, MIN_INCREMENTAL_PERIOD);
        let err = |s: IncrementalSpec, w| {
            check_incremental_period(&s, w, NOW)
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            err(
                spec(NOW - 49 * 60 * MINUTE, Some(NOW - 48 * 60 * MINUTE)),
                w
            ),
            "Incremental export period from time cannot be less than the table creation time : 2026-10-06T23:40:14Z"
        );
        assert_eq!(
            err(spec(NOW - 10 * MINUTE, None), None),
            "Incremental export period from time cannot be less than the table creation time : 2026-10-09T00:30:14Z"
        );
        assert_eq!(
            err(spec(NOW - 30 * MINUTE, Some(NOW + 60 * MINUTE)), w),
            "Incremental export period to time cannot be greater than the current time : 2026-10-09T01:40:14Z"
        );
        assert_eq!(
            err(spec(NOW - 10 * MINUTE, None), w),
            "Difference between export period from time and export period to time is less than 15 minutes"
        );
        assert_eq!(
            err(spec(NOW - 5 * MINUTE, Some(NOW - 10 * MINUTE)), w),
            "Difference between export period from time and export period to time is less than 15 minutes"
        );
        assert_eq!(
            err(spec(NOW - 25 * 60 * MINUTE, None), w),
            "Difference between export period from time and export period to time is greater than 24 hours"
        );
    }
}
