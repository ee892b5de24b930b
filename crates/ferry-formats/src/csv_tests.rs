//! Tests of the CSV reader, including the AWS guide's examples.

use std::collections::HashMap;

use ferry_model::ScalarType;

use super::*;
use crate::test_support::{item, n, s};

fn read_with(
    text: &[u8],
    options: &CsvOptions,
    types: &[(&str, ScalarType)],
) -> Vec<(u64, Result<Item, String>)> {
    let types: HashMap<String, ScalarType> =
        types.iter().map(|(k, t)| ((*k).to_owned(), *t)).collect();
    // A tiny buffer makes every state cross a refill somewhere.
    let r = io::BufReader::with_capacity(3, text);
    CsvReader::new(r, options, types)
        .map(|r| {
            let r = r.unwrap();
            (r.index, r.item.map_err(|e| e.message))
        })
        .collect()
}

fn read(text: &str) -> Vec<(u64, Result<Item, String>)> {
    read_with(text.as_bytes(), &CsvOptions::default(), &[])
}

#[test]
fn guide_unescaped_quotes_fail() {
    let got = read("id,value\n\"123\",Women's Full \"Length\" Dress\n");
    assert_eq!(got, vec![(0, Err(msg::CSV_UNESCAPED_QUOTE.to_owned()))]);
}

#[test]
fn guide_escaped_quotes_import() {
    let got = read("id,value\n\"\"\"123\"\"\",\"Women's Full \"\"Length\"\" Dress\"\n");
    assert_eq!(
        got,
        vec![(
            0,
            Ok(item(&[
                ("id", s("\"123\"")),
                ("value", s("Women's Full \"Length\" Dress"))
            ]))
        )]
    );
}

#[test]
fn guide_heterogeneous_items_omit_empty_columns() {
    let text = "PK,SK,EntityType,Name,Email,OrderDate,Amount,ProductName,Quantity
USER#1,PROFILE,User,Alice,alice@example.com,,,,
USER#1,ORDER#2024-01-15,Order,,,2024-01-15,99.99,,
USER#1,ORDER#2024-02-10,Order,,,2024-02-10,149.50,,
PRODUCT#101,METADATA,Product,,,,,Laptop,50
PRODUCT#102,METADATA,Product,,,,,Mouse,200
USER#2,PROFILE,User,Bob,bob@example.com,,,,
USER#2,ORDER#2024-01-20,Order,,,2024-01-20,75.00,,
PRODUCT#103,METADATA,Product,,,,,Keyboard,150
USER#3,PROFILE,User,Charlie,charlie@example.com,,,,
PRODUCT#104,METADATA,Product,,,,,Monitor,30
";
    let got = read(text);
    assert_eq!(got.len(), 10);
    assert_eq!(
        got[0],
        (
            0,
            Ok(item(&[
                ("PK", s("USER#1")),
                ("SK", s("PROFILE")),
                ("EntityType", s("User")),
                ("Name", s("Alice")),
                ("Email", s("alice@example.com")),
            ]))
        )
    );
    assert_eq!(
        got[2],
        (
            2,
            Ok(item(&[
                ("PK", s("USER#1")),
                ("SK", s("ORDER#2024-02-10")),
                ("EntityType", s("Order")),
                ("OrderDate", s("2024-02-10")),
                // Not a key: stays a string, exactly as written.
                ("Amount", s("149.50")),
            ]))
        )
    );
    assert_eq!(
        got[9],
        (
            9,
            Ok(item(&[
                ("PK", s("PRODUCT#104")),
                ("SK", s("METADATA")),
                ("EntityType", s("Product")),
                ("ProductName", s("Monitor")),
                ("Quantity", s("30")),
            ]))
        )
    );
}

#[test]
fn key_columns_are_typed() {
    let got = read_with(
        b"pk,sk,bin,other\nA,1.50,AAH+/w==,1.50\nB,x,AAH+/w,2\nC,3,!!,3\n",
        &CsvOptions::default(),
        &[
            ("pk", ScalarType::S),
            ("sk", ScalarType::N),
            ("bin", ScalarType::B),
        ],
    );
    assert_eq!(
        got,
        vec![
            (
                0,
                Ok(item(&[
                    ("pk", s("A")),
                    ("sk", n("1.5")),
                    ("bin", AttributeValue::B(vec![0, 1, 0xfe, 0xff])),
                    ("other", s("1.50")),
                ]))
            ),
            (
                1,
                Err("Invalid number for attribute sk: The parameter cannot be converted to a numeric value: x".into())
            ),
            (
                2,
                Err("Invalid binary value for attribute bin: the value is not valid base64".into())
            ),
        ]
    );
}

#[test]
fn header_list_makes_the_first_line_data() {
    let options = CsvOptions {
        delimiter: b';',
        header: Some(vec!["hk".into(), "title".into(), "year".into()]),
    };
    let got = read_with(
        b"a;T1;1973\nb;\"x;y\";\n",
        &options,
        &[("year", ScalarType::N)],
    );
    assert_eq!(
        got,
        vec![
            (
                0,
                Ok(item(&[
                    ("hk", s("a")),
                    ("title", s("T1")),
                    ("year", n("1973"))
                ]))
            ),
            (1, Ok(item(&[("hk", s("b")), ("title", s("x;y"))]))),
        ]
    );
}

