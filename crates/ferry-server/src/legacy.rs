//! The legacy (pre-expression) request parameters, read off the wire:
//! constraint checks on their enums (collected into the request's
//! "N validation errors detected" message), value problems reported as
//! DynamoDB does, then the typed inputs `ferry_expr::legacy` translates into
//! the expression trees.

use std::collections::BTreeMap;

use ferry_expr::{
    AttributeUpdate, ComparisonOperator, Condition, ExpectedCondition, LegacyCondition, Projection,
    Update, UpdateAction,
};
use ferry_model::AttributeValue;

use crate::errors::ApiError;
use crate::validation::Checks;
use crate::wire::legacy::{AttributeUpdatesW, ConditionsW, ExpectedMapW};
use crate::wire::value::WireValue;

const CONDITIONAL_OPERATORS: &[&str] = &["OR", "AND"];

/// `ConditionalOperator: OR`.
pub fn is_or(op: Option<&str>) -> bool {
    op == Some("OR")
}

/// The enum constraint of `ConditionalOperator`.
pub fn check_conditional_operator(c: &mut Checks, op: Option<&str>) {
    c.one_of(op, "conditionalOperator", CONDITIONAL_OPERATORS);
}

/// `AttributesToGet` holds 1 to 255 names (`path`: `attributesToGet`, or
/// `requestItems.<table>.member.attributesToGet`).
pub fn check_attributes_to_get(c: &mut Checks, names: Option<&Vec<String>>, path: &str) {
    let Some(names) = names else { return };
    let shown = format!("[{}]", names.join(", "));
    if names.is_empty() {
        c.fail(
            Some(&shown),
            path,
            "Member must have length greater than or equal to 1",
        );
    }
    if names.len() > 255 {
        c.fail(
            Some(&shown),
            path,
            "Member must have length less than or equal to 255",
        );
    }
}

/// The `ComparisonOperator` member of every entry of a `Condition` map
/// (`path`: `queryFilter`, `scanFilter`, `keyConditions`): required, one of
/// the enum.
pub fn check_condition_ops(c: &mut Checks, map: Option<&ConditionsW>, path: &str) {
    for (attr, cond) in map.into_iter().flatten() {
        let member = format!("{path}.{attr}.member.comparisonOperator");
        c.not_null(cond.comparison_operator.as_ref(), &member);
        c.one_of(
            cond.comparison_operator.as_deref(),
            &member,
            ComparisonOperator::NAMES,
        );
    }
}

/// The `ComparisonOperator` member of every `Expected` entry (optional).
pub fn check_expected_ops(c: &mut Checks, map: Option<&ExpectedMapW>) {
    for (attr, e) in map.into_iter().flatten() {
        c.one_of(
            e.comparison_operator.as_deref(),
            &format!("expected.{attr}.member.comparisonOperator"),
            ComparisonOperator::NAMES,
        );
    }
}

/// The `Action` member of every `AttributeUpdates` entry (optional).
pub fn check_update_actions(c: &mut Checks, map: Option<&AttributeUpdatesW>) {
    for (attr, u) in map.into_iter().flatten() {
        c.one_of(
            u.action.as_deref(),
            &format!("attributeUpdates.{attr}.member.action"),
            UpdateAction::NAMES,
        );
    }
}

/// A value, or its problem as DynamoDB's ValidationException.
fn value(v: &WireValue) -> Result<AttributeValue, ApiError> {
    match &v.problem {
        Some(p) => Err(ApiError::validation(p.clone())),
        None => Ok(v.value.clone()),
    }
}

fn values(list: &[WireValue]) -> Result<Vec<AttributeValue>, ApiError> {
    list.iter().map(value).collect()
}

/// An operator name already checked against the enum.
fn op(name: Option<&str>) -> ComparisonOperator {
    name.and_then(ComparisonOperator::parse)
        .unwrap_or(ComparisonOperator::Eq)
}

/// A `QueryFilter`, `ScanFilter` or `KeyConditions` map (operators already
/// checked with [`check_condition_ops`]).
pub fn conditions(map: &ConditionsW) -> Result<BTreeMap<String, LegacyCondition>, ApiError> {
    map.iter()
        .map(|(attr, c)| {
            Ok((
                attr.clone(),
                LegacyCondition {
                    op: op(c.comparison_operator.as_deref()),
                    values: values(c.attribute_value_list.as_deref().unwrap_or_default())?,
                },
            ))
        })
        .collect()
}

/// An `Expected` map (operators already checked).
fn expected(map: &ExpectedMapW) -> Result<BTreeMap<String, ExpectedCondition>, ApiError> {
    map.iter()
        .map(|(attr, e)| {
            Ok((
                attr.clone(),
                ExpectedCondition {
                    exists: e.exists,
                    value: e.value.as_ref().map(value).transpose()?,
                    op: e.comparison_operator.as_deref().map(|n| op(Some(n))),
                    values: e.attribute_value_list.as_deref().map(values).transpose()?,
                },
            ))
        })
        .collect()
}

/// An `AttributeUpdates` map (actions already checked; `PUT` by default).
fn attribute_updates(
    map: &AttributeUpdatesW,
) -> Result<BTreeMap<String, AttributeUpdate>, ApiError> {
    map.iter()
        .map(|(attr, u)| {
            Ok((
                attr.clone(),
                AttributeUpdate {
                    action: u
                        .action
                        .as_deref()
                        .and_then(UpdateAction::parse)
                        .unwrap_or(UpdateAction::Put),
                    value: u.value.as_ref().map(value).transpose()?,
                },
            ))
        })
        .collect()
}

/// The condition of an `Expected` map joined by `ConditionalOperator`.
pub fn expected_condition(
    map: Option<&ExpectedMapW>,
    op: Option<&str>,
) -> Result<Option<Condition>, ApiError> {
    let Some(map) = map else { return Ok(None) };
    Ok(Condition::from_expected(&expected(map)?, is_or(op))?)
}

/// The filter of a `QueryFilter` or `ScanFilter` map joined by
/// `ConditionalOperator`.
pub fn filter_condition(
    map: Option<&ConditionsW>,
    op: Option<&str>,
) -> Result<Option<Condition>, ApiError> {
    let Some(map) = map else { return Ok(None) };
    Ok(Condition::from_filter(&conditions(map)?, is_or(op))?)
}

/// The projection of `AttributesToGet`.
pub fn attributes_projection(names: Option<&Vec<String>>) -> Result<Option<Projection>, ApiError> {
    Ok(names.map(|n| Projection::from_attributes(n)).transpose()?)
}

/// The update of `AttributeUpdates`.
pub fn attribute_updates_update(
    map: Option<&AttributeUpdatesW>,
) -> Result<Option<Update>, ApiError> {
    let Some(map) = map else { return Ok(None) };
    Ok(Some(Update::from_attribute_updates(&attribute_updates(
        map,
    )?)?))
}
