//! Point-in-time recovery: UpdateContinuousBackups, DescribeContinuousBackups
//! and RestoreTableToPointInTime.
//!
//! PITR is `TableDef.pitr` (the engine keeps item versions for the window
//! while it is set). The window is `[EarliestRestorableDateTime, now]`:
//! Ferry has no replication lag, so LatestRestorableDateTime is the current
//! time. Behaviour measured on AWS and followed here: the ContinuousBackups
//! calls answer TableNotFoundException (`Table not found: <name>`) for a
//! missing table, UpdateContinuousBackups ContinuousBackupsUnavailableException
//! for one still CREATING; enabling an enabled table keeps its window; disabling
//! forgets the period (re-enabling starts at 35 days); RecoveryPeriodInDays
//! may not accompany a disable; a restore keeps the key schema, indexes (or
//! the matching overrides), billing mode and SSE, and drops PITR, tags,
//! streams, TTL, table class and deletion protection.
//!
//! On-demand backups (CreateBackup … RestoreTableFromBackup) are in
//! `ondemand.rs`; the restored table of both restores is made in `target.rs`.

mod ondemand;
mod target;

pub use ondemand::{
    create_backup, delete_backup, describe_backup, list_backups, restore_table_from_backup,
};
pub use target::RestoreOutput;
use target::{Overrides, check_overrides, create_target, restore_output};

use ferry_model::{PitrSettings, TableStatus};
use ferry_storage::{Engine, Table};
use serde::{Deserialize, Serialize};

use crate::describe::epoch_seconds;
use crate::errors::{ApiError, ErrorCode};
use crate::exports::{micros, table_name_of_arn};
use crate::state::{AppState, blocking};
use crate::validation::Checks;
use crate::wire::parse;

