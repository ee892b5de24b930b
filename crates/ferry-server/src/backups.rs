//! Point-in-time recovery: UpdateContinuousBackups, DescribeContinuousBackups
//! and RestoreTableToPointInTime.
//!
//! PITR is `TableDef.pitr` (the engine keeps item versions for the window
//! while it is set). The window is `[EarliestRestorableDateTime, now]`:
//! Ferry has no replication lag, so LatestRestorableDateTime is the current
//! time. Behaviour measured on AWS and followed here: the ContinuousBackups
//! calls answer TableNotFoundException (`Table not found: <name>`) for a
//! missing table; enabling an enabled table keeps its window; disabling
//! forgets the period (re-enabling starts at 35 days); RecoveryPeriodInDays
//! may not accompany a disable; a restore keeps the key schema, indexes (or
//! the matching overrides), billing mode and SSE, and drops PITR, tags,
//! streams, TTL, table class and deletion protection.

use ferry_model::{IndexDef, IndexKind, PitrSettings, TableDef, TableStatus};
use ferry_storage::{Engine, Table, TableStats};
use serde::{Deserialize, Serialize};

use crate::describe::{
    TableExtra, ThroughputState, derived_definitions, describe_table_def, epoch_seconds,
};
use crate::errors::{ApiError, ErrorCode};
use crate::exports::{micros, table_name_of_arn};
use crate::state::{AppState, blocking};
use crate::validation::{Checks, IndexRequest, check_key_schema_shape, resolve_index};
use crate::wire::parse;
use crate::wire::tables::{
    GlobalSecondaryIndexW, LocalSecondaryIndexW, SseSpecificationW, ThroughputW,
};

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

