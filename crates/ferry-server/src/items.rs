//! Single-item operations: PutItem, GetItem, DeleteItem, UpdateItem.
//!
//! Each one validates its parameters and compiles its expressions on the
//! reactor, then does the read-modify-write in one blocking task through
//! `Table::write`, so the condition is checked against exactly the version
//! that is replaced.

use std::collections::HashMap;

use ferry_expr::{Condition, Projection, Update};
use ferry_model::{IndexKind, Item, PrimaryKey, TableDef, item_size};
use ferry_storage::{Write, WriteError};

use crate::capacity::{CAPACITY_VALUES, CapacityMode, Usage, read_units, write_usage};
use crate::errors::ApiError;
use crate::keys;
use crate::legacy;
use crate::params::{ExprInputs, placeholders};
use crate::state::{AppState, active_table, blocking};
use crate::validation::Checks;
use crate::wire::items::{
    DeleteItemInput, GetItemInput, GetItemOutput, ItemCollectionMetrics, PutItemInput,
    UpdateItemInput, WriteItemOutput,
};
use crate::wire::legacy::ExpectedMapW;
use crate::wire::parse;
use crate::wire::value::{WireItem, WireValues, item_to_json};

const RETURN_VALUES: &[&str] = &["NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"];
const ON_FAILURE: &[&str] = &["ALL_OLD", "NONE"];
const METRICS: &[&str] = &["SIZE", "NONE"];

/// A storage write error to the wire.
pub fn write_error(e: WriteError<ApiError>) -> ApiError {
    match e {
        WriteError::Refused(e) => e,
        WriteError::Storage(e) => e.into(),
    }
}

/// ConditionalCheckFailedException, with the old item when the request
/// asked for it (`ReturnValuesOnConditionCheckFailure: ALL_OLD`).
pub fn condition_failed(old: Option<&Item>, return_old: bool) -> ApiError {
    let e = ApiError::conditional_check_failed();
    match (old, return_old) {
        (Some(item), true) => e.with_extra("Item", item_to_json(item)),
        _ => e,
    }
}

/// Evaluate an optional condition against the current item.
pub fn check_condition(
    cond: Option<&Condition>,
    old: Option<&Item>,
    return_old: bool,
) -> Result<(), ApiError> {
    if let Some(c) = cond
        && !c.eval(old)?
    {
        return Err(condition_failed(old, return_old));
    }
    Ok(())
}

/// An UpdateExpression may not set or remove a key attribute (`targets`:
/// its top-level target names).
pub fn check_update_targets(def: &TableDef, targets: &[String]) -> Result<(), ApiError> {
    for k in std::iter::once(&def.key.hash).chain(def.key.range.iter()) {
        if targets.contains(&k.name) {
            return Err(ApiError::validation(format!(
                "One or more parameter values were invalid: Cannot update attribute {}. This attribute is part of the key",
                k.name
            )));
        }
    }
    Ok(())
}

/// The item an UpdateItem writes: the current item (or a new one holding
/// only `key`) with `update` applied, checked against the table. `None`:
/// nothing to write (no update on an existing item, or an update that only
/// removes on a missing item).
pub fn updated_item(
    def: &TableDef,
    key: &PrimaryKey,
    update: Option<&Update>,
    old: Option<&Item>,
) -> Result<Option<Item>, ApiError> {
    let mut item = old.cloned().unwrap_or_else(|| key.to_item(&def.key));
    match update {
        // Removing from a missing item creates nothing.
        Some(u) if old.is_none() && u.only_removes() => return Ok(None),
        Some(u) => u.apply(&mut item)?,
        None if old.is_some() => return Ok(None),
        None => {}
    }
    keys::check_updated_item(def, &item)?;
    Ok(Some(item))
}

