//! Export benchmark: a full export of N generated items (~330 bytes each as
//! DynamoDB JSON) and an incremental export over N changed items, through
//! the real export runner into the embedded bucket store, while a
//! concurrent writer keeps writing to the table. Prints MB/s of uncompressed
//! output, items/s, writer throughput and the peak RSS, and, measured the
//! same way in the same run, gzip level 2 (zlib-rs) alone on both cores
//! over the full export's data (the ceiling the export is compared with).
//!
//! `cargo run --release -p ferry --example export_bench` (items:
//! `FERRY_BENCH_ITEMS`, default 1,000,000; format: `FERRY_BENCH_FORMAT` =
//! `DYNAMODB_JSON` | `ION`; `FERRY_BENCH_WRITES_PER_SEC`: the concurrent
//! writer's rate, default 5000, 0 = unthrottled; `FERRY_BENCH_NO_WRITER=1` turns the concurrent
//! writer off; `FERRY_BENCH_FULL_ONLY=1` skips the incremental exports;
//! `FERRY_BENCH_GZIP_LEVEL` overrides the data files' libdeflate level).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

use ferry_jobs::export::objects::ObjectsSinks;
use ferry_jobs::export::{
    Completed, ExportFormat, ExportRecord, ExportRequest, ExportStatus, ExportType, ExportViewType,
    Period, RECORD_VERSION, RunConfig, run_export,
};
use ferry_model::{
    AttributeValue, KeyAttr, KeySchema, PitrSettings, PrimaryKey, ScalarType, TableDef, TableStatus,
};
use ferry_objects::{Objects, ObjectsConfig};
use ferry_storage::{Engine, EngineConfig, Table, Write};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const MB: f64 = 1024.0 * 1024.0;

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// CPU seconds used by this process so far (user + system).
fn cpu_secs() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which is in parentheses).
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<f64> = rest
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0.0))
        .collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 here.
    (f.get(11).copied().unwrap_or(0.0) + f.get(12).copied().unwrap_or(0.0)) / 100.0
}

fn record(
    def: &TableDef,
    kind: ExportType,
    format: ExportFormat,
    now: i64,
    period: Option<Period>,
) -> ExportRecord {
    let table_arn = format!("arn:aws:dynamodb:us-east-1:000000000000:table/{}", def.name);
    let id = ferry_jobs::ids::new_job_id(now / 1000);
    ExportRecord {
        version: RECORD_VERSION,
        export_arn: format!("{table_arn}/export/{id}"),
        export_id: id,
        table_arn: table_arn.clone(),
        table_name: def.name.clone(),
        table_id: def.id.clone(),
        status: ExportStatus::InProgress,
        start_time: now,
        end_time: None,
        export_time: (kind == ExportType::Full).then_some(now),
        period,
        client_token: "bench".into(),
        request: ExportRequest {
            table_arn,
            table_name: def.name.clone(),
            export_time: None,
            client_token: None,
            s3_bucket: "bench".into(),
            s3_bucket_owner: None,
            s3_prefix: Some("bench".into()),
            s3_sse_algorithm: None,
            s3_sse_kms_key_id: None,
            export_format: Some(format),
            export_type: Some(kind),
            incremental: None,
            without_pitr: false,
        },
        format,
        export_type: kind,
        failure_code: None,
        failure_message: None,
        item_count: None,
        billed_size_bytes: None,
        manifest_key: None,
        pitr_epoch: def.pitr.as_ref().map(|p| p.enabled_micros),
    }
}

/// `secs` of wall time and `cpu` CPU seconds (the whole process).
fn report(name: &str, done: &Completed, secs: f64, cpu: f64) {
    let raw: u64 = done.files.iter().map(|f| f.raw_bytes).sum();
    let packed: u64 = done.files.iter().map(|f| f.size).sum();
    println!(
        "{name:<12} {:>9} records  {:>7.1} MB raw  {:>6.1} MB gz  {:>4} files  {:>6.2} s  {:>6.1} MB/s  {:>8.0} rec/s  {:>6.2} cpu-s  {:>6.1} MB/cpu-s",
        done.item_count,
        raw as f64 / MB,
        packed as f64 / MB,
        done.files.len(),
        secs,
        raw as f64 / MB / secs,
        done.item_count as f64 / secs,
        cpu,
        raw as f64 / MB / cpu
    );
}

