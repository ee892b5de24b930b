//! Tests of the key encodings: memcmp order of encodings equals DynamoDB's
//! order of values (S and B bytewise, N numeric), prefix-freeness, round
//! trips, hash ranges.

use std::cmp::Ordering;

use ferry_model::{AttributeValue, KeyAttr, KeySchema, Number, PrimaryKey, ScalarType};
use proptest::prelude::*;

use super::*;

fn attr(ty: ScalarType) -> KeyAttr {
    KeyAttr {
        name: "k".to_string(),
        ty,
    }
}

fn enc(ty: ScalarType, v: &AttributeValue) -> Vec<u8> {
    let mut out = Vec::new();
    encode_scalar(&attr(ty), v, &mut out).expect("encodes");
    out
}

/// DynamoDB's order of two key values of the same type.
fn dynamo_cmp(a: &AttributeValue, b: &AttributeValue) -> Ordering {
    match (a, b) {
        (AttributeValue::S(x), AttributeValue::S(y)) => x.as_bytes().cmp(y.as_bytes()),
        (AttributeValue::B(x), AttributeValue::B(y)) => x.cmp(y),
        (AttributeValue::N(x), AttributeValue::N(y)) => x.cmp(y),
        _ => panic!("mixed types"),
    }
}

fn number() -> impl Strategy<Value = Number> {
    (
        any::<bool>(),
        0u128..10u128.pow(38),
        -150i32..140,
        0usize..3,
    )
        .prop_filter_map("out of DynamoDB's range", |(neg, coef, exp, shape)| {
            let coef = match shape {
                // Small coefficients make equal-magnitude collisions likely.
                0 => coef % 1000,
                1 => coef % 10u128.pow(12),
                _ => coef,
            };
            let text = format!("{}{}E{}", if neg { "-" } else { "" }, coef, exp);
            Number::parse(&text).ok()
        })
}

fn string() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-c\u{0}\u{1}\u{ff}]{0,6}",
        any::<String>(),
        "\u{0}{0,3}[a\u{0}]{0,3}",
    ]
}

fn binary() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(
            prop_oneof![Just(0u8), Just(1u8), Just(0xFFu8), any::<u8>()],
            0..8
        ),
        proptest::collection::vec(any::<u8>(), 0..40),
    ]
}