/// The table a ContinuousBackups call names (a name or a table ARN); a
/// missing or still CREATING table is TableNotFoundException.
fn backup_table(engine: &Engine, given: &str) -> Result<std::sync::Arc<Table>, ApiError> {
    let name = if given.starts_with("arn:") {
        table_name_of_arn(given).unwrap_or(given)
    } else {
        given
    };
    engine
        .table(name)
        .filter(|t| t.def().status != TableStatus::Creating)
        .ok_or_else(|| table_not_found(given))
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

fn check_table_name_shape(v: Option<&str>, c: &mut Checks) {
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
        let table = backup_table(&engine, &name)?;
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
        let table = backup_table(&engine, &name)?;
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
    billing_mode_override: Option<String>,
    global_secondary_index_override: Option<Vec<GlobalSecondaryIndexW>>,
    local_secondary_index_override: Option<Vec<LocalSecondaryIndexW>>,
    provisioned_throughput_override: Option<ThroughputW>,
    on_demand_throughput_override: Option<serde_json::Value>,
    #[serde(rename = "SSESpecificationOverride")]
    sse_specification_override: Option<SseSpecificationW>,
}

#[derive(Serialize)]
pub struct RestoreOutput {
    #[serde(rename = "TableDescription")]
    table_description: serde_json::Value,
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
    c.one_of(
        input.billing_mode_override.as_deref(),
        "billingModeOverride",
        &["PROVISIONED", "PAY_PER_REQUEST"],
    );
    for (i, g) in input
        .global_secondary_index_override
        .iter()
        .flatten()
        .enumerate()
    {
        let p = format!("globalSecondaryIndexOverride.{}.member", i + 1);
        c.not_null(g.index_name.as_ref(), &format!("{p}.indexName"));
        c.name(g.index_name.as_deref(), &format!("{p}.indexName"));
        check_key_schema_shape(g.key_schema.as_ref(), &format!("{p}.keySchema"), &mut c);
        c.not_null(g.projection.as_ref(), &format!("{p}.projection"));
    }
    for (i, l) in input
        .local_secondary_index_override
        .iter()
        .flatten()
        .enumerate()
    {
        let p = format!("localSecondaryIndexOverride.{}.member", i + 1);
        c.not_null(l.index_name.as_ref(), &format!("{p}.indexName"));
        c.name(l.index_name.as_deref(), &format!("{p}.indexName"));
        check_key_schema_shape(l.key_schema.as_ref(), &format!("{p}.keySchema"), &mut c);
        c.not_null(l.projection.as_ref(), &format!("{p}.projection"));
    }
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

/// The indexes of the restored table: the source's, or the overrides, each
/// of which must match a source index by key schema and projection (AWS
/// allows a rename but no new index).
fn restored_indexes(input: &RestoreInput, source: &TableDef) -> Result<Vec<IndexDef>, ApiError> {
    let defs = derived_definitions(source);
    let pick = |kind: IndexKind, req: IndexRequest<'_>| -> Result<IndexDef, ApiError> {
        let no_match = || {
            ApiError::validation(format!(
                "Index {} does not match a secondary index that existed in the source table and cannot be created during the restore operation",
                req.name
            ))
        };
        let wanted = resolve_index(kind, &req, &source.key, &defs).map_err(|_| no_match())?;
        source
            .indexes
            .iter()
            .find(|i| i.kind == kind && i.key == wanted.key && i.projection == wanted.projection)
            .map(|_| wanted.clone())
            .ok_or_else(no_match)
    };
    let empty_projection = Default::default();
    let mut out = Vec::new();
    match &input.global_secondary_index_override {
        None => out.extend(
            source
                .indexes
                .iter()
                .filter(|i| i.kind == IndexKind::Global)
                .cloned(),
        ),
        Some(list) => {
            for g in list {
                out.push(pick(
                    IndexKind::Global,
                    IndexRequest {
                        name: g.index_name.as_deref().unwrap_or_default(),
                        key_schema: g.key_schema.as_deref().unwrap_or_default(),
                        projection: g.projection.as_ref().unwrap_or(&empty_projection),
                    },
                )?);
            }
        }
    }
    match &input.local_secondary_index_override {
        None => out.extend(
            source
                .indexes
                .iter()
                .filter(|i| i.kind == IndexKind::Local)
                .cloned(),
        ),
        Some(list) => {
            for l in list {
                out.push(pick(
                    IndexKind::Local,
                    IndexRequest {
                        name: l.index_name.as_deref().unwrap_or_default(),
                        key_schema: l.key_schema.as_deref().unwrap_or_default(),
                        projection: l.projection.as_ref().unwrap_or(&empty_projection),
                    },
                )?);
            }
        }
    }
    Ok(out)
}

/// The server-owned description fields of the restored table.
fn restored_extra(
    input: &RestoreInput,
    source: &TableDef,
    indexes: &[IndexDef],
    now: i64,
) -> Result<TableExtra, ApiError> {
    let src = TableExtra::of(source);
    let mode = input
        .billing_mode_override
        .clone()
        .or_else(|| src.billing_mode.clone());
    let provisioned = mode.as_deref() != Some("PAY_PER_REQUEST");
    if input.billing_mode_override.as_deref() == Some("PROVISIONED")
        && input.provisioned_throughput_override.is_none()
    {
        return Err(ApiError::validation(
            "Must override ProvisionedThroughput if BillingMode is overridden to PROVISIONED",
        ));
    }
    if input.provisioned_throughput_override.is_some() && !provisioned {
        return Err(ApiError::validation(
            "Cannot override ProvisionedThroughput unless BillingMode is PROVISIONED",
        ));
    }
    let throughput = match (&input.provisioned_throughput_override, provisioned) {
        (Some(t), _) => ThroughputState::new(
            t.read_capacity_units.unwrap_or(0),
            t.write_capacity_units.unwrap_or(0),
        ),
        (None, true) => ThroughputState::new(
            src.provisioned_throughput.read_capacity_units,
            src.provisioned_throughput.write_capacity_units,
        ),
        (None, false) => ThroughputState::default(),
    };
    let mut index_throughput = std::collections::BTreeMap::new();
    for i in indexes.iter().filter(|i| i.kind == IndexKind::Global) {
        let given = input
            .global_secondary_index_override
            .iter()
            .flatten()
            .find(|g| g.index_name.as_deref() == Some(i.name.as_str()))
            .and_then(|g| g.provisioned_throughput.as_ref())
            .map(|t| {
                ThroughputState::new(
                    t.read_capacity_units.unwrap_or(0),
                    t.write_capacity_units.unwrap_or(0),
                )
            });
        let kept = src
            .index_throughput
            .get(&i.name)
            .map(|t| ThroughputState::new(t.read_capacity_units, t.write_capacity_units));
        if provisioned && let Some(t) = given.or(kept) {
            index_throughput.insert(i.name.clone(), t);
        }
    }
    Ok(TableExtra {
        attribute_definitions: Vec::new(),
        billing_mode: mode.clone(),
        provisioned_throughput: throughput,
        last_update_to_pay_per_request_date_time: (mode.as_deref() == Some("PAY_PER_REQUEST"))
            .then(|| epoch_seconds(now)),
        index_throughput,
        streams: Vec::new(),
        sse_specification: input
            .sse_specification_override
            .clone()
            .or(src.sse_specification),
        tags: Vec::new(),
        table_class: None,
        deletion_protection_enabled: false,
        on_demand_throughput: input
            .on_demand_throughput_override
            .clone()
            .or(src.on_demand_throughput),
    })
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
            if engine.table(&target_name).is_some() {
                return Err(ApiError::new(
                    ErrorCode::TableAlreadyExistsException,
                    format!("Table already exists: {target_name}"),
                ));
            }
            let indexes = restored_indexes(&input, &src)?;
            let extra = restored_extra(&input, &src, &indexes, now)?;
            let def = TableDef {
                name: target_name.clone(),
                id: uuid::Uuid::new_v4().to_string(),
                key: src.key.clone(),
                indexes,
                created_micros: now,
                status: TableStatus::Creating,
                pitr: None,
                extra: extra.to_json(),
            };
            let target = engine.create_table(def).map_err(|e| match e {
                ferry_storage::StorageError::TableExists(_) => ApiError::new(
                    ErrorCode::TableAlreadyExistsException,
                    format!("Table already exists: {target_name}"),
                ),
                other => other.into(),
            })?;
            restores.start(&source, &target, ts)?;
            Ok((target.def(), source_arn, ts))
        })
        .await?
    };
    let mut description = describe_table_def(
        state,
        &target_def,
        TableStats::default(),
        Some(TableStatus::Creating),
    );
    description.table_status = "CREATING".into();
    let mut value =
        serde_json::to_value(&description).map_err(|e| ApiError::internal(e.to_string()))?;
    if let Some(obj) = value.as_object_mut() {
        obj.insert(
            "RestoreSummary".into(),
            serde_json::json!({
                "SourceTableArn": source_arn,
                "RestoreDateTime": epoch_seconds(ts),
                "RestoreInProgress": true,
            }),
        );
    }
    Ok(RestoreOutput {
        table_description: value,
    })
}
