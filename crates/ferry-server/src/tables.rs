//! The control plane: CreateTable, DescribeTable, ListTables, DeleteTable,
//! UpdateTable.
//!
//! Tables are created ACTIVE at once (like DynamoDB Local; real DynamoDB
//! answers CREATING and turns ACTIVE seconds later), and a GSI added by
//! UpdateTable is backfilled before the answer, which shows it ACTIVE.

use ferry_model::{
    BillingMode, IndexDef, IndexKind, TableClass, TableDef, TableSettings, TableStatus, Throughput,
};
use ferry_storage::TableStats;

use crate::describe::{
    attribute_definitions, definitions_of, definitions_wire, describe_table as describe_live,
    describe_table_def, on_demand_of, sse_of, tags_of, throughput_of,
};
use crate::errors::{ApiError, ErrorCode};
use crate::state::{AppState, blocking};
use crate::validation::{
    Checks, INVALID, IndexRequest, check_definitions_used, check_key_schema_shape,
    check_no_redefinition, check_unique_definitions, check_unique_index_names, control_table_name,
    create_table_name, resolve_index, resolve_key_schema,
};
use crate::wire::parse;
use crate::wire::tables::{
    AttributeDefinitionW, CreateTableInput, DeleteTableOutput, DescribeTableOutput,
    GlobalSecondaryIndexW, ListTablesInput, ListTablesOutput, ProjectionW, TableDescriptionOutput,
    TableNameInput, ThroughputW, UpdateTableInput,
};

const MAX_CAPACITY: i64 = 1_000_000_000_000;

fn check_definitions_shape(defs: Option<&Vec<AttributeDefinitionW>>, checks: &mut Checks) {
    let Some(defs) = defs else { return };
    for (i, d) in defs.iter().enumerate() {
        let p = format!("attributeDefinitions.{}.member", i + 1);
        checks.not_null(d.attribute_name.as_ref(), &format!("{p}.attributeName"));
        checks.key_attribute_name(d.attribute_name.as_deref(), &format!("{p}.attributeName"));
        checks.not_null(d.attribute_type.as_ref(), &format!("{p}.attributeType"));
        checks.one_of(
            d.attribute_type.as_deref(),
            &format!("{p}.attributeType"),
            &["B", "N", "S"],
        );
    }
}

fn check_throughput_shape(t: Option<&ThroughputW>, path: &str, checks: &mut Checks) {
    let Some(t) = t else { return };
    checks.not_null(
        t.write_capacity_units.as_ref(),
        &format!("{path}.writeCapacityUnits"),
    );
    checks.at_least(
        t.write_capacity_units,
        &format!("{path}.writeCapacityUnits"),
        1,
    );
    checks.not_null(
        t.read_capacity_units.as_ref(),
        &format!("{path}.readCapacityUnits"),
    );
    checks.at_least(
        t.read_capacity_units,
        &format!("{path}.readCapacityUnits"),
        1,
    );
}

fn check_projection_shape(p: Option<&ProjectionW>, path: &str, checks: &mut Checks) {
    let Some(p) = p else {
        checks.not_null(None::<&()>, path);
        return;
    };
    checks.one_of(
        p.projection_type.as_deref(),
        &format!("{path}.projectionType"),
        &["ALL", "INCLUDE", "KEYS_ONLY"],
    );
    if let Some(nk) = &p.non_key_attributes
        && nk.is_empty()
    {
        checks.fail(
            Some("[]"),
            &format!("{path}.nonKeyAttributes"),
            "Member must have length greater than or equal to 1",
        );
    }
}

fn check_gsi_shape(g: &GlobalSecondaryIndexW, path: &str, checks: &mut Checks) {
    checks.not_null(g.index_name.as_ref(), &format!("{path}.indexName"));
    checks.name(g.index_name.as_deref(), &format!("{path}.indexName"));
    check_key_schema_shape(g.key_schema.as_ref(), &format!("{path}.keySchema"), checks);
    check_projection_shape(g.projection.as_ref(), &format!("{path}.projection"), checks);
    check_throughput_shape(
        g.provisioned_throughput.as_ref(),
        &format!("{path}.provisionedThroughput"),
        checks,
    );
}

