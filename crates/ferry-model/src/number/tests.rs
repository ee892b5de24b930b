//! Unit tests and property tests (oracle: `bigdecimal`) for [`Number`].

use std::cmp::Ordering;
use std::str::FromStr;

use bigdecimal::BigDecimal;
use proptest::prelude::*;

use super::*;

fn n(text: &str) -> Number {
    match Number::parse(text) {
        Ok(v) => v,
        Err(e) => panic!("{text:?} should parse: {e}"),
    }
}

fn err(text: &str) -> NumberError {
    match Number::parse(text) {
        Ok(v) => panic!("{text:?} should not parse, got {v}"),
        Err(e) => e,
    }
}

#[test]
fn canonical_display() {
    let cases = [
        ("1", "1"),
        ("1.50", "1.5"),
        ("1e3", "1000"),
        ("1E+3", "1000"),
        ("0.0", "0"),
        ("-0", "0"),
        ("-0.000", "0"),
        ("0e1000", "0"),
        ("1E-5", "0.00001"),
        ("1.23E+40", "12300000000000000000000000000000000000000"),
        ("-0.5", "-0.5"),
        ("+3", "3"),
        (".5", "0.5"),
        ("5.", "5"),
        ("0001.23", "1.23"),
        ("15E-1", "1.5"),
        ("0.10", "0.1"),
        ("123.456", "123.456"),
        ("-17.4E37", "-174000000000000000000000000000000000000"),
        ("1.000000000000000000000000000000000000000000000000000", "1"),
        ("000000000000000000000000000000000000000000000000001", "1"),
    ];
    for (input, expected) in cases {
        assert_eq!(n(input).to_string(), expected, "input {input}");
    }
}

#[test]
fn display_at_range_limits() {
    let smallest = format!("0.{}1", "0".repeat(129));
    assert_eq!(n("1E-130").to_string(), smallest);
    assert_eq!(n(&smallest), n("1e-130"));
    let largest = format!("{}{}", "9".repeat(38), "0".repeat(88));
    assert_eq!(
        n("9.9999999999999999999999999999999999999E+125").to_string(),
        largest
    );
    assert_eq!(n("-1E-130").to_string(), format!("-{smallest}"));
}

#[test]
fn malformed_texts() {
    for text in [
        "",
        " 1",
        "1 ",
        "NaN",
        "Infinity",
        "-Infinity",
        "-NaN",
        "dog",
        "-dog",
        "1e",
        "1e+",
        "e5",
        ".",
        "-",
        "+",
        "+-1",
        "--1",
        "1..2",
        "1.2.3",
        "0x10",
        "1_000",
        "1,5",
        "١",
        "1e2147483648",
        "1e99999999999999999999",
    ] {
        assert_eq!(
            err(text),
            NumberError::Malformed(text.to_owned()),
            "{text:?}"
        );
    }
    assert_eq!(
        NumberError::Malformed("b".into()).message(),
        "The parameter cannot be converted to a numeric value: b"
    );
    assert_eq!(
        NumberError::Malformed(String::new()).message(),
        "The parameter cannot be converted to a numeric value"
    );
    assert_eq!(
        NumberError::Malformed("b".into()).to_string(),
        "The parameter cannot be converted to a numeric value: b"
    );
}

#[test]
fn accepted_syntax() {
    for text in [
        "3",
        "-7.1234",
        "-17e5",
        "-17.4E37",
        "+3",
        ".123",
        "0001.23",
        "1e+5",
        "0e1000",
        "1e-0",
        "5.",
        "-.5",
        "1E2147483647",
        "0e-2147483647",
    ] {
        if text.starts_with("1E2147483647") {
            assert_eq!(err(text), NumberError::Overflow);
        } else {
            n(text);
        }
    }
}

