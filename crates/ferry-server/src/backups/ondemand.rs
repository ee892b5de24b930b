//! On-demand backups: CreateBackup, DescribeBackup, ListBackups,
//! DeleteBackup and RestoreTableFromBackup. The backups themselves (records
//! and stored items) are `ferry_jobs::backup`; this file reads the requests,
//! checks them with DynamoDB's messages and shapes the answers.
//!
//! Messages: `Table not found: <name>`, `Backup not found: <arn>` and
//! `Table already exists: <name>` are DynamoDB's. AWS's text for
//! BackupInUseException is not known to us: Ferry sends
//! `Backup is being created: <arn>` (a backup still CREATING) and
//! `Backup is being restored: <arn>` (a restore reads it); for
//! TableInUseException (CreateBackup of a table still CREATING: being
//! imported or restored) `Table is being created: <name>` — see
//! docs/design/backups.md.

use ferry_jobs::backup::{BackupError, BackupRecord, BackupStatus};
use ferry_storage::TableStats;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::target::{Overrides, check_overrides, create_target, restore_output};
use super::{RestoreOutput, backup_table, check_table_name_shape, table_in_use};
use crate::describe::{describe_table_def, epoch_seconds};
use crate::errors::{ApiError, ErrorCode};
use crate::exports::micros;
use crate::state::{AppState, blocking};
use crate::validation::Checks;
use crate::wire::parse;

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct BackupDetails {
    backup_arn: String,
    backup_name: String,
    backup_size_bytes: u64,
    backup_status: &'static str,
    backup_type: &'static str,
    backup_creation_date_time: f64,
}

fn status_name(s: BackupStatus) -> &'static str {
    match s {
        BackupStatus::Creating => "CREATING",
        BackupStatus::Available => "AVAILABLE",
    }
}