/// AWS's default and maximum recovery period.
const DEFAULT_PERIOD_DAYS: u32 = 35;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PitrSpecW {
    point_in_time_recovery_enabled: Option<bool>,
    recovery_period_in_days: Option<i64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UpdateInput {
    table_name: Option<String>,
    point_in_time_recovery_specification: Option<PitrSpecW>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DescribeInput {
    table_name: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct PitrDescription {
    point_in_time_recovery_status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    recovery_period_in_days: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    earliest_restorable_date_time: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    latest_restorable_date_time: Option<f64>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ContinuousBackupsDescription {
    continuous_backups_status: &'static str,
    point_in_time_recovery_description: PitrDescription,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ContinuousBackupsOutput {
    continuous_backups_description: ContinuousBackupsDescription,
}

fn table_not_found(name: &str) -> ApiError {
    ApiError::new(
        ErrorCode::TableNotFoundException,
        format!("Table not found: {name}"),
    )
}

fn pitr_unavailable(name: &str) -> ApiError {
    ApiError::new(
        ErrorCode::PointInTimeRecoveryUnavailableException,
        format!("Point in time recovery is not enabled for table '{name}'"),
    )
}

/// ContinuousBackupsUnavailableException: UpdateContinuousBackups on a
/// table still CREATING (real AWS answers so right after CreateTable; the
/// text is the API model's description of the error, AWS's message is not
/// known to us).
fn backups_unavailable(_name: &str) -> ApiError {
    ApiError::new(
        ErrorCode::ContinuousBackupsUnavailableException,
        "Backups have not yet been enabled for this table.",
    )
}

/// TableInUseException: CreateBackup of a table still CREATING (being
/// imported or restored). Ferry's text (AWS's is not known to us), worded
/// as its `Backup is being created: <arn>`.
pub(super) fn table_in_use(name: &str) -> ApiError {
    ApiError::new(
        ErrorCode::TableInUseException,
        format!("Table is being created: {name}"),
    )
}

/// The table a ContinuousBackups call or CreateBackup names (a name or a
/// table ARN): a missing one is TableNotFoundException, one still CREATING
/// is `creating(given)`.
pub(super) fn backup_table(
    engine: &Engine,
    given: &str,
    creating: fn(&str) -> ApiError,
) -> Result<std::sync::Arc<Table>, ApiError> {
    let name = if given.starts_with("arn:") {
        table_name_of_arn(given).unwrap_or(given)
    } else {
        given
    };
    let table = engine.table(name).ok_or_else(|| table_not_found(given))?;
    if table.def().status == TableStatus::Creating {
        return Err(creating(given));
    }
    Ok(table)
}

fn describe_backups(engine: &Engine, table: &Table) -> ContinuousBackupsOutput {
    let def = table.def();
    let pitr = match &def.pitr {
        Some(p) => PitrDescription {
            point_in_time_recovery_status: "ENABLED",
            recovery_period_in_days: Some(p.recovery_period_days),
            earliest_restorable_date_time: Some(epoch_seconds(
                table.earliest_restorable().unwrap_or(p.enabled_micros),
            )),
            latest_restorable_date_time: Some(epoch_seconds(engine.clock().now())),
        },
        None => PitrDescription {
            point_in_time_recovery_status: "DISABLED",
            recovery_period_in_days: None,
            earliest_restorable_date_time: None,
            latest_restorable_date_time: None,
        },
    };
    ContinuousBackupsOutput {
        continuous_backups_description: ContinuousBackupsDescription {
            continuous_backups_status: "ENABLED",
            point_in_time_recovery_description: pitr,
        },
    }
}

pub(super) fn check_table_name_shape(v: Option<&str>, c: &mut Checks) {
    c.not_null(v.as_ref(), "tableName");
    if let Some(v) = v {
        if v.is_empty() {
            c.fail(
                Some(v),
                "tableName",
                "Member must have length greater than or equal to 1",
            );
        }
        if v.chars().count() > 1024 {
            c.fail(
                Some(v),
                "tableName",
                "Member must have length less than or equal to 1024",
            );
        }
    }
}

pub async fn update_continuous_backups(
    state: &AppState,
    body: &[u8],
) -> Result<ContinuousBackupsOutput, ApiError> {
    let input: UpdateInput = parse(body)?;
    let mut c = Checks::new();
    check_table_name_shape(input.table_name.as_deref(), &mut c);
    let spec = input.point_in_time_recovery_specification.as_ref();
    c.not_null(spec, "pointInTimeRecoverySpecification");
    if let Some(s) = spec {
        c.not_null(
            s.point_in_time_recovery_enabled.as_ref(),
            "pointInTimeRecoverySpecification.pointInTimeRecoveryEnabled",
        );
        c.at_least(
            s.recovery_period_in_days,
            "pointInTimeRecoverySpecification.recoveryPeriodInDays",
            1,
        );
        c.at_most(
            s.recovery_period_in_days,
            "pointInTimeRecoverySpecification.recoveryPeriodInDays",
            35,
        );
    }
    c.finish()?;
    let enabled = spec
        .and_then(|s| s.point_in_time_recovery_enabled)
        .unwrap_or(false);
    let period = spec
        .and_then(|s| s.recovery_period_in_days)
        .map(|d| d as u32);
    let name = input.table_name.unwrap_or_default();
    let engine = state.engine.clone();
    blocking(move || {
        let table = backup_table(&engine, &name, backups_unavailable)?;
        if !enabled && period.is_some() {
            return Err(ApiError::validation(
                "Invalid Request: Cannot specify RecoveryPeriodInDays when disabling point-in-time recovery.",
            ));
        }
        let now = engine.clock().now();
        table.update_def(&mut |def| {
            def.pitr = match (&def.pitr, enabled) {
                (_, false) => None,
                (Some(p), true) => Some(PitrSettings {
                    recovery_period_days: period.unwrap_or(p.recovery_period_days),
                    enabled_micros: p.enabled_micros,
                }),
                (None, true) => Some(PitrSettings {
                    recovery_period_days: period.unwrap_or(DEFAULT_PERIOD_DAYS),
                    enabled_micros: now,
                }),
            };
        })?;
        Ok(describe_backups(&engine, &table))
    })
    .await
}

pub async fn describe_continuous_backups(
    state: &AppState,
    body: &[u8],
) -> Result<ContinuousBackupsOutput, ApiError> {
    let input: DescribeInput = parse(body)?;
    let mut c = Checks::new();
    check_table_name_shape(input.table_name.as_deref(), &mut c);
    c.finish()?;
    let name = input.table_name.unwrap_or_default();
    let engine = state.engine.clone();
    blocking(move || {
        let table = backup_table(&engine, &name, table_not_found)?;
        Ok(describe_backups(&engine, &table))
    })
    .await
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RestoreInput {
    source_table_arn: Option<String>,
    source_table_name: Option<String>,
    target_table_name: Option<String>,
    use_latest_restorable_time: Option<bool>,
    restore_date_time: Option<f64>,
    #[serde(flatten)]
    overrides: Overrides,
}

fn check_restore_shape(input: &RestoreInput) -> Result<(), ApiError> {
    let mut c = Checks::new();
    c.not_null(input.target_table_name.as_ref(), "targetTableName");
    c.name(input.target_table_name.as_deref(), "targetTableName");
    c.name(input.source_table_name.as_deref(), "sourceTableName");
    if let Some(arn) = &input.source_table_arn {
        if arn.is_empty() {
            c.fail(
                Some(arn),
                "sourceTableArn",
                "Member must have length greater than or equal to 1",
            );
        }
        if arn.chars().count() > 1024 {
            c.fail(
                Some(arn),
                "sourceTableArn",
                "Member must have length less than or equal to 1024",
            );
        }
    }
    check_overrides(&input.overrides, &mut c);
    c.finish()?;
    if input.source_table_arn.is_some() && input.source_table_name.is_some() {
        return Err(ApiError::validation(
            "Must provide exactly one of: sourceTableArn, sourceTableName",
        ));
    }
    if input.source_table_arn.is_none() && input.source_table_name.is_none() {
        return Err(ApiError::validation(
            "The parameter 'TableName' is required",
        ));
    }
    let latest = input.use_latest_restorable_time == Some(true);
    if latest && input.restore_date_time.is_some() {
        return Err(ApiError::validation(
            "Invalid Request: Both RestoreDateTime and UseLatestRestorableTime cannot be set for point-in-time restore request. Please specify either RestoreDateTime time or UseLatestRestorableTime",
        ));
    }
    if !latest && input.restore_date_time.is_none() {
        return Err(ApiError::validation(
            "Invalid Request: Either one of RestoreDateTime or UseLatestRestorableTime must be specified, but not both",
        ));
    }
    Ok(())
}

pub async fn restore_table_to_point_in_time(
    state: &AppState,
    body: &[u8],
) -> Result<RestoreOutput, ApiError> {
    let input: RestoreInput = parse(body)?;
    check_restore_shape(&input)?;
    let source_name = match (&input.source_table_name, &input.source_table_arn) {
        (Some(n), _) => n.clone(),
        (None, Some(arn)) => table_name_of_arn(arn)
            .map_err(|_| {
                ApiError::validation(
                    "One or more parameter values were invalid: sourceTableArn is not a valid ARN",
                )
            })?
            .to_string(),
        (None, None) => String::new(),
    };
    let engine = state.engine.clone();
    let restores = state.jobs.restores.clone();
    let (target_def, source_arn, ts) = {
        let source_arn = state.table_arn(&source_name);
        blocking(move || {
            let source = engine
                .table(&source_name)
                .filter(|t| t.def().status != TableStatus::Creating)
                .ok_or_else(|| table_not_found(&source_name))?;
            let src = source.def();
            let Some(earliest) = src.pitr.as_ref().and(source.earliest_restorable()) else {
                return Err(pitr_unavailable(&src.name));
            };
            let now = engine.clock().now();
            let ts = match input.restore_date_time {
                Some(t) => micros(t),
                None => now,
            };
            if ts < earliest || ts > now {
                return Err(ApiError::new(
                    ErrorCode::InvalidRestoreTimeException,
                    format!(
                        "RestoreDateTime '{}' must be within EarliestRestorableDateTime '{}' and LatestRestorableDateTime '{}'",
                        ferry_jobs::export::iso_seconds(ts),
                        ferry_jobs::export::iso_seconds(earliest),
                        ferry_jobs::export::iso_seconds(now)
                    ),
                ));
            }
            let target_name = input.target_table_name.clone().unwrap_or_default();
            let target = create_target(&engine, &target_name, &src, &input.overrides, now)?;
            restores.start(&source, &target, ts)?;
            Ok((target.def(), source_arn, ts))
        })
        .await?
    };
    restore_output(
        state,
        &target_def,
        serde_json::json!({
            "SourceTableArn": source_arn,
            "RestoreDateTime": epoch_seconds(ts),
            "RestoreInProgress": true,
        }),
    )
}
