//! Tests of the DynamoDB JSON value codec.

use super::*;

fn item(json: &str) -> WireItem {
    serde_json::from_str(json).unwrap()
}

fn shape_error(json: &str) -> String {
    let e = serde_json::from_str::<WireItem>(json).unwrap_err();
    let text = e.to_string();
    text.split(" at line ").next().unwrap().to_string()
}

#[test]
fn all_ten_types_round_trip() {
    let json = r#"{"b":{"B":"AAEC"},"bool":{"BOOL":true},"bs":{"BS":["AQ==","Ag=="]},"l":{"L":[{"S":"x"},{"N":"1"}]},"m":{"M":{"k":{"NULL":true}}},"n":{"N":"1.5"},"ns":{"NS":["1","2"]},"null":{"NULL":true},"s":{"S":"hi"},"ss":{"SS":["a","b"]}}"#;
    let parsed = item(json);
    assert_eq!(parsed.problem, None);
    assert_eq!(parsed.item.len(), 10);
    assert_eq!(parsed.item["b"], AttributeValue::B(vec![0, 1, 2]));
    let out = serde_json::to_string(&parsed.item).unwrap();
    assert_eq!(out, json);
}

#[test]
fn numbers_are_canonical_on_output() {
    let parsed = item(r#"{"n":{"N":"1.50"},"m":{"N":"-0.0100"},"e":{"N":"1E+2"}}"#);
    let out = serde_json::to_string(&parsed.item).unwrap();
    assert_eq!(
        out,
        r#"{"e":{"N":"100"},"m":{"N":"-0.01"},"n":{"N":"1.5"}}"#
    );
}

#[test]
fn value_problems_are_recorded_not_fatal() {
    assert_eq!(
        item(r#"{"a":{}}"#).problem.as_deref(),
        Some(
            "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"
        )
    );
    assert_eq!(
        item(r#"{"a":{"S":"x","N":"1"}}"#).problem.as_deref(),
        Some(
            "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes"
        )
    );
    assert_eq!(
        item(r#"{"a":{"N":"abc"}}"#).problem.as_deref(),
        Some("The parameter cannot be converted to a numeric value: abc")
    );
    assert_eq!(
        item(r#"{"a":{"N":"1e126"}}"#).problem.as_deref(),
        Some(
            "Number overflow. Attempting to store a number with magnitude larger than supported range"
        )
    );
    assert_eq!(
        item(r#"{"a":{"SS":[]}}"#).problem.as_deref(),
        Some("One or more parameter values were invalid: An string set  may not be empty")
    );
    assert_eq!(
        item(r#"{"a":{"SS":["x","y","x"]}}"#).problem.as_deref(),
        Some(
            "One or more parameter values were invalid: Input collection [x, y, x] contains duplicates."
        )
    );
    assert_eq!(
        item(r#"{"a":{"NS":["1","1.0"]}}"#).problem.as_deref(),
        Some("Input collection contains duplicates")
    );
    assert_eq!(
        item(r#"{"a":{"NULL":false}}"#).problem.as_deref(),
        Some(
            "One or more parameter values were invalid: Null attribute value types must have the value of true"
        )
    );
    assert_eq!(
        item(r#"{"a":{"L":[{"M":{"b":{"BS":[]}}}]}}"#)
            .problem
            .as_deref(),
        Some("One or more parameter values were invalid: Binary sets should not be empty")
    );
}

#[test]
fn shape_problems_are_serialization_errors() {
    assert_eq!(
        shape_error(r#"{"a":{"S":5}}"#),
        "class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be converted to an String"
    );
    assert_eq!(
        shape_error(r#"{"a":{"S":true}}"#),
        "class java.lang.Boolean can not be converted to an String"
    );
    assert_eq!(shape_error(r#"{"a":{"SS":"x"}}"#), "Expected list or null");
    assert_eq!(
        shape_error(r#"{"a":{"M":[]}}"#),
        "Start of list found where not expected"
    );
    assert_eq!(shape_error(r#"{"a":"x"}"#), "Expected null");
    assert_eq!(
        shape_error(r#"{"a":{"B":"abc"}}"#),
        "'abc' can not be converted to a Blob: Base64 encoded length is expected a multiple of 4 bytes but found: 3"
    );
    assert_eq!(
        shape_error(r#"{"a":{"BOOL":"maybe"}}"#),
        "'MAYBE' can not be converted to an Boolean"
    );
}

#[test]
fn lenient_booleans_and_nulls() {
    let parsed = item(r#"{"a":{"BOOL":"yes"},"b":{"S":null,"N":"2"},"c":null}"#);
    assert_eq!(parsed.problem, None);
    assert_eq!(parsed.item["a"], AttributeValue::Bool(true));
    assert_eq!(
        parsed.item["b"],
        AttributeValue::N(Number::parse("2").unwrap())
    );
    assert!(!parsed.item.contains_key("c"));
}

#[test]
fn expression_values_keep_the_key_of_a_problem() {
    let v: WireValues = serde_json::from_str(r#"{":a":{"S":"x"},":b":{"N":"x"}}"#).unwrap();
    assert_eq!(
        v.problem,
        Some((
            ":b".to_string(),
            "The parameter cannot be converted to a numeric value: x".to_string()
        ))
    );
    assert_eq!(v.values[":a"], AttributeValue::S("x".into()));
}