fn check_capacity_bounds(t: &ThroughputW, suffix: &str) -> Result<(), ApiError> {
    for (v, name) in [
        (t.read_capacity_units, "ReadCapacityUnits"),
        (t.write_capacity_units, "WriteCapacityUnits"),
    ] {
        if let Some(v) = v
            && v > MAX_CAPACITY
        {
            return Err(ApiError::validation(format!(
                "Given value {v} for {name} is out of bounds{suffix}"
            )));
        }
    }
    Ok(())
}

pub async fn create_table(
    state: &AppState,
    body: &[u8],
) -> Result<TableDescriptionOutput, ApiError> {
    let input: CreateTableInput = parse(body)?;
    let mut checks = Checks::new();
    let name = create_table_name(input.table_name.as_deref(), &mut checks)?;
    checks.not_null(input.attribute_definitions.as_ref(), "attributeDefinitions");
    check_definitions_shape(input.attribute_definitions.as_ref(), &mut checks);
    check_key_schema_shape(input.key_schema.as_ref(), "keySchema", &mut checks);
    checks.one_of(
        input.billing_mode.as_deref(),
        "billingMode",
        BillingMode::NAMES,
    );
    check_throughput_shape(
        input.provisioned_throughput.as_ref(),
        "provisionedThroughput",
        &mut checks,
    );
    checks.one_of(
        input.table_class.as_deref(),
        "tableClass",
        TableClass::NAMES,
    );
    for (i, l) in input.local_secondary_indexes.iter().flatten().enumerate() {
        let path = format!("localSecondaryIndexes.{}.member", i + 1);
        checks.not_null(l.index_name.as_ref(), &format!("{path}.indexName"));
        checks.name(l.index_name.as_deref(), &format!("{path}.indexName"));
        check_key_schema_shape(
            l.key_schema.as_ref(),
            &format!("{path}.keySchema"),
            &mut checks,
        );
        check_projection_shape(
            l.projection.as_ref(),
            &format!("{path}.projection"),
            &mut checks,
        );
    }
    for (i, g) in input.global_secondary_indexes.iter().flatten().enumerate() {
        check_gsi_shape(
            g,
            &format!("globalSecondaryIndexes.{}.member", i + 1),
            &mut checks,
        );
    }
    crate::streams::spec::check_shape(input.stream_specification.as_ref(), &mut checks);
    checks.finish()?;
    // Shapes are checked: the unwraps below are on checked-present fields.
    let defs = input.attribute_definitions.clone().unwrap_or_default();
    check_unique_definitions(&defs)?;
    let key_schema = input.key_schema.clone().unwrap_or_default();

    let ppr = input.billing_mode.as_deref() == Some("PAY_PER_REQUEST");
    if ppr {
        if input.provisioned_throughput.is_some() {
            return Err(ApiError::validation(format!(
                "{INVALID}Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST"
            )));
        }
    } else {
        match &input.provisioned_throughput {
            None => {
                return Err(ApiError::validation(format!(
                    "{INVALID}ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED"
                )));
            }
            Some(t) => check_capacity_bounds(t, "")?,
        }
    }
    if key_schema.len() > defs.len() {
        return Err(ApiError::validation(
            "Invalid KeySchema: Some index key attribute have no definition",
        ));
    }
    let table_key = resolve_key_schema(&key_schema, &defs)?;

    let mut indexes: Vec<IndexDef> = Vec::new();
    if let Some(lsis) = &input.local_secondary_indexes {
        if lsis.is_empty() {
            return Err(ApiError::validation(format!(
                "{INVALID}List of LocalSecondaryIndexes is empty"
            )));
        }
        if table_key.range.is_none() {
            return Err(ApiError::validation(format!(
                "{INVALID}Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex"
            )));
        }
        for l in lsis {
            let req = IndexRequest {
                name: l.index_name.as_deref().unwrap_or_default(),
                key_schema: l.key_schema.as_deref().unwrap_or_default(),
                projection: l
                    .projection
                    .as_ref()
                    .ok_or_else(|| ApiError::validation("missing projection"))?,
            };
            indexes.push(resolve_index(IndexKind::Local, &req, &table_key, &defs)?);
        }
        if lsis.len() > 5 {
            return Err(ApiError::validation(format!(
                "{INVALID}Number of LocalSecondaryIndexes exceeds per-table limit of 5"
            )));
        }
    }
    let mut index_throughput = std::collections::BTreeMap::new();
    if let Some(gsis) = &input.global_secondary_indexes {
        if gsis.is_empty() {
            return Err(ApiError::validation(format!(
                "{INVALID}List of GlobalSecondaryIndexes is empty"
            )));
        }
        for g in gsis {
            let name = g.index_name.as_deref().unwrap_or_default();
            let req = IndexRequest {
                name,
                key_schema: g.key_schema.as_deref().unwrap_or_default(),
                projection: g
                    .projection
                    .as_ref()
                    .ok_or_else(|| ApiError::validation("missing projection"))?,
            };
            indexes.push(resolve_index(IndexKind::Global, &req, &table_key, &defs)?);
            match (&g.provisioned_throughput, ppr) {
                (Some(_), true) => {
                    return Err(ApiError::validation(format!(
                        "{INVALID}ProvisionedThroughput should not be specified for index: {name} when BillingMode is PAY_PER_REQUEST"
                    )));
                }
                (None, false) => {
                    return Err(ApiError::validation(format!(
                        "{INVALID}ProvisionedThroughput must be specified for index: {name}"
                    )));
                }
                (Some(t), false) => {
                    check_capacity_bounds(t, &format!(" for index {name}"))?;
                    index_throughput.insert(name.to_string(), throughput_of(Some(t)));
                }
                (None, true) => {}
            }
        }
        if gsis.len() > 20 {
            return Err(ApiError::validation(format!(
                "{INVALID}GlobalSecondaryIndex count exceeds the per-table limit of 20"
            )));
        }
    }
    check_unique_index_names(indexes.iter().map(|i| i.name.as_str()))?;
    check_definitions_used(&defs, &table_key, &indexes)?;
    if let Some(tags) = &input.tags {
        crate::tags::check_tags(tags)?;
    }

    let now = state.engine.clock().now();
    // The names were checked against these enums' names above.
    let settings = TableSettings {
        attribute_definitions: definitions_of(&defs),
        billing_mode: input.billing_mode.as_deref().and_then(BillingMode::parse),
        throughput: throughput_of(input.provisioned_throughput.as_ref()),
        pay_per_request_since_micros: ppr.then_some(now),
        index_throughput,
        streams: crate::streams::spec::on_create(input.stream_specification.as_ref(), now)?,
        sse: input.sse_specification.as_ref().map(sse_of),
        tags: tags_of(input.tags.as_deref().unwrap_or_default()),
        table_class: input.table_class.as_deref().and_then(TableClass::parse),
        deletion_protection: input.deletion_protection_enabled.unwrap_or(false),
        on_demand_throughput: input.on_demand_throughput.as_ref().map(on_demand_of),
        ttl_attribute: None,
    };
    let def = TableDef {
        name: name.clone(),
        id: uuid::Uuid::new_v4().to_string(),
        key: table_key,
        indexes,
        created_micros: now,
        status: TableStatus::Active,
        pitr: None,
        settings,
    };
    let engine = state.engine.clone();
    let created = blocking(move || {
        let table = engine.create_table(def)?;
        crate::streams::spec::keep_versions(&table)?;
        Ok(table.def())
    })
    .await?;
    tracing::info!(table = %name, "table created");
    Ok(TableDescriptionOutput {
        table_description: describe_table_def(state, &created, TableStats::default(), None),
    })
}

