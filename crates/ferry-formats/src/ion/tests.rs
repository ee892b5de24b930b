//! Tests of the Ion reader and writer: the AWS guide's examples, exact
//! output forms, the type mapping, and write → ion-rs read round trips.

use std::io::Cursor;

use ferry_model::{AttributeValue, Item};
use ion_rs::Element;
use proptest::prelude::*;

use super::read::parse_chunk_with_ion_rs;
use super::write::push_decimal_text;
use super::*;
use crate::Record;
use crate::errors::RecordError;
use crate::test_support::{arb_item, book, item, n, num, s};

fn read(text: &[u8]) -> Vec<(u64, Result<Item, String>)> {
    IonReader::new(Cursor::new(text.to_vec()))
        .map(|r| {
            let r = r.unwrap();
            (r.index, r.item.map_err(|e| e.message))
        })
        .collect()
}

fn line(it: &Item) -> String {
    let mut out = Vec::new();
    write_item_line(it, &mut out);
    String::from_utf8(out).unwrap()
}

const GUIDE_IMPORT_EXAMPLE: &str = r#"$ion_1_0
[
  {
    Item:{
      Authors:$dynamodb_SS::["Author1","Author2"],
      Dimensions:"8.5 x 11.0 x 1.5",
      ISBN:"333-3333333333",
      Id:103.,
      InPublication:false,
      PageCount:6d2,
      Price:2d3,
      ProductCategory:"Book",
      Title:"Book 103 Title"
    }
  },
  {
    Item:{
      Authors:$dynamodb_SS::["Author1","Author2"],
      Dimensions:"8.5 x 11.0 x 1.5",
      ISBN:"444-4444444444",
      Id:104.,
      InPublication:false,
      PageCount:6d2,
      Price:2d3,
      ProductCategory:"Book",
      Title:"Book 104 Title"
    }
  },
  {
    Item:{
      Authors:$dynamodb_SS::["Author1","Author2"],
      Dimensions:"8.5 x 11.0 x 1.5",
      ISBN:"555-5555555555",
      Id:105.,
      InPublication:false,
      PageCount:6d2,
      Price:2d3,
      ProductCategory:"Book",
      Title:"Book 105 Title"
    }
  }
]
"#;

#[test]
fn reads_the_guide_import_example_top_level_list() {
    assert_eq!(
        read(GUIDE_IMPORT_EXAMPLE.as_bytes()),
        vec![
            (0, Ok(book("333-3333333333", "103"))),
            (1, Ok(book("444-4444444444", "104"))),
            (2, Ok(book("555-5555555555", "105"))),
        ]
    );
}

#[test]
fn reads_the_guide_export_example_multi_line() {
    let text = r#"$ion_1_0 {
    Item:{
        Authors:$dynamodb_SS::["Author1","Author2"],
        Dimensions:"8.5 x 11.0 x 1.5",
        ISBN:"333-3333333333",
        Id:103.,
        InPublication:false,
        PageCount:6d2,
        Price:2d3,
        ProductCategory:"Book",
        Title:"Book 103 Title"
    }
}
$ion_1_0 {Item:{Id:104.}}
"#;
    assert_eq!(
        read(text.as_bytes()),
        vec![
            (0, Ok(book("333-3333333333", "103"))),
            (1, Ok(item(&[("Id", n("104"))]))),
        ]
    );
}

#[test]
fn writes_the_guide_export_line_exactly() {
    assert_eq!(
        line(&book("333-3333333333", "103")),
        concat!(
            r#"$ion_1_0 {Item:{Authors:$dynamodb_SS::["Author1","Author2"],Dimensions:"8.5 x 11.0 x 1.5","#,
            r#"ISBN:"333-3333333333",Id:103.,InPublication:false,PageCount:6d2,Price:2d3,"#,
            r#"ProductCategory:"Book",Title:"Book 103 Title"}}"#,
            "\n"
        )
    );
}

