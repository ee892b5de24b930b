//! Test helpers: proptest strategies for items and small constructors.

use ferry_model::{AttributeValue, Item, Number};
use proptest::prelude::*;

pub fn s(text: &str) -> AttributeValue {
    AttributeValue::S(text.to_owned())
}

pub fn n(text: &str) -> AttributeValue {
    AttributeValue::N(num(text))
}

pub fn num(text: &str) -> Number {
    Number::parse(text).unwrap()
}

pub fn item(pairs: &[(&str, AttributeValue)]) -> Item {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

/// Any valid DynamoDB number: up to 38 digits, magnitude within range.
pub fn arb_number() -> impl Strategy<Value = Number> {
    prop_oneof![
        any::<i64>().prop_map(Number::from),
        (any::<u128>(), -150i32..=100, any::<bool>()).prop_filter_map("in range", |(c, e, neg)| {
            let c = c % 10u128.pow(38);
            let text = format!("{}{c}E{e}", if neg { "-" } else { "" });
            Number::parse(&text).ok()
        }),
        Just(Number::zero()),
        Just(Number::parse("1E-130").unwrap()),
        Just(Number::parse("9.9999999999999999999999999999999999999E+125").unwrap()),
    ]
}

/// Strings with the awkward parts: quotes, backslashes, control characters,
/// C1 controls, non-ASCII, emoji, Ion-looking text.
pub fn arb_string() -> impl Strategy<Value = String> {
    prop_oneof![
        ".*",
        "[a-zA-Z_$][a-zA-Z0-9_$]{0,8}",
        prop::sample::select(vec![
            "",
            "null",
            "true",
            "false",
            "nan",
            "$1",
            "$ion_1_0",
            "'",
            "\"",
            "\\",
            "'''",
            "a\u{0}b",
            "\u{7f}\u{80}\u{9f}\u{a0}\u{ff}",
            "zażółć 日本語 🦑",
            "{{",
            "}}",
            "//",
            "/*",
            "line\nbreak\r\ttab",
            "\u{1}\u{1f}\u{b}\u{c}\u{7}\u{8}",
        ])
        .prop_map(str::to_owned),
    ]
}

pub fn arb_value() -> impl Strategy<Value = AttributeValue> {
    let leaf = prop_oneof![
        arb_string().prop_map(AttributeValue::S),
        arb_number().prop_map(AttributeValue::N),
        prop::collection::vec(any::<u8>(), 0..40).prop_map(AttributeValue::B),
        prop::collection::vec(arb_string(), 1..4).prop_map(AttributeValue::SS),
        prop::collection::vec(arb_number(), 1..4).prop_map(AttributeValue::NS),
        prop::collection::vec(prop::collection::vec(any::<u8>(), 0..10), 1..4)
            .prop_map(AttributeValue::BS),
        Just(AttributeValue::Null),
        any::<bool>().prop_map(AttributeValue::Bool),
    ];
    leaf.prop_recursive(4, 40, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(AttributeValue::L),
            prop::collection::btree_map(arb_string(), inner, 0..5).prop_map(AttributeValue::M),
        ]
    })
}

pub fn arb_item() -> impl Strategy<Value = Item> {
    prop::collection::btree_map(arb_string(), arb_value(), 0..8)
}

/// An item of the AWS guide's examples.
pub fn book(isbn: &str, id: &str) -> Item {
    item(&[
        (
            "Authors",
            AttributeValue::SS(vec!["Author1".into(), "Author2".into()]),
        ),
        ("Dimensions", s("8.5 x 11.0 x 1.5")),
        ("ISBN", s(isbn)),
        ("Id", n(id)),
        ("InPublication", AttributeValue::Bool(false)),
        ("PageCount", n("600")),
        ("Price", n("2000")),
        ("ProductCategory", s("Book")),
        ("Title", s(&format!("Book {id} Title"))),
    ])
}