pub async fn describe_table(
    state: &AppState,
    body: &[u8],
) -> Result<DescribeTableOutput, ApiError> {
    let input: TableNameInput = parse(body)?;
    let mut checks = Checks::new();
    let name = control_table_name(input.table_name.as_deref(), &mut checks)?;
    checks.finish()?;
    let table = state
        .engine
        .table(&name)
        .ok_or_else(|| ApiError::table_not_found(&name))?;
    Ok(DescribeTableOutput {
        table: describe_live(state, &table, None),
    })
}

pub async fn list_tables(state: &AppState, body: &[u8]) -> Result<ListTablesOutput, ApiError> {
    let input: ListTablesInput = parse(body)?;
    let mut checks = Checks::new();
    checks.name(
        input.exclusive_start_table_name.as_deref(),
        "exclusiveStartTableName",
    );
    checks.at_least(input.limit, "limit", 1);
    checks.at_most(input.limit, "limit", 100);
    checks.finish()?;
    let limit = input.limit.unwrap_or(100) as usize;
    let engine = state.engine.clone();
    let names: Vec<String> =
        blocking(move || Ok(engine.tables().iter().map(|t| t.def().name).collect())).await?;
    let start = input.exclusive_start_table_name.as_deref();
    let mut rest = names
        .into_iter()
        .filter(|n| start.is_none_or(|s| n.as_str() > s))
        .peekable();
    let page: Vec<String> = rest.by_ref().take(limit).collect();
    let more = rest.peek().is_some();
    Ok(ListTablesOutput {
        last_evaluated_table_name: if more { page.last().cloned() } else { None },
        table_names: page,
    })
}

