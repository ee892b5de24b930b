//! A deterministic item generator for benchmarks and tests (the import
//! benchmark reuses it): item `i` is always the same ~330-byte item (as a
//! DynamoDB JSON line): a string partition key `pk`, a string sort key `sk`,
//! strings, numbers, a bool, a string set and a small map.

use std::collections::HashMap;
use std::io::Write;
use std::ops::Range;

use ferry_model::{AttributeValue, Item, Number, ScalarType};

/// Partition key attribute of generated items (type S).
pub const HASH_KEY: &str = "pk";
/// Sort key attribute of generated items (type S).
pub const RANGE_KEY: &str = "sk";

/// The CSV header matching [`write_csv_row`].
pub const CSV_HEADER: &str = "pk,sk,name,status,amount,quantity,gift,tags,street,city,zip";

const FIRST: [&str; 8] = [
    "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi",
];
const LAST: [&str; 8] = [
    "smith", "jones", "brown", "garcia", "miller", "davis", "lopez", "wilson",
];
const STATUS: [&str; 4] = ["PENDING", "SHIPPED", "DELIVERED", "CANCELLED"];
const TAGS: [&str; 8] = [
    "blue", "sale", "gift", "bulk", "fragile", "express", "new", "returned",
];
const CITIES: [&str; 6] = [
    "Springfield",
    "Riverside",
    "Franklin",
    "Greenville",
    "Madison",
    "Salem",
];
const STREETS: [&str; 5] = [
    "Oak Avenue",
    "Main Street",
    "Maple Drive",
    "Cedar Lane",
    "Elm Road",
];

/// SplitMix64: a fast, well-mixed hash of the item number.
fn mix(i: u64) -> u64 {
    let mut z = i.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

struct Fields {
    pk: String,
    sk: String,
    name: String,
    status: &'static str,
    amount: String,
    quantity: u64,
    gift: bool,
    tags: Vec<&'static str>,
    street: String,
    city: &'static str,
    zip: String,
}

fn fields(i: u64) -> Fields {
    let h = mix(i);
    let h2 = mix(h);
    let first = FIRST[(h & 7) as usize];
    let last = LAST[((h >> 3) & 7) as usize];
    let mut tags = Vec::new();
    let tag_count = 2 + (h2 % 3) as usize;
    let mut t = h2 >> 8;
    while tags.len() < tag_count {
        let tag = TAGS[(t & 7) as usize];
        if !tags.contains(&tag) {
            tags.push(tag);
        }
        t = t.rotate_right(3) ^ 0x5bd1_e995;
    }
    Fields {
        pk: format!("customer#{:016x}", h),
        sk: format!("order#{i:010}"),
        name: format!("{} {}", capitalise(first), capitalise(last)),
        status: STATUS[((h >> 16) & 3) as usize],
        amount: format!("{}.{:02}", (h >> 20) % 10_000, (h >> 34) % 100),
        quantity: 1 + (h >> 40) % 50,
        gift: (h >> 50) & 1 == 1,
        tags,
        street: format!(
            "{} {}",
            1 + (h2 >> 40) % 9000,
            STREETS[((h2 >> 52) % 5) as usize]
        ),
        city: CITIES[((h2 >> 56) % 6) as usize],
        zip: format!("{:05}", (h2 >> 20) % 100_000),
    }
}

fn capitalise(word: &str) -> String {
    let mut s = word.to_owned();
    if let Some(first) = s.get_mut(0..1) {
        first.make_ascii_uppercase();
    }
    s
}

fn s(text: impl Into<String>) -> AttributeValue {
    AttributeValue::S(text.into())
}

fn n(text: &str) -> AttributeValue {
    // Generated numbers are always valid.
    AttributeValue::N(Number::parse(text).unwrap_or_else(|_| Number::zero()))
}

/// Item number `i`.
pub fn item(i: u64) -> Item {
    let f = fields(i);
    let mut address = Item::new();
    address.insert("street".into(), s(f.street));
    address.insert("city".into(), s(f.city));
    address.insert("zip".into(), s(f.zip));
    let mut item = Item::new();
    item.insert(HASH_KEY.into(), s(f.pk));
    item.insert(RANGE_KEY.into(), s(f.sk));
    item.insert("name".into(), s(f.name));
    item.insert("status".into(), s(f.status));
    item.insert("amount".into(), n(&f.amount));
    item.insert("quantity".into(), n(&f.quantity.to_string()));
    item.insert("gift".into(), AttributeValue::Bool(f.gift));
    item.insert(
        "tags".into(),
        AttributeValue::SS(f.tags.iter().map(|t| (*t).to_owned()).collect()),
    );
    item.insert("address".into(), AttributeValue::M(address));
    item
}

/// The key types of generated items, as the CSV reader wants them.
pub fn key_types() -> HashMap<String, ScalarType> {
    HashMap::from([
        (HASH_KEY.to_owned(), ScalarType::S),
        (RANGE_KEY.to_owned(), ScalarType::S),
    ])
}

/// Appends item `i` as a CSV row (columns of [`CSV_HEADER`]; tags joined by
/// `|`, the address flattened; every value is plain text, so no quoting).
pub fn write_csv_row(i: u64, out: &mut Vec<u8>) {
    let f = fields(i);
    // Writing to a Vec cannot fail.
    let _ = writeln!(
        out,
        "{},{},{},{},{},{},{},{},{},{},{}",
        f.pk,
        f.sk,
        f.name,
        f.status,
        f.amount,
        f.quantity,
        f.gift,
        f.tags.join("|"),
        f.street,
        f.city,
        f.zip
    );
}

/// Items `range` as DynamoDB JSON lines.
pub fn json_lines(range: Range<u64>) -> Vec<u8> {
    let mut out = Vec::with_capacity((range.end - range.start) as usize * 340);
    for i in range {
        crate::ddb_json::write_item_line(&item(i), &mut out);
    }
    out
}

/// Items `range` as Ion lines.
pub fn ion_lines(range: Range<u64>) -> Vec<u8> {
    let mut out = Vec::with_capacity((range.end - range.start) as usize * 260);
    for i in range {
        crate::ion::write_item_line(&item(i), &mut out);
    }
    out
}

/// Items `range` as CSV with [`CSV_HEADER`] first.
pub fn csv(range: Range<u64>) -> Vec<u8> {
    let mut out = Vec::with_capacity((range.end - range.start) as usize * 160);
    out.extend_from_slice(CSV_HEADER.as_bytes());
    out.push(b'\n');
    for i in range {
        write_csv_row(i, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_about_330_bytes() {
        assert_eq!(item(42), item(42));
        assert_ne!(item(42), item(43));
        let lines = json_lines(0..1000);
        let avg = lines.len() / 1000;
        assert!((300..=360).contains(&avg), "average line {avg} bytes");
        let first = String::from_utf8(json_lines(7..8)).unwrap();
        assert!(
            first.starts_with("{\"Item\":{\"address\":{\"M\":{\"city\":{\"S\":"),
            "{first}"
        );
    }

    #[test]
    fn csv_rows_match_the_header() {
        let text = String::from_utf8(csv(0..3)).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4);
        for line in &lines {
            assert_eq!(line.split(',').count(), 11, "{line}");
        }
    }
}