/// gzip level 2 (zlib-rs) alone on the same data, both cores: the full
/// export's data files are read back and decompressed, then compressed again
/// by two threads (one file at a time each). Prints MB/s of uncompressed
/// input per wall second and per CPU second, and the compressed size.
fn gzip_ceiling(store: &ferry_objects::BucketStore, done: &Completed) {
    use std::io::{Read, Write as _};
    let files: Vec<Vec<u8>> = done
        .files
        .iter()
        .map(|f| {
            let obj = store.open_object("bench", &f.key).expect("data file");
            let size = obj.info.size;
            let mut raw = Vec::new();
            flate2::read::MultiGzDecoder::new(obj.into_reader(0, size).expect("reader"))
                .read_to_end(&mut raw)
                .expect("a valid gzip data file");
            assert_eq!(raw.len() as u64, f.raw_bytes, "{} decodes whole", f.key);
            raw
        })
        .collect();
    let raw: u64 = files.iter().map(|f| f.len() as u64).sum();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let packed = AtomicU64::new(0);
    let (t, c) = (Instant::now(), cpu_secs());
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                while let Some(f) = files.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let mut enc = flate2::write::GzEncoder::new(
                        Vec::with_capacity(f.len() / 4),
                        flate2::Compression::new(2),
                    );
                    enc.write_all(f).expect("gzip to memory");
                    let out = enc.finish().expect("gzip to memory");
                    packed.fetch_add(out.len() as u64, Ordering::Relaxed);
                }
            });
        }
    });
    let (secs, cpu) = (t.elapsed().as_secs_f64(), cpu_secs() - c);
    println!(
        "{:<12} {:>9} records  {:>7.1} MB raw  {:>6.1} MB gz  {:>4} files  {:>6.2} s  {:>6.1} MB/s  {:>8} rec/s  {:>6.2} cpu-s  {:>6.1} MB/cpu-s",
        "gzip -2 only",
        "-",
        raw as f64 / MB,
        packed.into_inner() as f64 / MB,
        files.len(),
        secs,
        raw as f64 / MB / secs,
        "-",
        cpu,
        raw as f64 / MB / cpu
    );
}

/// Keeps writing new items (`w<i>` keys) until told to stop, at
/// `FERRY_BENCH_WRITES_PER_SEC` puts per second (default 5000; 0 = as fast
/// as it can, which takes a whole core of this 2-core machine).
fn writer(
    table: Arc<Table>,
    stop: Arc<AtomicBool>,
    count: Arc<AtomicU64>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let schema = table.def().key;
        let rate: u64 = std::env::var("FERRY_BENCH_WRITES_PER_SEC")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(5000);
        let enabled = std::env::var("FERRY_BENCH_NO_WRITER").is_err();
        let start = Instant::now();
        let mut i = 0u64;
        while enabled && !stop.load(Ordering::Relaxed) {
            if rate > 0 && i * 1_000_000 / rate > start.elapsed().as_micros() as u64 {
                std::thread::sleep(std::time::Duration::from_micros(200));
                continue;
            }
            let mut item = ferry_formats::generator::item(i);
            item.insert("pk".into(), AttributeValue::S(format!("w{i}")));
            let Some(key) = PrimaryKey::from_item(&item, &schema) else {
                return;
            };
            if table
                .write(&key, |_| Ok::<_, ()>(Write::Put(item)))
                .is_err()
            {
                return;
            }
            count.fetch_add(1, Ordering::Relaxed);
            i += 1;
        }
    })
}

