//! `ORDER BY` of a SELECT, with DynamoDB's rules (as other emulators' tests
//! record real DynamoDB's answers): the statement needs a WHERE; every term
//! names a key attribute of the table (or index) read; the WHERE needs a
//! hash key condition that is not optional (an OR needs one on each side);
//! more than one hash key value (`IN`, `OR`) needs the hash key among the
//! terms. Without a sort-key term the sort key runs descending.
//!
//! Ferry orders one partition (a Query, read forwards or backwards); an
//! ORDER BY over several partitions is refused with Ferry's own
//! `Unsupported operation: …` message (`docs/design/partiql.md`).

use ferry_model::KeySchema;

use crate::ast::{CmpOp, Expr, Path, PathElem, Select};
use crate::error::PartiqlError;

/// The name of a top-level attribute path.
fn top(e: &Expr) -> Option<&str> {
    match e {
        Expr::Path(Path(segs)) => match segs.as_slice() {
            [PathElem::Attr(name)] => Some(name),
            _ => None,
        },
        _ => None,
    }
}

/// How many hash key values a WHERE names without which it could match
/// (0 when the hash key condition is optional: one side of an OR lacks it).
fn hash_conditions(e: &Expr, hash: &str) -> usize {
    match e {
        Expr::Cmp(CmpOp::Eq, a, b) if top(a) == Some(hash) || top(b) == Some(hash) => 1,
        Expr::In(a, list) if top(a) == Some(hash) => list.len(),
        Expr::And(a, b) => hash_conditions(a, hash) + hash_conditions(b, hash),
        Expr::Or(a, b) => match (hash_conditions(a, hash), hash_conditions(b, hash)) {
            (0, _) | (_, 0) => 0,
            (x, y) => x + y,
        },
        _ => 0,
    }
}

/// Whether a SELECT on `schema` (of the table or the index read) reads its
/// Query forwards; checks its `ORDER BY`. `query` tells whether the WHERE
/// makes it a Query of one partition.
pub fn forward(s: &Select, schema: &KeySchema, query: bool) -> Result<bool, PartiqlError> {
    if s.order_by.is_empty() {
        return Ok(true);
    }
    let Some(filter) = &s.filter else {
        return Err(PartiqlError::new(
            "Must have WHERE clause in the statement when using ORDER BY clause.",
        ));
    };
    let hash = schema.hash.name.as_str();
    let range = schema.range.as_ref().map(|r| r.name.as_str());
    let mut sort_desc = None;
    let mut names_hash = false;
    for t in &s.order_by {
        let name = match t.path.0.as_slice() {
            [PathElem::Attr(name)] => Some(name.as_str()),
            _ => None,
        };
        match name {
            Some(n) if n == hash => names_hash = true,
            Some(n) if Some(n) == range => sort_desc = sort_desc.or(Some(t.descending)),
            _ => {
                return Err(PartiqlError::new(format!(
                    "Attribute {} in ORDER BY clause must be part of the primary key",
                    t.path
                )));
            }
        }
    }
    match hash_conditions(filter, hash) {
        0 => Err(PartiqlError::new(
            "Must have at least one non-optional hash key condition in WHERE clause when using ORDER BY clause.",
        )),
        n if n > 1 && !names_hash => Err(PartiqlError::new(
            "Must have hash key in ORDER BY clause when more than one hash key condition specified in WHERE clause.",
        )),
        1 if query => Ok(!sort_desc.unwrap_or(true)),
        _ => Err(PartiqlError::new(
            "Unsupported operation: ORDER BY over more than one partition",
        )),
    }
}
