//! `ferry import` offline benchmark: the import bench's deterministic data
//! set (`ferry_formats::generator`, ~330-byte items) written as 8 gzip
//! DYNAMODB_JSON files into a local folder, with a describe-table file for
//! the same table as `import_bench` (one GSI, projection ALL), then imported
//! by the `ferry` binary on a fresh data directory, timed from the process
//! start to its exit, with the CPU time the process used (the fairer figure
//! on a shared machine).
//!
//! ```text
//! cargo build --release -p ferry --bin ferry
//! cargo run -p ferry --example cli_import_bench [-- ITEMS [FERRY_BINARY]]
//! ```
//! The binary defaults to `target/release/ferry`. Prints figures; asserts
//! only that the import COMPLETED with every item.

use std::io::Write as _;
use std::time::Instant;

use ferry_formats::generator;

const OBJECTS: u64 = 8;

const DEFINITION: &str = r#"{"Table": {"TableName": "bench",
  "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
    {"AttributeName": "sk", "AttributeType": "S"},
    {"AttributeName": "status", "AttributeType": "S"},
    {"AttributeName": "amount", "AttributeType": "N"}],
  "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
  "BillingModeSummary": {"BillingMode": "PAY_PER_REQUEST"},
  "GlobalSecondaryIndexes": [{"IndexName": "by_status",
    "KeySchema": [{"AttributeName": "status", "KeyType": "HASH"}, {"AttributeName": "amount", "KeyType": "RANGE"}],
    "Projection": {"ProjectionType": "ALL"}}]}}"#;

/// CPU seconds (user + system) used by this process's waited-for children,
/// from `/proc/self/stat` (`cutime`, `cstime`; clock ticks of 1/100 s).
fn children_cpu_secs() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // After the command name: state is field 3, so cutime (16) and cstime (17)
    // are at 13 and 14.
    (ticks(13) + ticks(14)) / 100.0
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let items: u64 = args.next().map_or(Ok(1_000_000), |a| a.parse())?;
    let binary = args.next().unwrap_or_else(|| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../target/release/ferry").into()
    });
    let dir = tempfile::tempdir()?;
    let source = dir.path().join("source");
    std::fs::create_dir(&source)?;
    let mut raw_bytes = 0u64;
    let per = items.div_ceil(OBJECTS);
    for o in 0..OBJECTS {
        let range = (o * per).min(items)..((o + 1) * per).min(items);
        let data = generator::json_lines(range);
        raw_bytes += data.len() as u64;
        let mut e = flate2::write::GzEncoder::new(
            std::fs::File::create(source.join(format!("part-{o}.json.gz")))?,
            flate2::Compression::default(),
        );
        e.write_all(&data)?;
        e.finish()?;
    }
    let definition = dir.path().join("describe-table.json");
    std::fs::write(&definition, DEFINITION)?;
    let data_dir = dir.path().join("data");
    let started = Instant::now();
    let out = std::process::Command::new(&binary)
        .arg("import")
        .arg(&source)
        .arg("--data-dir")
        .arg(&data_dir)
        .arg("--table-definition")
        .arg(&definition)
        .args(["--json", "--quiet"])
        .output()?;
    let secs = started.elapsed().as_secs_f64();
    let cpu = children_cpu_secs();
    let result: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    anyhow::ensure!(
        result["ImportStatus"] == "COMPLETED" && result["ImportedItemCount"] == items,
        "import did not complete: {result}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mb = raw_bytes as f64 / 1e6;
    println!(
        "ferry import (offline, DYNAMODB_JSON gzip, {items} items, {mb:.1} MB uncompressed): {secs:.2} s, {:.1} MB/s, {:.0}k items/s; {cpu:.1} cpu-s, {:.1} MB/cpu-s",
        mb / secs,
        items as f64 / secs / 1e3,
        mb / cpu,
    );
    Ok(())
}