fn common_checks(
    c: &mut Checks,
    table: Option<&str>,
    capacity: Option<&str>,
    metrics: Option<&str>,
) {
    c.table_name(table);
    c.one_of(capacity, "returnConsumedCapacity", CAPACITY_VALUES);
    c.one_of(metrics, "returnItemCollectionMetrics", METRICS);
}

/// `ItemCollectionMetrics` of a write to `key` when the request asked for
/// them (`SIZE`) and the table has local secondary indexes (only those
/// tables have item collections). The size range is DynamoDB's lowest,
/// `[0.0, 1.0]` GB: Ferry does not measure collections on every write.
pub fn collection_metrics(
    def: &TableDef,
    key: &PrimaryKey,
    wanted: bool,
) -> Option<ItemCollectionMetrics> {
    (wanted && def.indexes.iter().any(|i| i.kind == IndexKind::Local)).then(|| {
        ItemCollectionMetrics {
            item_collection_key: Item::from([(def.key.hash.name.clone(), key.hash.clone())]),
            size_estimate_range_gb: [0.0, 1.0],
        }
    })
}

/// Nested paths into key attributes of the table or its indexes.
fn nested_key_paths(
    def: &TableDef,
    names: impl IntoIterator<Item = Vec<String>>,
) -> Result<(), ApiError> {
    let all: Vec<String> = names.into_iter().flatten().collect();
    keys::check_key_paths(def, &all)
}

fn only_old_or_none(rv: Option<&str>) -> Result<(), ApiError> {
    match rv {
        None | Some("NONE") | Some("ALL_OLD") => Ok(()),
        Some(_) => Err(ApiError::validation(
            "ReturnValues can only be ALL_OLD or NONE",
        )),
    }
}

/// The request fields PutItem and DeleteItem share, borrowed from either.
struct WriteRequest<'a> {
    table_name: Option<&'a str>,
    /// The `Item` (PutItem) or `Key` (DeleteItem), and its name in the
    /// null-member message.
    target: (Option<&'a WireItem>, &'static str),
    condition_expression: Option<&'a str>,
    names: Option<&'a HashMap<String, String>>,
    values: Option<&'a WireValues>,
    return_values: Option<&'a str>,
    return_consumed_capacity: Option<&'a str>,
    return_item_collection_metrics: Option<&'a str>,
    return_values_on_condition_check_failure: Option<&'a str>,
    expected: Option<&'a ExpectedMapW>,
    conditional_operator: Option<&'a str>,
}

/// Borrow a [`WriteRequest`] from a `PutItemInput` (target `item`) or a
/// `DeleteItemInput` (target `key`): their shared fields have the same names.
macro_rules! write_request {
    ($input:ident, $target:ident) => {
        WriteRequest {
            table_name: $input.table_name.as_deref(),
            target: ($input.$target.as_ref(), stringify!($target)),
            condition_expression: $input.condition_expression.as_deref(),
            names: $input.expression_attribute_names.as_ref(),
            values: $input.expression_attribute_values.as_ref(),
            return_values: $input.return_values.as_deref(),
            return_consumed_capacity: $input.return_consumed_capacity.as_deref(),
            return_item_collection_metrics: $input.return_item_collection_metrics.as_deref(),
            return_values_on_condition_check_failure: $input
                .return_values_on_condition_check_failure
                .as_deref(),
            expected: $input.expected.as_ref(),
            conditional_operator: $input.conditional_operator.as_deref(),
        }
    };
}

/// What a validated PutItem or DeleteItem asks for besides its item or key.
struct WriteOptions {
    condition: Option<Condition>,
    return_old: bool,
    old_on_failure: bool,
    capacity: CapacityMode,
    metrics: bool,
}

