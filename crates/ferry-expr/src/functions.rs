//! DynamoDB's comparison rules and built-in functions over values: equality,
//! ordering, `size`, `contains`, `begins_with`, `attribute_type`.
//!
//! Rules (AWS "Comparison operator and function reference"): values of
//! different types are never equal and never ordered; `<`-style ordering
//! exists only between two S (UTF-8 bytes), two N (numeric) or two B
//! (unsigned bytes); sets are equal when they hold the same members in any
//! order; maps and lists compare deeply.

use std::cmp::Ordering;

use ferry_model::{AttributeValue, Number};

/// The DynamoDB type code of a value: `S`, `N`, `B`, `SS`, `NS`, `BS`, `M`,
/// `L`, `NULL`, `BOOL`.
pub(crate) fn type_code(v: &AttributeValue) -> &'static str {
    v.type_name()
}

/// DynamoDB equality: same type and same value (sets in any order).
pub fn values_equal(a: &AttributeValue, b: &AttributeValue) -> bool {
    use AttributeValue as V;
    match (a, b) {
        (V::S(x), V::S(y)) => x == y,
        (V::N(x), V::N(y)) => x == y,
        (V::B(x), V::B(y)) => x == y,
        (V::Bool(x), V::Bool(y)) => x == y,
        (V::Null, V::Null) => true,
        (V::SS(x), V::SS(y)) => same_members(x, y),
        (V::NS(x), V::NS(y)) => same_members(x, y),
        (V::BS(x), V::BS(y)) => same_members(x, y),
        (V::L(x), V::L(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| values_equal(p, q))
        }
        (V::M(x), V::M(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| values_equal(v, w)))
        }
        _ => false,
    }
}

/// Set equality for duplicate-free member lists.
fn same_members<T: PartialEq>(x: &[T], y: &[T]) -> bool {
    x.len() == y.len() && x.iter().all(|m| y.contains(m))
}

