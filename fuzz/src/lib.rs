//! The fuzz targets' bodies (one function per target in `fuzz_targets/`),
//! shared with the replay of the committed corpora: each takes arbitrary
//! bytes and must return, whatever they hold; a panic, an abort, a stack
//! overflow or a failed assertion here is a defect in Ferry.

use std::collections::HashMap;
use std::io::Read;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use ferry_expr::{Condition, KeyCondition, Placeholders, Projection, Update};
use ferry_formats::{Compression, ReaderFormat, csv::CsvOptions};
use ferry_model::{AttributeValue, Item, KeyAttr, KeySchema, Number, ScalarType};
use ferry_server::fuzzing::{Harness, Operation};

/// Most decompressed bytes read from one input (a 1 KB zstd frame can
/// declare gigabytes: the import reads them as a stream, so does this).
const MAX_DECOMPRESSED: u64 = 16 * 1024 * 1024;

fn num(text: &str) -> Number {
    Number::parse(text).unwrap_or_else(|e| panic!("{text}: {e:?}"))
}

/// An item with one attribute of every type, some nested.
fn sample_item() -> Item {
    let mut inner = Item::new();
    inner.insert(
        "c".into(),
        AttributeValue::L(vec![AttributeValue::N(num("1")), AttributeValue::Null]),
    );
    let mut item = Item::new();
    item.insert("pk".into(), AttributeValue::S("p".into()));
    item.insert("sk".into(), AttributeValue::N(num("7")));
    item.insert("a".into(), AttributeValue::S("text".into()));
    item.insert("b".into(), AttributeValue::M(inner));
    item.insert("n".into(), AttributeValue::N(num("-1.5e10")));
    item.insert("bin".into(), AttributeValue::B(vec![0, 1, 2]));
    item.insert(
        "ss".into(),
        AttributeValue::SS(vec!["x".into(), "y".into()]),
    );
    item.insert("ns".into(), AttributeValue::NS(vec![num("1"), num("2")]));
    item.insert("bs".into(), AttributeValue::BS(vec![vec![1], vec![2]]));
    item.insert("t".into(), AttributeValue::Bool(true));
    item.insert("z".into(), AttributeValue::Null);
    item.insert(
        "l".into(),
        AttributeValue::L(vec![AttributeValue::S("e".into())]),
    );
    item
}

