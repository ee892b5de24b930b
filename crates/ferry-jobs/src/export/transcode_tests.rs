//! The transcoder against the `Item` path: byte-identical lines and equal
//! sizes on random items, and errors on corrupt encodings.

use ferry_formats::ddb_json::{write_change_line, write_item_line};
use ferry_model::{
    AttributeValue, Item, KeyAttr, KeySchema, Number, PrimaryKey, ScalarType, item_size,
};
use ferry_storage::encode_item_raw;
use proptest::prelude::*;

use super::*;

fn arb_number() -> impl Strategy<Value = Number> {
    prop_oneof![
        any::<i64>().prop_map(Number::from),
        (any::<u128>(), -60i32..60, any::<bool>()).prop_filter_map("valid", |(c, e, neg)| {
            let c = c % 10u128.pow(38);
            let text = format!("{}{c}E{e}", if neg { "-" } else { "" });
            Number::parse(&text).ok()
        }),
        (any::<u64>(), -40i32..40, any::<bool>()).prop_filter_map("valid", |(c, e, neg)| {
            let text = format!("{}{c}E{e}", if neg { "-" } else { "" });
            Number::parse(&text).ok()
        }),
    ]
}

fn arb_string() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z]{1,8}",
        any::<String>().prop_filter("non-empty", |s| !s.is_empty()),
        Just("quote\" back\\ nl\n tab\t nul\u{0} bell\u{7} é 😀".to_string()),
    ]
}

fn arb_value() -> impl Strategy<Value = AttributeValue> {
    let leaf = prop_oneof![
        arb_string().prop_map(AttributeValue::S),
        arb_number().prop_map(AttributeValue::N),
        proptest::collection::vec(any::<u8>(), 1..20).prop_map(AttributeValue::B),
        proptest::collection::btree_set(arb_string(), 1..4)
            .prop_map(|s| AttributeValue::SS(s.into_iter().collect())),
        proptest::collection::vec(arb_number(), 1..4).prop_map(|mut v| {
            v.sort_by_key(|n| n.to_string());
            v.dedup();
            AttributeValue::NS(v)
        }),
        proptest::collection::btree_set(proptest::collection::vec(any::<u8>(), 1..6), 1..4)
            .prop_map(|s| AttributeValue::BS(s.into_iter().collect())),
        Just(AttributeValue::Null),
        any::<bool>().prop_map(AttributeValue::Bool),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..5).prop_map(AttributeValue::L),
            proptest::collection::btree_map(arb_string(), inner, 0..5).prop_map(AttributeValue::M),
        ]
    })
}

fn arb_item() -> impl Strategy<Value = Item> {
    (
        arb_string(),
        arb_number(),
        proptest::collection::btree_map(arb_string(), arb_value(), 0..8),
    )
        .prop_map(|(pk, sk, mut item)| {
            item.insert("pk".into(), AttributeValue::S(pk));
            item.insert("sk".into(), AttributeValue::N(sk));
            item
        })
}

