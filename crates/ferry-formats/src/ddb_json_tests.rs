//! Tests of the DynamoDB JSON lines reader and writers.

use proptest::prelude::*;

use super::*;
use crate::test_support::{arb_item, book, item, n, num, s};

/// The AWS guide's import example (three items, one per line).
const GUIDE_EXAMPLE: &str = concat!(
    r#"{"Item": {"Authors": {"SS": ["Author1", "Author2"]}, "Dimensions": {"S": "8.5 x 11.0 x 1.5"}, "ISBN": {"S": "333-3333333333"}, "Id": {"N": "103"}, "InPublication": {"BOOL": false}, "PageCount": {"N": "600"}, "Price": {"N": "2000"}, "ProductCategory": {"S": "Book"}, "Title": {"S": "Book 103 Title"}}}"#,
    "\n",
    r#"{"Item": {"Authors": {"SS": ["Author1", "Author2"]}, "Dimensions": {"S": "8.5 x 11.0 x 1.5"}, "ISBN": {"S": "444-444444444"}, "Id": {"N": "104"}, "InPublication": {"BOOL": false}, "PageCount": {"N": "600"}, "Price": {"N": "2000"}, "ProductCategory": {"S": "Book"}, "Title": {"S": "Book 104 Title"}}}"#,
    "\n",
    r#"{"Item": {"Authors": {"SS": ["Author1", "Author2"]}, "Dimensions": {"S": "8.5 x 11.0 x 1.5"}, "ISBN": {"S": "555-5555555555"}, "Id": {"N": "105"}, "InPublication": {"BOOL": false}, "PageCount": {"N": "600"}, "Price": {"N": "2000"}, "ProductCategory": {"S": "Book"}, "Title": {"S": "Book 105 Title"}}}"#,
    "\n"
);

fn read(text: &[u8]) -> Vec<(u64, Result<Item, String>)> {
    JsonReader::new(text)
        .map(|r| {
            let r = r.unwrap();
            (r.index, r.item.map_err(|e| e.message))
        })
        .collect()
}

#[test]
fn reads_the_guide_example() {
    let got = read(GUIDE_EXAMPLE.as_bytes());
    assert_eq!(
        got,
        vec![
            (0, Ok(book("333-3333333333", "103"))),
            (1, Ok(book("444-444444444", "104"))),
            (2, Ok(book("555-5555555555", "105"))),
        ]
    );
}

#[test]
fn blank_lines_are_skipped_and_not_counted() {
    let text =
        b"\n   \n{\"Item\":{\"a\":{\"S\":\"x\"}}}\r\n\t\r\n\n{\"Item\":{\"a\":{\"S\":\"y\"}}}";
    let mut reader = JsonReader::new(&text[..]);
    let got: Vec<_> = reader.by_ref().map(|r| r.unwrap()).collect();
    assert_eq!(
        got,
        vec![
            Record {
                index: 0,
                item: Ok(item(&[("a", s("x"))]))
            },
            Record {
                index: 1,
                item: Ok(item(&[("a", s("y"))]))
            },
        ]
    );
    assert_eq!(reader.bytes_read(), text.len() as u64);
}

#[test]
fn empty_input_has_no_records() {
    assert_eq!(read(b""), vec![]);
    assert_eq!(read(b"\n\n  \n"), vec![]);
}

