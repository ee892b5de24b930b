//! Throughput of the import and export codecs on generated items (not a test:
//! prints figures). Run with
//! `cargo run -p ferry-formats --release --example parse_bench [items]`.
//!
//! Import: gunzip + parse MB/s (of uncompressed input) for DynamoDB JSON, Ion
//! and CSV, on one thread and on two (two objects in parallel), and parse
//! alone. Export: item → line MB/s, then gzip alone of those lines (MB/s of
//! uncompressed input) with zlib-rs at levels 1, 2 and 6 and with libdeflate
//! blocks (what export data files use) at levels 1–4, one and two threads.
//! One-thread figures are per second of that thread's CPU time (robust on a
//! shared machine); two-thread figures are wall time, so they only mean
//! something on an otherwise idle machine. Optional second argument: run
//! only `json`, `ion`, `csv` or `export`.

use std::io::{Cursor, Write};
use std::time::Instant;

use ferry_formats::compress::{GZIP_BLOCK, GzipBlocks, gzip_writer, gzip_writer_with_level};
use ferry_formats::csv::CsvOptions;
use ferry_formats::generator;
use ferry_formats::{Compression, ReaderFormat, open_reader};

/// The server binary runs on mimalloc; measure with it too.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = gzip_writer(Vec::new());
    enc.write_all(data).expect("gzip into memory");
    enc.finish().expect("gzip into memory")
}

fn parse(format: &ReaderFormat, compression: Compression, data: Vec<u8>) -> (u64, u64) {
    let mut reader =
        open_reader(format, compression, Box::new(Cursor::new(data))).expect("open reader");
    let mut items = 0u64;
    for record in reader.by_ref() {
        let record = record.expect("readable");
        assert!(record.item.is_ok(), "{:?}", record.item);
        items += 1;
    }
    (items, reader.bytes_read())
}

fn mb_per_s(bytes: u64, secs: f64) -> f64 {
    bytes as f64 / 1e6 / secs
}

/// CPU time of the calling thread (Linux `/proc/thread-self/schedstat`), so
/// single-thread figures hold on a busy machine; wall time elsewhere.
struct Clock {
    wall: Instant,
    cpu_ns: Option<u64>,
}

fn thread_cpu_ns() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    text.split_whitespace().next()?.parse().ok()
}

impl Clock {
    fn start() -> Self {
        Clock {
            wall: Instant::now(),
            cpu_ns: thread_cpu_ns(),
        }
    }

    /// Seconds of this thread's CPU time since `start` (wall time if unknown).
    fn cpu_secs(&self) -> f64 {
        match (self.cpu_ns, thread_cpu_ns()) {
            (Some(a), Some(b)) => (b - a) as f64 / 1e9,
            _ => self.wall.elapsed().as_secs_f64(),
        }
    }
}

