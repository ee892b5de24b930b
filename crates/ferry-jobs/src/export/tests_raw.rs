//! The raw (transcoding) DynamoDB JSON and Ion paths of a data file against the
//! decoded path: for snapshots and change scans over a table with history,
//! the file's text and BilledSizeBytes equal what `scan_as_of` / `changes`
//! plus the `ferry_formats` writers give.

use ferry_model::{AttributeValue, Item, Number, item_size};
use ferry_storage::hash_ranges;

use super::partition::{Partitioner, Source, record_images};
use super::sink::MemorySink;
use super::spec::{ExportFormat, ExportViewType, Period};
use super::tests::{engine, gunzip, item, put, table};

fn rich(i: i64) -> Item {
    let mut it = item(&format!("k{i}"), i, "quote\" and \\ and \n and é");
    it.insert("n".into(), AttributeValue::N(Number::from(-i * 1001)));
    it.insert("b".into(), AttributeValue::B(vec![i as u8, 0, 255]));
    let mut m = Item::new();
    m.insert(
        "ss".into(),
        AttributeValue::SS(vec!["a".into(), "b".into()]),
    );
    m.insert(
        "l".into(),
        AttributeValue::L(vec![AttributeValue::Null, AttributeValue::Bool(i % 2 == 0)]),
    );
    m.insert("ns".into(), AttributeValue::NS(vec![Number::from(3)]));
    m.insert("bs".into(), AttributeValue::BS(vec![vec![1], vec![2, 3]]));
    it.insert("m".into(), AttributeValue::M(m));
    it
}

type ChangeLine = fn(&Item, u64, Option<&Item>, Option<&Item>, &mut Vec<u8>);

#[test]
fn raw_data_files_equal_the_decoded_writers() {
    let engine = engine();
    let t = table(&engine, "raw", true);
    for i in 0..300 {
        put(&t, rich(i));
    }
    engine.clock().advance(1000);
    let from = engine.clock().now();
    for i in 0..300 {
        match i % 3 {
            0 => put(&t, item(&format!("k{i}"), i, "changed")),
            1 => {
                let k = ferry_model::PrimaryKey::from_item(&rich(i), &t.def().key).unwrap();
                t.write(&k, |_| Ok::<_, ()>(ferry_storage::Write::Delete))
                    .unwrap()
                    .1
            }
            _ => 0,
        };
    }
    put(&t, rich(1000)); // inserted in the period
    engine.clock().advance(1000);
    let to = engine.clock().now();
    let schema = t.def().key;
    let sink = MemorySink::default();
    let sources = [
        Source::Snapshot(from - 1),
        Source::Snapshot(to),
        Source::Changes(Period {
            from,
            to,
            view: ExportViewType::NewAndOldImages,
        }),
        Source::Changes(Period {
            from,
            to,
            view: ExportViewType::NewImage,
        }),
    ];
    let cases = sources
        .into_iter()
        .flat_map(|s| [(s, ExportFormat::DynamoDbJson), (s, ExportFormat::Ion)]);
    for (c, (source, format)) in cases.enumerate() {
        let s = c / 2;
        let (item_line, change_line): (fn(&Item, &mut Vec<u8>), ChangeLine) = match format {
            ExportFormat::DynamoDbJson => (
                ferry_formats::ddb_json::write_item_line,
                ferry_formats::ddb_json::write_change_line,
            ),
            ExportFormat::Ion => (
                ferry_formats::ion::write_item_line,
                ferry_formats::ion::write_change_line,
            ),
        };
        let p = Partitioner {
            table: &t,
            key_schema: &schema,
            source,
            format,
            sink: &sink,
            gzip_level: 2,
        };
        let (mut want, mut billed, mut count) = (Vec::new(), 0u64, 0u64);
        for (r, range) in hash_ranges(3).into_iter().enumerate() {
            let key = format!("f{c}-{r}");
            let got = p.write(range.clone(), &key, &|| false).unwrap();
            let mut expect = Vec::new();
            let (mut b, mut c) = (0u64, 0u64);
            match source {
                Source::Snapshot(ts) => {
                    for it in t.scan_as_of(ts, range).unwrap() {
                        let it = it.unwrap();
                        item_line(&it, &mut expect);
                        b += item_size(&it) as u64;
                        c += 1;
                    }
                }
                Source::Changes(period) => {
                    for ch in t.changes(period.from, period.to, range).unwrap() {
                        let ch = ch.unwrap();
                        let Some((old, new)) = record_images(&ch, period.view) else {
                            continue;
                        };
                        change_line(
                            &ch.key.to_item(&schema),
                            ch.last_write as u64,
                            old,
                            new,
                            &mut expect,
                        );
                        b += ch.old.as_ref().map_or(0, |i| item_size(i) as u64)
                            + ch.new.as_ref().map_or(0, |i| item_size(i) as u64);
                        c += 1;
                    }
                }
            }
            let text = gunzip(&sink.get(&key).unwrap());
            assert_eq!(text, String::from_utf8(expect.clone()).unwrap(), "{key}");
            assert_eq!((got.item_count, got.billed_bytes), (c, b), "{key}");
            assert_eq!(got.raw_bytes, expect.len() as u64);
            want.extend(expect);
            billed += b;
            count += c;
        }
        // 300 items; then 100 updated, 100 deleted, 1 inserted.
        let expected_count = if s == 0 { 300 } else { 201 };
        assert_eq!(count, expected_count, "source {s}");
        assert!(billed > 0 && !want.is_empty());
    }
}