#[test]
fn bad_lines_are_errors_and_reading_goes_on() {
    let text = concat!(
        "{\"Item\": \n",
        "{\"NotAnItem\": {\"p\": {\"S\": \"x\"}}}\n",
        "{\"Item\": {\"p\": {\"N\": \"abc\"}}}\n",
        "{\"Item\": {\"p\": {\"X\": \"1\", \"S\": \"ok\"}}}\n",
        "[1, 2]\n",
        "{\"Item\": {\"p\": {\"S\": 5}}}\n",
        "{\"Item\": {\"p\": {\"NULL\": false}}}\n",
        "{\"Item\": {\"p\": {}}}\n",
        "{\"Item\": {\"p\": {\"S\": \"a\", \"N\": \"1\"}}}\n",
        "{\"Item\": {\"p\": {\"S\": \"a\"}}, \"Item\": {}}\n",
        "not json\n",
        "{\"Item\": {\"p\": {\"S\": \"last\"}}, \"Other\": 1}\n",
    );
    let got = read(text.as_bytes());
    let expected: Vec<(u64, Result<Item, String>)> = vec![
        (0, Err("Invalid JSON: EOF while parsing a value at column 9".into())),
        (1, Err("Invalid DynamoDB JSON item: missing field `Item` at column 32".into())),
        (2, Err("The parameter cannot be converted to a numeric value: abc".into())),
        (3, Ok(item(&[("p", s("ok"))]))),
        (4, Err("Invalid DynamoDB JSON item: invalid type: integer `1`, expected a map at column 2".into())),
        (5, Err("Invalid DynamoDB JSON item: NUMBER_VALUE cannot be converted to String at column 22".into())),
        (6, Err("One or more parameter values were invalid: Null attribute value types must have the value of true".into())),
        (7, Err("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes".into())),
        (8, Err("Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes".into())),
        (9, Err("Invalid DynamoDB JSON item: duplicate field `Item` at column 34".into())),
        (10, Err("Invalid JSON: expected ident at column 2".into())),
        (11, Ok(item(&[("p", s("last"))]))),
    ];
    assert_eq!(got, expected);
}

#[test]
fn invalid_utf8_is_an_error() {
    let got = read(b"{\"Item\": {\"p\": {\"S\": \"\xff\"}}}\n{\"Item\":{}}\n");
    assert_eq!(
        got,
        vec![
            (
                0,
                Err("Invalid JSON: invalid unicode code point at column 23".into())
            ),
            (1, Ok(Item::new())),
        ]
    );
}

#[test]
fn over_long_line_is_one_error_and_the_next_line_still_reads() {
    let mut text = b"{\"Item\":{\"a\":{\"S\":\"".to_vec();
    text.resize(text.len() + MAX_RECORD_BYTES + 10, b'x');
    text.extend_from_slice(b"\"}}}\n{\"Item\":{}}\n");
    let mut reader = JsonReader::new(&text[..]);
    let first = reader.next().unwrap().unwrap();
    assert_eq!(first.index, 0);
    assert_eq!(
        first.item.unwrap_err().message,
        "The record is longer than the maximum of 16777216 bytes"
    );
    assert_eq!(
        reader.next().unwrap().unwrap(),
        Record {
            index: 1,
            item: Ok(Item::new())
        }
    );
    assert!(reader.next().is_none());
    assert_eq!(reader.bytes_read(), text.len() as u64);
}

#[test]
fn io_errors_end_the_stream() {
    struct Failing;
    impl io::Read for Failing {
        fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
            Err(io::Error::new(io::ErrorKind::ConnectionReset, "gone"))
        }
    }
    let mut reader = JsonReader::new(io::BufReader::new(Failing));
    match reader.next() {
        Some(Err(FormatError::Io(e))) => assert_eq!(e.kind(), io::ErrorKind::ConnectionReset),
        other => panic!("{other:?}"),
    }
    assert!(reader.next().is_none());
}

#[test]
fn writes_aws_compact_lines() {
    let mut out = Vec::new();
    write_item_line(&book("333-3333333333", "103"), &mut out);
    assert_eq!(
        String::from_utf8(out).unwrap(),
        concat!(
            r#"{"Item":{"Authors":{"SS":["Author1","Author2"]},"Dimensions":{"S":"8.5 x 11.0 x 1.5"},"ISBN":{"S":"333-3333333333"},"Id":{"N":"103"},"InPublication":{"BOOL":false},"PageCount":{"N":"600"},"Price":{"N":"2000"},"ProductCategory":{"S":"Book"},"Title":{"S":"Book 103 Title"}}}"#,
            "\n"
        )
    );
}