#[test]
fn writes_the_guide_change_record_exactly() {
    let keys = item(&[("ISBN", s("333-3333333333"))]);
    let old = item(&[
        (
            "Authors",
            AttributeValue::SS(vec!["Author1".into(), "Author2".into()]),
        ),
        ("ISBN", s("333-3333333333")),
        ("Id", n("103")),
        ("InPublication", AttributeValue::Bool(false)),
        ("ProductCategory", s("Book")),
        ("Title", s("Book 103 Title")),
    ]);
    let mut new = book("333-3333333333", "103");
    new.insert("InPublication".into(), AttributeValue::Bool(true));
    let mut out = Vec::new();
    write_change_line(
        &keys,
        1_684_374_845_117_899,
        Some(&old),
        Some(&new),
        &mut out,
    );
    let guide = r#"$ion_1_0 {
    Record:{
        Keys:{
             ISBN:"333-3333333333"
         },
        Metadata:{
            WriteTimestampMicros:1684374845117899.
        },
        OldImage:{
            Authors:$dynamodb_SS::["Author1","Author2"],
            ISBN:"333-3333333333",
            Id:103.,
            InPublication:false,
            ProductCategory:"Book",
            Title:"Book 103 Title"
        },
        NewImage:{
            Authors:$dynamodb_SS::["Author1","Author2"],
            Dimensions:"8.5 x 11.0 x 1.5",
            ISBN:"333-3333333333",
            Id:103.,
            InPublication:true,
            PageCount:6d2,
            Price:2d3,
            ProductCategory:"Book",
            Title:"Book 103 Title"
        }
    }
}"#;
    // The guide pretty-prints; the only spaces inside values are in "8.5 x 11.0 x 1.5".
    let compact: String = guide
        .replace("8.5 x 11.0 x 1.5", "DIMS")
        .replace("Book 103 Title", "TITLE")
        .split_whitespace()
        .collect::<String>()
        .replace("$ion_1_0{", "$ion_1_0 {")
        .replace("DIMS", "8.5 x 11.0 x 1.5")
        .replace("TITLE", "Book 103 Title");
    assert_eq!(
        String::from_utf8(out.clone()).unwrap(),
        format!("{compact}\n")
    );
    // Only Keys with NEW_IMAGE-less deletes: no images at all.
    let mut bare = Vec::new();
    write_change_line(&keys, 5, None, None, &mut bare);
    assert_eq!(
        String::from_utf8(bare).unwrap(),
        "$ion_1_0 {Record:{Keys:{ISBN:\"333-3333333333\"},Metadata:{WriteTimestampMicros:5.}}}\n"
    );
    // And ion-rs reads the record.
    let parsed = Element::read_one(&out[..]).unwrap();
    let record = parsed
        .as_struct()
        .unwrap()
        .get("Record")
        .unwrap()
        .as_struct()
        .unwrap();
    let meta = record.get("Metadata").unwrap().as_struct().unwrap();
    assert_eq!(
        meta.get("WriteTimestampMicros")
            .unwrap()
            .as_decimal()
            .unwrap(),
        ion_rs::Decimal::new(1_684_374_845_117_899i64, 0)
    );
}

#[test]
fn decimal_forms_follow_ion_java() {
    let cases = [
        ("0", "0."),
        ("-0", "0."),
        ("103", "103."),
        ("600", "6d2"),
        ("2000", "2d3"),
        ("-17.5", "-17.5"),
        ("1.50", "1.5"),
        ("123.456", "123.456"),
        ("0.5", "0.5"),
        ("0.001", "0.001"),
        ("0.000001", "0.000001"),
        ("0.0000001", "1d-7"),
        ("0.00000123", "0.00000123"),
        ("0.000000123", "123d-9"),
        ("1E-130", "1d-130"),
        ("1.2E+40", "12d39"),
        (
            "99999999999999999999999999999999999999",
            "99999999999999999999999999999999999999.",
        ),
        (
            "9.9999999999999999999999999999999999999E+125",
            "99999999999999999999999999999999999999d88",
        ),
    ];
    for (input, expected) in cases {
        let mut out = Vec::new();
        push_decimal_text(&mut out, &num(input).to_string());
        assert_eq!(String::from_utf8(out).unwrap(), expected, "{input}");
        // ion-rs reads the same value back.
        let line = format!("{{Item:{{x:{expected}}}}}");
        assert_eq!(
            read(line.as_bytes()),
            vec![(0, Ok(item(&[("x", n(input))])))],
            "{input}"
        );
    }
}