fn names() -> HashMap<String, String> {
    [
        ("#a", "a"),
        ("#b", "b"),
        ("#c", "c"),
        ("#k", "pk"),
        ("#s", "sk"),
        ("#d", "b.c"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

fn values() -> HashMap<String, AttributeValue> {
    let item = sample_item();
    let mut v = HashMap::new();
    for (name, value) in [
        (":s", "a"),
        (":n", "n"),
        (":b", "bin"),
        (":ss", "ss"),
        (":ns", "ns"),
        (":bs", "bs"),
        (":m", "b"),
        (":l", "l"),
        (":t", "t"),
        (":z", "z"),
        (":k", "sk"),
    ] {
        if let Some(x) = item.get(value) {
            v.insert(name.to_string(), x.clone());
        }
    }
    v
}

/// Condition, filter, update, projection and key-condition expressions:
/// the first byte picks the kind, the rest is the text. What compiles is
/// also evaluated against an item with every type.
pub fn expressions(data: &[u8]) {
    let Some((&kind, text)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(text);
    let (names, values) = (names(), values());
    let p = Placeholders::new(Some(&names), Some(&values));
    let item = sample_item();
    match kind % 5 {
        0 | 1 => {
            let what = if kind % 5 == 0 {
                "ConditionExpression"
            } else {
                "FilterExpression"
            };
            if let Ok(c) = Condition::compile(&text, what, &p) {
                let _ = c.eval(Some(&item));
                let _ = c.eval(None);
                let _ = (c.top_level_names(), c.nested_top_level_names());
            }
        }
        2 => {
            if let Ok(u) = Update::compile(&text, &p) {
                let mut updated = item.clone();
                if u.apply(&mut updated).is_ok() {
                    let _ = u.project_updated(&updated);
                    let _ = ferry_model::validate_item(&updated);
                }
                let mut empty = Item::new();
                let _ = u.apply(&mut empty);
                let _ = (
                    u.only_removes(),
                    u.top_level_targets(),
                    u.nested_top_level_names(),
                );
            }
        }
        3 => {
            if let Ok(pr) = Projection::compile(&text, &p) {
                let _ = pr.apply(&item);
                let _ = (pr.top_level_names(), pr.nested_top_level_names());
            }
        }
        _ => {
            let schema = KeySchema {
                hash: KeyAttr {
                    name: "pk".into(),
                    ty: ScalarType::S,
                },
                range: Some(KeyAttr {
                    name: "sk".into(),
                    ty: ScalarType::N,
                }),
            };
            let _ = KeyCondition::compile(&text, &schema, &p);
        }
    }
    let _ = p.check_all_used();
}

/// Reads every record of `data` as an import object would be read, and
/// checks that each item the import would store survives the storage codec.
fn import(format: ReaderFormat, compression: Compression, data: &[u8]) {
    let Ok(reader) = ferry_formats::open_reader(
        &format,
        compression,
        Box::new(std::io::Cursor::new(data.to_vec())),
    ) else {
        return;
    };
    let mut records = 0usize;
    for record in reader {
        records += 1;
        // Every record consumes input: more records than (uncompressed)
        // bytes is a loop.
        assert!(
            compression != Compression::None || records <= data.len() + 1,
            "the reader does not advance"
        );
        if records > 1_000_000 {
            break;
        }
        let Ok(record) = record else { break };
        if let Ok(item) = record.item
            && ferry_model::validate_item(&item).is_ok()
        {
            let back = ferry_storage::fuzzing::store_and_read(&item)
                .unwrap_or_else(|e| panic!("a valid imported item cannot be stored: {e}"));
            assert_eq!(
                back.as_ref(),
                Some(&item),
                "the stored item reads back different"
            );
        }
    }
}

/// CSV import records: the first byte picks the delimiter and whether a
/// header list is given; the rest is the object.
pub fn import_csv(data: &[u8]) {
    let Some((&opts, body)) = data.split_first() else {
        return;
    };
    let delimiter = b",;:|\t "[usize::from(opts % 6)];
    let header =
        (opts & 0x80 != 0).then(|| vec!["pk".to_string(), "sk".to_string(), "x".to_string()]);
    let types = [
        ("pk".to_string(), ScalarType::S),
        ("sk".to_string(), ScalarType::N),
        ("b".to_string(), ScalarType::B),
    ]
    .into_iter()
    .collect();
    import(
        ReaderFormat::Csv {
            options: CsvOptions { delimiter, header },
            types,
        },
        Compression::None,
        body,
    );
}

/// DynamoDB JSON (lines of `{"Item":{…}}`) import records.
pub fn import_ddb_json(data: &[u8]) {
    import(ReaderFormat::DynamoDbJson, Compression::None, data);
}

/// Ion import records, text or binary (a binary object starts with the
/// Ion version marker `E0 01 00 EA`).
pub fn import_ion(data: &[u8]) {
    import(ReaderFormat::Ion, Compression::None, data);
}

/// Gzip and zstd streams (first byte: which), read to their end and also
/// through the DynamoDB JSON reader.
pub fn decompress(data: &[u8]) {
    let Some((&which, body)) = data.split_first() else {
        return;
    };
    let compression = if which % 2 == 0 {
        Compression::Gzip
    } else {
        Compression::Zstd
    };
    if let Ok(r) = ferry_formats::compress::decoder(compression, body) {
        let _ = std::io::copy(&mut r.take(MAX_DECOMPRESSED), &mut std::io::sink());
    }
    if which & 0x80 != 0 {
        import(ReaderFormat::DynamoDbJson, compression, body);
    }
}

/// An HTTP request from text: `METHOD TARGET` on the first line, then
/// `name: value` header lines, an empty line and the body. Lines that are
/// not valid HTTP are skipped (the server never sees them either).
pub fn request(data: &[u8]) -> Option<http::Request<Vec<u8>>> {
    let split = data.windows(2).position(|w| w == b"\n\n");
    let (head, body) = match split {
        Some(i) => (&data[..i], data.get(i + 2..).unwrap_or_default()),
        None => (data, &b""[..]),
    };
    let head = String::from_utf8_lossy(head);
    let mut lines = head.lines();
    let (method, target) = lines.next()?.split_once(' ')?;
    let mut b = http::Request::builder().method(method).uri(target);
    for line in lines {
        if let Some((name, value)) = line.split_once(':')
            && let Ok(name) = http::HeaderName::from_bytes(name.trim().as_bytes())
            && let Ok(value) = http::HeaderValue::from_str(value.trim())
        {
            b = b.header(name, value);
        }
    }
    b.body(body.to_vec()).ok()
}

/// The instant the SigV4 fuzz seeds were signed at (2015-08-30T12:36:00Z,
/// the AWS SigV4 test suite's date).
fn sigv4_now() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_440_938_160)
}

/// SigV4 `Authorization` headers and presigned queries, checked against the
/// key `AKIDEXAMPLE` (secret of the AWS test suite).
pub fn sigv4(data: &[u8]) {
    let Some(req) = request(data) else { return };
    let (parts, body) = req.into_parts();
    let creds = ferry_auth::Credentials::new([(
        "AKIDEXAMPLE".to_string(),
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".to_string(),
    )]);
    for now in [sigv4_now(), SystemTime::UNIX_EPOCH, SystemTime::now()] {
        let _ = creds.precheck(&parts, now);
        let _ = creds.verify(&parts, &body, now);
        let _ = creds.verify_for_service(&parts, &body, now, "s3");
    }
    let _ = ferry_auth::request_region(&parts);
}

fn harness() -> &'static Harness {
    static HARNESS: OnceLock<Harness> = OnceLock::new();
    HARNESS.get_or_init(|| {
        let h = Harness::new().unwrap_or_else(|e| panic!("fuzzing harness: {e:#}"));
        let bucket = http::Request::builder()
            .method("PUT")
            .uri("/fuzz")
            .body(s3s::Body::empty());
        let resp = h.s3(bucket.unwrap_or_else(|e| panic!("{e}")));
        assert!(
            resp.status().is_success(),
            "creating the bucket: {}",
            resp.status()
        );
        h
    })
}

/// The operations `dynamodb_request` drives (its first byte picks one).
const OPERATIONS: [Operation; 16] = [
    Operation::PutItem,
    Operation::GetItem,
    Operation::UpdateItem,
    Operation::DeleteItem,
    Operation::Query,
    Operation::Scan,
    Operation::BatchWriteItem,
    Operation::BatchGetItem,
    Operation::TransactWriteItems,
    Operation::TransactGetItems,
    Operation::CreateTable,
    Operation::DescribeTable,
    Operation::UpdateTimeToLive,
    Operation::TagResource,
    Operation::ListTables,
    Operation::ImportTable,
];

/// A DynamoDB request body run by a server (in memory, with the tables of
/// `ferry_server::fuzzing`): any answer but a 500.
pub fn dynamodb_request(data: &[u8]) {
    let Some((&op, body)) = data.split_first() else {
        return;
    };
    let op = OPERATIONS[usize::from(op) % OPERATIONS.len()];
    if let Err(e) = harness().dynamodb(op, body) {
        assert!(
            e.code != ferry_server::errors::ErrorCode::InternalServerError,
            "{op:?} answered 500: {e:?}"
        );
    }
}

/// An S3 request (text form of [`request`]) served in open mode, over a
/// store holding the bucket `fuzz`: the XML bodies s3s parses for Ferry,
/// aws-chunked framing, ranges, multipart uploads; any answer but a 500.
pub fn s3_request(data: &[u8]) {
    let Some(req) = request(data) else { return };
    let req = req.map(|b| s3s::Body::from(bytes::Bytes::from(b)));
    let resp = harness().s3(req);
    assert_ne!(
        resp.status(),
        http::StatusCode::INTERNAL_SERVER_ERROR,
        "S3 answered 500"
    );
}

/// The aws-chunked decoder on a body split into pieces at every 0xFF byte
/// of the first 8 (the rest is the body), with the first byte's low bits as
/// a declared decoded length when non-zero.
pub fn s3_chunked(data: &[u8]) {
    use futures::StreamExt as _;
    let Some((&declared, body)) = data.split_first() else {
        return;
    };
    let pieces: Vec<Result<bytes::Bytes, std::io::Error>> = body
        .split(|b| *b == 0xFF)
        .map(|p| Ok(bytes::Bytes::copy_from_slice(p)))
        .collect();
    let declared = (declared != 0).then(|| u64::from(declared & 0x7F));
    let (decoder, trailers) =
        ferry_s3::fuzzing::AwsChunkedDecoder::new(futures::stream::iter(pieces), declared);
    futures::executor::block_on(async {
        let mut decoder = std::pin::pin!(decoder);
        let mut out = 0usize;
        while let Some(piece) = decoder.next().await {
            match piece {
                Ok(b) => out += b.len(),
                Err(_) => break,
            }
        }
        assert!(out <= body.len(), "more bytes decoded than sent");
    });
    let _ = trailers.take();
}

/// The storage decoders on random bytes: version values, index values,
/// catalog records, version keys.
pub fn storage_decode(data: &[u8]) {
    use ferry_storage::fuzzing as s;
    if let Ok(Some(item)) = s::decode_version(data) {
        // What decodes encodes back to an equal item.
        let back = s::store_and_read(&item);
        assert!(
            matches!(back, Ok(Some(ref b)) if *b == item),
            "decoded item does not round-trip"
        );
    }
    let _ = s::decode_index_value(data);
    let _ = s::decode_table_record(data);
    let _ = s::split_version_key(data);
}