/// DynamoDB ordering: only between two S, two N or two B values.
#[must_use]
pub fn compare(a: &AttributeValue, b: &AttributeValue) -> Option<Ordering> {
    match (a, b) {
        (AttributeValue::S(x), AttributeValue::S(y)) => Some(x.as_bytes().cmp(y.as_bytes())),
        (AttributeValue::N(x), AttributeValue::N(y)) => Some(x.cmp(y)),
        (AttributeValue::B(x), AttributeValue::B(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

/// `size(v)`: characters of a string (UTF-16 units, as DynamoDB's Java
/// `String.length()`), bytes of a binary, members of a set, entries of a
/// map or list. Numbers, booleans and nulls have no size.
pub(crate) fn size(v: &AttributeValue) -> Option<AttributeValue> {
    let n = match v {
        AttributeValue::S(s) => s.encode_utf16().count(),
        AttributeValue::B(b) => b.len(),
        AttributeValue::SS(s) => s.len(),
        AttributeValue::NS(s) => s.len(),
        AttributeValue::BS(s) => s.len(),
        AttributeValue::M(m) => m.len(),
        AttributeValue::L(l) => l.len(),
        AttributeValue::N(_) | AttributeValue::Null | AttributeValue::Bool(_) => return None,
    };
    Some(AttributeValue::N(Number::from(n)))
}

/// `contains(hay, needle)`: substring of a string, byte run of a binary,
/// member of a set of the needle's type, element of a list.
pub(crate) fn contains(hay: &AttributeValue, needle: &AttributeValue) -> bool {
    use AttributeValue as V;
    match (hay, needle) {
        (V::S(h), V::S(n)) => h.contains(n.as_str()),
        (V::B(h), V::B(n)) => n.is_empty() || h.windows(n.len()).any(|w| w == n.as_slice()),
        (V::SS(h), V::S(n)) => h.contains(n),
        (V::NS(h), V::N(n)) => h.contains(n),
        (V::BS(h), V::B(n)) => h.contains(n),
        (V::L(h), n) => h.iter().any(|e| values_equal(e, n)),
        _ => false,
    }
}

/// `begins_with(a, prefix)`: string or binary prefix.
pub(crate) fn begins_with(a: &AttributeValue, prefix: &AttributeValue) -> bool {
    match (a, prefix) {
        (AttributeValue::S(s), AttributeValue::S(p)) => s.starts_with(p.as_str()),
        (AttributeValue::B(b), AttributeValue::B(p)) => b.starts_with(p),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferry_model::Item;

    fn n(s: &str) -> AttributeValue {
        AttributeValue::N(s.parse().unwrap_or_else(|_| panic!("bad number {s}")))
    }
    fn s(x: &str) -> AttributeValue {
        AttributeValue::S(x.to_string())
    }

    #[test]
    fn equality_is_typed_and_sets_ignore_order() {
        assert!(values_equal(&n("1.0"), &n("1")));
        assert!(!values_equal(&n("1"), &s("1")));
        assert!(values_equal(
            &AttributeValue::SS(vec!["a".into(), "b".into()]),
            &AttributeValue::SS(vec!["b".into(), "a".into()])
        ));
        assert!(!values_equal(
            &AttributeValue::SS(vec!["a".into()]),
            &AttributeValue::SS(vec!["a".into(), "b".into()])
        ));
        let m1: Item = [("x".to_string(), n("1"))].into();
        let m2: Item = [("x".to_string(), n("1.00"))].into();
        assert!(values_equal(&AttributeValue::M(m1), &AttributeValue::M(m2)));
        assert!(!values_equal(
            &AttributeValue::L(vec![n("1"), n("2")]),
            &AttributeValue::L(vec![n("2"), n("1")])
        ));
        assert!(values_equal(&AttributeValue::Null, &AttributeValue::Null));
        assert!(!values_equal(
            &AttributeValue::Bool(true),
            &AttributeValue::Bool(false)
        ));
    }

    #[test]
    fn ordering_only_within_scalar_types() {
        assert_eq!(compare(&n("10"), &n("9")), Some(Ordering::Greater));
        assert_eq!(compare(&n("-1e2"), &n("-99")), Some(Ordering::Less));
        assert_eq!(compare(&s("B"), &s("a")), Some(Ordering::Less));
        assert_eq!(compare(&s("é"), &s("z")), Some(Ordering::Greater));
        assert_eq!(
            compare(
                &AttributeValue::B(vec![0xff]),
                &AttributeValue::B(vec![0x01, 0x00])
            ),
            Some(Ordering::Greater)
        );
        assert_eq!(compare(&n("1"), &s("1")), None);
        assert_eq!(
            compare(&AttributeValue::Bool(true), &AttributeValue::Bool(false)),
            None
        );
    }

    #[test]
    fn size_of_each_type() {
        assert_eq!(size(&s("héllo")), Some(n("5")));
        assert_eq!(size(&s("😀")), Some(n("2")));
        assert_eq!(size(&AttributeValue::B(vec![1, 2, 3])), Some(n("3")));
        assert_eq!(
            size(&AttributeValue::NS(vec![1u32.into(), 2u32.into()])),
            Some(n("2"))
        );
        assert_eq!(size(&AttributeValue::L(vec![])), Some(n("0")));
        assert_eq!(size(&n("12")), None);
        assert_eq!(size(&AttributeValue::Bool(true)), None);
        assert_eq!(size(&AttributeValue::Null), None);
    }

    #[test]
    fn contains_and_begins_with() {
        assert!(contains(&s("hello"), &s("ell")));
        assert!(!contains(&s("hello"), &n("1")));
        assert!(contains(&AttributeValue::SS(vec!["a".into()]), &s("a")));
        assert!(!contains(&AttributeValue::SS(vec!["a".into()]), &s("b")));
        assert!(contains(&AttributeValue::NS(vec![5u32.into()]), &n("5.0")));
        assert!(contains(&AttributeValue::L(vec![s("x"), n("1")]), &n("1")));
        assert!(contains(
            &AttributeValue::B(vec![1, 2, 3]),
            &AttributeValue::B(vec![2, 3])
        ));
        assert!(!contains(&n("123"), &n("2")));
        assert!(begins_with(&s("hello"), &s("he")));
        assert!(!begins_with(&s("hello"), &s("lo")));
        assert!(begins_with(
            &AttributeValue::B(vec![1, 2]),
            &AttributeValue::B(vec![1])
        ));
        assert!(!begins_with(&s("1"), &n("1")));
    }
}