/// Validate a PutItem or DeleteItem request in DynamoDB's order and compile
/// its condition.
fn check_write_request(r: &WriteRequest<'_>) -> Result<WriteOptions, ApiError> {
    let mut c = Checks::new();
    common_checks(
        &mut c,
        r.table_name,
        r.return_consumed_capacity,
        r.return_item_collection_metrics,
    );
    c.not_null(r.target.0, r.target.1);
    c.one_of(r.return_values, "returnValues", RETURN_VALUES);
    c.one_of(
        r.return_values_on_condition_check_failure,
        "returnValuesOnConditionCheckFailure",
        ON_FAILURE,
    );
    legacy::check_expected_ops(&mut c, r.expected);
    legacy::check_conditional_operator(&mut c, r.conditional_operator);
    c.finish()?;
    let p = placeholders(&ExprInputs {
        exprs: &[("ConditionExpression", r.condition_expression.is_some())],
        legacy: &[
            ("Expected", r.expected.is_some()),
            ("ConditionalOperator", r.conditional_operator.is_some()),
        ],
        names: r.names,
        values: r.values,
    })?;
    if let Some(problem) = r.target.0.and_then(|i| i.problem.clone()) {
        return Err(ApiError::validation(problem));
    }
    only_old_or_none(r.return_values)?;
    let condition = match r.condition_expression {
        Some(t) => Some(Condition::compile(t, "ConditionExpression", &p)?),
        None => legacy::expected_condition(r.expected, r.conditional_operator)?,
    };
    p.check_all_used()?;
    Ok(WriteOptions {
        condition,
        return_old: r.return_values == Some("ALL_OLD"),
        old_on_failure: r.return_values_on_condition_check_failure == Some("ALL_OLD"),
        capacity: CapacityMode::parse(r.return_consumed_capacity),
        metrics: r.return_item_collection_metrics == Some("SIZE"),
    })
}

pub async fn put_item(state: &AppState, body: &[u8]) -> Result<WriteItemOutput, ApiError> {
    let input: PutItemInput = parse(body)?;
    let w = check_write_request(&write_request!(input, item))?;
    let table_name = input.table_name.unwrap_or_default();
    let item = input.item.map(|i| i.item).unwrap_or_default();
    let engine = state.engine.clone();
    let work = move || {
        let table = active_table(&engine, &table_name)?;
        let def = table.shared_def();
        let key = keys::check_put_item(&def, &item)?;
        nested_key_paths(&def, w.condition.iter().map(|c| c.nested_top_level_names()))?;
        let written = (w.capacity != CapacityMode::None).then(|| item.clone());
        let (old, _) = table
            .write(&key, |old| {
                check_condition(w.condition.as_ref(), old, w.old_on_failure)?;
                Ok(Write::Put(item))
            })
            .map_err(write_error)?;
        let usage = written.map(|new| write_usage(&def, old.as_ref(), Some(&new)));
        Ok(WriteItemOutput {
            consumed_capacity: usage.and_then(|u| w.capacity.report(&table_name, &u)),
            attributes: if w.return_old { old } else { None },
            item_collection_metrics: collection_metrics(&def, &key, w.metrics),
        })
    };
    // Without `--sync` a commit is a memtable insert and a buffered journal
    // write: cheaper than the hand-off to the blocking pool and back (two
    // thread wake-ups, most of a single client's PutItem; docs/benchmarks.md).
    // With `--sync` it waits for an fsync, which must not hold a reactor thread.
    if state.config.sync {
        blocking(work).await
    } else {
        work()
    }
}