#[test]
fn precision_and_range_errors() {
    assert_eq!(
        err("123456789012345678901234567890123456789"),
        NumberError::TooManyDigits
    );
    assert_eq!(
        err("-1.23456789012345678901234567890123456789"),
        NumberError::TooManyDigits
    );
    assert_eq!(err("1e126"), NumberError::Overflow);
    assert_eq!(err("-1e126"), NumberError::Overflow);
    assert_eq!(err("11e125"), NumberError::Overflow);
    assert_eq!(err("1e-131"), NumberError::Underflow);
    assert_eq!(err("-1e-131"), NumberError::Underflow);
    assert_eq!(err("0.9e-130"), NumberError::Underflow);
    // Range is checked before precision, as dynalite does.
    assert_eq!(
        err("1234567890123456789012345678901234567890e200"),
        NumberError::Overflow
    );
    assert_eq!(
        NumberError::TooManyDigits.message(),
        "Attempting to store more than 38 significant digits in a Number"
    );
    assert_eq!(
        NumberError::Overflow.message(),
        "Number overflow. Attempting to store a number with magnitude larger than supported range"
    );
    assert_eq!(
        NumberError::Underflow.message(),
        "Number underflow. Attempting to store a number with magnitude smaller than supported range"
    );
    // 38 digits are fine, in any position.
    for text in [
        "12345678901234567890123456789012345678",
        "0.12345678901234567890123456789012345678",
        "3.1415926535897932384626433832795028841",
        "31415926535897932384626433832795028841e30",
        "9.9999999999999999999999999999999999999E+125",
        "1e125",
        "1e-130",
        "1.5e-130",
    ] {
        n(text);
    }
}

#[test]
fn equality_and_order_by_value() {
    assert_eq!(n("1.0"), n("1"));
    assert_eq!(n("100"), n("1e2"));
    assert_eq!(n("-0"), Number::zero());
    assert!(n("9") < n("10"));
    assert!(n("-10") < n("-9"));
    assert!(n("-1") < Number::zero());
    assert!(Number::zero() < n("1e-130"));
    assert!(n("1.5") > n("1.49999"));
    assert!(n("1e125") > n("9.99e124"));
    assert_eq!(n("2.50").cmp(&n("2.5")), Ordering::Equal);
    let mut hasher = std::collections::HashSet::new();
    hasher.insert(n("1.0"));
    assert!(hasher.contains(&n("1")));
}

#[test]
fn conversions() {
    assert_eq!(Number::from(0i64), Number::zero());
    assert_eq!(Number::from(-5i64).to_string(), "-5");
    assert_eq!(Number::from(1500u64).to_string(), "1500");
    assert_eq!(Number::from(i64::MIN).to_string(), "-9223372036854775808");
    assert_eq!(Number::from(u64::MAX).to_string(), "18446744073709551615");
    assert_eq!(Number::from(i64::MIN).to_i64(), Some(i64::MIN));
    assert_eq!(Number::from(i64::MAX).to_i64(), Some(i64::MAX));
    assert_eq!(Number::from(u64::MAX).to_i64(), None);
    assert_eq!(n("1.5").to_i64(), None);
    assert_eq!(n("1e3").to_i64(), Some(1000));
    assert_eq!(n("1e100").to_i64(), None);
    assert_eq!(n("-1.5").to_f64(), -1.5);
    assert_eq!(n("1e-130").to_f64(), 1e-130);
    assert_eq!(
        Number::from_str("12").map(|v| v.to_string()),
        Ok("12".into())
    );
    assert_eq!(format!("{:?}", n("1.50")), "Number(1.5)");
    assert_eq!(n("150").magnitude(), 2);
    assert_eq!(n("0.015").magnitude(), -2);
    assert_eq!(n("150").significant_digits(), 2);
    assert_eq!(n("-3").negate(), n("3"));
    assert_eq!(Number::zero().negate(), Number::zero());
    assert!(!Number::zero().negate().is_negative());
}