fn main() {
    let n: u64 = std::env::var("FERRY_BENCH_ITEMS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let format = match std::env::var("FERRY_BENCH_FORMAT").as_deref() {
        Ok("ION") => ExportFormat::Ion,
        _ => ExportFormat::DynamoDbJson,
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("temp dir");
    let engine = Engine::open(EngineConfig {
        path: Some(dir.path().join("engine")),
        sync: false,
    })
    .expect("engine");
    let now = engine.clock().now();
    let table = engine
        .create_table(TableDef {
            name: "bench".into(),
            id: uuid::Uuid::new_v4().to_string(),
            key: KeySchema {
                hash: KeyAttr {
                    name: "pk".into(),
                    ty: ScalarType::S,
                },
                range: Some(KeyAttr {
                    name: "sk".into(),
                    ty: ScalarType::S,
                }),
            },
            indexes: vec![],
            created_micros: now,
            status: TableStatus::Active,
            pitr: Some(PitrSettings {
                recovery_period_days: 35,
                enabled_micros: now,
            }),
            settings: Default::default(),
        })
        .expect("table");

    let t = Instant::now();
    let loader = table.bulk_loader();
    let mut batch = Vec::with_capacity(10_000);
    for i in 0..n {
        batch.push(ferry_formats::generator::item(i));
        if batch.len() == 10_000 {
            loader.write(std::mem::take(&mut batch)).expect("load");
        }
    }
    loader.write(batch).expect("load");
    loader.finish().expect("load");
    println!("loaded {n} items in {:.1} s", t.elapsed().as_secs_f64());

    let objects = Objects::open(&ObjectsConfig {
        embedded_root: dir.path().join("s3"),
        ..Default::default()
    })
    .expect("objects");
    objects.store().create_bucket("bench").expect("bucket");
    let store = objects.store().clone();
    let resolver = Arc::new(move |b: &str| objects.client_for(b));
    let sinks = ObjectsSinks::new(resolver, rt.handle().clone());
    let mut config = RunConfig::default();
    if let Some(level) = std::env::var("FERRY_BENCH_GZIP_LEVEL")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        config.gzip_level = level;
    }
    let cancel = AtomicBool::new(false);
    println!(
        "workers: {}  format: {}  libdeflate level: {}",
        config.workers,
        format.as_str(),
        config.gzip_level
    );

    // Full export with a concurrent writer.
    engine.clock().advance(1000);
    let def = table.def();
    let rec = record(&def, ExportType::Full, format, engine.clock().now(), None);
    engine.clock().advance(1000);
    let (stop, writes) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicU64::new(0)),
    );
    let w = writer(table.clone(), stop.clone(), writes.clone());
    let (t, c) = (Instant::now(), cpu_secs());
    let done = run_export(&engine, &sinks, &config, &rec, &cancel, &Default::default())
        .expect("full export");
    let (secs, cpu) = (t.elapsed().as_secs_f64(), cpu_secs() - c);
    stop.store(true, Ordering::Relaxed);
    let _ = w.join();
    assert_eq!(
        done.item_count, n,
        "the snapshot holds exactly the loaded items"
    );
    report("full", &done, secs, cpu);
    gzip_ceiling(&store, &done);
    println!(
        "concurrent writer: {} puts during the export ({:.0}/s)",
        writes.load(Ordering::Relaxed),
        writes.load(Ordering::Relaxed) as f64 / secs
    );

    if std::env::var("FERRY_BENCH_FULL_ONLY").is_ok() {
        println!("peak RSS: {:.0} MB", peak_rss_mb());
        return;
    }

    // Incremental export over n changed items.
    engine.clock().advance(1000);
    let from = engine.clock().now();
    let t = Instant::now();
    let loader = table.bulk_loader();
    let mut batch = Vec::with_capacity(10_000);
    for i in 0..n {
        let mut item = ferry_formats::generator::item(i);
        item.insert("status".into(), AttributeValue::S("CHANGED".into()));
        batch.push(item);
        if batch.len() == 10_000 {
            loader.write(std::mem::take(&mut batch)).expect("update");
        }
    }
    loader.write(batch).expect("update");
    loader.finish().expect("update");
    println!("changed {n} items in {:.1} s", t.elapsed().as_secs_f64());
    engine.clock().advance(16 * 60 * 1_000_000);
    let to = engine.clock().now();
    let period = Period {
        from,
        to,
        view: ExportViewType::NewAndOldImages,
    };
    let rec = record(
        &table.def(),
        ExportType::Incremental,
        format,
        to,
        Some(period),
    );
    let (t, c) = (Instant::now(), cpu_secs());
    let done = run_export(&engine, &sinks, &config, &rec, &cancel, &Default::default())
        .expect("incremental export");
    let (secs, cpu) = (t.elapsed().as_secs_f64(), cpu_secs() - c);
    assert!(done.item_count >= n, "every changed item has a record");
    report("incremental", &done, secs, cpu);
    let view_new = Period {
        view: ExportViewType::NewImage,
        ..period
    };
    let rec = record(
        &table.def(),
        ExportType::Incremental,
        format,
        to,
        Some(view_new),
    );
    let (t, c) = (Instant::now(), cpu_secs());
    let done = run_export(&engine, &sinks, &config, &rec, &cancel, &Default::default())
        .expect("incremental export");
    report(
        "incr (new)",
        &done,
        t.elapsed().as_secs_f64(),
        cpu_secs() - c,
    );
    println!("peak RSS: {:.0} MB", peak_rss_mb());
}
