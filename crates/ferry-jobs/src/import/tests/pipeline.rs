//! The pipeline against in-memory objects: every format and compression,
//! chunking, item indexes, the abandon-the-object rule, corrupt data and
//! changed objects.

use std::sync::atomic::AtomicBool;

use super::fakes::*;
use crate::import::pipeline::{self, ErrorPolicy, Live, Plan, Settings};
use crate::import::source::{ObjectSource, SourceObject};
use crate::import::spec::{Compression, Counters, Failure, InputFormat};

struct Run {
    sink: VecSink,
    log: VecLog,
    counters: Counters,
    result: Result<(), Failure>,
}

fn settings(chunk_bytes: usize, policy: ErrorPolicy) -> Settings {
    Settings {
        workers: 2,
        readers: 2,
        chunk_bytes,
        batch_records: 7,
        policy,
    }
}

fn run_with(
    src: &MemSource,
    prefix: &str,
    format: InputFormat,
    compression: Compression,
    csv: Option<ferry_formats::csv::CsvOptions>,
    table: &ferry_model::TableDef,
    settings: &Settings,
) -> Run {
    let objects: Vec<SourceObject> = src.list("b", prefix, 100).unwrap();
    let key_types = {
        let mut t = std::collections::HashMap::new();
        t.insert(table.key.hash.name.clone(), table.key.hash.ty);
        for i in &table.indexes {
            t.insert(i.key.hash.name.clone(), i.key.hash.ty);
        }
        t
    };
    let plan = Plan {
        bucket: "b",
        objects: &objects,
        format,
        compression,
        csv,
        key_types,
        table,
    };
    let sink = VecSink::default();
    let log = VecLog::default();
    let live = Live::default();
    let stop = AtomicBool::new(false);
    let result = pipeline::run(&plan, settings, src, &sink, &log, &live, &stop);
    Run {
        sink,
        log,
        counters: live.snapshot(),
        result,
    }
}

fn run_json(src: &MemSource, compression: Compression, chunk: usize, policy: ErrorPolicy) -> Run {
    run_with(
        src,
        "in/",
        InputFormat::DynamoDbJson,
        compression,
        None,
        &table("t", false),
        &settings(chunk, policy),
    )
}

fn expected_keys(prefix: &str, range: std::ops::Range<u64>) -> Vec<String> {
    range.map(|i| format!("{prefix}{i:06}")).collect()
}

#[test]
fn json_every_compression_many_chunks_two_objects() {
    for compression in [Compression::None, Compression::Gzip, Compression::Zstd] {
        let src = MemSource::new();
        let a = json_lines("a", 0..3000);
        let b = json_lines("b", 0..1500);
        let total = (a.len() + b.len()) as u64;
        let enc = |d: Vec<u8>| match compression {
            Compression::None => d,
            Compression::Gzip => gzip(&d),
            Compression::Zstd => zstd(&d),
        };
        src.put("b", "in/a.json", enc(a));
        src.put("b", "in/b.json", enc(b));
        src.put("b", "other/c.json", enc(json_lines("c", 0..10)));
        let r = run_json(&src, compression, 4096, ErrorPolicy::AbandonObject);
        assert_eq!(r.result, Ok(()));
        let mut want = expected_keys("a", 0..3000);
        want.extend(expected_keys("b", 0..1500));
        assert_eq!(r.sink.keys(), want, "{compression:?}");
        assert_eq!(
            r.counters,
            Counters {
                processed_bytes: total,
                processed_items: 4500,
                imported_items: 4500,
                errors: 0
            }
        );
        assert!(r.log.sorted().is_empty());
    }
}

#[test]
fn multi_member_gzip_reads_every_member() {
    let src = MemSource::new();
    let mut data = gzip(&json_lines("a", 0..10));
    data.extend(gzip(&json_lines("a", 10..25)));
    src.put("b", "in/x.gz", data);
    let r = run_json(&src, Compression::Gzip, 1 << 20, ErrorPolicy::AbandonObject);
    assert_eq!(r.sink.keys(), expected_keys("a", 0..25));
    assert_eq!(r.counters.processed_items, 25);
}

