//! Shared helpers for the integration tests: value constructors and
//! one-call compile-and-run wrappers.

#![allow(dead_code)]

use std::collections::HashMap;

use ferry_expr::{Condition, ExprError, Placeholders, Projection, Update};
use ferry_model::{AttributeValue, Item, Number};

pub fn s(x: &str) -> AttributeValue {
    AttributeValue::S(x.to_string())
}

pub fn n(x: &str) -> AttributeValue {
    AttributeValue::N(num(x))
}

pub fn num(x: &str) -> Number {
    Number::parse(x).unwrap_or_else(|e| panic!("bad number {x}: {e}"))
}

pub fn b(x: &[u8]) -> AttributeValue {
    AttributeValue::B(x.to_vec())
}

pub fn ss(xs: &[&str]) -> AttributeValue {
    AttributeValue::SS(xs.iter().map(|x| x.to_string()).collect())
}

pub fn ns(xs: &[&str]) -> AttributeValue {
    AttributeValue::NS(xs.iter().map(|x| num(x)).collect())
}

pub fn bs(xs: &[&[u8]]) -> AttributeValue {
    AttributeValue::BS(xs.iter().map(|x| x.to_vec()).collect())
}

pub fn l(xs: Vec<AttributeValue>) -> AttributeValue {
    AttributeValue::L(xs)
}

pub fn m(pairs: &[(&str, AttributeValue)]) -> AttributeValue {
    AttributeValue::M(item(pairs))
}

pub fn item(pairs: &[(&str, AttributeValue)]) -> Item {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

pub fn values(pairs: &[(&str, AttributeValue)]) -> HashMap<String, AttributeValue> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

pub fn names(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Compile `expr` as a ConditionExpression with `vals` and evaluate it on `it`.
pub fn cond(expr: &str, vals: &[(&str, AttributeValue)], it: &Item) -> bool {
    let vals = values(vals);
    let p = Placeholders::new(None, (!vals.is_empty()).then_some(&vals));
    let c = Condition::compile(expr, "ConditionExpression", &p)
        .unwrap_or_else(|e| panic!("{expr}: {e}"));
    c.eval(Some(it)).unwrap_or_else(|e| panic!("{expr}: {e}"))
}

/// Compile-time error of a ConditionExpression.
pub fn cond_err(expr: &str, vals: &[(&str, AttributeValue)]) -> String {
    let vals = values(vals);
    let p = Placeholders::new(None, (!vals.is_empty()).then_some(&vals));
    match Condition::compile(expr, "ConditionExpression", &p) {
        Ok(_) => "ok".to_string(),
        Err(e) => e.message,
    }
}

/// Compile `expr` as an UpdateExpression and apply it to a copy of `it`.
pub fn update(expr: &str, vals: &[(&str, AttributeValue)], it: &Item) -> Result<Item, ExprError> {
    let vals = values(vals);
    let p = Placeholders::new(None, (!vals.is_empty()).then_some(&vals));
    let u = Update::compile(expr, &p).unwrap_or_else(|e| panic!("{expr}: {e}"));
    let mut out = it.clone();
    u.apply(&mut out)?;
    Ok(out)
}

/// Compile `expr` as a ProjectionExpression and apply it to `it`.
pub fn project(expr: &str, it: &Item) -> Item {
    let p = Placeholders::new(None, None);
    Projection::compile(expr, &p)
        .unwrap_or_else(|e| panic!("{expr}: {e}"))
        .apply(it)
}
