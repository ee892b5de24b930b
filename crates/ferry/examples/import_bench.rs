//! ImportTable benchmark: a deterministic data set (ferry-formats'
//! generator: ~330-byte items with a string hash key, a sort key, strings,
//! numbers, a bool, a string set and a small map) written as 8 objects into
//! Ferry's embedded S3 store, imported through the real DynamoDB API (AWS SDK
//! over HTTP) into a table with one GSI, timed from the ImportTable call to
//! COMPLETED. Also measures the decompress+parse ceiling of the same objects
//! on both cores, and the peak RSS of each import. On a shared machine the
//! CPU-seconds per GB of input (import vs ceiling, and their ratio) are the
//! steadier comparison than wall-clock MB/s.
//!
//! ```text
//! cargo run --release -p ferry --example import_bench [-- ITEMS [CASE...]]
//! ```
//! CASE is one of `json-gzip` (the headline), `json-zstd`, `json-none`,
//! `csv-gzip`, `ion-gzip`; default: all but `json-none`. Prints figures; it
//! asserts only that every item was imported.

use std::io::Write as _;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, ImportStatus, InputCompressionType,
    InputFormat, KeySchemaElement, KeyType, Projection, ProjectionType, S3BucketSource,
    ScalarAttributeType, TableCreationParameters,
};
use ferry_formats::generator;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const OBJECTS: u64 = 8;
const BUCKET: &str = "bench-source";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Json,
    Csv,
    Ion,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Compression {
    None,
    Gzip,
    Zstd,
}

#[derive(Clone, Copy, Debug)]
struct Case {
    name: &'static str,
    format: Format,
    compression: Compression,
}

const CASES: [Case; 5] = [
    Case {
        name: "json-gzip",
        format: Format::Json,
        compression: Compression::Gzip,
    },
    Case {
        name: "json-zstd",
        format: Format::Json,
        compression: Compression::Zstd,
    },
    Case {
        name: "csv-gzip",
        format: Format::Csv,
        compression: Compression::Gzip,
    },
    Case {
        name: "ion-gzip",
        format: Format::Ion,
        compression: Compression::Gzip,
    },
    Case {
        name: "json-none",
        format: Format::Json,
        compression: Compression::None,
    },
];

struct Figures {
    raw_bytes: u64,
    stored_bytes: u64,
    import: Duration,
    ceiling: Duration,
    /// CPU time of the import and of the ceiling run (the fair comparison
    /// on a shared machine).
    import_cpu: Duration,
    ceiling_cpu: Duration,
    peak_rss_mb: u64,
    imported: i64,
    /// CPU time used during the import, in cores (1.0 = one busy core).
    cores: f64,
}

fn generate(format: Format, range: std::ops::Range<u64>) -> Vec<u8> {
    match format {
        Format::Json => generator::json_lines(range),
        Format::Csv => generator::csv(range),
        Format::Ion => generator::ion_lines(range),
    }
}

fn compress(c: Compression, data: Vec<u8>) -> Vec<u8> {
    match c {
        Compression::None => data,
        Compression::Gzip => {
            let mut e = flate2::write::GzEncoder::new(
                Vec::with_capacity(data.len() / 4),
                flate2::Compression::default(),
            );
            e.write_all(&data).expect("gzip to memory");
            e.finish().expect("gzip to memory")
        }
        Compression::Zstd => zstd::encode_all(&data[..], 3).expect("zstd to memory"),
    }
}

/// VmHWM (peak RSS) of this process, in MiB.
fn peak_rss_mb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb / 1024)
}

/// CPU time (user + system) of this process so far.
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which is in parentheses).
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // utime and stime are fields 14 and 15 of /proc/pid/stat (1-based);
    // here the list starts at field 3.
    Duration::from_millis((ticks(11) + ticks(12)) * 10)
}

/// Reset VmHWM to the current RSS (Linux: `5` to clear_refs).
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn formats_format(case: &Case) -> ferry_formats::ReaderFormat {
    match case.format {
        Format::Json => ferry_formats::ReaderFormat::DynamoDbJson,
        Format::Ion => ferry_formats::ReaderFormat::Ion,
        Format::Csv => {
            let mut types = generator::key_types();
            types.insert("status".into(), ferry_model::ScalarType::S);
            types.insert("amount".into(), ferry_model::ScalarType::N);
            ferry_formats::ReaderFormat::Csv {
                options: Default::default(),
                types,
            }
        }
    }
}

fn formats_compression(c: Compression) -> ferry_formats::Compression {
    match c {
        Compression::None => ferry_formats::Compression::None,
        Compression::Gzip => ferry_formats::Compression::Gzip,
        Compression::Zstd => ferry_formats::Compression::Zstd,
    }
}

