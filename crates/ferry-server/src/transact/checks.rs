//! The request constraints of TransactWriteItems and TransactGetItems with
//! DynamoDB's messages: member paths like
//! `transactItems.1.member.put.tableName`, and the list-length limits, which
//! echo the list in Java's `toString` form as DynamoDB does for
//! BatchWriteItem (see `batch_checks.rs`). DynamoDB's exact rendering of a
//! transaction's actions is not documented; Ferry prints each action's
//! members in the API model's order (`Put(item={...}, tableName=t,
//! conditionExpression=null, ...)`), so the message has DynamoDB's envelope
//! (`Value '[...]' at 'transactItems' failed to satisfy constraint: ...`).

use std::collections::HashMap;

use crate::batch_checks::{java_item, java_value};
use crate::capacity::CAPACITY_VALUES;
use crate::validation::Checks;
use crate::wire::transact::{ActionW, TransactGetItemW, TransactWriteItemW};
use crate::wire::value::WireValues;

pub const MAX_ACTIONS: usize = 100;
pub const ON_FAILURE: &[&str] = &["ALL_OLD", "NONE"];
const METRICS: &[&str] = &["SIZE", "NONE"];

fn opt(v: Option<&str>) -> String {
    v.map_or("null".to_string(), str::to_string)
}

fn java_names(n: Option<&HashMap<String, String>>) -> String {
    n.map_or("null".to_string(), |n| {
        let mut parts: Vec<String> = n.iter().map(|(k, v)| format!("{k}={v}")).collect();
        parts.sort();
        format!("{{{}}}", parts.join(", "))
    })
}

fn java_values(v: Option<&WireValues>) -> String {
    v.map_or("null".to_string(), |v| {
        let mut parts: Vec<String> = v
            .values
            .iter()
            .map(|(k, v)| format!("{k}={}", java_value(v)))
            .collect();
        parts.sort();
        format!("{{{}}}", parts.join(", "))
    })
}

/// One action in Java's `toString` form; `kind` is its class name.
fn java_action(kind: &str, a: Option<&ActionW>) -> String {
    let Some(a) = a else {
        return "null".to_string();
    };
    let target = |w: &Option<crate::wire::value::WireItem>| {
        w.as_ref()
            .map_or("null".to_string(), |i| java_item(&i.item))
    };
    let mut parts = Vec::new();
    match kind {
        "Put" => parts.push(format!("item={}", target(&a.item))),
        _ => parts.push(format!("key={}", target(&a.key))),
    }
    if kind == "Update" {
        parts.push(format!(
            "updateExpression={}",
            opt(a.update_expression.as_deref())
        ));
    }
    parts.push(format!("tableName={}", opt(a.table_name.as_deref())));
    if kind == "Get" {
        parts.push(format!(
            "projectionExpression={}",
            opt(a.projection_expression.as_deref())
        ));
        parts.push(format!(
            "expressionAttributeNames={}",
            java_names(a.expression_attribute_names.as_ref())
        ));
        return format!("Get({})", parts.join(", "));
    }
    parts.push(format!(
        "conditionExpression={}",
        opt(a.condition_expression.as_deref())
    ));
    parts.push(format!(
        "expressionAttributeNames={}",
        java_names(a.expression_attribute_names.as_ref())
    ));
    parts.push(format!(
        "expressionAttributeValues={}",
        java_values(a.expression_attribute_values.as_ref())
    ));
    parts.push(format!(
        "returnValuesOnConditionCheckFailure={}",
        opt(a.return_values_on_condition_check_failure.as_deref())
    ));
    format!("{kind}({})", parts.join(", "))
}

fn echo_writes(items: &[TransactWriteItemW]) -> String {
    let parts: Vec<String> = items
        .iter()
        .map(|w| {
            format!(
                "TransactWriteItem(conditionCheck={}, put={}, delete={}, update={})",
                java_action("ConditionCheck", w.condition_check.as_ref()),
                java_action("Put", w.put.as_ref()),
                java_action("Delete", w.delete.as_ref()),
                java_action("Update", w.update.as_ref()),
            )
        })
        .collect();
    format!("[{}]", parts.join(", "))
}