#[test]
fn strings_and_field_names_are_escaped_like_ion_java() {
    let it = item(&[
        (
            "plain_Name$1",
            s("a\"b\\c\n\t\r\u{0}\u{7}\u{8}\u{b}\u{c}\u{1}\u{1f}\u{7f}"),
        ),
        ("null", s("\u{80}\u{9f}\u{a0}é日🦑")),
        ("$1", s("'")),
        ("it's \"x\"", s("")),
        ("", AttributeValue::Null),
        ("9lives", AttributeValue::Bool(true)),
    ]);
    assert_eq!(
        line(&it),
        concat!(
            r#"$ion_1_0 {Item:{'':null,'$1':"'",'9lives':true,'it\'s "x"':"","#,
            r#"'null':"\x80\x9f"#,
            "\u{a0}é日🦑",
            r#"",plain_Name$1:"a\"b\\c\n\t\r\0\a\b\v\f\x01\x1f\x7f"}}"#,
            "\n"
        )
    );
    assert_eq!(read(line(&it).as_bytes()), vec![(0, Ok(it))]);
}

#[test]
fn every_type_maps_both_ways() {
    let it = item(&[
        ("b", AttributeValue::B(vec![0, 1, 0xfe, 0xff])),
        ("bs", AttributeValue::BS(vec![vec![], vec![1]])),
        ("ns", AttributeValue::NS(vec![num("1e3"), num("-0.5")])),
        (
            "l",
            AttributeValue::L(vec![
                AttributeValue::Null,
                AttributeValue::L(vec![]),
                AttributeValue::M(Item::new()),
            ]),
        ),
        (
            "m",
            AttributeValue::M(item(&[("x", AttributeValue::Bool(false))])),
        ),
    ]);
    let text = line(&it);
    assert_eq!(
        text,
        concat!(
            r#"$ion_1_0 {Item:{b:{{AAH+/w==}},bs:$dynamodb_BS::[{{}},{{AQ==}}],"#,
            r#"l:[null,[],{}],m:{x:false},ns:$dynamodb_NS::[1d3,-0.5]}}"#,
            "\n"
        )
    );
    assert_eq!(read(text.as_bytes()), vec![(0, Ok(it))]);
}

#[test]
fn ints_typed_nulls_and_other_annotations_are_accepted() {
    let text = "{Item:{i:42, big:-123456789012345678901234567890, z:-0., t:null.string, \
                ann:foo::\"x\", ns:$dynamodb_NS::[1, 2.5], hex:0x10}}";
    assert_eq!(
        read(text.as_bytes()),
        vec![(
            0,
            Ok(item(&[
                ("i", n("42")),
                ("big", n("-123456789012345678901234567890")),
                ("z", n("0")),
                ("t", AttributeValue::Null),
                ("ann", s("x")),
                ("ns", AttributeValue::NS(vec![num("1"), num("2.5")])),
                ("hex", n("16")),
            ]))
        )]
    );
}

#[test]
fn bad_records_are_errors_and_reading_goes_on() {
    let text = concat!(
        "$ion_1_0 {Item:{a:1.5e0}}\n",
        "{Item:{a:2020-01-01T}}\n",
        "{Item:{a:sym}}\n",
        "{Item:{a:{{\"clob\"}}}}\n",
        "{Item:{a:(1 2)}}\n",
        "{Item:{a:$dynamodb_SS::[1]}}\n",
        "{Item:{a:$dynamodb_NS::[\"1\"]}}\n",
        "{Item:{a:$dynamodb_BS::[1]}}\n",
        "{Item:{a:1d999}}\n",
        "{NotItem:{}}\n",
        "{Item:5}\n",
        "\"just a string\"\n",
        "{Item:{a:1,,}}\n",
        "{Item:{a:\"unterminated}}\n",
        "{Item:{ok:true}}\n",
    );
    let expected: Vec<(u64, Result<Item, String>)> = vec![
        (0, Err("Invalid Ion item: attribute a has the Ion type float, which has no DynamoDB equivalent".into())),
        (1, Err("Invalid Ion item: attribute a has the Ion type timestamp, which has no DynamoDB equivalent".into())),
        (2, Err("Invalid Ion item: attribute a has the Ion type symbol, which has no DynamoDB equivalent".into())),
        (3, Err("Invalid Ion item: attribute a has the Ion type clob, which has no DynamoDB equivalent".into())),
        (4, Err("Invalid Ion item: attribute a has the Ion type sexp, which has no DynamoDB equivalent".into())),
        (5, Err("Invalid Ion item: attribute a is a string set but holds a int".into())),
        (6, Err("Invalid Ion item: attribute a is a number set but holds a string".into())),
        (7, Err("Invalid Ion item: attribute a is a binary set but holds a int".into())),
        (8, Err("Invalid number for attribute a: Number overflow. Attempting to store a number with magnitude larger than supported range".into())),
        (9, Err(msg_missing_item())),
        (10, Err("Invalid Ion item: the Item field is not a struct".into())),
        (11, Err("Invalid Ion item: the top-level value is not a struct with an Item field".into())),
    ];
    let got = read(text.as_bytes());
    assert_eq!(&got[..12], &expected[..]);
    // Two syntax errors (exact text is ion-rs'), then the good record.
    assert_eq!(got.len(), 15);
    for (i, (index, result)) in got[12..14].iter().enumerate() {
        assert_eq!(*index, 12 + i as u64);
        let message = result.clone().unwrap_err();
        assert!(message.starts_with("Invalid Ion: "), "{message}");
    }
    assert_eq!(
        got[14],
        (14, Ok(item(&[("ok", AttributeValue::Bool(true))])))
    );
}

