//! Query: a KeyConditionExpression on the table's or an index's key, then
//! the filter, projection and `Select`, one page at a time (see
//! `paging.rs`).

use std::collections::BTreeMap;

use ferry_expr::{
    Condition, KeyCondition, LegacyCondition, Projection, SortKeyCondition, check_key_conditions,
};
use ferry_storage::{QuerySpec, SortCondition};

use crate::capacity::{CAPACITY_VALUES, CapacityMode};
use crate::errors::ApiError;
use crate::keys::{
    check_consistent_read, check_filter_keys, check_key_paths, check_readable, check_start_key,
    find_index, page_key_names,
};
use crate::legacy;
use crate::paging::{PagePlan, SELECT_VALUES, fill_page, needs_table_fetch, resolve_select};
use crate::params::{ExprInputs, placeholders};
use crate::state::{AppState, blocking};
use crate::validation::Checks;
use crate::wire::parse;
use crate::wire::query::{PageOutput, QueryInput};

pub(crate) fn sort_condition(c: SortKeyCondition) -> SortCondition {
    match c {
        SortKeyCondition::Eq(v) => SortCondition::Eq(v),
        SortKeyCondition::Lt(v) => SortCondition::Lt(v),
        SortKeyCondition::Le(v) => SortCondition::Le(v),
        SortKeyCondition::Gt(v) => SortCondition::Gt(v),
        SortKeyCondition::Ge(v) => SortCondition::Ge(v),
        SortKeyCondition::Between(a, b) => SortCondition::Between(a, b),
        SortKeyCondition::BeginsWith(v) => SortCondition::BeginsWith(v),
    }
}

/// The key condition as the request gave it.
enum KeyInput<'a> {
    Expression(&'a str),
    Legacy(BTreeMap<String, LegacyCondition>),
}

pub async fn query(state: &AppState, body: &[u8]) -> Result<PageOutput, ApiError> {
    let input: QueryInput = parse(body)?;
    let mut c = Checks::new();
    c.table_name(input.table_name.as_deref());
    c.name(input.index_name.as_deref(), "indexName");
    c.one_of(input.select.as_deref(), "select", SELECT_VALUES);
    c.at_least(input.limit, "limit", 1);
    c.one_of(
        input.return_consumed_capacity.as_deref(),
        "returnConsumedCapacity",
        CAPACITY_VALUES,
    );
    legacy::check_attributes_to_get(&mut c, input.attributes_to_get.as_ref(), "attributesToGet");
    legacy::check_condition_ops(&mut c, input.query_filter.as_ref(), "queryFilter");
    legacy::check_conditional_operator(&mut c, input.conditional_operator.as_deref());
    legacy::check_condition_ops(&mut c, input.key_conditions.as_ref(), "keyConditions");
    c.finish()?;
    let p = placeholders(&ExprInputs {
        exprs: &[
            (
                "ProjectionExpression",
                input.projection_expression.is_some(),
            ),
            ("FilterExpression", input.filter_expression.is_some()),
            (
                "KeyConditionExpression",
                input.key_condition_expression.is_some(),
            ),
        ],
        legacy: &[
            ("AttributesToGet", input.attributes_to_get.is_some()),
            ("QueryFilter", input.query_filter.is_some()),
            ("ConditionalOperator", input.conditional_operator.is_some()),
            // DynamoDB lets KeyConditions go with the other expressions;
            // only KeyConditionExpression excludes it.
            (
                "KeyConditions",
                input.key_conditions.is_some() && input.key_condition_expression.is_some(),
            ),
        ],
        names: input.expression_attribute_names.as_ref(),
        values: input.expression_attribute_values.as_ref(),
    })?;
    let legacy_filter = legacy::filter_condition(
        input.query_filter.as_ref(),
        input.conditional_operator.as_deref(),
    )?;
    let attributes = legacy::attributes_projection(input.attributes_to_get.as_ref())?;
    if let Some(problem) = input
        .exclusive_start_key
        .as_ref()
        .and_then(|k| k.problem.as_ref())
    {
        return Err(ApiError::validation(format!(
            "The provided starting key is invalid: {problem}"
        )));
    }
    let key_input = match (
        input.key_condition_expression.as_deref(),
        input.key_conditions.as_ref(),
    ) {
        (Some(kce), _) => KeyInput::Expression(kce),
        (None, Some(kc)) => {
            let kc = legacy::conditions(kc)?;
            check_key_conditions(&kc)?;
            KeyInput::Legacy(kc)
        }
        (None, None) => {
            return Err(ApiError::validation(
                "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.",
            ));
        }
    };
    let table_name = input.table_name.clone().unwrap_or_default();
    let table = state.active_table(&table_name)?;
    let def = table.def();
    let index = input
        .index_name
        .as_deref()
        .map(|n| find_index(&def, n))
        .transpose()?;
    let consistent = input.consistent_read.unwrap_or(false);
    check_consistent_read(index, consistent)?;
    check_readable(&table, index)?;
    let schema = index.map_or(&def.key, |i| &i.key);
    let key_condition = match &key_input {
        KeyInput::Expression(kce) => KeyCondition::compile(kce, schema, &p)?,
        KeyInput::Legacy(kc) => KeyCondition::from_key_conditions(kc, schema)?,
    };
    let filter = match input.filter_expression.as_deref() {
        Some(t) => Some(Condition::compile(t, "FilterExpression", &p)?),
        None => legacy_filter,
    };
    let projection = match input.projection_expression.as_deref() {
        Some(t) => Some(Projection::compile(t, &p)?),
        None => attributes,
    };
    p.check_all_used()?;
    drop(p);
    if let Some(f) = &filter {
        let param = if input.query_filter.is_some() {
            "QueryFilter"
        } else {
            "Filter Expression"
        };
        check_filter_keys(schema, f, param)?;
    }
    let nested: Vec<String> = filter
        .iter()
        .flat_map(|f| f.nested_top_level_names())
        .chain(projection.iter().flat_map(|p| p.nested_top_level_names()))
        .collect();
    check_key_paths(&def, &nested)?;
    let projection_param = if input.attributes_to_get.is_some() {
        "AttributesToGet"
    } else {
        "ProjectionExpression"
    };
    let mode = resolve_select(
        input.select.as_deref(),
        projection.is_some().then_some(projection_param),
        index,
        true,
    )?;
    let exclusive_start = input.exclusive_start_key.map(|k| k.item);
    if let Some(esk) = &exclusive_start {
        check_start_key(&def, index, esk)?;
    }
    let plan = PagePlan {
        limit: input.limit.map(|l| l as usize),
        fetch_from_table: needs_table_fetch(&def, index, mode, projection.as_ref()),
        key_names: page_key_names(&def, index),
        filter,
        projection,
        mode,
    };
    let spec = QuerySpec {
        index: index.map(|i| i.name.clone()),
        hash: key_condition.hash,
        sort: key_condition.sort.map(sort_condition),
        forward: input.scan_index_forward.unwrap_or(true),
        exclusive_start,
    };
    let capacity = CapacityMode::parse(input.return_consumed_capacity.as_deref());
    let index_def = index.cloned();
    let page = blocking(move || {
        let iter = table.query(&spec)?;
        fill_page(&table, &def, iter, &plan)
    })
    .await?;
    let usage = page.usage(index_def.as_ref(), consistent);
    let mut output = page.output;
    output.consumed_capacity = capacity.report(&table_name, &usage);
    Ok(output)
}