#[test]
fn blank_lines_are_neither_items_nor_errors_and_last_line_needs_no_newline() {
    let src = MemSource::new();
    let data = b"\n  \n{\"Item\":{\"pk\":{\"S\":\"x\"}}}\r\n\t\n{\"Item\":{\"pk\":{\"S\":\"y\"}}}"
        .to_vec();
    let len = data.len() as u64;
    src.put("b", "in/x", data);
    let r = run_json(&src, Compression::None, 1 << 20, ErrorPolicy::AbandonObject);
    assert_eq!(r.sink.keys(), vec!["x", "y"]);
    assert_eq!(
        r.counters,
        Counters {
            processed_bytes: len,
            processed_items: 2,
            imported_items: 2,
            errors: 0
        }
    );
}

#[test]
fn unparsable_record_abandons_the_rest_of_its_object_only() {
    let src = MemSource::new();
    // Object a: 2000 good lines, a line that is not JSON at index 2000, more good lines.
    let mut a = json_lines("a", 0..2000);
    a.extend_from_slice(b"not json\n");
    a.extend(json_lines("a", 2001..4000));
    src.put("b", "in/a", a);
    src.put("b", "in/b", json_lines("b", 0..100));
    let r = run_json(&src, Compression::None, 4096, ErrorPolicy::AbandonObject);
    assert_eq!(r.result, Ok(()));
    let mut want = expected_keys("a", 0..2000);
    want.extend(expected_keys("b", 0..100));
    assert_eq!(r.sink.keys(), want);
    let log = r.log.sorted();
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!((log[0].0.as_str(), log[0].1), ("in/a", 2000));
    assert_eq!(r.counters.processed_items, 2101);
    assert_eq!(r.counters.imported_items, 2100);
    assert_eq!(r.counters.errors, 1);
}

#[test]
fn invalid_item_is_skipped_alone_and_its_object_goes_on() {
    let src = MemSource::new();
    // Object a: 2000 good lines, an item without the key at index 2000, more good lines.
    let mut a = json_lines("a", 0..2000);
    a.extend_from_slice(b"{\"Item\":{\"n\":{\"N\":\"1\"}}}\n");
    a.extend(json_lines("a", 2001..4000));
    src.put("b", "in/a", a);
    src.put("b", "in/b", json_lines("b", 0..100));
    let r = run_json(&src, Compression::None, 4096, ErrorPolicy::AbandonObject);
    assert_eq!(r.result, Ok(()));
    let mut want = expected_keys("a", 0..2000);
    want.extend(expected_keys("a", 2001..4000));
    want.extend(expected_keys("b", 0..100));
    want.sort();
    let mut got = r.sink.keys();
    got.sort();
    assert_eq!(got, want);
    assert_eq!(
        r.log.sorted(),
        vec![(
            "in/a".to_string(),
            2000,
            "One or more parameter values were invalid: Missing the key pk in the item".to_string()
        )]
    );
    assert_eq!(r.counters.processed_items, 4100);
    assert_eq!(r.counters.imported_items, 4099);
    assert_eq!(r.counters.errors, 1);
}

#[test]
fn skip_policy_logs_every_bad_item_with_its_index() {
    let src = MemSource::new();
    let mut a = json_lines("a", 0..1000);
    a.extend_from_slice(b"not json\n");
    a.extend(json_lines("a", 1001..2000));
    a.extend_from_slice(b"{\"Item\":{\"pk\":{\"N\":\"5\"}}}\n");
    a.extend_from_slice(b"{\"NotAnItem\":{}}\n");
    src.put("b", "in/a", a);
    let r = run_json(&src, Compression::None, 4096, ErrorPolicy::SkipItem);
    assert_eq!(r.sink.keys().len(), 1999);
    let errors = r.log.sorted();
    assert_eq!(
        errors.iter().map(|e| e.1).collect::<Vec<_>>(),
        vec![1000, 2000, 2001]
    );
    assert_eq!(
        errors[1].2,
        "One or more parameter values were invalid: Type mismatch for key pk expected: S actual: N"
    );
    assert!(errors[0].2.starts_with("Invalid JSON: "), "{}", errors[0].2);
    assert_eq!(
        r.counters,
        Counters {
            processed_bytes: r.counters.processed_bytes,
            processed_items: 2002,
            imported_items: 1999,
            errors: 3
        }
    );
}

