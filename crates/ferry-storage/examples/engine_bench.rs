//! Engine throughput figures (a benchmark, not a test): bulk loading of
//! ~330-byte items on two threads, single-item writes, point reads and a
//! full scan, on a temporary on-disk database.
//!
//! `cargo run --release -p ferry-storage --example engine_bench [items] [bulk|backfill]`
//! (`bulk`: only the bulk loads; `backfill`: the bulk loads, then the online
//! backfill of a GSI added to the loaded table, idle and under writes;
//! `stream`: the bulk loads, then single puts without and with a stream,
//! and reading the stream's changes through the change log vs a pass over
//! the table). Besides wall time it prints the process's
//! CPU time (user + system, from `/proc/self/stat`), which other work on a
//! shared machine disturbs less, and the CPU time of generating the items
//! alone (part of every bulk figure).

use std::sync::Arc;
use std::time::{Duration, Instant};

use ferry_model::{
    AttributeValue, IndexDef, IndexKind, Item, KeyAttr, KeySchema, Number, PrimaryKey, Projection,
    ProjectionType, ScalarType, TableDef, TableStatus,
};
use ferry_storage::{Engine, EngineConfig, ScanSpec, Table, Write};

/// The allocator the `ferry` binary uses.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn s(v: String) -> AttributeValue {
    AttributeValue::S(v)
}

fn num(v: i64) -> AttributeValue {
    AttributeValue::N(Number::from(v))
}

/// A ~330-byte item (DynamoDB size) with a string key, a number sort key,
/// strings, numbers, a bool and a small map.
fn make_item(i: u64) -> Item {
    let mut it = Item::new();
    it.insert("pk".into(), s(format!("user#{:012}", i / 4)));
    it.insert("sk".into(), num((i % 4) as i64));
    it.insert(
        "name".into(),
        s(format!("Customer number {i} of the benchmark")),
    );
    it.insert("email".into(), s(format!("customer{i}@example.com")));
    it.insert(
        "address".into(),
        s(format!(
            "{} Long Street, Springfield, Some Region, 12345, Country",
            i % 997
        )),
    );
    it.insert(
        "status".into(),
        s(["active", "inactive", "pending"][(i % 3) as usize].into()),
    );
    it.insert("score".into(), num((i * 7919 % 100_000) as i64));
    it.insert(
        "balance".into(),
        AttributeValue::N(Number::parse("12345.6789").expect("n")),
    );
    it.insert("verified".into(), AttributeValue::Bool(i.is_multiple_of(2)));
    let mut m = Item::new();
    m.insert("theme".into(), s("dark".into()));
    m.insert("lang".into(), s("en-GB".into()));
    m.insert("notes".into(), s("x".repeat(80)));
    it.insert("prefs".into(), AttributeValue::M(m));
    it
}

/// The KEYS_ONLY GSI `by_status` on `status` / `score`.
fn status_index() -> IndexDef {
    let attr = |n: &str, ty| KeyAttr { name: n.into(), ty };
    IndexDef {
        name: "by_status".into(),
        kind: IndexKind::Global,
        key: KeySchema {
            hash: attr("status", ScalarType::S),
            range: Some(attr("score", ScalarType::N)),
        },
        projection: Projection {
            ty: ProjectionType::KeysOnly,
            non_key_attributes: vec![],
        },
    }
}

fn table_def(name: &str, gsi: bool) -> TableDef {
    TableDef {
        name: name.into(),
        id: name.into(),
        key: KeySchema {
            hash: KeyAttr {
                name: "pk".into(),
                ty: ScalarType::S,
            },
            range: Some(KeyAttr {
                name: "sk".into(),
                ty: ScalarType::N,
            }),
        },
        indexes: if gsi { vec![status_index()] } else { vec![] },
        created_micros: 0,
        status: TableStatus::Active,
        pitr: None,
        settings: Default::default(),
    }
}