#[test]
fn wrong_column_counts_are_errors() {
    let got = read("a,b,c\n1,2\n1,2,3\n1,2,3,4\n");
    assert_eq!(
        got,
        vec![
            (0, Err("The row has 2 columns but the header has 3: the number of columns must match the header".into())),
            (1, Ok(item(&[("a", s("1")), ("b", s("2")), ("c", s("3"))]))),
            (2, Err("The row has 4 columns but the header has 3: the number of columns must match the header".into())),
        ]
    );
}

#[test]
fn quoted_fields_hold_delimiters_newlines_and_quotes() {
    let got = read("a,b\r\n\"x,\r\ny\",\"\"\"\"\r\n\"\",z");
    assert_eq!(
        got,
        vec![
            (0, Ok(item(&[("a", s("x,\r\ny")), ("b", s("\""))]))),
            (1, Ok(item(&[("b", s("z"))]))),
        ]
    );
}

#[test]
fn text_after_a_closing_quote_is_an_error_and_the_next_row_reads() {
    let got = read("a,b\n\"x\"y,1\n2,3\n");
    assert_eq!(
        got,
        vec![
            (0, Err(msg::CSV_UNESCAPED_QUOTE.to_owned())),
            (1, Ok(item(&[("a", s("2")), ("b", s("3"))]))),
        ]
    );
}

#[test]
fn unterminated_quote_is_an_error() {
    let got = read("a,b\n1,\"open\n2,3\n");
    assert_eq!(got, vec![(0, Err(msg::CSV_UNTERMINATED_QUOTE.to_owned()))]);
}

#[test]
fn blank_lines_skipped_bom_dropped_lone_cr_ends_rows() {
    let got = read_with(
        b"\xEF\xBB\xBFa,b\n\n   \r\n1,2\r3,4\n\n",
        &CsvOptions::default(),
        &[],
    );
    assert_eq!(
        got,
        vec![
            (0, Ok(item(&[("a", s("1")), ("b", s("2"))]))),
            (1, Ok(item(&[("a", s("3")), ("b", s("4"))]))),
        ]
    );
}

#[test]
fn tab_and_space_delimiters() {
    let tab = CsvOptions {
        delimiter: b'\t',
        header: None,
    };
    assert_eq!(
        read_with(b"a\tb\nx y\t\"q\tr\"\n", &tab, &[]),
        vec![(0, Ok(item(&[("a", s("x y")), ("b", s("q\tr"))])))]
    );
    let space = CsvOptions {
        delimiter: b' ',
        header: None,
    };
    assert_eq!(
        read_with(b"a b c\n1  3\n", &space, &[]),
        vec![(0, Ok(item(&[("a", s("1")), ("c", s("3"))])))]
    );
}

#[test]
fn invalid_utf8_rows_are_errors() {
    let got = read_with(b"a,b\n\xff,1\n2,\n", &CsvOptions::default(), &[]);
    assert_eq!(
        got,
        vec![
            (0, Err(msg::CSV_NOT_UTF8.to_owned())),
            (1, Ok(item(&[("a", s("2"))]))),
        ]
    );
}

#[test]
fn bad_header_ends_the_object() {
    assert_eq!(
        read_with(b"a,\xff\n1,2\n", &CsvOptions::default(), &[]),
        vec![(0, Err(msg::CSV_HEADER_NOT_UTF8.to_owned()))]
    );
    assert_eq!(
        read("a,b\"c\n1,2\n"),
        vec![(
            0,
            Err(format!("Invalid CSV header: {}", msg::CSV_UNESCAPED_QUOTE))
        )]
    );
}

#[test]
fn header_only_and_empty_objects_have_no_items() {
    assert_eq!(read(""), vec![]);
    assert_eq!(read("a,b\n"), vec![]);
    assert_eq!(read("a,b"), vec![]);
}

#[test]
fn last_row_without_newline_and_bytes_counted() {
    let text = b"a,b\n1,2\n3,\"4\"";
    let mut reader = CsvReader::new(&text[..], &CsvOptions::default(), HashMap::new());
    let rows: Vec<_> = reader.by_ref().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1].item, Ok(item(&[("a", s("3")), ("b", s("4"))])));
    assert_eq!(reader.bytes_read(), text.len() as u64);
}

#[test]
fn generated_csv_reads_back() {
    let text = crate::generator::csv(0..200);
    let items: Vec<Item> = CsvReader::new(
        &text[..],
        &CsvOptions::default(),
        crate::generator::key_types(),
    )
    .map(|r| r.unwrap().item.unwrap())
    .collect();
    assert_eq!(items.len(), 200);
    let first = crate::generator::item(0);
    assert_eq!(items[0].get("pk"), first.get("pk"));
    assert_eq!(items[0].get("sk"), first.get("sk"));
    assert_eq!(items[0].get("amount").map(|v| v.type_name()), Some("S"));
}

#[test]
fn utf8_is_checked_per_field_and_duplicate_header_names_keep_the_last_column() {
    // "\xC3" and "\xA9" are each invalid although together they are "é".
    assert_eq!(
        read_with(b"a,b\n\xC3,\xA9\n", &CsvOptions::default(), &[]),
        vec![(0, Err(msg::CSV_NOT_UTF8.to_owned()))]
    );
    assert_eq!(
        read("x,a,x\n1,2,3\n4,5,\n"),
        vec![
            (0, Ok(item(&[("a", s("2")), ("x", s("3"))]))),
            (1, Ok(item(&[("a", s("5")), ("x", s("4"))]))),
        ]
    );
}