#[test]
fn arithmetic() {
    let add = |a: &str, b: &str| n(a).checked_add(&n(b));
    let sub = |a: &str, b: &str| n(a).checked_sub(&n(b));
    assert_eq!(
        add("1", "10000000000000000000000"),
        Ok(n("10000000000000000000001"))
    );
    assert_eq!(
        sub("10000000000000000000000", "1"),
        Ok(n("9999999999999999999999"))
    );
    assert_eq!(add("1.5", "-1.5"), Ok(Number::zero()));
    assert_eq!(add("0.1", "0.2"), Ok(n("0.3")));
    assert_eq!(sub("-5", "5"), Ok(n("-10")));
    assert_eq!(add("9e125", "9e125"), Err(NumberError::Overflow));
    assert_eq!(sub("9e125", "-9e125"), Err(NumberError::Overflow));
    assert_eq!(add("1e50", "1"), Err(NumberError::Inexact));
    assert_eq!(sub("1e50", "1"), Err(NumberError::Inexact));
    assert_eq!(sub("1e-130", "1e-130"), Ok(Number::zero()));
    assert_eq!(sub("1.1e-130", "1e-130"), Err(NumberError::Underflow));
    // 10^38 - 99999 has 38 digits: exact and allowed.
    assert_eq!(
        sub("1e38", "99999"),
        Ok(n("99999999999999999999999999999999900001"))
    );
    assert_eq!(
        add("99999999999999999999999999999999999999", "1"),
        Ok(n("1e38"))
    );
    assert_eq!(
        add("99999999999999999999999999999999999999", "2"),
        Err(NumberError::Inexact)
    );
    assert_eq!(
        NumberError::Inexact.message(),
        "Number overflow. Attempting to store a number with magnitude larger than supported range"
    );
}

#[test]
fn key_encoding_examples() {
    let enc = |t: &str| {
        let mut out = Vec::new();
        n(t).encode_key(&mut out);
        out
    };
    assert_eq!(enc("0"), vec![0x02]);
    assert_eq!(enc("1"), vec![0x03, 130, 20]);
    assert_eq!(enc("1.05"), vec![0x03, 130, 21, 100]);
    assert_eq!(enc("-1"), vec![0x01, 255 - 130, 255 - 20]);
    let ordered = [
        "-1e125",
        "-100",
        "-1.05",
        "-1",
        "-0.5",
        "-1e-130",
        "0",
        "1e-130",
        "0.5",
        "1",
        "1.05",
        "1.1",
        "9",
        "10",
        "100",
        "9.9999999999999999999999999999999999999E+125",
    ];
    for pair in ordered.windows(2) {
        assert!(enc(pair[0]) < enc(pair[1]), "{} < {}", pair[0], pair[1]);
    }
    for t in ordered {
        let mut bytes = enc(t);
        let len = bytes.len();
        bytes.extend_from_slice(b"tail");
        assert_eq!(Number::decode_key(&bytes), Some((n(t), len)), "{t}");
    }
    assert_eq!(Number::decode_key(&[]), None);
    assert_eq!(Number::decode_key(&[0x07]), None);
    assert_eq!(Number::decode_key(&[0x03, 130]), None);
    assert_eq!(Number::decode_key(&[0x03, 130, 21]), None); // no final pair
    assert_eq!(Number::decode_key(&[0x03, 130, 2]), None); // leading zero digit
    assert_eq!(Number::decode_key(&[0x03, 130, 200]), None); // pair 100
    assert_eq!(Number::decode_key(&[0x03, 130, 21, 0]), None); // trailing "00"
}

/// Any valid number: 1..=38 digits, any sign, any in-range magnitude.
pub(crate) fn arb_number() -> impl Strategy<Value = Number> {
    prop_oneof![
        1 => Just(Number::zero()),
        3 => (any::<i64>()).prop_map(Number::from),
        8 => (1u32..=38, any::<u128>(), any::<bool>(), -130i64..=125).prop_filter_map(
            "in range",
            |(digits, raw, negative, magnitude)| {
                let coefficient = raw % POW10[digits as usize];
                if coefficient == 0 {
                    return None;
                }
                let exponent = magnitude - i64::from(digit_count(coefficient)) + 1;
                Number::from_parts(negative, coefficient, exponent, NumberError::TooManyDigits).ok()
            }
        ),
        2 => (1u128..1000, any::<bool>(), -5i64..5).prop_filter_map(
            "small",
            |(c, negative, e)| Number::from_parts(negative, c, e, NumberError::TooManyDigits).ok()
        ),
    ]
}