/// Adds `by_status` to the loaded table `t` (n items) and times its online
/// backfill, idle and then while one thread keeps writing new items.
fn backfill(t: &Arc<Table>, n: u64) {
    for writing in [false, true] {
        let stop = std::sync::atomic::AtomicBool::new(false);
        let written = std::sync::atomic::AtomicU64::new(0);
        let start = Instant::now();
        let cpu = cpu_seconds();
        std::thread::scope(|sc| {
            if writing {
                sc.spawn(|| {
                    let mut i = 2 * n;
                    while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                        let it = make_item(i);
                        let key = t.key_of(&it).expect("key");
                        t.write(&key, |_| Ok::<_, ()>(Write::Put(it))).expect("put");
                        written.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        i += 1;
                    }
                });
            }
            t.add_index(status_index(), &mut |_| {}).expect("add");
            t.wait_for_backfills();
            stop.store(true, std::sync::atomic::Ordering::SeqCst);
        });
        let took = start.elapsed();
        let cpu = cpu_seconds() - cpu;
        let w = written.load(std::sync::atomic::Ordering::SeqCst);
        println!(
            "GSI backfill over {n} items ({}): {:.2}s, {:.0} items/s; {cpu:.2}s CPU{}",
            if writing {
                "one thread writing"
            } else {
                "idle"
            },
            took.as_secs_f64(),
            n as f64 / took.as_secs_f64(),
            if writing {
                format!(
                    "; {w} concurrent puts ({:.0}/s)",
                    w as f64 / took.as_secs_f64()
                )
            } else {
                String::new()
            }
        );
        let indexed = t.index_stats("by_status").expect("gsi").item_count;
        assert_eq!(indexed, t.stats().item_count);
        t.drop_index("by_status", &mut |_| {}).expect("drop");
    }
}

/// Single puts (one thread) of new items `from..from + count`: items/s and
/// CPU seconds.
fn puts(t: &Table, from: u64, count: u64) -> (f64, f64) {
    let cpu = cpu_seconds();
    let start = Instant::now();
    for i in from..from + count {
        let it = make_item(i);
        let key = t.key_of(&it).expect("key");
        t.write(&key, |_| Ok::<_, ()>(Write::Put(it))).expect("put");
    }
    (
        count as f64 / start.elapsed().as_secs_f64(),
        cpu_seconds() - cpu,
    )
}

/// The write cost of an enabled stream and the read rate of its changes on
/// the loaded table `t` (n items).
fn stream(engine: &Engine, t: &Arc<Table>, n: u64) {
    let count = 50_000;
    let (rate, cpu) = puts(t, n, count);
    println!("{count} single puts, no stream: {rate:.0} items/s, {cpu:.2}s CPU");
    let before = engine.clock().now();
    t.set_stream_retention(i64::MAX).expect("stream");
    let (rate, cpu) = puts(t, n + count, count);
    println!("{count} single puts, stream enabled: {rate:.0} items/s, {cpu:.2}s CPU");
    // A consumer reading everything in GetRecords-sized pieces (1,000).
    let cpu = cpu_seconds();
    let start = Instant::now();
    let (mut at, mut read, mut calls) = (before, 0usize, 0);
    loop {
        let scan = t.stream_changes(at, i64::MAX, 1_000).expect("read");
        if scan.changes.is_empty() {
            break;
        }
        read += scan.changes.len();
        calls += 1;
        at = scan.read_to;
    }
    assert_eq!(read as u64, count);
    let took = start.elapsed().as_secs_f64();
    println!(
        "reading the stream through the change log: {calls} reads of 1,000, {:.0} changes/s, {:.2}s CPU",
        read as f64 / took,
        cpu_seconds() - cpu
    );
    // A read of a time before the log starts is a pass over the table.
    let cpu = cpu_seconds();
    let start = Instant::now();
    let scan = t.stream_changes(0, 1, 1_000).expect("scan");
    assert!(scan.changes.is_empty());
    println!(
        "one read by a pass over the table ({} items): {:.3}s, {:.2}s CPU",
        t.stats().item_count,
        start.elapsed().as_secs_f64(),
        cpu_seconds() - cpu
    );
}

/// CPU seconds (user + system) this process used so far.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

/// Peak resident set size in MB (`VmHWM`).
fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Generates (and drops) the items the way `bulk` does, without a table.
fn generate_only(n: u64, threads: u64, batch: u64) -> f64 {
    let cpu = cpu_seconds();
    std::thread::scope(|sc| {
        for w in 0..threads {
            sc.spawn(move || {
                let mut i = w * batch;
                while i < n {
                    let end = (i + batch).min(n);
                    let items: Vec<Item> = (i..end).map(make_item).collect();
                    std::hint::black_box(&items);
                    i += threads * batch;
                }
            });
        }
    });
    cpu_seconds() - cpu
}

fn bulk(table: &Arc<Table>, n: u64, threads: u64, batch: u64) -> Duration {
    let loader = table.bulk_loader();
    let start = Instant::now();
    std::thread::scope(|sc| {
        for w in 0..threads {
            let loader = &loader;
            sc.spawn(move || {
                let mut i = w * batch;
                while i < n {
                    let end = (i + batch).min(n);
                    loader
                        .write((i..end).map(make_item).collect())
                        .expect("bulk write");
                    i += threads * batch;
                }
            });
        }
    });
    loader.finish().expect("finish");
    start.elapsed()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p) as usize]
}

