//! The table a restore creates (RestoreTableToPointInTime and
//! RestoreTableFromBackup): the overrides AWS allows (indexes that match the
//! source's, billing mode, throughput, SSE), checked and applied to the
//! source's definition; the target is created CREATING and the restore job
//! fills it.

use std::sync::Arc;

use ferry_model::{
    BillingMode, IndexDef, IndexKind, TableDef, TableSettings, TableStatus, Throughput,
};
use ferry_storage::{Engine, Table, TableStats};
use serde::{Deserialize, Serialize};

use crate::describe::{
    definitions_wire, derived_definitions, describe_table_def, on_demand_of, sse_of, throughput_of,
};
use crate::errors::{ApiError, ErrorCode};
use crate::state::AppState;
use crate::validation::{Checks, IndexRequest, check_key_schema_shape, resolve_index};
use crate::wire::tables::{
    GlobalSecondaryIndexW, LocalSecondaryIndexW, SseSpecificationW, ThroughputW,
};

/// The override members both restore requests share.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct Overrides {
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

/// The shape checks of the overrides (with the request's other members).
pub(super) fn check_overrides(input: &Overrides, c: &mut Checks) {
    c.one_of(
        input.billing_mode_override.as_deref(),
        "billingModeOverride",
        BillingMode::NAMES,
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
        check_key_schema_shape(g.key_schema.as_ref(), &format!("{p}.keySchema"), c);
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
        check_key_schema_shape(l.key_schema.as_ref(), &format!("{p}.keySchema"), c);
        c.not_null(l.projection.as_ref(), &format!("{p}.projection"));
    }
}

/// The indexes of the restored table: the source's, or the overrides, each
/// of which must match a source index by key schema and projection (AWS
/// allows a rename but no new index).
fn restored_indexes(input: &Overrides, source: &TableDef) -> Result<Vec<IndexDef>, ApiError> {
    let defs = definitions_wire(&derived_definitions(source));
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

/// The described settings of the restored table.
fn restored_settings(
    input: &Overrides,
    source: &TableDef,
    indexes: &[IndexDef],
    now: i64,
) -> Result<TableSettings, ApiError> {
    let src = &source.settings;
    // The override's name was checked by `check_overrides`.
    let mode = match input.billing_mode_override.as_deref() {
        Some(m) => BillingMode::parse(m),
        None => src.billing_mode,
    };
    let provisioned = mode != Some(BillingMode::PayPerRequest);
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
        (Some(t), _) => throughput_of(Some(t)),
        (None, true) => Throughput::new(
            src.throughput.read_capacity_units,
            src.throughput.write_capacity_units,
        ),
        (None, false) => Throughput::default(),
    };
    let mut index_throughput = std::collections::BTreeMap::new();
    for i in indexes.iter().filter(|i| i.kind == IndexKind::Global) {
        let given = input
            .global_secondary_index_override
            .iter()
            .flatten()
            .find(|g| g.index_name.as_deref() == Some(i.name.as_str()))
            .and_then(|g| g.provisioned_throughput.as_ref())
            .map(|t| throughput_of(Some(t)));
        let kept = src
            .index_throughput
            .get(&i.name)
            .map(|t| Throughput::new(t.read_capacity_units, t.write_capacity_units));
        if provisioned && let Some(t) = given.or(kept) {
            index_throughput.insert(i.name.clone(), t);
        }
    }
    Ok(TableSettings {
        billing_mode: mode,
        throughput,
        pay_per_request_since_micros: (!provisioned).then_some(now),
        index_throughput,
        sse: input
            .sse_specification_override
            .as_ref()
            .map(sse_of)
            .or_else(|| src.sse.clone()),
        on_demand_throughput: input
            .on_demand_throughput_override
            .as_ref()
            .map(on_demand_of)
            .or_else(|| src.on_demand_throughput.clone()),
        ..TableSettings::default()
    })
}

/// Create the restore's target table `target_name` (CREATING) from the
/// source's definition and the overrides; an existing target is
/// TableAlreadyExistsException, or TableInUseException while it is CREATING.
pub(super) fn create_target(
    engine: &Engine,
    target_name: &str,
    src: &TableDef,
    overrides: &Overrides,
    now: i64,
) -> Result<Arc<Table>, ApiError> {
    let exists = || {
        ApiError::new(
            ErrorCode::TableAlreadyExistsException,
            format!("Table already exists: {target_name}"),
        )
    };
    match engine.table(target_name) {
        // AWS: "A target table with the specified name is either being
        // created or deleted" is TableInUseException.
        Some(t) if t.def().status == TableStatus::Creating => {
            return Err(super::table_in_use(target_name));
        }
        Some(_) => return Err(exists()),
        None => {}
    }
    let indexes = restored_indexes(overrides, src)?;
    let settings = restored_settings(overrides, src, &indexes, now)?;
    let def = TableDef {
        name: target_name.to_string(),
        id: uuid::Uuid::new_v4().to_string(),
        key: src.key.clone(),
        indexes,
        created_micros: now,
        status: TableStatus::Creating,
        pitr: None,
        settings,
    };
    engine.create_table(def).map_err(|e| match e {
        ferry_storage::StorageError::TableExists(_) => exists(),
        other => other.into(),
    })
}

/// The answer of a restore: the target's description (CREATING) with the
/// `RestoreSummary` given.
pub(super) fn restore_output(
    state: &AppState,
    target: &TableDef,
    summary: serde_json::Value,
) -> Result<RestoreOutput, ApiError> {
    let mut description = describe_table_def(
        state,
        target,
        TableStats::default(),
        Some(TableStatus::Creating),
    );
    description.table_status = "CREATING".into();
    let mut value =
        serde_json::to_value(&description).map_err(|e| ApiError::internal(e.to_string()))?;
    if let Some(obj) = value.as_object_mut() {
        obj.insert("RestoreSummary".into(), summary);
    }
    Ok(RestoreOutput {
        table_description: value,
    })
}