#[test]
fn writes_every_type() {
    let value = item(&[
        ("b", AttributeValue::B(vec![0, 1, 0xfe, 0xff])),
        ("bs", AttributeValue::BS(vec![vec![0], vec![1]])),
        (
            "l",
            AttributeValue::L(vec![
                n("1.50"),
                AttributeValue::Null,
                AttributeValue::Bool(true),
            ]),
        ),
        ("m", AttributeValue::M(item(&[("x", s("q\"\\\n\u{1}é"))]))),
        ("ns", AttributeValue::NS(vec![num("1e3"), num("-0.5")])),
        ("empty", AttributeValue::M(Item::new())),
    ]);
    let mut out = Vec::new();
    write_item_line(&value, &mut out);
    assert_eq!(
        String::from_utf8(out.clone()).unwrap(),
        concat!(
            r#"{"Item":{"b":{"B":"AAH+/w=="},"bs":{"BS":["AA==","AQ=="]},"empty":{"M":{}},"#,
            r#""l":{"L":[{"N":"1.5"},{"NULL":true},{"BOOL":true}]},"#,
            r#""m":{"M":{"x":{"S":"q\"\\\n\u0001é"}}},"ns":{"NS":["1000","-0.5"]}}}"#,
            "\n"
        )
    );
    assert_eq!(parse_item_line(&out).unwrap(), value);
}

#[test]
fn writes_change_records() {
    let keys = item(&[("PK", s("CUST#200"))]);
    let old = item(&[("PK", s("CUST#200")), ("LastName", s("Grace"))]);
    let new = item(&[("PK", s("CUST#200")), ("LastName", s("Smith"))]);
    let mut out = Vec::new();
    write_change_line(
        &keys,
        1_680_109_764_000_000,
        Some(&old),
        Some(&new),
        &mut out,
    );
    write_change_line(&keys, 1_680_109_764_000_001, None, Some(&new), &mut out);
    write_change_line(&keys, 7, Some(&old), None, &mut out);
    write_change_line(&keys, 8, None, None, &mut out);
    assert_eq!(
        String::from_utf8(out).unwrap(),
        concat!(
            r#"{"Metadata":{"WriteTimestampMicros":"1680109764000000"},"Keys":{"PK":{"S":"CUST#200"}},"OldImage":{"LastName":{"S":"Grace"},"PK":{"S":"CUST#200"}},"NewImage":{"LastName":{"S":"Smith"},"PK":{"S":"CUST#200"}}}"#,
            "\n",
            r#"{"Metadata":{"WriteTimestampMicros":"1680109764000001"},"Keys":{"PK":{"S":"CUST#200"}},"NewImage":{"LastName":{"S":"Smith"},"PK":{"S":"CUST#200"}}}"#,
            "\n",
            r#"{"Metadata":{"WriteTimestampMicros":"7"},"Keys":{"PK":{"S":"CUST#200"}},"OldImage":{"LastName":{"S":"Grace"},"PK":{"S":"CUST#200"}}}"#,
            "\n",
            r#"{"Metadata":{"WriteTimestampMicros":"8"},"Keys":{"PK":{"S":"CUST#200"}}}"#,
            "\n",
        )
    );
}

#[test]
fn export_lines_import_unchanged() {
    let items: Vec<Item> = (0..50).map(crate::generator::item).collect();
    let mut out = Vec::new();
    for it in &items {
        write_item_line(it, &mut out);
    }
    let back: Vec<Item> = JsonReader::new(&out[..])
        .map(|r| r.unwrap().item.unwrap())
        .collect();
    assert_eq!(back, items);
}

proptest! {
    #[test]
    fn written_lines_read_back(it in arb_item()) {
        let mut out = Vec::new();
        write_item_line(&it, &mut out);
        prop_assert_eq!(out.iter().filter(|&&b| b == b'\n').count(), 1);
        // The model's serde codec agrees with the hand-written writer.
        let via_serde = format!("{{\"Item\":{}}}\n", serde_json::to_string(&it).unwrap());
        prop_assert_eq!(String::from_utf8(out.clone()).unwrap(), via_serde);
        let back: Vec<_> = JsonReader::new(&out[..]).map(|r| r.unwrap()).collect();
        prop_assert_eq!(back, vec![Record { index: 0, item: Ok(it) }]);
    }
}