/// Decompress + parse every object on two threads: the ceiling an import
/// could reach if writing were free.
fn ceiling(store: &ferry_objects::BucketStore, case: &Case, keys: &[String]) -> (Duration, u64) {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let items = std::sync::atomic::AtomicU64::new(0);
    let format = formats_format(case);
    let started = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let Some(key) = keys.get(i) else { return };
                    let obj = store.open_object(BUCKET, key).expect("object");
                    let size = obj.info.size;
                    let reader = obj.into_reader(0, size).expect("object reader");
                    let records = ferry_formats::open_reader(
                        &format,
                        formats_compression(case.compression),
                        Box::new(reader),
                    )
                    .expect("reader");
                    let mut n = 0;
                    for r in records {
                        let r = r.expect("readable");
                        assert!(r.item.is_ok(), "{:?}", r.item);
                        n += 1;
                    }
                    items.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
                }
            });
        }
    });
    (started.elapsed(), items.into_inner())
}

fn table_parameters(name: &str) -> TableCreationParameters {
    let def = |n: &str, t: ScalarAttributeType| {
        AttributeDefinition::builder()
            .attribute_name(n)
            .attribute_type(t)
            .build()
            .expect("definition")
    };
    let key = |n: &str, t: KeyType| {
        KeySchemaElement::builder()
            .attribute_name(n)
            .key_type(t)
            .build()
            .expect("key")
    };
    TableCreationParameters::builder()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(def("pk", ScalarAttributeType::S))
        .attribute_definitions(def("sk", ScalarAttributeType::S))
        .attribute_definitions(def("status", ScalarAttributeType::S))
        .attribute_definitions(def("amount", ScalarAttributeType::N))
        .key_schema(key("pk", KeyType::Hash))
        .key_schema(key("sk", KeyType::Range))
        .global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name("by_status")
                .key_schema(key("status", KeyType::Hash))
                .key_schema(key("amount", KeyType::Range))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::All)
                        .build(),
                )
                .build()
                .expect("gsi"),
        )
        .build()
        .expect("table parameters")
}

