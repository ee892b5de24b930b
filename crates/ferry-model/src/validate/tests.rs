//! Tests of item, key and index-key validation (exact DynamoDB messages).

use super::*;
use crate::{IndexKind, Number, Projection, ProjectionType, ScalarType};

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_owned())
}

fn n(v: &str) -> AttributeValue {
    AttributeValue::N(Number::parse(v).unwrap_or_else(|e| panic!("{v}: {e}")))
}

fn item(pairs: &[(&str, AttributeValue)]) -> Item {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

fn attr(name: &str, ty: ScalarType) -> KeyAttr {
    KeyAttr {
        name: name.to_owned(),
        ty,
    }
}

fn hash_range() -> KeySchema {
    KeySchema {
        hash: attr("pk", ScalarType::S),
        range: Some(attr("sk", ScalarType::N)),
    }
}

fn message<T: std::fmt::Debug>(r: Result<T, ValidationError>) -> String {
    match r {
        Ok(v) => panic!("expected an error, got {v:?}"),
        Err(e) => {
            assert_eq!(e.to_string(), e.message);
            e.message
        }
    }
}

#[test]
fn empty_sets() {
    let cases = [
        (
            AttributeValue::SS(vec![]),
            "One or more parameter values were invalid: An string set  may not be empty",
        ),
        (
            AttributeValue::NS(vec![]),
            "One or more parameter values were invalid: An number set  may not be empty",
        ),
        (
            AttributeValue::BS(vec![]),
            "One or more parameter values were invalid: Binary sets should not be empty",
        ),
    ];
    for (value, expected) in cases {
        assert_eq!(
            message(validate_item(&item(&[
                ("pk", s("a")),
                ("x", value.clone())
            ]))),
            expected
        );
        // Anywhere in the item.
        let nested = AttributeValue::M(item(&[("l", AttributeValue::L(vec![value.clone()]))]));
        assert_eq!(message(validate_item(&item(&[("x", nested)]))), expected);
        assert_eq!(message(validate_value(&value)), expected);
    }
}

#[test]
fn duplicate_set_members() {
    let ss = AttributeValue::SS(vec!["a".into(), "a".into()]);
    assert_eq!(
        message(validate_value(&ss)),
        "One or more parameter values were invalid: Input collection [a, a] contains duplicates."
    );
    let ns = AttributeValue::NS(vec![
        Number::parse("1").unwrap_or_default(),
        Number::parse("1.0").unwrap_or_default(),
    ]);
    assert_eq!(
        message(validate_value(&ns)),
        "Input collection contains duplicates"
    );
    let bs = AttributeValue::BS(vec![b"b".to_vec(), b"b".to_vec()]);
    assert_eq!(
        message(validate_value(&bs)),
        "One or more parameter values were invalid: Input collection [Yg==, Yg==]of type BS contains duplicates."
    );
    // Distinct members, including empty ones, are fine.
    assert_eq!(
        validate_value(&AttributeValue::SS(vec!["".into(), "a".into()])),
        Ok(())
    );
    assert_eq!(
        validate_value(&AttributeValue::BS(vec![vec![], vec![1]])),
        Ok(())
    );
}

fn deep_map(levels: usize) -> AttributeValue {
    let mut v = s("leaf");
    for _ in 0..levels {
        v = AttributeValue::M(item(&[("n", v)]));
    }
    v
}

#[test]
fn nesting_depth_limit() {
    assert_eq!(nesting_depth(&s("x")), 1);
    assert_eq!(nesting_depth(&AttributeValue::L(vec![])), 1);
    assert_eq!(nesting_depth(&deep_map(31)), 32);
    assert_eq!(validate_item(&item(&[("d", deep_map(31))])), Ok(()));
    assert_eq!(
        message(validate_item(&item(&[("d", deep_map(32))]))),
        "Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit"
    );
}

#[test]
fn item_size_limit() {
    // name (1) + value: exactly 400 KB is allowed, one byte more is not.
    let fits = item(&[("a", s(&"x".repeat(MAX_ITEM_SIZE - 1)))]);
    assert_eq!(crate::item_size(&fits), 409_600);
    assert_eq!(validate_item(&fits), Ok(()));
    let too_big = item(&[("a", s(&"x".repeat(MAX_ITEM_SIZE)))]);
    assert_eq!(
        message(validate_item(&too_big)),
        "Item size has exceeded the maximum allowed size"
    );
}

#[test]
fn key_of_an_item() {
    let schema = hash_range();
    let good = item(&[
        ("pk", s("a")),
        ("sk", n("1.50")),
        ("x", AttributeValue::Null),
    ]);
    assert_eq!(
        validate_key(&good, &schema),
        Ok(PrimaryKey {
            hash: s("a"),
            range: Some(n("1.5"))
        })
    );
    let cases = [
        (
            item(&[("sk", n("1"))]),
            "One or more parameter values were invalid: Missing the key pk in the item",
        ),
        (
            item(&[("pk", s("a"))]),
            "One or more parameter values were invalid: Missing the key sk in the item",
        ),
        (
            item(&[("pk", n("1")), ("sk", n("1"))]),
            "One or more parameter values were invalid: Type mismatch for key pk expected: S actual: N",
        ),
        (
            item(&[
                ("pk", s("a")),
                ("sk", AttributeValue::NS(vec![Number::zero()])),
            ]),
            "One or more parameter values were invalid: Type mismatch for key sk expected: N actual: NS",
        ),
        (
            item(&[("pk", s("")), ("sk", n("1"))]),
            "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: pk",
        ),
        (
            item(&[("pk", s(&"a".repeat(2049))), ("sk", n("1"))]),
            "One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of2048 bytes",
        ),
    ];
    for (it, expected) in cases {
        assert_eq!(message(validate_key(&it, &schema)), expected);
    }
    assert!(
        validate_key(
            &item(&[("pk", s(&"a".repeat(2048))), ("sk", n("1"))]),
            &schema
        )
        .is_ok()
    );

    let binary = KeySchema {
        hash: attr("h", ScalarType::B),
        range: Some(attr("r", ScalarType::S)),
    };
    assert_eq!(
        message(validate_key(
            &item(&[("h", AttributeValue::B(vec![])), ("r", s("x"))]),
            &binary
        )),
        "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty binary value. Key: h"
    );
    assert_eq!(
        message(validate_key(
            &item(&[
                ("h", AttributeValue::B(vec![1])),
                ("r", s(&"r".repeat(1025)))
            ]),
            &binary
        )),
        "One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size limit of 1024 bytes"
    );
    assert!(
        validate_key(
            &item(&[
                ("h", AttributeValue::B(vec![1])),
                ("r", s(&"r".repeat(1024)))
            ]),
            &binary
        )
        .is_ok()
    );
}

#[test]
fn key_parameter_must_match_schema() {
    let schema = hash_range();
    assert_eq!(
        validate_key_only(&item(&[("pk", s("a")), ("sk", n("2"))]), &schema),
        Ok(PrimaryKey {
            hash: s("a"),
            range: Some(n("2"))
        })
    );
    for key in [
        item(&[]),
        item(&[("pk", s("a"))]),
        item(&[("pk", s("a")), ("sk", n("2")), ("x", s("b"))]),
        item(&[("pk", s("a")), ("other", n("2"))]),
        item(&[("pk", n("1")), ("sk", n("2"))]),
        item(&[("pk", s("a")), ("sk", s("2"))]),
    ] {
        assert_eq!(
            message(validate_key_only(&key, &schema)),
            "The provided key element does not match the schema"
        );
    }
    assert_eq!(
        message(validate_key_only(
            &item(&[("pk", s("")), ("sk", n("2"))]),
            &schema
        )),
        "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: pk"
    );
}

fn index(name: &str, hash: KeyAttr, range: Option<KeyAttr>) -> IndexDef {
    IndexDef {
        name: name.to_owned(),
        kind: IndexKind::Global,
        key: KeySchema { hash, range },
        projection: Projection {
            ty: ProjectionType::All,
            non_key_attributes: vec![],
        },
    }
}

#[test]
fn secondary_index_keys() {
    let indexes = [
        index("gsi2", attr("g2", ScalarType::N), None),
        index(
            "gsi1",
            attr("g1", ScalarType::S),
            Some(attr("c", ScalarType::S)),
        ),
        index("gsib", attr("bidx", ScalarType::B), None),
    ];
    let put = IndexKeyContext::Put;
    // Absent index keys are fine (sparse index).
    assert_eq!(
        validate_index_keys(&item(&[("pk", s("a"))]), &indexes, put),
        Ok(())
    );
    assert_eq!(
        validate_index_keys(&item(&[("g1", s("a")), ("g2", n("3"))]), &indexes, put),
        Ok(())
    );
    assert_eq!(
        message(validate_index_keys(&item(&[("c", n("1"))]), &indexes, put)),
        "One or more parameter values were invalid: Type mismatch for Index Key c Expected: S Actual: N IndexName: gsi1"
    );
    assert_eq!(
        message(validate_index_keys(
            &item(&[("g2", AttributeValue::Null)]),
            &indexes,
            put
        )),
        "One or more parameter values were invalid: Type mismatch for Index Key g2 Expected: N Actual: NULL IndexName: gsi2"
    );
    // Name order: gsi1 before gsi2 although declared later.
    assert_eq!(
        message(validate_index_keys(
            &item(&[("g2", s("x")), ("g1", AttributeValue::L(vec![]))]),
            &indexes,
            put
        )),
        "One or more parameter values were invalid: Type mismatch for Index Key g1 Expected: S Actual: L IndexName: gsi1"
    );
    assert_eq!(
        message(validate_index_keys(&item(&[("c", s(""))]), &indexes, put)),
        "One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty string value. IndexName: gsi1, IndexKey: c"
    );
    assert_eq!(
        message(validate_index_keys(
            &item(&[("bidx", AttributeValue::B(vec![]))]),
            &indexes,
            put
        )),
        "One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty binary value. IndexName: gsib, IndexKey: bidx"
    );
    // Empty values are found before type mismatches.
    assert_eq!(
        message(validate_index_keys(
            &item(&[("c", n("1")), ("bidx", AttributeValue::B(vec![]))]),
            &indexes,
            put
        )),
        "One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty binary value. IndexName: gsib, IndexKey: bidx"
    );
    let update = IndexKeyContext::Update;
    assert_eq!(
        message(validate_index_keys(
            &item(&[("g1", s(""))]),
            &indexes,
            update
        )),
        "One or more parameter values are not valid. The update expression attempted to update a secondary index key to a value that is not supported. The AttributeValue for a key attribute cannot contain an empty string value."
    );
    assert_eq!(
        message(validate_index_keys(
            &item(&[("bidx", AttributeValue::B(vec![]))]),
            &indexes,
            update
        )),
        "One or more parameter values are not valid. The update expression attempted to update a secondary index key to a value that is not supported. The AttributeValue for a key attribute cannot contain an empty binary value."
    );
}

/// Issue 12 item 1: index key values obey the table's key size limits.
#[test]
fn secondary_index_key_sizes() {
    let indexes = [
        index("gsi", attr("g", ScalarType::S), None),
        index(
            "lsi",
            attr("pk", ScalarType::S),
            Some(attr("l", ScalarType::B)),
        ),
    ];
    let put = IndexKeyContext::Put;
    let long = |n: usize| s(&"x".repeat(n));
    assert_eq!(
        validate_index_keys(&item(&[("g", long(2048))]), &indexes, put),
        Ok(())
    );
    assert_eq!(
        message(validate_index_keys(
            &item(&[("g", long(2049))]),
            &indexes,
            put
        )),
        "One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of2048 bytes"
    );
    assert_eq!(
        message(validate_index_keys(
            &item(&[("g", long(66_500))]),
            &indexes,
            put
        )),
        "One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of2048 bytes"
    );
    let bin = |n: usize| AttributeValue::B(vec![7; n]);
    assert_eq!(
        validate_index_keys(&item(&[("l", bin(1024))]), &indexes, put),
        Ok(())
    );
    assert_eq!(
        message(validate_index_keys(
            &item(&[("l", bin(1025))]),
            &indexes,
            put
        )),
        "One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size limit of 1024 bytes"
    );
    assert_eq!(
        message(validate_index_keys(
            &item(&[("l", bin(1025))]),
            &indexes,
            IndexKeyContext::Update
        )),
        "One or more parameter values were invalid: The update expression attempted to update the secondary index key beyond allowed size limits"
    );
    // Which items a backfill puts into an index.
    let gsi = &indexes[0];
    assert!(fits_index(&item(&[("g", long(2048))]), gsi));
    assert!(!fits_index(&item(&[("g", long(2049))]), gsi));
    assert!(!fits_index(&item(&[("g", s(""))]), gsi));
    assert!(!fits_index(&item(&[("g", n("1"))]), gsi));
    assert!(!fits_index(&item(&[("x", s("a"))]), gsi));
    let lsi = &indexes[1];
    assert!(fits_index(&item(&[("pk", s("a")), ("l", bin(1))]), lsi));
    assert!(!fits_index(&item(&[("pk", s("a")), ("l", bin(0))]), lsi));
    assert!(!fits_index(&item(&[("pk", s("a")), ("l", bin(1025))]), lsi));
}

/// Issue 9 item 7: attribute names, top-level and map keys.
#[test]
fn attribute_names() {
    assert_eq!(
        message(validate_item(&item(&[("pk", s("a")), ("", s("y"))]))),
        "One or more parameter values were invalid: An attribute name cannot be empty"
    );
    let nested = AttributeValue::L(vec![AttributeValue::M(item(&[("", s("y"))]))]);
    assert_eq!(
        message(validate_item(&item(&[("a", nested)]))),
        "One or more parameter values were invalid: An attribute name cannot be empty"
    );
    let max = "n".repeat(MAX_ATTRIBUTE_NAME_SIZE);
    assert_eq!(validate_item(&item(&[(max.as_str(), s("y"))])), Ok(()));
    let over = "n".repeat(MAX_ATTRIBUTE_NAME_SIZE + 1);
    let msg = "One or more parameter values were invalid: Size of an attribute name has exceeded the maximum size limit of 65535 bytes";
    assert_eq!(
        message(validate_item(&item(&[(over.as_str(), s("y"))]))),
        msg
    );
    let in_map = AttributeValue::M(item(&[(over.as_str(), s("y"))]));
    assert_eq!(message(validate_item(&item(&[("a", in_map)]))), msg);
}

/// Issue 9 item 2: the result of an update obeys the item limits, with
/// UpdateItem's messages.
#[test]
fn written_items() {
    let def = TableDef {
        name: "t".to_owned(),
        id: String::new(),
        key: KeySchema {
            hash: attr("pk", ScalarType::S),
            range: None,
        },
        indexes: vec![],
        created_micros: 0,
        status: crate::TableStatus::Active,
        pitr: None,
        settings: Default::default(),
    };
    let put = IndexKeyContext::Put;
    let update = IndexKeyContext::Update;
    let ok = item(&[("pk", s("a")), ("d", deep_map(31))]);
    assert!(validate_written_item(&ok, &def, put).is_ok());
    assert!(validate_written_item(&ok, &def, update).is_ok());
    let deep = item(&[("pk", s("a")), ("d", deep_map(62))]);
    let too_deep = "Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit";
    assert_eq!(message(validate_written_item(&deep, &def, put)), too_deep);
    assert_eq!(
        message(validate_written_item(&deep, &def, update)),
        too_deep
    );
    let big = item(&[("pk", s("a")), ("b", s(&"x".repeat(MAX_ITEM_SIZE)))]);
    assert_eq!(
        message(validate_written_item(&big, &def, put)),
        "Item size has exceeded the maximum allowed size"
    );
    assert_eq!(
        message(validate_written_item(&big, &def, update)),
        "Item size to update has exceeded the maximum allowed size"
    );
    assert_eq!(
        message(validate_written_item(
            &item(&[("pk", s("a")), ("", s("b"))]),
            &def,
            update
        )),
        EMPTY_ATTRIBUTE_NAME
    );
}