fn msg_missing_item() -> String {
    crate::errors::msg::ION_MISSING_ITEM.to_owned()
}

#[test]
fn too_deep_values_are_refused_without_parsing() {
    let deep = format!(
        "{{Item:{{a:{}{}}}}}\n{{Item:{{}}}}\n",
        "[".repeat(150),
        "]".repeat(150)
    );
    assert_eq!(
        read(deep.as_bytes()),
        vec![
            (
                0,
                Err("Invalid Ion: values are nested deeper than 100 levels".into())
            ),
            (1, Ok(Item::new())),
        ]
    );
}

#[test]
fn several_values_on_one_line_are_several_records() {
    assert_eq!(
        read(b"{Item:{a:1}} {Item:{a:2}}\n// comment\n/* block */ {Item:{a:3}}"),
        vec![
            (0, Ok(item(&[("a", n("1"))]))),
            (1, Ok(item(&[("a", n("2"))]))),
            (2, Ok(item(&[("a", n("3"))]))),
        ]
    );
}

#[test]
fn empty_and_version_marker_only_inputs_have_no_records() {
    assert_eq!(read(b""), vec![]);
    assert_eq!(read(b"$ion_1_0\n\n$ion_1_0 []\n"), vec![]);
}

#[test]
fn binary_ion_is_read_too() {
    let text = format!(
        "{}{}",
        line(&book("333-3333333333", "103")),
        line(&item(&[("x", s("y"))]))
    );
    let elements = Element::read_all(text.as_bytes()).unwrap();
    let binary: Vec<u8> = elements.encode_as(ion_rs::v1_0::Binary).unwrap();
    assert_eq!(binary[0], 0xE0);
    let mut reader = IonReader::new(Cursor::new(binary.clone()));
    let got: Vec<Record> = reader.by_ref().map(|r| r.unwrap()).collect();
    assert_eq!(
        got,
        vec![
            Record {
                index: 0,
                item: Ok(book("333-3333333333", "103"))
            },
            Record {
                index: 1,
                item: Ok(item(&[("x", s("y"))]))
            },
        ]
    );
    assert_eq!(reader.bytes_read(), binary.len() as u64);
}

#[test]
fn bytes_read_counts_the_whole_text() {
    let text = GUIDE_IMPORT_EXAMPLE.as_bytes();
    let mut reader = IonReader::new(Cursor::new(text.to_vec()));
    assert_eq!(reader.by_ref().count(), 3);
    assert_eq!(reader.bytes_read(), text.len() as u64);
}

#[test]
fn generated_items_round_trip() {
    let items: Vec<Item> = (0..100).map(crate::generator::item).collect();
    let text = crate::generator::ion_lines(0..100);
    let back: Vec<Item> = IonReader::new(Cursor::new(text))
        .map(|r| r.unwrap().item.unwrap())
        .collect();
    assert_eq!(back, items);
}

proptest! {
    #[test]
    fn written_lines_read_back_with_ion_rs(it in arb_item()) {
        let text = line(&it);
        prop_assert_eq!(text.bytes().filter(|&b| b == b'\n').count(), 1);
        prop_assert!(text.ends_with('\n'));
        // ion-rs alone reads exactly one value, our mapping gives the item back.
        let elements = Element::read_all(text.as_bytes()).unwrap();
        prop_assert_eq!(elements.len(), 1);
        let element = elements.into_iter().next().unwrap();
        prop_assert_eq!(record_to_item(element).unwrap(), it.clone());
        // And through the reader, twice in a row.
        let both = format!("{text}{text}");
        let got: Vec<_> = IonReader::new(Cursor::new(both.into_bytes())).map(|r| r.unwrap()).collect();
        prop_assert_eq!(got, vec![
            Record { index: 0, item: Ok(it.clone()) },
            Record { index: 1, item: Ok(it) },
        ]);
    }
}