pub async fn get_item(state: &AppState, body: &[u8]) -> Result<GetItemOutput, ApiError> {
    let input: GetItemInput = parse(body)?;
    let mut c = Checks::new();
    common_checks(
        &mut c,
        input.table_name.as_deref(),
        input.return_consumed_capacity.as_deref(),
        None,
    );
    c.not_null(input.key.as_ref(), "key");
    legacy::check_attributes_to_get(&mut c, input.attributes_to_get.as_ref(), "attributesToGet");
    c.finish()?;
    let p = placeholders(&ExprInputs {
        exprs: &[(
            "ProjectionExpression",
            input.projection_expression.is_some(),
        )],
        legacy: &[("AttributesToGet", input.attributes_to_get.is_some())],
        names: input.expression_attribute_names.as_ref(),
        values: None,
    })?;
    if let Some(problem) = input.key.as_ref().and_then(|k| k.problem.clone()) {
        return Err(ApiError::validation(problem));
    }
    let projection = match input.projection_expression.as_deref() {
        Some(t) => Some(Projection::compile(t, &p)?),
        None => legacy::attributes_projection(input.attributes_to_get.as_ref())?,
    };
    p.check_all_used()?;
    drop(p);

    let table_name = input.table_name.as_deref().unwrap_or_default();
    let key_item = input.key.map(|k| k.item).unwrap_or_default();
    let consistent = input.consistent_read.unwrap_or(false);
    let capacity = CapacityMode::parse(input.return_consumed_capacity.as_deref());
    // A point read runs here rather than on the blocking pool: it is a few
    // microseconds of work on cached blocks, less than the two thread
    // wake-ups of a hand-off to that pool (docs/benchmarks.md).
    let table = active_table(&state.engine, table_name)?;
    let def = table.shared_def();
    let key = keys::key_param(&def, &key_item)?;
    nested_key_paths(&def, projection.iter().map(|p| p.nested_top_level_names()))?;
    let item = table.get(&key, None)?;
    let size = item.as_ref().map_or(0, |i| item_size(i) as u64);
    let item = match (item, &projection) {
        (Some(i), Some(p)) => Some(p.apply(&i)),
        (i, _) => i,
    };
    Ok(GetItemOutput {
        item,
        consumed_capacity: capacity.report(table_name, &Usage::table(read_units(size, consistent))),
    })
}

pub async fn delete_item(state: &AppState, body: &[u8]) -> Result<WriteItemOutput, ApiError> {
    let input: DeleteItemInput = parse(body)?;
    let w = check_write_request(&write_request!(input, key))?;
    let table_name = input.table_name.unwrap_or_default();
    let key_item = input.key.map(|k| k.item).unwrap_or_default();
    let engine = state.engine.clone();
    blocking(move || {
        let table = active_table(&engine, &table_name)?;
        let def = table.def();
        let key = keys::key_param(&def, &key_item)?;
        nested_key_paths(&def, w.condition.iter().map(|c| c.nested_top_level_names()))?;
        let (old, _) = table
            .write(&key, |old| {
                check_condition(w.condition.as_ref(), old, w.old_on_failure)?;
                Ok(if old.is_some() {
                    Write::Delete
                } else {
                    Write::Nothing
                })
            })
            .map_err(write_error)?;
        let usage = write_usage(&def, old.as_ref(), None);
        Ok(WriteItemOutput {
            consumed_capacity: w.capacity.report(&table_name, &usage),
            attributes: if w.return_old { old } else { None },
            item_collection_metrics: collection_metrics(&def, &key, w.metrics),
        })
    })
    .await
}

