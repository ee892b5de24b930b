//! Scan: the whole table or index, or one segment of it (segments are
//! contiguous ranges of the key hash), one page at a time (see
//! `paging.rs`).

use ferry_expr::{Condition, Projection};
use ferry_storage::ScanSpec;

use crate::capacity::{CAPACITY_VALUES, CapacityMode};
use crate::errors::ApiError;
use crate::keys::{
    check_consistent_read, check_key_paths, check_readable, check_start_key, find_index,
    page_key_names,
};
use crate::legacy;
use crate::paging::{PagePlan, SELECT_VALUES, fill_page, needs_table_fetch, resolve_select};
use crate::params::{ExprInputs, placeholders};
use crate::state::{AppState, blocking};
use crate::validation::Checks;
use crate::wire::parse;
use crate::wire::query::{PageOutput, ScanInput};

pub async fn scan(state: &AppState, body: &[u8]) -> Result<PageOutput, ApiError> {
    let input: ScanInput = parse(body)?;
    let mut c = Checks::new();
    c.table_name(input.table_name.as_deref());
    c.name(input.index_name.as_deref(), "indexName");
    c.one_of(input.select.as_deref(), "select", SELECT_VALUES);
    c.at_least(input.limit, "limit", 1);
    c.at_least(input.segment, "segment", 0);
    c.at_most(input.segment, "segment", 999_999);
    c.at_least(input.total_segments, "totalSegments", 1);
    c.at_most(input.total_segments, "totalSegments", 1_000_000);
    c.one_of(
        input.return_consumed_capacity.as_deref(),
        "returnConsumedCapacity",
        CAPACITY_VALUES,
    );
    legacy::check_attributes_to_get(&mut c, input.attributes_to_get.as_ref(), "attributesToGet");
    legacy::check_condition_ops(&mut c, input.scan_filter.as_ref(), "scanFilter");
    legacy::check_conditional_operator(&mut c, input.conditional_operator.as_deref());
    c.finish()?;
    let p = placeholders(&ExprInputs {
        exprs: &[
            (
                "ProjectionExpression",
                input.projection_expression.is_some(),
            ),
            ("FilterExpression", input.filter_expression.is_some()),
        ],
        legacy: &[
            ("AttributesToGet", input.attributes_to_get.is_some()),
            ("ScanFilter", input.scan_filter.is_some()),
            ("ConditionalOperator", input.conditional_operator.is_some()),
        ],
        names: input.expression_attribute_names.as_ref(),
        values: input.expression_attribute_values.as_ref(),
    })?;
    let attributes = legacy::attributes_projection(input.attributes_to_get.as_ref())?;
    let legacy_filter = legacy::filter_condition(
        input.scan_filter.as_ref(),
        input.conditional_operator.as_deref(),
    )?;
    if let Some(problem) = input
        .exclusive_start_key
        .as_ref()
        .and_then(|k| k.problem.as_ref())
    {
        return Err(ApiError::validation(format!(
            "The provided starting key is invalid: {problem}"
        )));
    }
    let segment = match (input.segment, input.total_segments) {
        (Some(_), None) => {
            return Err(ApiError::validation(
                "The TotalSegments parameter is required but was not present in the request when Segment parameter is present",
            ));
        }
        (None, Some(_)) => {
            return Err(ApiError::validation(
                "The Segment parameter is required but was not present in the request when parameter TotalSegments is present",
            ));
        }
        (Some(s), Some(t)) if s >= t => {
            return Err(ApiError::validation(format!(
                "The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: {s} is not less than TotalSegments: {t}"
            )));
        }
        (Some(s), Some(t)) => Some((s as u32, t as u32)),
        (None, None) => None,
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
        false,
    )?;
    let exclusive_start = input.exclusive_start_key.map(|k| k.item);
    if let Some(esk) = &exclusive_start {
        check_start_key(&def, index, esk)?;
        if let Some((s, t)) = segment {
            check_start_segment(&def, index, esk, s, t)?;
        }
    }
    let plan = PagePlan {
        limit: input.limit.map(|l| l as usize),
        fetch_from_table: needs_table_fetch(&def, index, mode, projection.as_ref()),
        key_names: page_key_names(&def, index),
        filter,
        projection,
        mode,
    };
    let spec = ScanSpec {
        index: index.map(|i| i.name.clone()),
        segment,
        exclusive_start,
    };
    let capacity = CapacityMode::parse(input.return_consumed_capacity.as_deref());
    let index_def = index.cloned();
    let page = blocking(move || {
        let iter = table.scan(&spec)?;
        fill_page(&table, &def, iter, &plan)
    })
    .await?;
    let usage = page.usage(index_def.as_ref(), consistent);
    let mut output = page.output;
    output.consumed_capacity = capacity.report(&table_name, &usage);
    Ok(output)
}

/// A parallel scan's ExclusiveStartKey must belong to the requested segment
/// (DynamoDB's text, as dynalite records it).
fn check_start_segment(
    def: &ferry_model::TableDef,
    index: Option<&ferry_model::IndexDef>,
    esk: &ferry_model::Item,
    segment: u32,
    total: u32,
) -> Result<(), ApiError> {
    let hash = index.map_or(&def.key.hash, |i| &i.key.hash);
    let inside = esk
        .get(&hash.name)
        .and_then(|v| ferry_storage::scan_segment_of(hash, v, total))
        == Some(segment);
    if inside {
        return Ok(());
    }
    Err(ApiError::validation(format!(
        "The provided starting key is invalid: Invalid ExclusiveStartKey. Please use ExclusiveStartKey with correct Segment. TotalSegments: {total} Segment: {segment}"
    )))
}