async fn run_case(
    server: &ferry_server::ServerHandle,
    db: &aws_sdk_dynamodb::Client,
    case: &Case,
    items: u64,
) -> anyhow::Result<Figures> {
    let objects = server.objects().clone();
    let prefix = format!("{}/", case.name);
    // Generate and store the objects (two threads), keeping nothing in memory.
    let started = Instant::now();
    let next = std::sync::atomic::AtomicU64::new(0);
    let store = objects.store().clone();
    let totals = std::sync::Mutex::new((0u64, 0u64, Vec::new()));
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                loop {
                    let o = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    if o >= OBJECTS {
                        return;
                    }
                    let range = o * items / OBJECTS..(o + 1) * items / OBJECTS;
                    let raw = generate(case.format, range);
                    let raw_len = raw.len() as u64;
                    let data = compress(case.compression, raw);
                    let key = format!("{prefix}part-{o:05}");
                    let stored = data.len() as u64;
                    let mut w = store.begin_put(BUCKET, &key).expect("begin the object");
                    w.write(&data).expect("write the object");
                    store
                        .finish_put(
                            w,
                            ferry_objects::ObjectAttrs::default(),
                            &ferry_objects::PutCondition::default(),
                        )
                        .expect("store the object");
                    let mut t = totals.lock().expect("totals");
                    t.0 += raw_len;
                    t.1 += stored;
                    t.2.push(key);
                }
            });
        }
    });
    let (raw_bytes, stored_bytes, mut keys) = totals.into_inner().expect("totals");
    keys.sort();
    eprintln!(
        "  {}: generated {} objects in {:.1?}",
        case.name,
        keys.len(),
        started.elapsed()
    );

    let c = *case;
    let k = keys.clone();
    let cpu_before = cpu_time();
    let (ceiling, parsed) = tokio::task::spawn_blocking(move || ceiling(&store, &c, &k)).await?;
    let ceiling_cpu = cpu_time() - cpu_before;
    assert_eq!(parsed, items, "the ceiling run parsed every item");

    let table = format!("bench-{}", case.name);
    let compression = match case.compression {
        Compression::None => InputCompressionType::None,
        Compression::Gzip => InputCompressionType::Gzip,
        Compression::Zstd => InputCompressionType::Zstd,
    };
    let format = match case.format {
        Format::Json => InputFormat::DynamodbJson,
        Format::Csv => InputFormat::Csv,
        Format::Ion => InputFormat::Ion,
    };
    reset_peak_rss();
    let cpu_before = cpu_time();
    let started = Instant::now();
    let d = db
        .import_table()
        .s3_bucket_source(
            S3BucketSource::builder()
                .s3_bucket(BUCKET)
                .s3_key_prefix(&prefix)
                .build()?,
        )
        .input_format(format)
        .input_compression_type(compression)
        .table_creation_parameters(table_parameters(&table))
        .send()
        .await?
        .import_table_description
        .ok_or_else(|| anyhow::anyhow!("no description"))?;
    let arn = d.import_arn().unwrap_or_default().to_string();
    let done = loop {
        let d = db
            .describe_import()
            .import_arn(&arn)
            .send()
            .await?
            .import_table_description;
        let d = d.ok_or_else(|| anyhow::anyhow!("no description"))?;
        if d.import_status() != Some(&ImportStatus::InProgress) {
            break d;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let import = started.elapsed();
    let import_cpu = cpu_time() - cpu_before;
    let cores = import_cpu.as_secs_f64() / import.as_secs_f64();
    let peak = peak_rss_mb();
    anyhow::ensure!(
        done.import_status() == Some(&ImportStatus::Completed),
        "import ended {done:?}"
    );
    anyhow::ensure!(
        done.processed_size_bytes() == Some(raw_bytes as i64),
        "ProcessedSizeBytes {:?} != {raw_bytes}",
        done.processed_size_bytes()
    );
    db.delete_table().table_name(&table).send().await?;
    Ok(Figures {
        raw_bytes,
        stored_bytes,
        import,
        ceiling,
        import_cpu,
        ceiling_cpu,
        peak_rss_mb: peak,
        imported: done.imported_item_count(),
        cores,
    })
}

/// Run one case in this process and print its row.
fn run_one(items: u64, case: Case) -> anyhow::Result<()> {
    // RUST_LOG=ferry_jobs=info shows the import's phases.
    if std::env::var_os("RUST_LOG").is_some() {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_writer(std::io::stderr)
            .init();
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async {
        let dir = tempfile::tempdir()?;
        let config = ferry_server::Config {
            listen: "127.0.0.1:0".parse()?,
            data_dir: Some(dir.path().join("data")),
            ..Default::default()
        };
        let server = ferry_server::start(config).await?;
        server.objects().store().create_bucket(BUCKET)?;
        let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .endpoint_url(format!("http://{}", server.local_addr))
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(aws_credential_types::Credentials::new(
                "bench", "bench", None, None, "bench",
            ))
            .load()
            .await;
        let db = aws_sdk_dynamodb::Client::new(&sdk);
        let f = run_case(&server, &db, &case, items).await?;
        anyhow::ensure!(
            f.imported == items as i64,
            "{}: imported {} of {items}",
            case.name,
            f.imported
        );
        let mb = f.raw_bytes as f64 / 1e6;
        let rate = mb / f.import.as_secs_f64();
        let ceiling = mb / f.ceiling.as_secs_f64();
        let gb = mb / 1000.0;
        let (cpu, ceiling_cpu) = (
            f.import_cpu.as_secs_f64() / gb,
            f.ceiling_cpu.as_secs_f64() / gb,
        );
        println!(
            "{:<10} {:>9.1} {:>9.1} {:>9.2} {:>8.1} {:>9.0} {:>12.1} {:>6.2} {:>6.2} {:>6} MB {:>9.1} {:>9.1} {:>6.2}",
            case.name,
            mb,
            f.stored_bytes as f64 / 1e6,
            f.import.as_secs_f64(),
            rate,
            items as f64 / f.import.as_secs_f64(),
            ceiling,
            rate / ceiling,
            f.cores,
            f.peak_rss_mb,
            cpu,
            ceiling_cpu,
            ceiling_cpu / cpu
        );
        server.shutdown().await;
        anyhow::Ok(())
    })
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let items: u64 = args
        .next()
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(1_000_000);
    let wanted: Vec<String> = args.collect();
    let cases: Vec<Case> = CASES
        .iter()
        .filter(|c| {
            if wanted.is_empty() {
                c.name != "json-none"
            } else {
                wanted.iter().any(|w| w == c.name)
            }
        })
        .copied()
        .collect();
    // A child runs one case: every case gets a fresh process, so peak RSS
    // is the import's own.
    if std::env::var_os("IMPORT_BENCH_CHILD").is_some() {
        return match cases.first() {
            Some(case) => run_one(items, *case),
            None => anyhow::bail!("no such case"),
        };
    }
    println!(
        "import_bench: {items} items in {OBJECTS} objects, table with one GSI, {} cores",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!(
        "{:<10} {:>9} {:>9} {:>9} {:>8} {:>9} {:>12} {:>6} {:>6} {:>9} {:>9} {:>9} {:>6}",
        "case",
        "input MB",
        "stored MB",
        "import s",
        "MB/s",
        "items/s",
        "ceiling MB/s",
        "ratio",
        "cores",
        "peak RSS",
        "cpu-s/GB",
        "ceil cpu/GB",
        "cpu ratio"
    );
    let me = std::env::current_exe()?;
    for case in &cases {
        let status = std::process::Command::new(&me)
            .arg(items.to_string())
            .arg(case.name)
            .env("IMPORT_BENCH_CHILD", "1")
            .status()?;
        anyhow::ensure!(status.success(), "{} failed", case.name);
    }
    Ok(())
}