/// A data file larger than one gzip block is several gzip members: it
/// decodes to exactly the decoded writers' text, and the import reader reads
/// back exactly the table's items, in both formats.
#[test]
fn data_files_of_several_gzip_members_read_back_exactly() {
    use ferry_formats::compress::{EXPORT_DEFLATE_LEVEL, GZIP_BLOCK};
    use std::io::Read as _;

    let engine = engine();
    let t = table(&engine, "members", true);
    let pad = "p".repeat(9000);
    for i in 0..400 {
        let mut it = rich(i);
        it.insert("pad".into(), AttributeValue::S(format!("{i}{pad}")));
        put(&t, it);
    }
    engine.clock().advance(1000);
    let ts = engine.clock().now();
    let range = hash_ranges(1).remove(0);
    let items: Vec<Item> = t
        .scan_as_of(ts, range.clone())
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(items.len(), 400);
    let schema = t.def().key;
    let sink = MemorySink::default();
    for (format, input) in [
        (
            ExportFormat::DynamoDbJson,
            ferry_formats::ReaderFormat::DynamoDbJson,
        ),
        (ExportFormat::Ion, ferry_formats::ReaderFormat::Ion),
    ] {
        let p = Partitioner {
            table: &t,
            key_schema: &schema,
            source: Source::Snapshot(ts),
            format,
            sink: &sink,
            gzip_level: EXPORT_DEFLATE_LEVEL,
        };
        let key = format!("{format:?}");
        let got = p.write(range.clone(), &key, &|| false).unwrap();
        let bytes = sink.get(&key).unwrap();
        let mut expect = Vec::new();
        for it in &items {
            match format {
                ExportFormat::DynamoDbJson => {
                    ferry_formats::ddb_json::write_item_line(it, &mut expect)
                }
                ExportFormat::Ion => ferry_formats::ion::write_item_line(it, &mut expect),
            }
        }
        assert!(expect.len() > 3 * GZIP_BLOCK, "{} bytes", expect.len());
        assert_eq!(got.raw_bytes, expect.len() as u64);
        // The first member holds one block only: the file has several.
        let mut first = Vec::new();
        flate2::read::GzDecoder::new(&bytes[..])
            .read_to_end(&mut first)
            .unwrap();
        assert!(first.len() < expect.len() && first.len() >= GZIP_BLOCK);
        assert_eq!(gunzip(&bytes), String::from_utf8(expect).unwrap());
        let reader = ferry_formats::open_reader(
            &input,
            ferry_formats::Compression::Gzip,
            Box::new(std::io::Cursor::new(bytes)),
        )
        .unwrap();
        let back: Vec<Item> = reader.map(|r| r.unwrap().item.unwrap()).collect();
        assert!(
            back == items,
            "{key}: the import reader reads the items back"
        );
    }
}
