//! Temporary probe: pipeline throughput with a null sink vs. the bulk loader.
use std::io::{Cursor, Read, Write};
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use ferry_jobs::import::pipeline::{self, ErrorLog, ItemSink, Live, Plan, Settings};
use ferry_jobs::import::source::{ObjectSource, SourceError, SourceObject};
use ferry_jobs::import::{InputCompression, InputFormat};
use ferry_model::*;

struct Mem(Vec<Vec<u8>>);
impl ObjectSource for Mem {
    fn list(&self, _: &str, _: &str, _: usize) -> Result<Vec<SourceObject>, SourceError> {
        unreachable!()
    }
    fn open(&self, _: &str, o: &SourceObject) -> Result<Box<dyn Read + Send>, SourceError> {
        let i: usize = o.key.parse().unwrap();
        Ok(Box::new(Cursor::new(self.0[i].clone())))
    }
}
struct Null;
impl ItemSink for Null {
    fn write(&self, _: Vec<Item>) -> Result<(), String> {
        Ok(())
    }
}
struct Loader(ferry_storage::BulkLoader);
impl ItemSink for Loader {
    fn write(&self, i: Vec<Item>) -> Result<(), String> {
        self.0.write(i).map_err(|e| e.to_string())
    }
}
struct NoLog;
impl ErrorLog for NoLog {
    fn item_error(&self, _: &str, _: u64, m: String) {
        panic!("{m}")
    }
}

fn main() {
    let n: u64 = std::env::args()
        .nth(1)
        .map(|a| a.parse().unwrap())
        .unwrap_or(200_000);
    let mut raw = 0;
    let objs: Vec<Vec<u8>> = (0..8)
        .map(|o| {
            let d = ferry_formats::generator::json_lines(o * n / 8..(o + 1) * n / 8);
            raw += d.len();
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            e.write_all(&d).unwrap();
            e.finish().unwrap()
        })
        .collect();
    let objects: Vec<SourceObject> = (0..8)
        .map(|i| SourceObject {
            key: i.to_string(),
            size: 0,
            etag: String::new(),
        })
        .collect();
    let k = |n: &str, ty| KeyAttr { name: n.into(), ty };
    let mut table = TableDef {
        name: "t".into(),
        id: "x".into(),
        key: KeySchema {
            hash: k("pk", ScalarType::S),
            range: Some(k("sk", ScalarType::S)),
        },
        indexes: vec![],
        created_micros: 0,
        status: TableStatus::Creating,
        pitr: None,
        extra: serde_json::json!({}),
    };
    if std::env::var("GSI").is_ok() {
        table.indexes.push(IndexDef {
            name: "g".into(),
            kind: IndexKind::Global,
            key: KeySchema {
                hash: k("status", ScalarType::S),
                range: Some(k("amount", ScalarType::N)),
            },
            projection: Projection {
                ty: ProjectionType::All,
                non_key_attributes: vec![],
            },
        });
    }
    let plan = Plan {
        bucket: "b",
        objects: &objects,
        format: InputFormat::DynamoDbJson,
        compression: InputCompression::Gzip,
        csv: None,
        key_types: Default::default(),
        table: &table,
    };
    let settings = Settings::default();
    let src = Mem(objs);
    let t = Instant::now();
    pipeline::run(
        &plan,
        &settings,
        &src,
        &Null,
        &NoLog,
        &Live::default(),
        &AtomicBool::new(false),
    )
    .unwrap();
    let s = t.elapsed().as_secs_f64();
    println!("null sink: {:.2}s {:.1} MB/s", s, raw as f64 / 1e6 / s);
    let dir = tempfile::tempdir().unwrap();
    let engine = ferry_storage::Engine::open(ferry_storage::EngineConfig {
        path: Some(dir.path().into()),
        sync: false,
    })
    .unwrap();
    let tab = engine.create_table(table.clone()).unwrap();
    let loader = Loader(tab.bulk_loader());
    let t = Instant::now();
    pipeline::run(
        &plan,
        &settings,
        &src,
        &loader,
        &NoLog,
        &Live::default(),
        &AtomicBool::new(false),
    )
    .unwrap();
    let p = t.elapsed().as_secs_f64();
    loader.0.finish().unwrap();
    println!("pipeline {p:.2}s finish {:.2}s", t.elapsed().as_secs_f64() - p);
    let s = t.elapsed().as_secs_f64();
    println!("loader sink: {:.2}s {:.1} MB/s", s, raw as f64 / 1e6 / s);
    loader_only(&table, n, 1);
    loader_only(&table, n, 2);
    if !table.indexes.is_empty() { load_then_index(&table, n); }
}

#[allow(dead_code)]
fn loader_only(table: &TableDef, n: u64, threads: usize) {
    let dir = tempfile::tempdir().unwrap();
    let engine = ferry_storage::Engine::open(ferry_storage::EngineConfig {
        path: Some(dir.path().into()),
        sync: false,
    })
    .unwrap();
    let tab = engine.create_table(table.clone()).unwrap();
    let loader = tab.bulk_loader();
    let batches: Vec<Vec<Item>> = (0..n / 2000)
        .map(|b| {
            (b * 2000..(b + 1) * 2000)
                .map(ferry_formats::generator::item)
                .collect()
        })
        .collect();
    let t = Instant::now();
    let next = std::sync::Mutex::new(batches);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                loop {
                    let b = next.lock().unwrap().pop();
                    match b {
                        Some(b) => loader.write(b).unwrap(),
                        None => return,
                    }
                }
            });
        }
    });
    loader.finish().unwrap();
    let s = t.elapsed().as_secs_f64();
    println!(
        "loader only ({threads} threads, {} indexes): {:.2}s {:.0} items/s",
        table.indexes.len(),
        s,
        n as f64 / s
    );
}

#[allow(dead_code)]
fn load_then_index(table: &TableDef, n: u64) {
    let dir = tempfile::tempdir().unwrap();
    let engine = ferry_storage::Engine::open(ferry_storage::EngineConfig { path: Some(dir.path().into()), sync: false }).unwrap();
    let mut bare = table.clone();
    let indexes = std::mem::take(&mut bare.indexes);
    let tab = engine.create_table(bare).unwrap();
    let loader = tab.bulk_loader();
    let batches: Vec<Vec<Item>> = (0..n / 2000).map(|b| (b * 2000..(b + 1) * 2000).map(ferry_formats::generator::item).collect()).collect();
    let t = Instant::now();
    let next = std::sync::Mutex::new(batches);
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| loop {
                let b = next.lock().unwrap().pop();
                match b { Some(b) => loader.write(b).unwrap(), None => return }
            });
        }
    });
    loader.finish().unwrap();
    let load = t.elapsed().as_secs_f64();
    for i in indexes { tab.add_index(i).unwrap(); }
    let s = t.elapsed().as_secs_f64();
    println!("load then add_index: load {load:.2}s total {s:.2}s {:.0} items/s", n as f64 / s);
}
