//! Scratch: raw fjall ingestion vs batch throughput (temporary).
use std::time::Instant;
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn cpu() -> f64 {
    let s = std::fs::read_to_string("/proc/self/stat").unwrap();
    let f: Vec<&str> = s.rsplit(')').next().unwrap().split_whitespace().collect();
    (f[11].parse::<f64>().unwrap() + f[12].parse::<f64>().unwrap()) / 100.0
}

fn main() {
    let n: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().unwrap();
    let db = fjall::Database::builder(dir.path()).open().unwrap();
    let ks = db
        .keyspace("items", fjall::KeyspaceCreateOptions::default)
        .unwrap();
    let ks2 = db
        .keyspace("items2", fjall::KeyspaceCreateOptions::default)
        .unwrap();
    let mut keys: Vec<Vec<u8>> = (0..n)
        .map(|i| {
            let mut k = vec![0, 0, 0, 1];
            k.extend_from_slice(&xxhash_rust::xxh3::xxh3_64(&i.to_be_bytes()).to_be_bytes());
            k.extend_from_slice(format!("user#{:012}", i).as_bytes());
            k.extend_from_slice(&[0, 1, 0x80, 1, 2, 3, 4, 5, 6, 7, 8]);
            k
        })
        .collect();
    keys.sort();
    let val = vec![7u8; 300];
    let (t, c) = (Instant::now(), cpu());
    let mut ing = ks.start_ingestion().unwrap();
    for k in &keys {
        ing.write(k.as_slice(), val.as_slice()).unwrap();
    }
    ing.finish().unwrap();
    println!(
        "ingest: {:.2}s wall {:.2}s cpu",
        t.elapsed().as_secs_f64(),
        cpu() - c
    );
    let (t, c) = (Instant::now(), cpu());
    for ch in keys.chunks(10_000) {
        let mut b = db.batch().durability(Some(fjall::PersistMode::Buffer));
        for k in ch {
            b.insert(&ks2, k.as_slice(), val.as_slice());
        }
        b.commit().unwrap();
    }
    println!(
        "batch: {:.2}s wall {:.2}s cpu",
        t.elapsed().as_secs_f64(),
        cpu() - c
    );
    let (t, c) = (Instant::now(), cpu());
    let mut x = 0usize;
    for k in keys.iter().step_by(10) {
        x += ks.get(k).unwrap().map_or(0, |v| v.len());
    }
    println!(
        "get 100k: {:.2}s wall {:.2}s cpu {x}",
        t.elapsed().as_secs_f64(),
        cpu() - c
    );
}
