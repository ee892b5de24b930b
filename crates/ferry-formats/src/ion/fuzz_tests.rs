//! Regression tests of the inputs the `import_ion` fuzz target found
//! (their bytes are also in `fuzz/corpus/import_ion/`): none may reach a
//! panic in ion-rs, even one the reader would contain.

use std::io::Cursor;

use super::*;

/// Found by the `import_ion` fuzz target: ion-rs 1.2.0 subtracts with
/// overflow on this 34-byte binary object (`lazy/binary/binary_buffer.rs:389`).
/// The annotation wrapper is a symbol table, which the reader once handed
/// to ion-rs unchecked; now its lengths are checked like any value's, so
/// ion-rs never sees it (a panic ion-rs raises is still contained, but
/// libFuzzer counts even a contained panic as a crash).
#[test]
fn fuzz_binary_ion_length_overflow() {
    let data: [u8; 34] = [
        0xe0, 0x01, 0x00, 0xea, 0x12, 0x87, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xed, 0x2e,
        0x81, 0x83, 0xda, 0x87, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x20, 0x00, 0x00,
        0x02, 0x00, 0x00, 0x61,
    ];
    let results: Vec<_> = IonReader::new(Cursor::new(data.to_vec()))
        .take(100)
        .collect();
    let seen = format!("{results:?}");
    assert!(seen.contains("Invalid Ion: invalid value length"), "{seen}");
}

/// Found by the `import_ion` fuzz target: ion-rs 1.2.0 unwraps the parse of
/// a text symbol ID's digits (`lazy/text/buffer.rs:1045`), which overflows
/// past usize. The framer refuses such an ID before ion-rs sees it; leading
/// zeros do not count, and strings and comments hold no IDs.
#[test]
fn fuzz_text_symbol_id_overflow() {
    let big = format!("${}", "9".repeat(20));
    let records = |text: &str| -> Vec<Result<usize, String>> {
        IonReader::new(Cursor::new(text.as_bytes().to_vec()))
            .take(10)
            .map(|r| match r {
                Ok(rec) => rec.item.map(|i| i.len()).map_err(|e| e.message),
                Err(e) => Err(e.to_string()),
            })
            .collect()
    };
    let refused = Err("Invalid Ion: a symbol ID is out of range".to_string());
    assert_eq!(
        records(&format!("{{Item:{{a:{big}}}}}\n")),
        vec![refused.clone()]
    );
    let fuzz = "$000000000800000000000000000000000000000000000\u{c7}\u{cf}00";
    assert_eq!(records(fuzz).first(), Some(&refused));
    // After empty quoted symbols (the framer looks past `''` for `'''`).
    let quoted = format!("0''0''{big}(");
    assert_eq!(records(&quoted).first(), Some(&refused));
    // After another symbol ID (ion-rs reads `$0$…` as two).
    let twice = format!("{{Item:{{a:$0{big}}}}}\n");
    assert_eq!(records(&twice).first(), Some(&refused));
    // Fine: an ID with leading zeros, the digits in a string.
    for fine in [
        "{Item:{a:$0000000000000000000000004}}\n".to_string(),
        format!("{{Item:{{a:\"{big}\"}}}}\n"),
    ] {
        assert_ne!(records(&fine).first(), Some(&refused), "{fine}");
    }
}

/// Found by the `import_ion` fuzz target: ion-rs 1.2.0 expects a quoted
/// symbol it lexed to be UTF-8 (`lazy/text/matched.rs:846`). A text record
/// that is not UTF-8 is refused before ion-rs sees it.
#[test]
fn fuzz_text_not_utf8() {
    let mut data = b"{Item:{a:'sym".to_vec();
    data.push(0xBD);
    data.extend_from_slice(b"bol'}}\n");
    let results: Vec<String> = IonReader::new(Cursor::new(data))
        .take(10)
        .map(|r| format!("{r:?}"))
        .collect();
    assert_eq!(results.len(), 1, "{results:?}");
    assert!(
        results[0].contains("Invalid Ion: the text is not valid UTF-8"),
        "{results:?}"
    );
}

/// Found by the `import_ion` fuzz target: an int annotated
/// `$ion_symbol_table` was kept as a symbol table and so read again with
/// every later value (one error record per value and per repetition). Only
/// a struct so annotated is a symbol table; this one is read once.
#[test]
fn fuzz_binary_symbol_table_must_be_a_struct() {
    let mut data = vec![0xe0, 0x01, 0x00, 0xea, 0xed, 0x81, 0x83, 0x2a];
    data.extend_from_slice(&[0x78; 10]);
    data.extend_from_slice(&[0x4f; 30]);
    let n = IonReader::new(Cursor::new(data.clone())).take(1000).count();
    assert!(n <= data.len(), "{n} records from {} bytes", data.len());
}
