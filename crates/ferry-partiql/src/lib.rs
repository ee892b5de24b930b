//! PartiQL for DynamoDB: the lexer and parser of DynamoDB's PartiQL subset
//! (`SELECT`, `INSERT`, `UPDATE`, `DELETE`, and `EXISTS(SELECT …)` for
//! transactions) into a typed tree
//! ([`Statement`]), and [`plan`], which binds `?` parameters and translates
//! conditions, actions and projections into ferry-expr's compiled trees.
//!
//! Knows `ferry_model` values and `ferry_expr` only: no storage, no JSON, no
//! HTTP. Every error is a [`PartiqlError`] whose message is DynamoDB's
//! ValidationException text.
//!
//! Pipeline: `lexer` → `parser` ([`parse`]) → [`plan`] (`values` for
//! literals and parameters, `translate` into ferry-expr).

mod ast;
mod error;
mod lexer;
mod order;
mod parser;
mod plan;
mod reserved;
mod translate;
mod values;

pub use ast::{
    Action, CmpOp, Delete, Expr, Insert, OrderTerm, Path, PathElem, Returning, Select, Source,
    Statement, Update,
};
pub use error::{MALFORMED, PartiqlError};
pub use parser::{parameter_count, parse};
pub use plan::{CheckPlan, DeletePlan, InsertPlan, Plan, SelectPlan, UpdatePlan, plan};
pub use translate::Projected;
pub use values::PARAMETER_COUNT;

use ferry_model::AttributeValue;

/// A compact rendering of a value for plan dumps: `S:"x"`, `N:5`,
/// `L:[N:1,S:"x"]`.
fn show_value(v: &AttributeValue) -> String {
    let join = |parts: Vec<String>| parts.join(",");
    match v {
        AttributeValue::S(s) => format!("S:{s:?}"),
        AttributeValue::N(n) => format!("N:{n}"),
        AttributeValue::B(b) => format!("B:{b:?}"),
        AttributeValue::SS(v) => format!("SS:{v:?}"),
        AttributeValue::NS(v) => {
            format!("NS:[{}]", join(v.iter().map(|n| n.to_string()).collect()))
        }
        AttributeValue::BS(v) => format!("BS:{v:?}"),
        AttributeValue::L(l) => format!("L:[{}]", join(l.iter().map(show_value).collect())),
        AttributeValue::M(m) => format!(
            "M:{{{}}}",
            join(
                m.iter()
                    .map(|(k, v)| format!("{k:?}:{}", show_value(v)))
                    .collect()
            )
        ),
        AttributeValue::Bool(b) => format!("BOOL:{b}"),
        AttributeValue::Null => "NULL".to_string(),
    }
}