fn slow(chunk: &[u8]) -> Vec<Result<Item, RecordError>> {
    let mut out = std::collections::VecDeque::new();
    parse_chunk_with_ion_rs(chunk, &mut out);
    out.into()
}

#[test]
fn fast_path_takes_aws_lines_and_leaves_the_rest_to_ion_rs() {
    let aws = line(&book("333-3333333333", "103"));
    assert_eq!(
        fast::parse_chunk(aws.trim_end().as_bytes()),
        Some(vec![book("333-3333333333", "103")])
    );
    assert_eq!(
        fast::parse_chunk(
            br#"$ion_1_0 { "Item" : { 'a b' : "\x41\u00e9\U0001F991" , n : -0.5d-2 } } {Item:{}}"#
        ),
        Some(vec![
            item(&[("a b", s("A\u{e9}\u{1f991}")), ("n", n("-0.005"))]),
            Item::new()
        ])
    );
    for unsure in [
        &b"{Item:{a:1e0}}"[..],
        b"{Item:{a:1_000}}",
        b"{Item:{a:0x10}}",
        b"{Item:{a:007}}",
        b"{Item:{a:2020-01-01T}}",
        b"{Item:{a:null.string}}",
        b"{Item:{a:'''long'''}}",
        b"{Item:{a:1,}}",
        b"{Item:{a:[1,]}}",
        b"{Item:{a:b::1}}",
        b"{Item:{a:(1)}}",
        b"{Item:{a:sym}}",
        br#"{Item:{a:{{"clob"}}}}"#,
        b"{Item:{$1a:1}}",
        b"{Item:{null:1}}",
        b"{Item:{a:1 /* c */}}",
        b"{Item:{a:\"\\\n\"}}",
        b"{Item:5}",
        b"{NotItem:{}}",
        b"[{Item:{}}]",
        b"ann::{Item:{}}",
        b"{Item:{a:$dynamodb_SS::[1]}}",
        b"{Item:{a:1d999}}",
        b"{Item:{a:\"\xff\"}}",
    ] {
        assert_eq!(
            fast::parse_chunk(unsure),
            None,
            "{}",
            String::from_utf8_lossy(unsure)
        );
    }
}

/// Bytes that change the meaning of Ion text when dropped in somewhere.
const MUTATION_BYTES: &[u8] = b"\"'\\{}[](),: \n0159.dDe-+_$xun/*\x7f\xc2\x85";

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn fast_path_agrees_with_ion_rs_on_written_items(it in arb_item()) {
        let text = line(&it);
        let chunk = text.trim_end().as_bytes();
        prop_assert_eq!(fast::parse_chunk(chunk), Some(vec![it.clone()]));
        prop_assert_eq!(slow(chunk), vec![Ok(it)]);
    }

    #[test]
    fn fast_path_never_disagrees_with_ion_rs_on_mutations(
        it in arb_item(),
        edits in prop::collection::vec(
            (any::<prop::sample::Index>(), prop::sample::select(MUTATION_BYTES.to_vec()), 0..3u8),
            1..4,
        ),
    ) {
        let mut bytes = line(&it).trim_end().as_bytes().to_vec();
        for (at, byte, kind) in edits {
            let i = at.index(bytes.len() + 1);
            match kind {
                0 => bytes.insert(i, byte),
                1 if i < bytes.len() => bytes[i] = byte,
                _ if i < bytes.len() => { bytes.remove(i); }
                _ => bytes.push(byte),
            }
        }
        if let Some(items) = fast::parse_chunk(&bytes) {
            let expected: Vec<Result<Item, RecordError>> = items.into_iter().map(Ok).collect();
            prop_assert_eq!(slow(&bytes), expected, "{}", String::from_utf8_lossy(&bytes));
        }
    }
}

fn binary(text: &str) -> Vec<u8> {
    let elements = Element::read_all(text.as_bytes()).unwrap();
    elements.encode_as(ion_rs::v1_0::Binary).unwrap()
}