fn details(rec: &BackupRecord, status: &'static str) -> BackupDetails {
    BackupDetails {
        backup_arn: rec.arn.clone(),
        backup_name: rec.name.clone(),
        backup_size_bytes: rec.size_bytes,
        backup_status: status,
        backup_type: "USER",
        backup_creation_date_time: epoch_seconds(rec.created_micros),
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct BackupDescription {
    backup_details: BackupDetails,
    source_table_details: Value,
    source_table_feature_details: Value,
}

/// Copy the members `names` of `from` into a new object.
fn pick(from: &Value, names: &[&str]) -> Map<String, Value> {
    names
        .iter()
        .filter_map(|n| from.get(*n).map(|v| (n.to_string(), v.clone())))
        .collect()
}

/// The table as the backup holds it: SourceTableDetails and
/// SourceTableFeatureDetails, taken from the table's description.
fn describe(
    state: &AppState,
    rec: &BackupRecord,
    status: &'static str,
) -> Result<BackupDescription, ApiError> {
    let stats = TableStats {
        item_count: rec.items,
        size_bytes: rec.size_bytes,
    };
    let table = serde_json::to_value(describe_table_def(state, &rec.table, stats, None))
        .map_err(|e| ApiError::internal(e.to_string()))?;
    let throughput = |v: Option<&Value>| -> Value {
        Value::Object(
            v.map(|t| pick(t, &["ReadCapacityUnits", "WriteCapacityUnits"]))
                .unwrap_or_default(),
        )
    };
    let mut source = pick(&table, &["TableName", "TableId", "KeySchema", "ItemCount"]);
    source.insert("TableArn".into(), rec.table_arn.clone().into());
    source.insert("TableSizeBytes".into(), rec.size_bytes.into());
    source.insert(
        "TableCreationDateTime".into(),
        epoch_seconds(rec.table.created_micros).into(),
    );
    source.insert(
        "ProvisionedThroughput".into(),
        throughput(table.get("ProvisionedThroughput")),
    );
    if let Some(mode) = table.pointer("/BillingModeSummary/BillingMode") {
        source.insert("BillingMode".into(), mode.clone());
    }
    let mut features = Map::new();
    if let Some(Value::Array(lsis)) = table.get("LocalSecondaryIndexes") {
        let list: Vec<Value> = lsis
            .iter()
            .map(|i| Value::Object(pick(i, &["IndexName", "KeySchema", "Projection"])))
            .collect();
        features.insert("LocalSecondaryIndexes".into(), list.into());
    }
    if let Some(Value::Array(gsis)) = table.get("GlobalSecondaryIndexes") {
        let list: Vec<Value> = gsis
            .iter()
            .map(|i| {
                let mut g = pick(i, &["IndexName", "KeySchema", "Projection"]);
                g.insert(
                    "ProvisionedThroughput".into(),
                    throughput(i.get("ProvisionedThroughput")),
                );
                Value::Object(g)
            })
            .collect();
        features.insert("GlobalSecondaryIndexes".into(), list.into());
    }
    if let Some(sse) = table.get("SSEDescription") {
        features.insert("SSEDescription".into(), sse.clone());
    }
    Ok(BackupDescription {
        backup_details: details(rec, status),
        source_table_details: Value::Object(source),
        source_table_feature_details: Value::Object(features),
    })
}

fn backup_not_found(arn: &str) -> ApiError {
    ApiError::new(
        ErrorCode::BackupNotFoundException,
        format!("Backup not found: {arn}"),
    )
}

fn backup_in_use(arn: &str, why: &str) -> ApiError {
    ApiError::new(
        ErrorCode::BackupInUseException,
        format!("Backup is being {why}: {arn}"),
    )
}

/// A BackupArn member: required, 37..=1024 characters.
fn check_backup_arn(v: Option<&str>, path: &str, required: bool, c: &mut Checks) {
    if required {
        c.not_null(v.as_ref(), path);
    }
    let Some(v) = v else { return };
    let len = v.chars().count();
    if len < 37 {
        c.fail(
            Some(v),
            path,
            "Member must have length greater than or equal to 37",
        );
    }
    if len > 1024 {
        c.fail(
            Some(v),
            path,
            "Member must have length less than or equal to 1024",
        );
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CreateInput {
    table_name: Option<String>,
    backup_name: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateOutput {
    backup_details: BackupDetails,
}

pub async fn create_backup(state: &AppState, body: &[u8]) -> Result<CreateOutput, ApiError> {
    let input: CreateInput = parse(body)?;
    let mut c = Checks::new();
    check_table_name_shape(input.table_name.as_deref(), &mut c);
    c.not_null(input.backup_name.as_ref(), "backupName");
    c.name(input.backup_name.as_deref(), "backupName");
    c.finish()?;
    let name = input.table_name.unwrap_or_default();
    let backup_name = input.backup_name.unwrap_or_default();
    let engine = state.engine.clone();
    let backups = state.jobs.backups.clone();
    // `arn:aws:dynamodb:<region>:<account>:table/` of the request; the
    // table's own name (it may be given as an ARN) is added below.
    let arn_prefix = state.table_arn("");
    let rec = blocking(move || {
        let table = backup_table(&engine, &name, table_in_use)?;
        let table_arn = format!("{arn_prefix}{}", table.def().name);
        Ok(backups.create(table, backup_name, table_arn)?)
    })
    .await?;
    Ok(CreateOutput {
        backup_details: details(&rec, status_name(rec.status)),
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ArnInput {
    backup_arn: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescriptionOutput {
    backup_description: BackupDescription,
}

fn parse_arn_input(body: &[u8]) -> Result<String, ApiError> {
    let input: ArnInput = parse(body)?;
    let mut c = Checks::new();
    check_backup_arn(input.backup_arn.as_deref(), "backupArn", true, &mut c);
    c.finish()?;
    Ok(input.backup_arn.unwrap_or_default())
}

pub async fn describe_backup(state: &AppState, body: &[u8]) -> Result<DescriptionOutput, ApiError> {
    let arn = parse_arn_input(body)?;
    let backups = state.jobs.backups.clone();
    let rec = blocking(move || backups.get(&arn)?.ok_or_else(|| backup_not_found(&arn))).await?;
    Ok(DescriptionOutput {
        backup_description: describe(state, &rec, status_name(rec.status))?,
    })
}

pub async fn delete_backup(state: &AppState, body: &[u8]) -> Result<DescriptionOutput, ApiError> {
    let arn = parse_arn_input(body)?;
    let jobs = state.jobs.clone();
    let rec = blocking(move || {
        let restoring = jobs.restores.reads_backup(&arn)?;
        jobs.backups.delete(&arn, restoring).map_err(|e| match e {
            BackupError::NotFound => backup_not_found(&arn),
            BackupError::InUse if restoring => backup_in_use(&arn, "restored"),
            BackupError::InUse => backup_in_use(&arn, "created"),
            BackupError::Storage(e) => e.into(),
        })
    })
    .await?;
    Ok(DescriptionOutput {
        backup_description: describe(state, &rec, "DELETED")?,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListInput {
    table_name: Option<String>,
    limit: Option<i64>,
    time_range_lower_bound: Option<f64>,
    time_range_upper_bound: Option<f64>,
    exclusive_start_backup_arn: Option<String>,
    backup_type: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct BackupSummary {
    table_name: String,
    table_id: String,
    table_arn: String,
    backup_arn: String,
    backup_name: String,
    backup_creation_date_time: f64,
    backup_status: &'static str,
    backup_type: &'static str,
    backup_size_bytes: u64,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListOutput {
    backup_summaries: Vec<BackupSummary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_evaluated_backup_arn: Option<String>,
}

pub async fn list_backups(state: &AppState, body: &[u8]) -> Result<ListOutput, ApiError> {
    let input: ListInput = parse(body)?;
    let mut c = Checks::new();
    if let Some(t) = input.table_name.as_deref() {
        check_table_name_shape(Some(t), &mut c);
    }
    c.at_least(input.limit, "limit", 1);
    c.at_most(input.limit, "limit", 100);
    check_backup_arn(
        input.exclusive_start_backup_arn.as_deref(),
        "exclusiveStartBackupArn",
        false,
        &mut c,
    );
    c.one_of(
        input.backup_type.as_deref(),
        "backupType",
        &["USER", "SYSTEM", "AWS_BACKUP", "ALL"],
    );
    c.finish()?;
    // Ferry makes USER backups only.
    let wanted = matches!(input.backup_type.as_deref(), None | Some("USER" | "ALL"));
    let lower = input.time_range_lower_bound.map(micros);
    let upper = input.time_range_upper_bound.map(micros);
    let limit = input.limit.map_or(usize::MAX, |l| l as usize);
    let backups = state.jobs.backups.clone();
    let all = blocking(move || Ok(backups.list()?)).await?;
    let table = input.table_name.as_deref();
    let mut matching = all.into_iter().filter(|r| {
        wanted
            && table.is_none_or(|t| t == r.table.name || t == r.table_arn)
            && lower.is_none_or(|l| r.created_micros >= l)
            && upper.is_none_or(|u| r.created_micros < u)
            && input
                .exclusive_start_backup_arn
                .as_deref()
                .is_none_or(|after| r.arn.as_str() > after)
    });
    let page: Vec<BackupRecord> = matching.by_ref().take(limit).collect();
    let more = matching.next().is_some();
    Ok(ListOutput {
        last_evaluated_backup_arn: more.then(|| page.last().map(|r| r.arn.clone())).flatten(),
        backup_summaries: page
            .into_iter()
            .map(|r| BackupSummary {
                table_name: r.table.name.clone(),
                table_id: r.table.id.clone(),
                backup_arn: r.arn.clone(),
                backup_name: r.name.clone(),
                backup_creation_date_time: epoch_seconds(r.created_micros),
                backup_status: status_name(r.status),
                backup_type: "USER",
                backup_size_bytes: r.size_bytes,
                table_arn: r.table_arn,
            })
            .collect(),
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RestoreInput {
    target_table_name: Option<String>,
    backup_arn: Option<String>,
    #[serde(flatten)]
    overrides: Overrides,
}

pub async fn restore_table_from_backup(
    state: &AppState,
    body: &[u8],
) -> Result<RestoreOutput, ApiError> {
    let input: RestoreInput = parse(body)?;
    let mut c = Checks::new();
    c.not_null(input.target_table_name.as_ref(), "targetTableName");
    c.name(input.target_table_name.as_deref(), "targetTableName");
    check_backup_arn(input.backup_arn.as_deref(), "backupArn", true, &mut c);
    check_overrides(&input.overrides, &mut c);
    c.finish()?;
    let arn = input.backup_arn.clone().unwrap_or_default();
    let engine = state.engine.clone();
    let jobs = state.jobs.clone();
    let (target_def, rec) = blocking(move || {
        let rec = jobs
            .backups
            .get(&arn)?
            .ok_or_else(|| backup_not_found(&arn))?;
        if rec.status == BackupStatus::Creating {
            return Err(backup_in_use(&arn, "created"));
        }
        let target_name = input.target_table_name.clone().unwrap_or_default();
        let now = engine.clock().now();
        let target = create_target(&engine, &target_name, &rec.table, &input.overrides, now)?;
        jobs.restores.start_from_backup(&rec, &target)?;
        Ok((target.def(), rec))
    })
    .await?;
    restore_output(
        state,
        &target_def,
        serde_json::json!({
            "SourceBackupArn": rec.arn,
            "SourceTableArn": rec.table_arn,
            "RestoreDateTime": epoch_seconds(rec.created_micros),
            "RestoreInProgress": true,
        }),
    )
}