fn big(v: &Number) -> BigDecimal {
    match BigDecimal::from_str(&v.to_string()) {
        Ok(b) => b,
        Err(e) => panic!("bigdecimal cannot read {v}: {e}"),
    }
}

/// What DynamoDB keeps of an exact result: the number, or the error.
fn oracle(result: &BigDecimal) -> Result<Number, NumberError> {
    let normal = result.normalized();
    if normal == 0 {
        return Ok(Number::zero());
    }
    let (_, scale) = normal.as_bigint_and_exponent();
    let digits = normal.digits() as i64;
    let magnitude = digits - scale - 1;
    if magnitude > 125 {
        return Err(NumberError::Overflow);
    }
    if magnitude < -130 {
        return Err(NumberError::Underflow);
    }
    if digits > 38 {
        return Err(NumberError::Inexact);
    }
    Ok(n(&normal.to_plain_string()))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn display_round_trips(v in arb_number()) {
        prop_assert_eq!(Number::parse(&v.to_string()), Ok(v.clone()));
        prop_assert!(!v.to_string().contains(['e', 'E']));
        prop_assert_eq!(v.to_string(), big(&v).normalized().to_plain_string());
    }

    #[test]
    fn order_matches_bigdecimal(a in arb_number(), b in arb_number()) {
        prop_assert_eq!(a.cmp(&b), big(&a).cmp(&big(&b)));
        prop_assert_eq!(a == b, big(&a) == big(&b));
    }

    #[test]
    fn key_order_matches_numeric_order(a in arb_number(), b in arb_number()) {
        let (mut ka, mut kb) = (Vec::new(), Vec::new());
        a.encode_key(&mut ka);
        b.encode_key(&mut kb);
        prop_assert_eq!(ka.cmp(&kb), big(&a).cmp(&big(&b)));
        // Prefix-free: neither is a proper prefix of the other.
        if ka != kb {
            prop_assert!(!ka.starts_with(&kb) && !kb.starts_with(&ka));
        }
        ka.extend_from_slice(&kb);
        let (da, used) = Number::decode_key(&ka).unwrap_or_else(|| panic!("decode {a}"));
        prop_assert_eq!(&da, &a);
        prop_assert_eq!(Number::decode_key(&ka[used..]), Some((b.clone(), kb.len())));
    }

    #[test]
    fn add_sub_match_bigdecimal(a in arb_number(), b in arb_number()) {
        prop_assert_eq!(a.checked_add(&b), oracle(&(big(&a) + big(&b))));
        prop_assert_eq!(a.checked_sub(&b), oracle(&(big(&a) - big(&b))));
    }

    #[test]
    fn add_sub_close_operands(a in arb_number(), delta in -1000i64..1000) {
        // Operands of similar size exercise cancellation.
        let b = match a.checked_add(&Number::from(delta)) { Ok(b) => b, Err(_) => return Ok(()) };
        prop_assert_eq!(b.checked_sub(&a), oracle(&(big(&b) - big(&a))));
    }

    #[test]
    fn parse_matches_bigdecimal(
        int in "[0-9]{0,45}", frac in "[0-9]{0,45}", exp in proptest::option::of(-200i32..200),
        negative in any::<bool>(),
    ) {
        prop_assume!(!(int.is_empty() && frac.is_empty()));
        let mut text = format!("{}{}", if negative { "-" } else { "" }, int);
        if !frac.is_empty() {
            text.push('.');
            text.push_str(&frac);
        }
        if let Some(e) = exp {
            text.push_str(&format!("e{e}"));
        }
        let expected = match BigDecimal::from_str(&text) {
            Ok(b) => oracle(&b).map_err(|e| if e == NumberError::Inexact { NumberError::TooManyDigits } else { e }),
            Err(_) => return Ok(()),
        };
        prop_assert_eq!(Number::parse(&text), expected);
    }
}
