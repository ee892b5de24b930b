//! Item size by DynamoDB's rules (the 400 KB item limit, capacity units).
//!
//! - attribute name: its UTF-8 length; S: UTF-8 bytes; B: bytes;
//! - N: 1 byte per *pair* of digits, pairs aligned on the decimal point
//!   (from the leading to the last significant digit), plus 1, plus 1 more
//!   when negative, at most 21; zero is 1. This is the measured rule the
//!   public DynamoDB size calculators use (AWS documents it as "approximately
//!   1 byte per two significant digits + 1");
//! - BOOL, NULL: 1; sets: the sum of their members;
//! - M: 3 + for each entry (name + value + 1); L: 3 + for each element (value + 1).

use crate::{AttributeValue, Item, Number};

/// DynamoDB's largest item: 400 KB.
pub const MAX_ITEM_SIZE: usize = 400 * 1024;

/// Size of an item in bytes, as DynamoDB counts it.
pub fn item_size(item: &Item) -> usize {
    item.iter()
        .map(|(name, value)| name.len() + value_size(value))
        .sum()
}

/// Size of one attribute value in bytes (without its name).
pub fn value_size(value: &AttributeValue) -> usize {
    match value {
        AttributeValue::S(s) => s.len(),
        AttributeValue::N(n) => number_size(n),
        AttributeValue::B(b) => b.len(),
        AttributeValue::SS(v) => v.iter().map(String::len).sum(),
        AttributeValue::NS(v) => v.iter().map(number_size).sum(),
        AttributeValue::BS(v) => v.iter().map(Vec::len).sum(),
        AttributeValue::M(m) => {
            3 + m
                .iter()
                .map(|(name, v)| name.len() + value_size(v) + 1)
                .sum::<usize>()
        }
        AttributeValue::L(l) => 3 + l.iter().map(|v| value_size(v) + 1).sum::<usize>(),
        AttributeValue::Null | AttributeValue::Bool(_) => 1,
    }
}

/// Size of a number in bytes.
pub fn number_size(n: &Number) -> usize {
    if n.is_zero() {
        return 1;
    }
    let high = n.magnitude().div_euclid(2);
    let low = n.exponent().div_euclid(2);
    let pairs = (high - low + 1) as usize;
    (pairs + 1 + usize::from(n.is_negative())).min(21)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(text: &str) -> Number {
        Number::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn number_sizes() {
        // Pairs of digits aligned on the decimal point, + 1, + 1 if negative.
        let cases = [
            ("0", 1),
            ("1", 2),
            ("12", 2),
            ("123", 3),
            ("100", 2),
            ("1000", 2),
            ("10100", 3),
            ("12345", 4),
            ("1.5", 3),
            ("0.5", 2),
            ("0.05", 2),
            ("0.005", 2),
            ("-1", 3),
            ("-1E-130", 3),
            ("12345678901234567890123456789012345678", 20),
            ("-1.2345678901234567890123456789012345678", 21),
            ("-12.345678901234567890123456789012345678", 21),
        ];
        for (text, size) in cases {
            assert_eq!(number_size(&n(text)), size, "{text}");
        }
    }

    #[test]
    fn item_and_value_sizes() {
        let item = Item::from([
            ("id".to_owned(), AttributeValue::S("abc".into())), // 2 + 3
            ("n".to_owned(), AttributeValue::N(n("12345"))),    // 1 + 4
            ("é".to_owned(), AttributeValue::B(vec![1, 2])),    // 2 + 2
            ("t".to_owned(), AttributeValue::Bool(true)),       // 1 + 1
            ("z".to_owned(), AttributeValue::Null),             // 1 + 1
            (
                "ss".to_owned(),
                AttributeValue::SS(vec!["ab".into(), "c".into()]), // 2 + 3
            ),
            (
                "m".to_owned(),
                AttributeValue::M(Item::from([(
                    "k".to_owned(),
                    AttributeValue::S("v".into()),
                )])),
            ), // 1 + 3 + (1 + 1 + 1)
            (
                "l".to_owned(),
                AttributeValue::L(vec![AttributeValue::N(n("1")), AttributeValue::L(vec![])]),
            ), // 1 + 3 + (2 + 1) + (3 + 1)
        ]);
        assert_eq!(item_size(&item), 5 + 5 + 4 + 2 + 2 + 5 + 7 + 11);
        assert_eq!(value_size(&AttributeValue::M(Item::new())), 3);
        assert_eq!(
            value_size(&AttributeValue::NS(vec![n("1"), n("-1")])),
            2 + 3
        );
        assert_eq!(value_size(&AttributeValue::BS(vec![vec![0; 3], vec![]])), 3);
    }
}