fn schema() -> KeySchema {
    KeySchema {
        hash: KeyAttr {
            name: "pk".into(),
            ty: ScalarType::S,
        },
        range: Some(KeyAttr {
            name: "sk".into(),
            ty: ScalarType::N,
        }),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn item_lines_match_the_item_writer(item in arb_item()) {
        let bytes = encode_item_raw(&item);
        let mut want = Vec::new();
        write_item_line(&item, &mut want);
        let mut got = Vec::new();
        let size = write_item_line_raw(&bytes, &mut got).unwrap();
        prop_assert_eq!(String::from_utf8_lossy(&got), String::from_utf8_lossy(&want));
        prop_assert_eq!(got, want);
        prop_assert_eq!(size, item_size(&item));
        prop_assert_eq!(raw_item_size(&bytes).unwrap(), item_size(&item));
    }

    #[test]
    fn change_lines_match_the_change_writer(
        old in proptest::option::of(arb_item()),
        new in proptest::option::of(arb_item()),
        ts in any::<u64>(),
    ) {
        let schema = schema();
        let Some(src) = new.as_ref().or(old.as_ref()) else { return Ok(()) };
        let keys = PrimaryKey::from_item(src, &schema).unwrap().to_item(&schema);
        let mut want = Vec::new();
        write_change_line(&keys, ts, old.as_ref(), new.as_ref(), &mut want);
        let (ob, nb) = (old.as_ref().map(encode_item_raw), new.as_ref().map(encode_item_raw));
        let mut got = Vec::new();
        let size = write_change_line_raw(
            &encode_item_raw(src), &schema, ts, ob.as_deref(), nb.as_deref(), &mut got,
        ).unwrap();
        prop_assert_eq!(got, want);
        prop_assert_eq!(
            size,
            old.as_ref().map_or(0, item_size) + new.as_ref().map_or(0, item_size)
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn ion_item_lines_match_the_ion_writer(item in arb_item()) {
        let bytes = encode_item_raw(&item);
        let mut want = Vec::new();
        ferry_formats::ion::write_item_line(&item, &mut want);
        let mut got = Vec::new();
        let size = super::super::transcode_ion::write_item_line_raw_ion(&bytes, &mut got).unwrap();
        prop_assert_eq!(String::from_utf8_lossy(&got), String::from_utf8_lossy(&want));
        prop_assert_eq!(size, item_size(&item));
    }

    #[test]
    fn ion_change_lines_match_the_ion_change_writer(
        old in proptest::option::of(arb_item()),
        new in proptest::option::of(arb_item()),
        ts in any::<u64>(),
    ) {
        let schema = schema();
        let Some(src) = new.as_ref().or(old.as_ref()) else { return Ok(()) };
        let keys = PrimaryKey::from_item(src, &schema).unwrap().to_item(&schema);
        let mut want = Vec::new();
        ferry_formats::ion::write_change_line(&keys, ts, old.as_ref(), new.as_ref(), &mut want);
        let (ob, nb) = (old.as_ref().map(encode_item_raw), new.as_ref().map(encode_item_raw));
        let mut got = Vec::new();
        let size = super::super::transcode_ion::write_change_line_raw_ion(
            &encode_item_raw(src), &schema, ts, ob.as_deref(), nb.as_deref(), &mut got,
        ).unwrap();
        prop_assert_eq!(String::from_utf8_lossy(&got), String::from_utf8_lossy(&want));
        prop_assert_eq!(
            size,
            old.as_ref().map_or(0, item_size) + new.as_ref().map_or(0, item_size)
        );
    }
}

#[test]
fn hash_only_keys_and_fixed_line() {
    let schema = KeySchema {
        hash: KeyAttr {
            name: "id".into(),
            ty: ScalarType::S,
        },
        range: None,
    };
    let mut item = Item::new();
    item.insert("a".into(), AttributeValue::N(Number::from(-15)));
    item.insert("id".into(), AttributeValue::S("x\"y".into()));
    item.insert("z".into(), AttributeValue::B(vec![1, 2, 3]));
    let bytes = encode_item_raw(&item);
    let mut out = Vec::new();
    let size = write_change_line_raw(&bytes, &schema, 7, None, Some(&bytes), &mut out).unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "{\"Metadata\":{\"WriteTimestampMicros\":\"7\"},\"Keys\":{\"id\":{\"S\":\"x\\\"y\"}},\
         \"NewImage\":{\"a\":{\"N\":\"-15\"},\"id\":{\"S\":\"x\\\"y\"},\"z\":{\"B\":\"AQID\"}}}\n"
    );
    // a: 1 + 3 (negative two digits), id: 2 + 3, z: 1 + 3.
    assert_eq!(size, 13);
}

#[test]
fn corrupt_encodings_are_errors() {
    let mut item = Item::new();
    item.insert("k".into(), AttributeValue::S("v".into()));
    let bytes = encode_item_raw(&item);
    let mut out = Vec::new();
    let truncated = write_item_line_raw(&bytes[..bytes.len() - 1], &mut out).unwrap_err();
    assert_eq!(
        truncated.to_string(),
        "corrupt stored data: item encoding: length past the end"
    );
    let mut long = bytes.clone();
    long.push(0);
    let err = write_item_line_raw(&long, &mut Vec::new()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "corrupt stored data: item encoding: trailing bytes"
    );
    let mut bad_tag = bytes;
    bad_tag[3] = 99; // count, name len, name, TAG
    let err = write_item_line_raw(&bad_tag, &mut Vec::new()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "corrupt stored data: item encoding: unknown value tag"
    );
}

#[test]
fn numbers_are_written_in_dynamodb_canonical_text() {
    let tiny = format!("0.{}1", "0".repeat(129));
    let huge = format!("{}{}", "9".repeat(38), "0".repeat(88));
    let cases: [(&str, &str); 9] = [
        ("1e3", "1000"),
        ("-1.50", "-1.5"),
        ("0.001", "0.001"),
        ("123.456", "123.456"),
        ("0", "0"),
        ("-0", "0"),
        ("1E-130", &tiny),
        (
            "12345678901234567890123456789012345678",
            "12345678901234567890123456789012345678",
        ),
        ("9.9999999999999999999999999999999999999E+125", &huge),
    ];
    for (text, want) in cases {
        let n = Number::parse(text).unwrap();
        let mut out = Vec::new();
        push_number(&mut out, &n);
        assert_eq!(String::from_utf8(out).unwrap(), want, "{text}");
        assert_eq!(n.to_string(), want, "{text}");
    }
}

/// Raw bytes of an item whose attribute is `levels` nested lists (not made
/// by the encoder, which refuses them): a stored item could be corrupt.
fn raw_nested_lists(levels: usize) -> Vec<u8> {
    let mut bytes = vec![1, 1, b'a'];
    bytes.extend(std::iter::repeat_n([7u8, 1], levels).flatten());
    bytes.push(8); // NULL
    bytes
}

/// Issue 9 item 1 (the class): both transcoders stop at the decoder's depth
/// with an error instead of recursing through corrupt bytes.
#[test]
fn deep_encodings_are_errors_not_recursion() {
    let ok = raw_nested_lists(RawReader::MAX_DEPTH as usize);
    write_item_line_raw(&ok, &mut Vec::new()).expect("at the limit");
    super::super::transcode_ion::write_item_line_raw_ion(&ok, &mut Vec::new())
        .expect("at the limit");
    for levels in [RawReader::MAX_DEPTH as usize + 1, 100_000] {
        let deep = raw_nested_lists(levels);
        let json = write_item_line_raw(&deep, &mut Vec::new()).unwrap_err();
        assert!(json.to_string().contains("nested"), "{json}");
        let ion = super::super::transcode_ion::write_item_line_raw_ion(&deep, &mut Vec::new())
            .unwrap_err();
        assert!(ion.to_string().contains("nested"), "{ion}");
    }
}