fn bench_import(name: &str, format: &ReaderFormat, plain_halves: [Vec<u8>; 2]) {
    let size: usize = plain_halves.iter().map(Vec::len).sum();
    let gz_halves: Vec<Vec<u8>> = plain_halves.iter().map(|h| gzip(h)).collect();
    let gz_size: usize = gz_halves.iter().map(Vec::len).sum();

    // Parse only, one thread.
    let t = Clock::start();
    let (mut items, mut bytes) = (0, 0);
    for half in &plain_halves {
        let (i, b) = parse(format, Compression::None, half.clone());
        items += i;
        bytes += b;
    }
    let parse_only = mb_per_s(bytes, t.cpu_secs());

    // gunzip + parse, one thread (the two objects one after the other).
    let t = Clock::start();
    let mut total = 0;
    for gz in &gz_halves {
        total += parse(format, Compression::Gzip, gz.clone()).1;
    }
    let one = mb_per_s(total, t.cpu_secs());

    // gunzip + parse, two threads.
    let t = Instant::now();
    let total: u64 = std::thread::scope(|scope| {
        let handles: Vec<_> = gz_halves
            .iter()
            .map(|gz| {
                let gz = gz.clone();
                scope.spawn(move || parse(format, Compression::Gzip, gz).1)
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("thread")).sum()
    });
    let two = mb_per_s(total, t.elapsed().as_secs_f64());

    println!(
        "import {name:<13} {items:>8} items {:>7.1} MB ({:>5.1} MB gz): parse {parse_only:>6.1} MB/s | gunzip+parse 1 thread {one:>6.1} MB/s, 2 threads {two:>6.1} MB/s",
        size as f64 / 1e6,
        gz_size as f64 / 1e6,
    );
}

/// The export compressors compared: zlib-rs streaming at a level, or
/// libdeflate blocks of `GZIP_BLOCK` bytes (what export data files use).
#[derive(Clone, Copy)]
enum Codec {
    Zlib(u32),
    Libdeflate(u32),
}

/// Items `range` as export lines, in blocks of about `GZIP_BLOCK` bytes.
fn export_lines(range: std::ops::Range<u64>, ion: bool) -> Vec<Vec<u8>> {
    let mut blocks = Vec::new();
    let mut line = Vec::with_capacity(GZIP_BLOCK + 64 * 1024);
    for i in range {
        let item = generator::item(i);
        if ion {
            ferry_formats::ion::write_item_line(&item, &mut line);
        } else {
            ferry_formats::ddb_json::write_item_line(&item, &mut line);
        }
        if line.len() >= GZIP_BLOCK {
            blocks.push(std::mem::replace(
                &mut line,
                Vec::with_capacity(GZIP_BLOCK + 64 * 1024),
            ));
        }
    }
    blocks.push(line);
    blocks
}

/// Compresses `blocks` as one file; returns (uncompressed, compressed) bytes.
fn compress(blocks: &[Vec<u8>], codec: Codec) -> (u64, u64) {
    let total = blocks.iter().map(|b| b.len() as u64).sum();
    let packed = match codec {
        Codec::Zlib(level) => {
            let mut enc = gzip_writer_with_level(Vec::new(), level);
            for b in blocks {
                enc.write_all(b).expect("gzip into memory");
            }
            enc.finish().expect("gzip into memory").len()
        }
        Codec::Libdeflate(level) => {
            let mut enc = GzipBlocks::new(level);
            let mut out = Vec::new();
            for b in blocks {
                enc.member(b, &mut out).expect("gzip into memory");
            }
            out.len()
        }
    };
    (total, packed as u64)
}

fn bench_export(name: &str, n: u64, ion: bool) {
    let t = Clock::start();
    let halves = [export_lines(0..n / 2, ion), export_lines(n / 2..n, ion)];
    let bytes: u64 = halves.iter().flatten().map(|b| b.len() as u64).sum();
    println!(
        "export {name:<13} item -> line: {:>6.1} MB/s per core",
        mb_per_s(bytes, t.cpu_secs())
    );
    let codecs = [
        Codec::Zlib(1),
        Codec::Zlib(2),
        Codec::Zlib(6),
        Codec::Libdeflate(1),
        Codec::Libdeflate(2),
        Codec::Libdeflate(3),
        Codec::Libdeflate(4),
    ];
    for codec in codecs {
        let t = Clock::start();
        let gz = compress(&halves[0], codec).1 + compress(&halves[1], codec).1;
        let one = mb_per_s(bytes, t.cpu_secs());
        let t = Instant::now();
        std::thread::scope(|scope| {
            for half in &halves {
                scope.spawn(move || compress(half, codec));
            }
        });
        let two = mb_per_s(bytes, t.elapsed().as_secs_f64());
        let codec = match codec {
            Codec::Zlib(level) => format!("zlib-rs level {level}"),
            Codec::Libdeflate(level) => format!("libdeflate level {level}"),
        };
        println!(
            "export {name:<13} {codec:<19}: {:>7.1} MB -> {:>5.1} MB ({:.2}%): 1 thread {one:>6.1} MB/s, 2 threads {two:>6.1} MB/s",
            bytes as f64 / 1e6,
            gz as f64 / 1e6,
            100.0 * gz as f64 / bytes as f64
        );
    }
}

fn main() {
    let n: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(200_000);
    // Optional second argument: run only `json`, `ion`, `csv` or `export`.
    let only = std::env::args().nth(2).unwrap_or_default();
    let run = |what: &str| only.is_empty() || only == what;
    let half = n / 2;
    println!("{n} generated items");

    if run("json") {
        let json = [
            generator::json_lines(0..half),
            generator::json_lines(half..n),
        ];
        println!(
            "average DynamoDB JSON line: {} bytes",
            (json[0].len() + json[1].len()) as u64 / n
        );
        bench_import("DynamoDB JSON", &ReaderFormat::DynamoDbJson, json);
    }
    if run("ion") {
        let ion = [generator::ion_lines(0..half), generator::ion_lines(half..n)];
        bench_import("Ion", &ReaderFormat::Ion, ion);
    }
    if run("csv") {
        let csv = [generator::csv(0..half), generator::csv(half..n)];
        let csv_format = ReaderFormat::Csv {
            options: CsvOptions::default(),
            types: generator::key_types(),
        };
        bench_import("CSV", &csv_format, csv);
    }
    if run("export") {
        bench_export("DynamoDB JSON", n, false);
        bench_export("Ion", n, true);
    }
}
