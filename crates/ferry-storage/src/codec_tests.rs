//! Tests of the item codec: round trips (proptest), exact bytes, and
//! corrupt input refused without panics.

use ferry_model::{AttributeValue, Item, Number};
use proptest::prelude::*;

use super::*;

fn number() -> impl Strategy<Value = Number> {
    (any::<bool>(), 0u128..10u128.pow(38), -150i32..140).prop_filter_map(
        "out of range",
        |(neg, coef, exp)| {
            Number::parse(&format!("{}{}E{}", if neg { "-" } else { "" }, coef, exp)).ok()
        },
    )
}

fn value() -> impl Strategy<Value = AttributeValue> {
    let leaf = prop_oneof![
        any::<String>().prop_map(AttributeValue::S),
        number().prop_map(AttributeValue::N),
        proptest::collection::vec(any::<u8>(), 0..20).prop_map(AttributeValue::B),
        proptest::collection::vec(any::<String>(), 1..4).prop_map(AttributeValue::SS),
        proptest::collection::vec(number(), 1..4).prop_map(AttributeValue::NS),
        proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..5), 1..4)
            .prop_map(AttributeValue::BS),
        Just(AttributeValue::Null),
        any::<bool>().prop_map(AttributeValue::Bool),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(AttributeValue::L),
            proptest::collection::btree_map(any::<String>(), inner, 0..6)
                .prop_map(AttributeValue::M),
        ]
    })
}

fn item() -> impl Strategy<Value = Item> {
    proptest::collection::btree_map("[a-z]{1,8}|\\PC{1,4}", value(), 0..10)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn items_round_trip(item in item()) {
        let put = encode_put(&item).expect("encodes");
        prop_assert_eq!(put[0], FORMAT);
        prop_assert_eq!(decode_version(&put).expect("decodes"), Some(item.clone()));
        let idx = encode_index_value(&item);
        prop_assert_eq!(decode_index_value(&idx).expect("decodes"), item);
    }

    #[test]
    fn corrupt_bytes_never_panic(item in item(), cut in 0usize..200, flip in any::<u8>()) {
        let mut put = encode_put(&item).expect("encodes");
        if cut < put.len() {
            put.truncate(cut.max(2));
            let _ = decode_version(&put);
            if let Some(b) = put.last_mut() {
                *b ^= flip;
            }
            let _ = decode_version(&put);
        }
    }
}

#[test]
fn exact_bytes_of_a_small_item() {
    let mut item = Item::new();
    item.insert("a".to_string(), AttributeValue::S("xy".to_string()));
    item.insert("b".to_string(), AttributeValue::Bool(true));
    item.insert(
        "c".to_string(),
        AttributeValue::L(vec![AttributeValue::Null]),
    );
    let put = encode_put(&item).expect("encodes");
    assert_eq!(
        put,
        vec![
            1, 0, 3, 1, b'a', 0, 2, b'x', b'y', 1, b'b', 10, 1, b'c', 7, 1, 8
        ]
    );
}

#[test]
fn tombstones_and_versions() {
    assert_eq!(decode_version(&TOMBSTONE).expect("decodes"), None);
    assert!(is_tombstone(&TOMBSTONE).expect("valid"));
    assert!(!is_tombstone(&encode_put(&Item::new()).expect("encodes")).expect("valid"));
    // A TTL deletion's tombstone is a tombstone; one written before that
    // kind existed (and every user delete) is not a TTL deletion.
    assert_eq!(decode_version(&EXPIRED).expect("decodes"), None);
    assert!(is_tombstone(&EXPIRED).expect("valid"));
    assert!(is_expiry(&EXPIRED));
    assert!(!is_expiry(&TOMBSTONE));
    let err = decode_version(&[1, 3]).expect_err("unknown kind");
    assert_eq!(
        err.to_string(),
        "corrupt stored data: item encoding: unknown version kind"
    );
    let err = decode_version(&[2, 0, 0]).expect_err("unknown format");
    assert_eq!(
        err.to_string(),
        "corrupt stored data: item encoding: unknown format version"
    );
    let err = decode_version(&[1, 0, 1, 1, b'a', 42]).expect_err("bad tag");
    assert_eq!(
        err.to_string(),
        "corrupt stored data: item encoding: unknown value tag"
    );
    let err = decode_version(&[1, 0, 0, 9]).expect_err("trailing");
    assert_eq!(
        err.to_string(),
        "corrupt stored data: item encoding: trailing bytes"
    );
    // A huge length is refused before allocating.
    let err = decode_version(&[1, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F]).expect_err("length");
    assert_eq!(
        err.to_string(),
        "corrupt stored data: item encoding: length past the end"
    );
}

#[test]
fn deep_nesting_is_refused() {
    let mut bytes = vec![1, 0];
    for _ in 0..100 {
        bytes.extend_from_slice(&[1, 1, b'm', 6]);
    }
    bytes.push(0);
    let err = decode_version(&bytes).expect_err("too deep");
    assert_eq!(
        err.to_string(),
        "corrupt stored data: item encoding: nested too deeply"
    );
}

/// A value whose innermost scalar is at `levels` (the attribute is level 1),
/// wrapping alternately in lists and maps.
fn nested(levels: usize) -> Item {
    let mut v = AttributeValue::Null;
    for i in 1..levels {
        v = if i % 2 == 0 {
            AttributeValue::L(vec![v])
        } else {
            AttributeValue::M(Item::from([("a".to_string(), v)]))
        };
    }
    Item::from([("a".to_string(), v)])
}

/// Issue 9 item 2: the encoder refuses exactly what the decoder refuses, so
/// nothing stored is unreadable.
#[test]
fn encoding_refuses_what_decoding_refuses() {
    let deepest = MAX_DEPTH as usize + 1;
    let ok = nested(deepest);
    let put = encode_put(&ok).expect("the deepest readable item encodes");
    assert_eq!(decode_version(&put).expect("decodes"), Some(ok));
    for levels in [deepest + 1, deepest + 2, 3_000] {
        let item = nested(levels);
        let err = encode_put(&item).expect_err("too deep to read back");
        assert!(matches!(err, StorageError::InvalidRequest(_)), "{err}");
        // The raw encoding (never stored) is indeed refused by the decoder.
        let mut raw = Vec::new();
        encode_item(&item, &mut raw);
        assert!(decode_item_exact(&raw).is_err());
    }
}
