//! Evaluation of resolved conditions against an item, and document-path
//! lookup shared with updates and projections.
//!
//! A missing attribute makes every comparison and function false except
//! `<>` (a missing attribute is "not equal" to anything) and
//! `attribute_not_exists`. Comparisons between different types are false.

use std::borrow::Cow;
use std::cmp::Ordering;

use ferry_model::{AttributeValue, Item};

use crate::ast::{CmpOp, Cond, Val};
use crate::functions::{begins_with, compare, contains, size, values_equal};
use crate::{Path, PathElem};

/// The value at `path` in `item`, if every step exists with the right type.
pub(crate) fn get<'a>(item: &'a Item, path: &Path) -> Option<&'a AttributeValue> {
    let mut elems = path.0.iter();
    let first = match elems.next()? {
        PathElem::Attr(a) => item.get(a)?,
        PathElem::Index(_) => return None,
    };
    elems.try_fold(first, |v, e| match (v, e) {
        (AttributeValue::M(m), PathElem::Attr(a)) => m.get(a),
        (AttributeValue::L(l), PathElem::Index(i)) => l.get(*i),
        _ => None,
    })
}

/// An operand's value: a path's value, a constant, or a computed size.
fn operand<'a>(item: &'a Item, v: &'a Val) -> Option<Cow<'a, AttributeValue>> {
    match v {
        Val::Path(p) => get(item, p).map(Cow::Borrowed),
        Val::Const(c) => Some(Cow::Borrowed(c)),
        Val::Size(inner) => operand(item, inner).and_then(|x| size(&x)).map(Cow::Owned),
    }
}

/// Evaluate a condition; an absent item behaves as an empty one.
pub(crate) fn eval(c: &Cond, item: &Item) -> bool {
    match c {
        Cond::Cmp(op, a, b) => {
            let (a, b) = (operand(item, a), operand(item, b));
            let (Some(a), Some(b)) = (a, b) else {
                return *op == CmpOp::Ne;
            };
            match op {
                CmpOp::Eq => values_equal(&a, &b),
                CmpOp::Ne => !values_equal(&a, &b),
                CmpOp::Lt => compare(&a, &b) == Some(Ordering::Less),
                CmpOp::Le => matches!(compare(&a, &b), Some(Ordering::Less | Ordering::Equal)),
                CmpOp::Gt => compare(&a, &b) == Some(Ordering::Greater),
                CmpOp::Ge => {
                    matches!(compare(&a, &b), Some(Ordering::Greater | Ordering::Equal))
                }
            }
        }
        Cond::Between(a, lo, hi) => {
            let (Some(a), Some(lo), Some(hi)) =
                (operand(item, a), operand(item, lo), operand(item, hi))
            else {
                return false;
            };
            matches!(compare(&a, &lo), Some(Ordering::Greater | Ordering::Equal))
                && matches!(compare(&a, &hi), Some(Ordering::Less | Ordering::Equal))
        }
        Cond::In(a, list) => {
            let Some(a) = operand(item, a) else {
                return false;
            };
            list.iter()
                .any(|v| operand(item, v).is_some_and(|v| values_equal(&a, &v)))
        }
        Cond::Exists(p) => get(item, p).is_some(),
        Cond::NotExists(p) => get(item, p).is_none(),
        Cond::Type(p, t) => get(item, p).is_some_and(|v| v.type_name() == t),
        Cond::BeginsWith(a, b) => match (operand(item, a), operand(item, b)) {
            (Some(a), Some(b)) => begins_with(&a, &b),
            _ => false,
        },
        Cond::Contains(a, b) => match (operand(item, a), operand(item, b)) {
            (Some(a), Some(b)) => contains(&a, &b),
            _ => false,
        },
        Cond::Not(inner) => !eval(inner, item),
        Cond::And(a, b) => eval(a, item) && eval(b, item),
        Cond::Or(a, b) => eval(a, item) || eval(b, item),
    }
}