#[test]
fn gsi_key_of_the_wrong_type_and_oversized_items_are_item_errors() {
    let src = MemSource::new();
    let big = "x".repeat(410_000);
    let data = format!(
        "{{\"Item\":{{\"pk\":{{\"S\":\"ok\"}},\"n\":{{\"N\":\"1\"}}}}}}\n{{\"Item\":{{\"pk\":{{\"S\":\"bad\"}},\"n\":{{\"S\":\"1\"}}}}}}\n{{\"Item\":{{\"pk\":{{\"S\":\"big\"}},\"v\":{{\"S\":\"{big}\"}}}}}}\n"
    );
    src.put("b", "in/a", data.into_bytes());
    let r = run_with(
        &src,
        "in/",
        InputFormat::DynamoDbJson,
        Compression::None,
        None,
        &table_with_gsi("t"),
        &settings(1 << 20, ErrorPolicy::SkipItem),
    );
    assert_eq!(r.sink.keys(), vec!["ok"]);
    let errors = r.log.sorted();
    assert_eq!(errors.len(), 2);
    assert_eq!(
        errors[0].2,
        "One or more parameter values were invalid: Type mismatch for Index Key n Expected: N Actual: S IndexName: by_n"
    );
    assert_eq!(
        errors[1].2,
        "Item size has exceeded the maximum allowed size"
    );
}

#[test]
fn corrupt_gzip_skips_the_rest_of_that_object_and_others_import() {
    let src = MemSource::new();
    let mut bad = gzip(&json_lines("a", 0..5000));
    let cut = bad.len() / 2;
    for byte in &mut bad[cut..cut + 64] {
        *byte ^= 0x5a;
    }
    src.put("b", "in/a.gz", bad);
    src.put("b", "in/b.gz", gzip(&json_lines("b", 0..300)));
    let r = run_json(&src, Compression::Gzip, 4096, ErrorPolicy::AbandonObject);
    assert_eq!(r.result, Ok(()));
    let keys = r.sink.keys();
    let from_a = keys.iter().filter(|k| k.starts_with('a')).count() as u64;
    assert!(from_a > 0 && from_a < 5000, "{from_a}");
    // The items before the damage are all there, in order.
    assert_eq!(keys[..from_a as usize], expected_keys("a", 0..from_a)[..]);
    assert_eq!(keys.iter().filter(|k| k.starts_with('b')).count(), 300);
    let errors = r.log.sorted();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].0, "in/a.gz");
    assert_eq!(errors[0].1, from_a);
    assert!(
        errors[0]
            .2
            .starts_with("Unable to decompress the object as GZIP: "),
        "{}",
        errors[0].2
    );
    assert_eq!(r.counters.errors, 1);
    assert_eq!(r.counters.processed_items, from_a + 300 + 1);
}

#[test]
fn object_changed_after_listing_fails_the_import() {
    let src = MemSource::new();
    src.put("b", "in/a", json_lines("a", 0..10));
    src.put("b", "in/b", json_lines("b", 0..10));
    *src.on_open.lock() = Some(Box::new(|s: &MemSource, key: &str| {
        if key == "in/a" {
            s.put("b", "in/b", json_lines("z", 0..3));
        }
    }));
    let objects = src.list("b", "in/", 10).unwrap();
    let t = table("t", false);
    let plan = Plan {
        bucket: "b",
        objects: &objects,
        format: InputFormat::DynamoDbJson,
        compression: Compression::None,
        csv: None,
        key_types: Default::default(),
        table: &t,
    };
    let (sink, log, live, stop) = (
        VecSink::default(),
        VecLog::default(),
        Live::default(),
        AtomicBool::new(false),
    );
    let mut s = settings(4096, ErrorPolicy::AbandonObject);
    s.readers = 1;
    let result = pipeline::run(&plan, &s, src.as_ref(), &sink, &log, &live, &stop);
    assert_eq!(
        result,
        Err(Failure {
            code: "ObjectModifiedInS3DuringImport".into(),
            message: "The S3 object could not be imported because it was overwritten.".into()
        })
    );
}

