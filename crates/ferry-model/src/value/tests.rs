//! Tests of the DynamoDB JSON codec and of the value helpers.

use proptest::prelude::*;

use super::*;
use crate::{KeyAttr, Number};

fn num(text: &str) -> Number {
    Number::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn decode(json: &str) -> Result<AttributeValue, String> {
    serde_json::from_str::<AttributeValue>(json).map_err(|e| e.to_string())
}

fn decode_ok(json: &str) -> AttributeValue {
    decode(json).unwrap_or_else(|e| panic!("{json}: {e}"))
}

fn decode_err(json: &str) -> String {
    match decode(json) {
        Ok(v) => panic!("{json} should fail, got {v:?}"),
        Err(e) => e,
    }
}

fn encode(v: &AttributeValue) -> String {
    serde_json::to_string(v).unwrap_or_else(|e| panic!("{v:?}: {e}"))
}

#[test]
fn every_type_round_trips() {
    let cases = [
        (r#"{"S":"x"}"#, AttributeValue::S("x".into())),
        (r#"{"N":"1.5"}"#, AttributeValue::N(num("1.5"))),
        (r#"{"B":"AAEC/w=="}"#, AttributeValue::B(vec![0, 1, 2, 255])),
        (
            r#"{"SS":["a","b"]}"#,
            AttributeValue::SS(vec!["a".into(), "b".into()]),
        ),
        (
            r#"{"NS":["1","-2.5"]}"#,
            AttributeValue::NS(vec![num("1"), num("-2.5")]),
        ),
        (
            r#"{"BS":["YQ==","Yg=="]}"#,
            AttributeValue::BS(vec![b"a".to_vec(), b"b".to_vec()]),
        ),
        (
            r#"{"L":[{"S":"a"},{"NULL":true}]}"#,
            AttributeValue::L(vec![AttributeValue::S("a".into()), AttributeValue::Null]),
        ),
        (
            r#"{"M":{"a":{"BOOL":false},"b":{"M":{}}}}"#,
            AttributeValue::M(Item::from([
                ("a".to_owned(), AttributeValue::Bool(false)),
                ("b".to_owned(), AttributeValue::M(Item::new())),
            ])),
        ),
        (r#"{"NULL":true}"#, AttributeValue::Null),
        (r#"{"BOOL":true}"#, AttributeValue::Bool(true)),
        (r#"{"S":""}"#, AttributeValue::S(String::new())),
        (r#"{"B":""}"#, AttributeValue::B(Vec::new())),
        (r#"{"L":[]}"#, AttributeValue::L(Vec::new())),
    ];
    for (json, value) in cases {
        assert_eq!(decode_ok(json), value, "{json}");
        assert_eq!(encode(&value), json);
    }
}

#[test]
fn numbers_are_written_canonically() {
    assert_eq!(encode(&decode_ok(r#"{"N":"1.50"}"#)), r#"{"N":"1.5"}"#);
    assert_eq!(encode(&decode_ok(r#"{"N":"1e3"}"#)), r#"{"N":"1000"}"#);
    assert_eq!(
        encode(&decode_ok(r#"{"NS":["-0","1E-2"]}"#)),
        r#"{"NS":["0","0.01"]}"#
    );
}

#[test]
fn escapes_and_unicode_in_strings() {
    let v = decode_ok(r#"{"S":"a\"b\\c\n\u00e9\ud83d\ude00"}"#);
    assert_eq!(v, AttributeValue::S("a\"b\\c\né😀".into()));
    assert_eq!(decode_ok(&encode(&v)), v);
}

#[test]
fn items_are_json_objects() {
    let item: Item =
        serde_json::from_str(r#"{"pk":{"S":"a"},"n":{"N":"7"}}"#).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(item.get("n"), Some(&AttributeValue::N(num("7"))));
    assert_eq!(
        serde_json::to_string(&item).unwrap_or_default(),
        r#"{"n":{"N":"7"},"pk":{"S":"a"}}"#
    );
    let item: Item =
        serde_json::from_slice(br#"{"x":{"N":"12"}}"#).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(item.get("x"), Some(&AttributeValue::N(num("12"))));
}

#[test]
fn unknown_keys_and_nulls_are_ignored_as_dynamodb_does() {
    assert_eq!(
        decode_ok(r#"{"X":[1,2],"S":"a"}"#),
        AttributeValue::S("a".into())
    );
    assert_eq!(
        decode_ok(r#"{"S":"a","N":null}"#),
        AttributeValue::S("a".into())
    );
    assert_eq!(
        decode_ok(r#"{"N":null,"M":null,"L":null,"NULL":null,"BOOL":true}"#),
        AttributeValue::Bool(true)
    );
}

#[test]
fn validation_errors_raised_while_decoding() {
    let cases = [
        (
            r#"{}"#,
            "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes",
        ),
        (
            r#"{"a":""}"#,
            "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes",
        ),
        (
            r#"{"S":null}"#,
            "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes",
        ),
        (
            r#"{"S":"a","N":"1"}"#,
            "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes",
        ),
        (
            r#"{"NULL":false}"#,
            "One or more parameter values were invalid: Null attribute value types must have the value of true",
        ),
        (
            r#"{"N":"b"}"#,
            "The parameter cannot be converted to a numeric value: b",
        ),
        (
            r#"{"N":""}"#,
            "The parameter cannot be converted to a numeric value",
        ),
        (
            r#"{"NS":["1",""]}"#,
            "The parameter cannot be converted to a numeric value",
        ),
        (
            r#"{"N":"1e126"}"#,
            "Number overflow. Attempting to store a number with magnitude larger than supported range",
        ),
        (
            r#"{"N":"1e-131"}"#,
            "Number underflow. Attempting to store a number with magnitude smaller than supported range",
        ),
        (
            r#"{"N":"123456789012345678901234567890123456789"}"#,
            "Attempting to store more than 38 significant digits in a Number",
        ),
        (
            r#"{"M":{"a":{"L":[{}]}}}"#,
            "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes",
        ),
    ];
    for (json, message) in cases {
        let text = decode_err(json);
        assert!(text.starts_with(message), "{json}: {text}");
        assert_eq!(
            serde_error_validation_message(&text),
            Some(message),
            "{json}: {text}"
        );
    }
}

#[test]
fn serialization_errors_are_not_validation_errors() {
    let cases = [
        (r#"{"S":5}"#, "NUMBER_VALUE cannot be converted to String"),
        (r#"{"N":5}"#, "NUMBER_VALUE cannot be converted to String"),
        (
            r#"{"SS":[5]}"#,
            "NUMBER_VALUE cannot be converted to String",
        ),
        (
            r#"{"S":{}}"#,
            "Start of structure or map found where not expected.",
        ),
        (r#"{"S":[]}"#, "Start of list found where not expected"),
        (
            r#"{"B":"abc"}"#,
            "'abc' can not be converted to a Blob: Base64 encoded length is expected a multiple of 4 bytes but found: 3",
        ),
        (
            r#"{"B":"ab!="}"#,
            "'ab!=' can not be converted to a Blob: Invalid Base64 character: '!'",
        ),
        (
            r#"{"B":"YR=="}"#,
            "'YR==' can not be converted to a Blob: Invalid last non-pad Base64 character dectected",
        ),
        (
            r#"{"SS":"a"}"#,
            "invalid type: string \"a\", expected a list",
        ),
        (
            r#"{"BOOL":"true"}"#,
            "invalid type: string \"true\", expected a boolean",
        ),
        (
            r#""x""#,
            "invalid type: string \"x\", expected an AttributeValue object such as {\"S\": \"text\"}",
        ),
    ];
    for (json, message) in cases {
        let text = decode_err(json);
        assert!(text.starts_with(message), "{json}: {text}");
        assert_eq!(
            serde_error_validation_message(&text),
            None,
            "{json}: {text}"
        );
    }
}

#[test]
fn strip_only_a_real_position_suffix() {
    assert_eq!(
        serde_error_validation_message(
            "The parameter cannot be converted to a numeric value: x at line 1 column 9"
        ),
        Some("The parameter cannot be converted to a numeric value: x")
    );
    assert_eq!(
        serde_error_validation_message(
            "The parameter cannot be converted to a numeric value: at line z"
        ),
        Some("The parameter cannot be converted to a numeric value: at line z")
    );
    assert_eq!(
        serde_error_validation_message("EOF while parsing at line 1 column 3"),
        None
    );
}

#[test]
fn type_names_and_scalar_types() {
    let names: Vec<&str> = [
        AttributeValue::S(String::new()),
        AttributeValue::N(Number::zero()),
        AttributeValue::B(Vec::new()),
        AttributeValue::SS(Vec::new()),
        AttributeValue::NS(Vec::new()),
        AttributeValue::BS(Vec::new()),
        AttributeValue::M(Item::new()),
        AttributeValue::L(Vec::new()),
        AttributeValue::Null,
        AttributeValue::Bool(true),
    ]
    .iter()
    .map(|v| {
        assert_eq!(
            v.scalar_type().map(ScalarType::as_str),
            matches!(
                v,
                AttributeValue::S(_) | AttributeValue::N(_) | AttributeValue::B(_)
            )
            .then(|| v.type_name())
        );
        v.type_name()
    })
    .collect();
    assert_eq!(
        names,
        ["S", "N", "B", "SS", "NS", "BS", "M", "L", "NULL", "BOOL"]
    );
}

#[test]
fn primary_key_to_and_from_item() {
    let schema = KeySchema {
        hash: KeyAttr {
            name: "pk".into(),
            ty: ScalarType::S,
        },
        range: Some(KeyAttr {
            name: "sk".into(),
            ty: ScalarType::N,
        }),
    };
    let key = PrimaryKey {
        hash: AttributeValue::S("a".into()),
        range: Some(AttributeValue::N(num("2"))),
    };
    let item = key.to_item(&schema);
    assert_eq!(
        item,
        Item::from([
            ("pk".to_owned(), AttributeValue::S("a".into())),
            ("sk".to_owned(), AttributeValue::N(num("2"))),
        ])
    );
    let mut full = item.clone();
    full.insert("other".into(), AttributeValue::Bool(true));
    assert_eq!(PrimaryKey::from_item(&full, &schema), Some(key.clone()));
    full.remove("sk");
    assert_eq!(PrimaryKey::from_item(&full, &schema), None);
    let hash_only = KeySchema {
        hash: schema.hash.clone(),
        range: None,
    };
    assert_eq!(key.to_item(&hash_only).len(), 1);
}

pub(crate) fn arb_value() -> impl Strategy<Value = AttributeValue> {
    let leaf = prop_oneof![
        ".*".prop_map(AttributeValue::S),
        crate::number::tests::arb_number().prop_map(AttributeValue::N),
        proptest::collection::vec(any::<u8>(), 0..20).prop_map(AttributeValue::B),
        proptest::collection::vec(".*", 1..4).prop_map(AttributeValue::SS),
        proptest::collection::vec(crate::number::tests::arb_number(), 1..4)
            .prop_map(AttributeValue::NS),
        proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..8), 1..4)
            .prop_map(AttributeValue::BS),
        Just(AttributeValue::Null),
        any::<bool>().prop_map(AttributeValue::Bool),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(AttributeValue::L),
            proptest::collection::btree_map(".*", inner, 0..6).prop_map(AttributeValue::M),
        ]
    })
}

proptest! {
    #[test]
    fn json_round_trip(value in arb_value()) {
        let json = encode(&value);
        prop_assert_eq!(decode(&json), Ok(value.clone()));
        // Also through a reader (no borrowed strings).
        let read: AttributeValue = serde_json::from_reader(json.as_bytes())
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(read, value);
    }
}

#[test]
fn bare_numbers_use_their_text() {
    assert_eq!(
        serde_json::to_string(&num("1.50")).unwrap_or_default(),
        r#""1.5""#
    );
    let parsed: Result<Number, _> = serde_json::from_str(r#""1e2""#);
    assert_eq!(parsed.map_err(|e| e.to_string()), Ok(num("100")));
    let bad: Result<Number, _> = serde_json::from_str(r#""x""#);
    assert_eq!(
        bad.map_err(|e| e.to_string()),
        Err(
            "The parameter cannot be converted to a numeric value: x at line 1 column 3".to_owned()
        )
    );
}