#[test]
fn fast_path_takes_plain_lines_and_leaves_the_rest_to_serde() {
    let line = br#" { "Item" : { "a" : { "S" : "x\u00e9\ud83e\udd91\n" } , "b":{"NULL":true},"c":{"L":[]}} } "#;
    assert_eq!(
        fast::parse_line(line),
        Some(item(&[
            ("a", s("x\u{e9}\u{1f991}\n")),
            ("b", AttributeValue::Null),
            ("c", AttributeValue::L(vec![])),
        ]))
    );
    for unsure in [
        &br#"{"Item":{"a":{"S":"x"}},"Other":1}"#[..],
        br#"{"Item":{"a":{"S":"x","N":"1"}}}"#,
        br#"{"Item":{"a":{"X":"1","S":"ok"}}}"#,
        br#"{"Item":{"a":{"S":null}}}"#,
        br#"{"Item":{"a":{"N":1}}}"#,
        br#"{"Item":{"a":{"N":"abc"}}}"#,
        br#"{"Item":{"a":{"B":"AAH"}}}"#,
        br#"{"Item":{"a":{"NULL":false}}}"#,
        br#"{"Item":{"a":{"S":"\ud800"}}}"#,
        br#"{"Item":{"a":{"S":"x"},}}"#,
        br#"{"Item":{}} x"#,
        b"{\"Item\":{\"a\":{\"S\":\"\t\"}}}",
        b"{\"Item\":{\"a\":{\"S\":\"\xff\"}}}",
    ] {
        assert_eq!(
            fast::parse_line(unsure),
            None,
            "{}",
            String::from_utf8_lossy(unsure)
        );
    }
}

/// Bytes that change the meaning of JSON text when dropped in somewhere.
const MUTATION_BYTES: &[u8] = b"\"\\{}[],: \n\t0159.-+eEuSNBLMtruefalsn/\x7f\xc3\xa9";

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn fast_path_agrees_with_serde_on_written_items(it in arb_item()) {
        let mut out = Vec::new();
        write_item_line(&it, &mut out);
        prop_assert_eq!(fast::parse_line(&out), Some(it.clone()));
        prop_assert_eq!(parse_item_line_with_serde(&out), Ok(it));
    }

    #[test]
    fn fast_path_never_disagrees_with_serde_on_mutations(
        it in arb_item(),
        edits in prop::collection::vec(
            (any::<prop::sample::Index>(), prop::sample::select(MUTATION_BYTES.to_vec()), 0..3u8),
            1..4,
        ),
    ) {
        let mut bytes = Vec::new();
        write_item_line(&it, &mut bytes);
        bytes.pop();
        for (at, byte, kind) in edits {
            let i = at.index(bytes.len() + 1);
            match kind {
                0 => bytes.insert(i, byte),
                1 if i < bytes.len() => bytes[i] = byte,
                _ if i < bytes.len() => { bytes.remove(i); }
                _ => bytes.push(byte),
            }
        }
        if let Some(item) = fast::parse_line(&bytes) {
            prop_assert_eq!(parse_item_line_with_serde(&bytes), Ok(item), "{}", String::from_utf8_lossy(&bytes));
        }
    }
}

/// Issue 9 item 1 (the class): a DynamoDB JSON line nested far deeper than
/// any parser's limit is one record error, on both parsers, never a stack
/// overflow; the next line is still read.
#[test]
fn deep_lines_are_record_errors() {
    for levels in [200, 100_000] {
        let value = format!(
            "{}{{\"S\":\"x\"}}{}",
            "{\"L\":[".repeat(levels),
            "]}".repeat(levels)
        );
        let line = format!("{{\"Item\":{{\"a\":{value}}}}}");
        assert!(parse_item_line(line.as_bytes()).is_err(), "{levels}");
        assert!(
            parse_item_line_with_serde(line.as_bytes()).is_err(),
            "{levels}"
        );
        let text = format!("{line}\n{{\"Item\":{{\"b\":{{\"N\":\"1\"}}}}}}\n");
        let got = read(text.as_bytes());
        assert_eq!(got.len(), 2, "{levels}");
        assert!(got[0].1.is_err(), "{levels}");
        assert_eq!(got[1].1, Ok(item(&[("b", n("1"))])), "{levels}");
    }
}