fn echo_gets(items: &[TransactGetItemW]) -> String {
    let parts: Vec<String> = items
        .iter()
        .map(|g| {
            format!(
                "TransactGetItem(get={})",
                java_action("Get", g.get.as_ref())
            )
        })
        .collect();
    format!("[{}]", parts.join(", "))
}

/// The length of `transactItems` (1..=100), echoing the list.
fn list_length(c: &mut Checks, len: usize, echo: impl FnOnce() -> String) {
    if len == 0 {
        c.fail(
            Some("[]"),
            "transactItems",
            "Member must have length greater than or equal to 1",
        );
    } else if len > MAX_ACTIONS {
        c.fail(
            Some(&echo()),
            "transactItems",
            &format!("Member must have length less than or equal to {MAX_ACTIONS}"),
        );
    }
}

/// The members every action has: its table name and its key (or item).
fn action_members(c: &mut Checks, a: &ActionW, path: &str, target: &str) {
    let table = format!("{path}.tableName");
    c.not_null(a.table_name.as_ref(), &table);
    c.name(a.table_name.as_deref(), &table);
    let t = if target == "item" { &a.item } else { &a.key };
    c.not_null(t.as_ref(), &format!("{path}.{target}"));
}

/// The request-level constraints of TransactWriteItems.
pub fn check_write_input(
    c: &mut Checks,
    items: Option<&Vec<TransactWriteItemW>>,
    capacity: Option<&str>,
    metrics: Option<&str>,
    token: Option<&str>,
) {
    match items {
        None => c.not_null(None::<&()>, "transactItems"),
        Some(items) => {
            list_length(c, items.len(), || echo_writes(items));
            for (i, w) in items.iter().enumerate().take(MAX_ACTIONS) {
                let base = format!("transactItems.{}.member", i + 1);
                let members = [
                    ("conditionCheck", w.condition_check.as_ref(), "key"),
                    ("put", w.put.as_ref(), "item"),
                    ("delete", w.delete.as_ref(), "key"),
                    ("update", w.update.as_ref(), "key"),
                ];
                for (name, a, target) in members {
                    let Some(a) = a else { continue };
                    let path = format!("{base}.{name}");
                    action_members(c, a, &path, target);
                    match name {
                        "conditionCheck" => c.not_null(
                            a.condition_expression.as_ref(),
                            &format!("{path}.conditionExpression"),
                        ),
                        "update" => c.not_null(
                            a.update_expression.as_ref(),
                            &format!("{path}.updateExpression"),
                        ),
                        _ => {}
                    }
                    c.one_of(
                        a.return_values_on_condition_check_failure.as_deref(),
                        &format!("{path}.returnValuesOnConditionCheckFailure"),
                        ON_FAILURE,
                    );
                }
            }
        }
    }
    c.one_of(capacity, "returnConsumedCapacity", CAPACITY_VALUES);
    c.one_of(metrics, "returnItemCollectionMetrics", METRICS);
    if let Some(t) = token {
        if t.is_empty() {
            c.fail(
                Some(t),
                "clientRequestToken",
                "Member must have length greater than or equal to 1",
            );
        }
        if t.chars().count() > 36 {
            c.fail(
                Some(t),
                "clientRequestToken",
                "Member must have length less than or equal to 36",
            );
        }
    }
}

/// The request-level constraints of TransactGetItems.
pub fn check_get_input(
    c: &mut Checks,
    items: Option<&Vec<TransactGetItemW>>,
    capacity: Option<&str>,
) {
    match items {
        None => c.not_null(None::<&()>, "transactItems"),
        Some(items) => {
            list_length(c, items.len(), || echo_gets(items));
            for (i, g) in items.iter().enumerate().take(MAX_ACTIONS) {
                let path = format!("transactItems.{}.member.get", i + 1);
                match &g.get {
                    None => c.not_null(None::<&()>, &path),
                    Some(a) => action_members(c, a, &path, "key"),
                }
            }
        }
    }
    c.one_of(capacity, "returnConsumedCapacity", CAPACITY_VALUES);
}
