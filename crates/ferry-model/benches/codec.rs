//! Throughput of the hot paths imports and exports lean on: DynamoDB JSON
//! lines decoded into items and encoded back, and number parsing.
//! Prints figures; asserts nothing. Run: `cargo bench -p ferry-model --bench codec`.

use std::hint::black_box;
use std::time::Instant;

use ferry_model::{Item, Number};

fn sample_lines(count: usize) -> String {
    let mut out = String::new();
    for i in 0..count {
        out.push_str(&format!(
            concat!(
                r#"{{"Item":{{"pk":{{"S":"user#{i:08}"}},"sk":{{"N":"{i}"}},"name":{{"S":"Some name with spaces {i}"}},"#,
                r#""price":{{"N":"{i}.25"}},"flag":{{"BOOL":true}},"tags":{{"SS":["a","b","c{i}"]}},"#,
                r#""blob":{{"B":"AAECAwQFBgcICQ=="}},"nested":{{"M":{{"x":{{"N":"-1.5e3"}},"l":{{"L":[{{"S":"v"}},{{"NULL":true}}]}}}}}}}}}}"#,
                "\n"
            ),
            i = i
        ));
    }
    out
}

#[derive(serde::Deserialize)]
struct Line {
    #[serde(rename = "Item")]
    item: Item,
}

fn main() {
    let text = sample_lines(200_000);
    let mb = text.len() as f64 / 1e6;

    let start = Instant::now();
    let mut items = Vec::with_capacity(200_000);
    for line in text.lines() {
        let parsed: Line = match serde_json::from_str(line) {
            Ok(l) => l,
            Err(e) => panic!("{e}"),
        };
        items.push(parsed.item);
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "decode  {:8.1} MB/s  ({} items, {mb:.1} MB)",
        mb / secs,
        items.len()
    );

    let start = Instant::now();
    let mut bytes = 0usize;
    let mut buf = Vec::with_capacity(1024);
    for item in &items {
        buf.clear();
        if let Err(e) = serde_json::to_writer(&mut buf, item) {
            panic!("{e}");
        }
        bytes += buf.len();
    }
    let secs = start.elapsed().as_secs_f64();
    println!("encode  {:8.1} MB/s", bytes as f64 / 1e6 / secs);

    let numbers: Vec<String> = (0..1_000_000u64)
        .map(|i| format!("{}.{}e-{}", i * 7919, i % 1000, i % 20))
        .collect();
    let start = Instant::now();
    for n in &numbers {
        black_box(Number::parse(black_box(n)).ok());
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "Number::parse {:8.1} M/s",
        numbers.len() as f64 / 1e6 / secs
    );
}