fn typed_pair() -> impl Strategy<Value = (ScalarType, AttributeValue, AttributeValue)> {
    prop_oneof![
        (string(), string()).prop_map(|(a, b)| (
            ScalarType::S,
            AttributeValue::S(a),
            AttributeValue::S(b)
        )),
        (binary(), binary()).prop_map(|(a, b)| (
            ScalarType::B,
            AttributeValue::B(a),
            AttributeValue::B(b)
        )),
        (number(), number()).prop_map(|(a, b)| (
            ScalarType::N,
            AttributeValue::N(a),
            AttributeValue::N(b)
        )),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn encoding_order_is_dynamodb_order((ty, a, b) in typed_pair()) {
        let (ea, eb) = (enc(ty, &a), enc(ty, &b));
        prop_assert_eq!(ea.cmp(&eb), dynamo_cmp(&a, &b));
        // Prefix-free: a proper prefix would break compound keys.
        if ea != eb {
            prop_assert!(!eb.starts_with(&ea) && !ea.starts_with(&eb));
        }
    }

    #[test]
    fn encodings_round_trip((ty, a, b) in typed_pair()) {
        let mut both = enc(ty, &a);
        let first = both.len();
        both.extend(enc(ty, &b));
        let (da, used) = decode_scalar(ty, &both).expect("decodes");
        prop_assert_eq!(used, first);
        prop_assert_eq!(&da, &a);
        let (db, used_b) = decode_scalar(ty, &both[used..]).expect("decodes");
        prop_assert_eq!(used + used_b, both.len());
        prop_assert_eq!(db, b);
    }

    #[test]
    fn compound_keys_order_field_by_field(
        (ty, a1, a2) in typed_pair(),
        (ty2, b1, b2) in typed_pair(),
    ) {
        let mut k1 = enc(ty, &a1);
        k1.extend(enc(ty2, &b1));
        let mut k2 = enc(ty, &a2);
        k2.extend(enc(ty2, &b2));
        let want = dynamo_cmp(&a1, &a2).then(dynamo_cmp(&b1, &b2));
        prop_assert_eq!(k1.cmp(&k2), want);
    }

    #[test]
    fn begins_with_prefix_matches_exactly(a in string(), b in string()) {
        let mut p = Vec::new();
        escape_bytes(a.as_bytes(), &mut p);
        let eb = enc(ScalarType::S, &AttributeValue::S(b.clone()));
        prop_assert_eq!(eb.starts_with(&p), b.as_bytes().starts_with(a.as_bytes()));
    }
}

#[test]
fn escaping_is_exact() {
    assert_eq!(
        enc(ScalarType::S, &AttributeValue::S(String::new())),
        vec![0, 1]
    );
    assert_eq!(
        enc(ScalarType::B, &AttributeValue::B(vec![0, 7, 0])),
        vec![0, 0xFF, 7, 0, 0xFF, 0, 1]
    );
    assert_eq!(decode_bytes(&[0, 2]), None);
    assert_eq!(decode_bytes(&[5, 0]), None);
}

#[test]
fn wrong_key_types_are_refused() {
    let err = encode_scalar(
        &attr(ScalarType::S),
        &AttributeValue::N(Number::from(1i64)),
        &mut Vec::new(),
    )
    .expect_err("type mismatch");
    assert_eq!(
        err.to_string(),
        "invalid request: key attribute k must be of type S, got N"
    );
    let schema = KeySchema {
        hash: attr(ScalarType::S),
        range: Some(KeyAttr {
            name: "r".to_string(),
            ty: ScalarType::N,
        }),
    };
    let key = PrimaryKey {
        hash: AttributeValue::S("a".to_string()),
        range: None,
    };
    let err = item_prefix(1, &schema, &key).expect_err("missing sort key");
    assert_eq!(
        err.to_string(),
        "invalid request: missing sort key attribute r"
    );
}

#[test]
fn version_keys_sort_newest_first() {
    let schema = KeySchema {
        hash: attr(ScalarType::S),
        range: None,
    };
    let key = PrimaryKey {
        hash: AttributeValue::S("a".to_string()),
        range: None,
    };
    let (prefix, hash) = item_prefix(7, &schema, &key).expect("prefix");
    assert_eq!(&prefix[..4], &7u32.to_be_bytes());
    assert_eq!(&prefix[4..12], &hash.to_be_bytes());
    let old = version_key(&prefix, 1_000);
    let new = version_key(&prefix, 2_000);
    assert!(new < old);
    assert_eq!(
        split_version_key(&old).expect("splits"),
        (&prefix[..], 1_000)
    );
}

#[test]
fn hash_ranges_cover_the_space() {
    assert!(split_hash_space(0).is_empty());
    assert_eq!(split_hash_space(1), vec![0..u64::MAX]);
    for n in [2u32, 3, 7, 1000] {
        let r = split_hash_space(n);
        assert_eq!(r.len(), n as usize);
        assert_eq!(r[0].start, 0);
        assert_eq!(r[r.len() - 1].end, u64::MAX);
        for w in r.windows(2) {
            assert_eq!(w[0].end, w[1].start);
            assert!(w[0].start < w[0].end);
        }
    }
    assert!(hash_of(b"anything") <= HASH_MAX);
}

#[test]
fn prefix_end_is_the_successor() {
    assert_eq!(prefix_end(&[1, 2, 3]), Some(vec![1, 2, 4]));
    assert_eq!(prefix_end(&[1, 0xFF, 0xFF]), Some(vec![2]));
    assert_eq!(prefix_end(&[0xFF]), None);
}