pub async fn update_item(state: &AppState, body: &[u8]) -> Result<WriteItemOutput, ApiError> {
    let input: UpdateItemInput = parse(body)?;
    let mut c = Checks::new();
    common_checks(
        &mut c,
        input.table_name.as_deref(),
        input.return_consumed_capacity.as_deref(),
        input.return_item_collection_metrics.as_deref(),
    );
    c.not_null(input.key.as_ref(), "key");
    c.one_of(
        input.return_values.as_deref(),
        "returnValues",
        RETURN_VALUES,
    );
    c.one_of(
        input.return_values_on_condition_check_failure.as_deref(),
        "returnValuesOnConditionCheckFailure",
        ON_FAILURE,
    );
    legacy::check_update_actions(&mut c, input.attribute_updates.as_ref());
    legacy::check_expected_ops(&mut c, input.expected.as_ref());
    legacy::check_conditional_operator(&mut c, input.conditional_operator.as_deref());
    c.finish()?;
    let p = placeholders(&ExprInputs {
        exprs: &[
            ("UpdateExpression", input.update_expression.is_some()),
            ("ConditionExpression", input.condition_expression.is_some()),
        ],
        legacy: &[
            ("AttributeUpdates", input.attribute_updates.is_some()),
            ("Expected", input.expected.is_some()),
            ("ConditionalOperator", input.conditional_operator.is_some()),
        ],
        names: input.expression_attribute_names.as_ref(),
        values: input.expression_attribute_values.as_ref(),
    })?;
    if let Some(problem) = input.key.as_ref().and_then(|k| k.problem.clone()) {
        return Err(ApiError::validation(problem));
    }
    let update = match input.update_expression.as_deref() {
        Some(t) => Some(Update::compile(t, &p)?),
        None => legacy::attribute_updates_update(input.attribute_updates.as_ref())?,
    };
    let condition = match input.condition_expression.as_deref() {
        Some(t) => Some(Condition::compile(t, "ConditionExpression", &p)?),
        None => legacy::expected_condition(
            input.expected.as_ref(),
            input.conditional_operator.as_deref(),
        )?,
    };
    p.check_all_used()?;
    drop(p);

    let table_name = input.table_name.unwrap_or_default();
    let key_item = input.key.map(|k| k.item).unwrap_or_default();
    let return_values = input.return_values.unwrap_or_else(|| "NONE".to_string());
    let old_on_failure =
        input.return_values_on_condition_check_failure.as_deref() == Some("ALL_OLD");
    let capacity = CapacityMode::parse(input.return_consumed_capacity.as_deref());
    let metrics = input.return_item_collection_metrics.as_deref() == Some("SIZE");
    let targets = update
        .as_ref()
        .map(|u| u.top_level_targets())
        .unwrap_or_default();
    let engine = state.engine.clone();
    blocking(move || {
        let table = active_table(&engine, &table_name)?;
        let def = table.def();
        let key = keys::key_param(&def, &key_item)?;
        nested_key_paths(
            &def,
            update
                .iter()
                .map(|u| u.nested_top_level_names())
                .chain(condition.iter().map(|c| c.nested_top_level_names())),
        )?;
        check_update_targets(&def, &targets)?;
        let mut new_item: Option<Item> = None;
        let (old, _) = table
            .write(&key, |old| {
                check_condition(condition.as_ref(), old, old_on_failure)?;
                let Some(item) = updated_item(&def, &key, update.as_ref(), old)? else {
                    return Ok(Write::Nothing);
                };
                new_item = Some(item.clone());
                Ok(Write::Put(item))
            })
            .map_err(write_error)?;
        let new_item = new_item.or_else(|| old.clone());
        let usage = write_usage(&def, old.as_ref(), new_item.as_ref());
        let attributes = update_return_values(&return_values, update.as_ref(), old, new_item);
        Ok(WriteItemOutput {
            attributes,
            consumed_capacity: capacity.report(&table_name, &usage),
            item_collection_metrics: collection_metrics(&def, &key, metrics),
        })
    })
    .await
}

/// What an update returns for `ReturnValues` (`ALL_OLD`, `ALL_NEW`,
/// `UPDATED_OLD`, `UPDATED_NEW`; anything else: nothing). `UPDATED_*` keep
/// only the updated paths, nested structure kept.
pub fn update_return_values(
    return_values: &str,
    update: Option<&Update>,
    old: Option<Item>,
    new: Option<Item>,
) -> Option<Item> {
    let updated = |item: Option<&Item>| {
        let (item, u) = (item?, update?);
        Some(u.project_updated(item)).filter(|i| !i.is_empty())
    };
    match return_values {
        "ALL_OLD" => old,
        "ALL_NEW" => new,
        "UPDATED_OLD" => updated(old.as_ref()),
        "UPDATED_NEW" => updated(new.as_ref()),
        _ => None,
    }
}