#[test]
fn a_source_failure_mid_object_fails_the_import() {
    let src = MemSource::new();
    src.put("b", "in/a", json_lines("a", 0..2000));
    src.fail_after.lock().insert("in/a".into(), 10_000);
    let r = run_json(&src, Compression::None, 4096, ErrorPolicy::AbandonObject);
    let failure = r.result.unwrap_err();
    assert_eq!(failure.code, "S3InternalError");
    assert!(
        failure.message.starts_with("We encountered an internal error. Please try again. (Service: Amazon S3; Status Code: 500; Error Code: InternalError; Request ID: "),
        "{}",
        failure.message
    );
    assert!(failure.message.ends_with("; Proxy: null)"));
}

#[test]
fn csv_with_header_list_delimiter_and_quotes() {
    let src = MemSource::new();
    src.put(
        "b",
        "in/a.csv",
        b"k1;\"x;y\"\nk2;\"say \"\"hi\"\"\"\nk3;\n".to_vec(),
    );
    let csv = ferry_formats::csv::CsvOptions {
        delimiter: b';',
        header: Some(vec!["pk".into(), "v".into()]),
    };
    let r = run_with(
        &src,
        "in/",
        InputFormat::Csv,
        Compression::None,
        Some(csv),
        &table("t", false),
        &settings(4096, ErrorPolicy::AbandonObject),
    );
    assert_eq!(r.result, Ok(()));
    let mut items = r.sink.items.lock().clone();
    items.sort_by(|a, b| format!("{:?}", a.get("pk")).cmp(&format!("{:?}", b.get("pk"))));
    assert_eq!(items.len(), 3);
    assert_eq!(
        items[0].get("v"),
        Some(&ferry_model::AttributeValue::S("x;y".into()))
    );
    assert_eq!(
        items[1].get("v"),
        Some(&ferry_model::AttributeValue::S("say \"hi\"".into()))
    );
    assert_eq!(items[2].get("v"), None, "an empty column is omitted");
    assert_eq!(r.counters.processed_items, 3);
}

#[test]
fn csv_wrong_column_count_is_an_item_error_at_its_row_index() {
    let src = MemSource::new();
    let mut data = b"pk,v\n".to_vec();
    for i in 0..20 {
        data.extend_from_slice(format!("k{i:02},v{i}\n").as_bytes());
    }
    data.extend_from_slice(b"k20,v,extra\nk21,v\n");
    src.put("b", "in/a.csv", gzip(&data));
    let r = run_with(
        &src,
        "in/",
        InputFormat::Csv,
        Compression::Gzip,
        None,
        &table("t", false),
        &settings(4096, ErrorPolicy::AbandonObject),
    );
    assert_eq!(r.sink.keys().len(), 20);
    let errors = r.log.sorted();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].1, 20);
    assert_eq!(
        errors[0].2,
        format!(
            "{} (the rest of the object was not imported: 1 more row skipped)",
            ferry_formats::errors::msg::csv_column_count(3, 2)
        )
    );
    assert_eq!(r.counters.processed_items, 21);
    assert_eq!(r.counters.processed_bytes, data.len() as u64);
}

#[test]
fn csv_value_not_fitting_its_key_type_is_an_item_error_and_the_object_goes_on() {
    let src = MemSource::new();
    src.put("b", "in/a.csv", b"pk,v\n1,a\nabc,b\n3,c\n".to_vec());
    let mut t = table("t", false);
    t.key.hash.ty = ferry_model::ScalarType::N;
    let r = run_with(
        &src,
        "in/",
        InputFormat::Csv,
        Compression::None,
        None,
        &t,
        &settings(4096, ErrorPolicy::AbandonObject),
    );
    assert_eq!(r.result, Ok(()));
    assert_eq!(r.sink.keys(), vec!["1".to_string(), "3".to_string()]);
    let errors = r.log.sorted();
    assert_eq!(errors.len(), 1);
    assert_eq!((errors[0].0.as_str(), errors[0].1), ("in/a.csv", 1));
    assert!(
        errors[0].2.starts_with("Invalid number for attribute pk: "),
        "{}",
        errors[0].2
    );
    assert!(!errors[0].2.contains("skipped"), "{}", errors[0].2);
    assert_eq!(
        (
            r.counters.processed_items,
            r.counters.imported_items,
            r.counters.errors
        ),
        (3, 2, 1)
    );
}