pub async fn delete_table(state: &AppState, body: &[u8]) -> Result<DeleteTableOutput, ApiError> {
    let input: TableNameInput = parse(body)?;
    let mut checks = Checks::new();
    let name = control_table_name(input.table_name.as_deref(), &mut checks)?;
    checks.finish()?;
    let engine = state.engine.clone();
    let n = name.clone();
    let found = blocking(move || Ok(engine.table(&n).map(|t| (t.def(), t.stats())))).await?;
    let (def, stats) = found.ok_or_else(|| ApiError::table_not_found(&name))?;
    match def.status {
        TableStatus::Creating => {
            return Err(ApiError::new(
                ErrorCode::ResourceInUseException,
                format!(
                    "Attempt to change a resource which is still in use: Table is being created: {name}"
                ),
            ));
        }
        TableStatus::Deleting => return Err(ApiError::table_not_found(&name)),
        TableStatus::Active | TableStatus::Updating => {}
    }
    if def.settings.deletion_protection {
        return Err(ApiError::validation(
            "Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first.",
        ));
    }
    let description = describe_table_def(state, &def, stats, Some(TableStatus::Deleting));
    let engine = state.engine.clone();
    let n = name.clone();
    blocking(move || {
        if let Some(t) = engine.table(&n) {
            crate::streams::spec::end_on_delete(&t, engine.clock().now())?;
        }
        match engine.delete_table(&n) {
            Ok(_) => Ok(()),
            Err(ferry_storage::StorageError::TableNotFound(_)) => {
                Err(ApiError::table_not_found(&n))
            }
            Err(e) => Err(e.into()),
        }
    })
    .await?;
    tracing::info!(table = %name, "table deleted");
    Ok(DeleteTableOutput {
        table_description: description.into(),
    })
}

/// The table's attribute definitions plus any new ones the request gives.
fn merged_definitions(
    def: &TableDef,
    given: Option<&Vec<AttributeDefinitionW>>,
) -> Vec<AttributeDefinitionW> {
    let mut out = definitions_wire(&attribute_definitions(def));
    for d in given.into_iter().flatten() {
        match out
            .iter_mut()
            .find(|o| o.attribute_name == d.attribute_name)
        {
            Some(o) => o.attribute_type = d.attribute_type.clone(),
            None => out.push(d.clone()),
        }
    }
    out
}

/// Keep only the definitions some key of `def` uses.
fn used_definitions(defs: Vec<AttributeDefinitionW>, def: &TableDef) -> Vec<AttributeDefinitionW> {
    let used: Vec<&str> = std::iter::once(&def.key)
        .chain(def.indexes.iter().map(|i| &i.key))
        .flat_map(|k| {
            std::iter::once(k.hash.name.as_str()).chain(k.range.as_ref().map(|r| r.name.as_str()))
        })
        .collect();
    defs.into_iter()
        .filter(|d| {
            d.attribute_name
                .as_deref()
                .is_some_and(|n| used.contains(&n))
        })
        .collect()
}

/// What an UpdateTable asks for, once validated.
enum IndexChange {
    Create(IndexDef, Option<Throughput>),
    Delete(String),
    Update(String, Throughput),
}