#[test]
fn binary_streams_concatenate_and_bad_values_cost_one_record() {
    // Two independently written streams (each with its own symbol table).
    let mut data = binary("{Item:{first:1}} {Item:{a:1.5e0}} {Item:{second:\"x\"}}");
    data.extend(binary("{Item:{third:true}}"));
    let got = read(&data);
    assert_eq!(
        got,
        vec![
            (0, Ok(item(&[("first", n("1"))]))),
            (1, Err("Invalid Ion item: attribute a has the Ion type float, which has no DynamoDB equivalent".into())),
            (2, Ok(item(&[("second", s("x"))]))),
            (3, Ok(item(&[("third", AttributeValue::Bool(true))]))),
        ]
    );
}

#[test]
fn binary_top_level_list_elements_are_records() {
    assert_eq!(
        read(&binary("[{Item:{x:1}}, {Item:{y:2}}]")),
        vec![
            (0, Ok(item(&[("x", n("1"))]))),
            (1, Ok(item(&[("y", n("2"))]))),
        ]
    );
}

#[test]
fn truncated_binary_is_one_error_and_the_end() {
    let mut data = binary("{Item:{a:\"a long enough string\"}} {Item:{b:2}}");
    data.truncate(data.len() - 3);
    let got = read(&data);
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[0], (0, Ok(item(&[("a", s("a long enough string"))]))));
    assert_eq!(got[1], (1, Err("Invalid Ion: truncated value".into())));
    assert_eq!(
        read(&[0xE0, 0x01, 0x00, 0xEA, 0xF0]),
        vec![(0, Err("Invalid Ion: invalid type descriptor".into()))]
    );
}

#[test]
fn readers_can_move_between_threads() {
    fn assert_send<T: Send>() {}
    assert_send::<IonReader<std::io::BufReader<Box<dyn std::io::Read + Send>>>>();
    assert_send::<crate::ItemReader>();
}

/// `depth` binary Ion lists, each holding the next (the innermost empty).
fn nested_binary_lists(depth: usize) -> Vec<u8> {
    let mut value = vec![0xB0];
    for _ in 1..depth {
        let mut outer = Vec::with_capacity(value.len() + 4);
        if value.len() < 14 {
            outer.push(0xB0 | value.len() as u8);
        } else {
            outer.push(0xBE);
            // VarUInt: 7 bits per byte, most significant first, end bit set.
            let len = value.len();
            let mut groups = vec![(len & 0x7F) as u8 | 0x80];
            let mut rest = len >> 7;
            while rest > 0 {
                groups.push((rest & 0x7F) as u8);
                rest >>= 7;
            }
            outer.extend(groups.iter().rev());
        }
        outer.extend_from_slice(&value);
        value = outer;
    }
    let mut data = binary::IVM.to_vec();
    data.extend(value);
    data
}

/// Issue 9 item 1: binary Ion nested 3,000 deep overflowed the stack inside
/// ion-rs. It is now one record error (the text reader's limit and message),
/// and the values after it are still read.
#[test]
fn binary_nesting_is_bounded() {
    let too_deep = "Invalid Ion: values are nested deeper than 100 levels";
    for depth in [101, 3_000, 20_000] {
        let mut data = nested_binary_lists(depth);
        data.extend(binary("{Item:{after:1}}"));
        assert_eq!(
            read(&data),
            vec![
                (0, Err(too_deep.into())),
                (1, Ok(item(&[("after", n("1"))]))),
            ],
            "depth {depth}"
        );
    }
    // At the limit the value reaches ion-rs (a list of lists is not an item).
    let got = read(&nested_binary_lists(100));
    assert_eq!(got.len(), 1);
    assert_ne!(got[0].1, Err(too_deep.into()));
    // Nested structs and annotations count the same way as in text.
    let deep_struct = |levels: usize| {
        format!(
            "{{Item:{{a:{}1{}}}}}",
            "{b:".repeat(levels),
            "}".repeat(levels)
        )
    };
    assert_eq!(
        read(&binary(&deep_struct(97)))[0].1,
        Ok(item(&[("a", {
            let mut v = n("1");
            for _ in 0..97 {
                v = AttributeValue::M(item(&[("b", v)]));
            }
            v
        })]))
    );
    assert_eq!(
        read(&binary(&deep_struct(99))),
        vec![(0, Err(too_deep.into()))]
    );
    assert_eq!(
        read(&binary(
            "$ion_symbol_table::{symbols:[\"x\"]} {Item:{a:ann::[ann::[1]]}}"
        )),
        vec![(
            0,
            Ok(item(&[(
                "a",
                AttributeValue::L(vec![AttributeValue::L(vec![n("1")])])
            )]))
        )]
    );
}