#[test]
fn an_unreadable_record_says_how_many_lines_of_its_object_were_skipped() {
    // Many chunks, so that the reader is still reading when the abandoning
    // chunk is seen; blank lines are not counted.
    let src = MemSource::new();
    let mut data = json_lines("a", 0..100);
    data.extend_from_slice(b"not json\n\n   \n");
    data.extend(json_lines("a", 100..3000));
    src.put("b", "in/a.json", data);
    src.put("b", "in/b.json", json_lines("b", 0..10));
    let r = run_json(&src, Compression::None, 4096, ErrorPolicy::AbandonObject);
    assert_eq!(r.result, Ok(()));
    assert_eq!(r.sink.keys().len(), 110);
    let errors = r.log.sorted();
    assert_eq!(errors.len(), 1);
    assert_eq!((errors[0].0.as_str(), errors[0].1), ("in/a.json", 100));
    assert!(
        errors[0]
            .2
            .ends_with(" (the rest of the object was not imported: 2900 more lines skipped)"),
        "{}",
        errors[0].2
    );
    assert_eq!(r.counters.errors, 1);
}

#[test]
fn ion_lines_and_top_level_list() {
    let src = MemSource::new();
    src.put(
        "b",
        "in/a.ion",
        b"$ion_1_0 {Item:{pk:\"a1\",n:1.}}\n$ion_1_0 {Item:{pk:\"a2\",n:6d2}}\n".to_vec(),
    );
    src.put(
        "b",
        "in/b.ion",
        zstd(b"$ion_1_0\n[{Item:{pk:\"b1\"}},{Item:{pk:\"b2\",s:$dynamodb_SS::[\"x\",\"y\"]}}]\n"),
    );
    let r = run_with(
        &src,
        "in/a",
        InputFormat::Ion,
        Compression::None,
        None,
        &table("t", false),
        &settings(4096, ErrorPolicy::AbandonObject),
    );
    assert_eq!(r.sink.keys(), vec!["a1", "a2"]);
    let r = run_with(
        &src,
        "in/b",
        InputFormat::Ion,
        Compression::Zstd,
        None,
        &table("t", false),
        &settings(4096, ErrorPolicy::AbandonObject),
    );
    assert_eq!(r.result, Ok(()));
    assert_eq!(r.sink.keys(), vec!["b1", "b2"]);
}

#[test]
fn empty_object_and_empty_prefix_are_zero_items() {
    let src = MemSource::new();
    src.put("b", "in/empty", Vec::new());
    let r = run_json(&src, Compression::None, 4096, ErrorPolicy::AbandonObject);
    assert_eq!(r.counters, Counters::default());
    src.bucket("c");
    let r = run_json(&src, Compression::None, 4096, ErrorPolicy::AbandonObject);
    assert_eq!(r.result, Ok(()));
}

#[test]
fn zero_byte_objects_are_objects_without_items_in_every_compression() {
    for compression in [Compression::None, Compression::Gzip, Compression::Zstd] {
        for format in [
            InputFormat::DynamoDbJson,
            InputFormat::Csv,
            InputFormat::Ion,
        ] {
            let src = MemSource::new();
            // An S3 console folder placeholder and an empty partition file.
            src.put("b", "in/", Vec::new());
            src.put("b", "in/part-0", Vec::new());
            let r = run_with(
                &src,
                "in/",
                format,
                compression,
                None,
                &table("t", false),
                &settings(4096, ErrorPolicy::AbandonObject),
            );
            assert_eq!(r.result, Ok(()), "{format:?} {compression:?}");
            assert_eq!(r.log.sorted(), Vec::new(), "{format:?} {compression:?}");
            assert_eq!(
                r.counters,
                Counters::default(),
                "{format:?} {compression:?}"
            );
        }
    }
}