fn main() {
    let n: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().expect("tempdir");
    let engine = Engine::open(EngineConfig {
        path: Some(dir.path().to_path_buf()),
        sync: false,
    })
    .expect("open");
    let item_bytes: u64 = (0..1000)
        .map(|i| ferry_model::item_size(&make_item(i)) as u64)
        .sum::<u64>()
        / 1000;
    println!("items: {n}, average DynamoDB item size: {item_bytes} bytes");
    let gen_cpu = generate_only(n, 2, 10_000);
    println!("generating the items alone: {gen_cpu:.2}s CPU");

    for (name, gsi) in [("plain", false), ("with_gsi", true)] {
        let t = engine.create_table(table_def(name, gsi)).expect("create");
        let cpu = cpu_seconds();
        let took = bulk(&t, n, 2, 10_000);
        let cpu = cpu_seconds() - cpu;
        let rate = n as f64 / took.as_secs_f64();
        println!(
            "bulk load ({name}, 2 threads, 10k batches): {:.2}s, {:.0} items/s, {:.1} MB/s; \
             {cpu:.2}s CPU ({:.2}s without generating the items), peak RSS {:.0} MB",
            took.as_secs_f64(),
            rate,
            rate * item_bytes as f64 / 1e6,
            cpu - gen_cpu,
            peak_rss_mb()
        );
        assert_eq!(t.stats().item_count, n);
        if gsi {
            assert_eq!(t.index_stats("by_status").expect("gsi").item_count, n);
            // A re-run over the loaded table: every key is read and replaced.
            let cpu = cpu_seconds();
            let took = bulk(&t, n, 2, 10_000);
            let cpu = cpu_seconds() - cpu;
            println!(
                "bulk re-load over the loaded table ({name}): {:.2}s, {:.0} items/s; {cpu:.2}s CPU",
                took.as_secs_f64(),
                n as f64 / took.as_secs_f64(),
            );
            assert_eq!(t.stats().item_count, n);
            assert_eq!(t.index_stats("by_status").expect("gsi").item_count, n);
        }
    }
    let t = engine.table("plain").expect("table");
    match std::env::args().nth(2).as_deref() {
        Some("bulk") => return,
        Some("backfill") => return backfill(&t, n),
        Some("stream") => return stream(&engine, &t, n),
        _ => {}
    }

    // Single-item writes (read-modify-write, no fsync), one and two threads.
    let writes = 50_000u64;
    for threads in [1u64, 2] {
        let start = Instant::now();
        std::thread::scope(|sc| {
            for w in 0..threads {
                let t = &t;
                sc.spawn(move || {
                    for i in (w..writes).step_by(threads as usize) {
                        let it = make_item(n + i);
                        let key = t.key_of(&it).expect("key");
                        t.write(&key, |_| Ok::<_, ()>(Write::Put(it))).expect("put");
                    }
                });
            }
        });
        let took = start.elapsed();
        println!(
            "single puts ({threads} thread(s)): {:.0} items/s",
            writes as f64 / took.as_secs_f64()
        );
    }

    // Point reads.
    let mut lat = Vec::with_capacity(100_000);
    let mut x = 12345u64;
    let start = Instant::now();
    for _ in 0..100_000 {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let i = (x >> 33) % n;
        let key = PrimaryKey {
            hash: s(format!("user#{:012}", i / 4)),
            range: Some(num((i % 4) as i64)),
        };
        let t0 = Instant::now();
        let got = t.get(&key, None).expect("get");
        lat.push(t0.elapsed());
        assert!(got.is_some());
    }
    let took = start.elapsed();
    lat.sort();
    println!(
        "get (random keys): {:.0} reads/s, p50 {:?}, p99 {:?}",
        100_000.0 / took.as_secs_f64(),
        percentile(&lat, 0.5),
        percentile(&lat, 0.99)
    );

    // Full scan.
    let start = Instant::now();
    let count = t
        .scan(&ScanSpec {
            index: None,
            segment: None,
            exclusive_start: None,
        })
        .expect("scan")
        .count();
    let took = start.elapsed();
    println!(
        "scan: {count} items in {:.2}s, {:.0} items/s",
        took.as_secs_f64(),
        count as f64 / took.as_secs_f64()
    );
}