/// DynamoDB creates or deletes one index at a time per table: a call with
/// two such changes, or one while another index is being created, is
/// refused (deleting the index being created, which cancels it, is not).
fn check_online_index_limit(online: &[IndexChange], creating: &[String]) -> Result<(), ApiError> {
    let cancels = |c: &IndexChange| matches!(c, IndexChange::Delete(n) if creating.contains(n));
    if online.len() > 1 || online.iter().any(|c| !creating.is_empty() && !cancels(c)) {
        return Err(ApiError::new(
            ErrorCode::LimitExceededException,
            "Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table",
        ));
    }
    Ok(())
}

pub async fn update_table(
    state: &AppState,
    body: &[u8],
) -> Result<TableDescriptionOutput, ApiError> {
    let input: UpdateTableInput = parse(body)?;
    let mut checks = Checks::new();
    let name = control_table_name(input.table_name.as_deref(), &mut checks)?;
    check_definitions_shape(input.attribute_definitions.as_ref(), &mut checks);
    checks.one_of(
        input.billing_mode.as_deref(),
        "billingMode",
        BillingMode::NAMES,
    );
    check_throughput_shape(
        input.provisioned_throughput.as_ref(),
        "provisionedThroughput",
        &mut checks,
    );
    checks.one_of(
        input.table_class.as_deref(),
        "tableClass",
        TableClass::NAMES,
    );
    for (i, u) in input
        .global_secondary_index_updates
        .iter()
        .flatten()
        .enumerate()
    {
        let path = format!("globalSecondaryIndexUpdates.{}.member", i + 1);
        if let Some(c) = &u.create {
            check_gsi_shape(c, &format!("{path}.create"), &mut checks);
        }
        if let Some(d) = &u.delete {
            checks.not_null(d.index_name.as_ref(), &format!("{path}.delete.indexName"));
            checks.name(d.index_name.as_deref(), &format!("{path}.delete.indexName"));
        }
        if let Some(up) = &u.update {
            checks.not_null(up.index_name.as_ref(), &format!("{path}.update.indexName"));
            checks.name(
                up.index_name.as_deref(),
                &format!("{path}.update.indexName"),
            );
            checks.not_null(
                up.provisioned_throughput.as_ref(),
                &format!("{path}.update.provisionedThroughput"),
            );
            check_throughput_shape(
                up.provisioned_throughput.as_ref(),
                &format!("{path}.update.provisionedThroughput"),
                &mut checks,
            );
        }
    }
    crate::streams::spec::check_shape(input.stream_specification.as_ref(), &mut checks);
    checks.finish()?;
    check_unique_definitions(input.attribute_definitions.as_deref().unwrap_or_default())?;

    let gsi_updates = input
        .global_secondary_index_updates
        .as_deref()
        .unwrap_or_default();
    if input.provisioned_throughput.is_none()
        && input.billing_mode.is_none()
        && input.stream_specification.is_none()
        && gsi_updates.is_empty()
        && input.sse_specification.is_none()
        && input.replica_updates.is_none()
        && input.table_class.is_none()
        && input.deletion_protection_enabled.is_none()
        && input.on_demand_throughput.is_none()
    {
        return Err(ApiError::validation(
            "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates or SSESpecification or ReplicaUpdates is required",
        ));
    }
    if let Some(t) = &input.provisioned_throughput {
        check_capacity_bounds(t, "")?;
    }

    let engine = state.engine.clone();
    let n = name.clone();
    let table = blocking(move || Ok(engine.table(&n)))
        .await?
        .ok_or_else(|| ApiError::table_not_found(&name))?;
    let def = table.def();
    if def.status != TableStatus::Active {
        return Err(ApiError::new(
            ErrorCode::ResourceInUseException,
            format!(
                "Attempt to change a resource which is still in use: Table is being updated: {name}"
            ),
        ));
    }
    let mut settings = def.settings.clone();
    let was_ppr = settings.is_pay_per_request();
    let ppr = match input.billing_mode.as_deref() {
        Some(m) => m == "PAY_PER_REQUEST",
        None => was_ppr,
    };
    let now = state.engine.clock().now();
    if ppr {
        if input.provisioned_throughput.is_some() {
            return Err(ApiError::validation(format!(
                "{INVALID}Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST"
            )));
        }
        if !was_ppr {
            settings.pay_per_request_since_micros = Some(now);
        }
    } else if was_ppr && input.provisioned_throughput.is_none() {
        return Err(ApiError::validation(format!(
            "{INVALID}ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED"
        )));
    }
    if let Some(m) = input.billing_mode.as_deref().and_then(BillingMode::parse) {
        settings.billing_mode = Some(m);
    }
    if let Some(t) = &input.provisioned_throughput {
        let cur = &settings.throughput;
        let (r, w) = (
            t.read_capacity_units.unwrap_or(0),
            t.write_capacity_units.unwrap_or(0),
        );
        let only_change = input.billing_mode.is_none() && gsi_updates.is_empty();
        if !was_ppr && only_change && r == cur.read_capacity_units && w == cur.write_capacity_units
        {
            return Err(ApiError::validation(format!(
                "The provisioned throughput for the table will not change. The requested value equals the current value. Current ReadCapacityUnits provisioned for the table: {}. Requested ReadCapacityUnits: {r}. Current WriteCapacityUnits provisioned for the table: {}. Requested WriteCapacityUnits: {w}. Refer to the Amazon DynamoDB Developer Guide for current limits and how to request higher limits.",
                cur.read_capacity_units, cur.write_capacity_units
            )));
        }
        let mut next = cur.clone();
        if r > cur.read_capacity_units || w > cur.write_capacity_units {
            next.last_increase_micros = Some(now);
        }
        if r < cur.read_capacity_units || w < cur.write_capacity_units {
            next.last_decrease_micros = Some(now);
            next.decreases_today += 1;
        }
        next.read_capacity_units = r;
        next.write_capacity_units = w;
        settings.throughput = next;
    }

    let new_keys: Vec<&[_]> = gsi_updates
        .iter()
        .filter_map(|u| u.create.as_ref())
        .map(|c| c.key_schema.as_deref().unwrap_or_default())
        .collect();
    check_no_redefinition(
        std::iter::once(&def.key).chain(def.indexes.iter().map(|i| &i.key)),
        input.attribute_definitions.as_deref().unwrap_or_default(),
        &new_keys,
    )?;
    let defs = merged_definitions(&def, input.attribute_definitions.as_ref());
    let mut changes = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut gsi_count = def
        .indexes
        .iter()
        .filter(|i| i.kind == IndexKind::Global)
        .count();
    for u in gsi_updates {
        let (index_name, change) = match (&u.create, &u.delete, &u.update) {
            (Some(c), None, None) => {
                let index_name = c.index_name.clone().unwrap_or_default();
                if def.indexes.iter().any(|i| i.name == index_name) {
                    return Err(ApiError::validation(format!(
                        "{INVALID}Index already exists: {index_name}"
                    )));
                }
                let req = IndexRequest {
                    name: &index_name,
                    key_schema: c.key_schema.as_deref().unwrap_or_default(),
                    projection: c
                        .projection
                        .as_ref()
                        .ok_or_else(|| ApiError::validation("missing projection"))?,
                };
                let index = resolve_index(IndexKind::Global, &req, &def.key, &defs)?;
                let throughput = match (&c.provisioned_throughput, ppr) {
                    (Some(_), true) => {
                        return Err(ApiError::validation(format!(
                            "{INVALID}ProvisionedThroughput should not be specified for index: {index_name} when BillingMode is PAY_PER_REQUEST"
                        )));
                    }
                    (None, false) => {
                        return Err(ApiError::validation(format!(
                            "{INVALID}ProvisionedThroughput must be specified for index: {index_name}"
                        )));
                    }
                    (Some(t), false) => {
                        check_capacity_bounds(t, &format!(" for index {index_name}"))?;
                        Some(throughput_of(Some(t)))
                    }
                    (None, true) => None,
                };
                gsi_count += 1;
                if gsi_count > 20 {
                    return Err(ApiError::validation(format!(
                        "{INVALID}GlobalSecondaryIndex count exceeds the per-table limit of 20"
                    )));
                }
                (index_name, IndexChange::Create(index, throughput))
            }
            (None, Some(d), None) => {
                let index_name = d.index_name.clone().unwrap_or_default();
                if !def
                    .indexes
                    .iter()
                    .any(|i| i.name == index_name && i.kind == IndexKind::Global)
                {
                    return Err(ApiError::new(
                        ErrorCode::ResourceNotFoundException,
                        format!("Requested resource not found: Index: {index_name} not found"),
                    ));
                }
                (index_name.clone(), IndexChange::Delete(index_name))
            }
            (None, None, Some(up)) => {
                let index_name = up.index_name.clone().unwrap_or_default();
                if !def
                    .indexes
                    .iter()
                    .any(|i| i.name == index_name && i.kind == IndexKind::Global)
                {
                    return Err(ApiError::new(
                        ErrorCode::ResourceNotFoundException,
                        format!("Requested resource not found: Index: {index_name} not found"),
                    ));
                }
                let t = up.provisioned_throughput.unwrap_or_default();
                check_capacity_bounds(&t, &format!(" for index {index_name}"))?;
                (
                    index_name.clone(),
                    IndexChange::Update(index_name, throughput_of(Some(&t))),
                )
            }
            _ => {
                return Err(ApiError::validation(format!(
                    "{INVALID}One of GlobalSecondaryIndexUpdate.Update, GlobalSecondaryIndexUpdate.Create, GlobalSecondaryIndexUpdate.Delete must not be null"
                )));
            }
        };
        if !seen.insert(index_name.clone()) {
            return Err(ApiError::validation(format!(
                "{INVALID}Only one global secondary index update per index is allowed simultaneously. Index: {index_name}"
            )));
        }
        changes.push(change);
    }

    if let Some(s) = &input.stream_specification {
        crate::streams::spec::on_update(&name, &mut settings.streams, s, now)?;
    }
    if let Some(s) = &input.sse_specification {
        settings.sse = Some(sse_of(s));
    }
    if let Some(c) = input.table_class.as_deref().and_then(TableClass::parse) {
        settings.table_class = Some(c);
    }
    if let Some(d) = input.deletion_protection_enabled {
        settings.deletion_protection = d;
    }
    if let Some(o) = &input.on_demand_throughput {
        settings.on_demand_throughput = Some(on_demand_of(o));
    }
    for c in &changes {
        match c {
            IndexChange::Create(index, t) => {
                if let Some(t) = t {
                    settings
                        .index_throughput
                        .insert(index.name.clone(), t.clone());
                }
            }
            IndexChange::Delete(n) => {
                settings.index_throughput.remove(n);
            }
            IndexChange::Update(n, t) => {
                settings.index_throughput.insert(n.clone(), t.clone());
            }
        }
    }
    let online: Vec<IndexChange> = changes
        .into_iter()
        .filter(|c| !matches!(c, IndexChange::Update(..)))
        .collect();
    check_online_index_limit(&online, &table.backfilling())?;
    let t = table.clone();
    let streams_changed = input.stream_specification.is_some();
    blocking(move || {
        if streams_changed {
            crate::streams::spec::keep_versions_for(&t, &settings.streams)?;
        }
        let mut redefine = |d: &mut TableDef| {
            let mut e = settings.clone();
            // Tags and TTL are TagResource's and UpdateTimeToLive's: keep
            // what the table has now.
            e.tags = std::mem::take(&mut d.settings.tags);
            e.ttl_attribute = d.settings.ttl_attribute.take();
            e.attribute_definitions = definitions_of(&used_definitions(defs.clone(), d));
            d.settings = e;
        };
        // One commit: the index change (at most one) with the rest.
        match online.into_iter().next() {
            Some(IndexChange::Create(index, _)) => t.add_index(index, &mut redefine)?,
            Some(IndexChange::Delete(n)) => t.drop_index(&n, &mut redefine)?,
            Some(IndexChange::Update(..)) | None => {
                t.update_def(&mut redefine)?;
            }
        }
        Ok(())
    })
    .await?;
    Ok(TableDescriptionOutput {
        table_description: describe_live(state, &table, None),
    })
}
