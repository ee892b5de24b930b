//! The writer against serde_json (the reference) and the codec's reader.

use proptest::prelude::*;

use super::*;
use crate::value::tests::arb_value;

#[test]
fn the_word_check_finds_every_byte_that_needs_an_escape() {
    for b in 0..=255u8 {
        for at in 0..8 {
            for fill in [b'a', 0xC3, 0x7F, 0xFF] {
                let mut word = [fill; 8];
                word[at] = b;
                let want = word.iter().any(|&x| JSON_ESCAPE[x as usize] != 0);
                assert_eq!(
                    word_needs_escape(word),
                    want,
                    "byte {b:#x} at {at}, fill {fill:#x}"
                );
            }
        }
    }
}

#[test]
fn every_control_character_is_escaped_as_serde_json_does() {
    for c in (0u32..0x80).filter_map(char::from_u32) {
        let text = format!("ab{c}cdefghij{c}");
        let mut out = Vec::new();
        push_json_str(&mut out, &text);
        assert_eq!(out, serde_json::to_vec(&text).unwrap(), "{c:?}");
    }
}

fn escape_strategy() -> impl Strategy<Value = String> {
    // Mostly the characters that matter, mixed with any others.
    let special = prop_oneof![
        Just('"'),
        Just('\\'),
        (0u8..0x20).prop_map(char::from),
        Just('\u{7f}'),
        any::<char>(),
        Just('a'),
    ];
    proptest::collection::vec(special, 0..40).prop_map(|v| v.into_iter().collect())
}

proptest! {
    #[test]
    fn strings_are_escaped_exactly_as_serde_json_does(text in escape_strategy()) {
        let mut out = Vec::new();
        push_json_str(&mut out, &text);
        prop_assert_eq!(&out, &serde_json::to_vec(&text).unwrap());
        let back: String = serde_json::from_slice(&out).unwrap();
        prop_assert_eq!(back, text);
    }

    #[test]
    fn any_string_is_escaped_exactly_as_serde_json_does(text in any::<String>()) {
        let mut out = Vec::new();
        push_json_str(&mut out, &text);
        prop_assert_eq!(out, serde_json::to_vec(&text).unwrap());
    }

    #[test]
    fn values_are_written_as_serde_writes_them_and_read_back(value in arb_value()) {
        let mut out = Vec::new();
        write_value(&value, &mut out);
        prop_assert_eq!(&out, &serde_json::to_vec(&value).unwrap());
        let back: AttributeValue = serde_json::from_slice(&out).unwrap();
        prop_assert_eq!(back, value);
    }

    #[test]
    fn items_and_item_lists_are_written_as_serde_writes_them(
        items in proptest::collection::vec(
            proptest::collection::btree_map(".*", arb_value(), 0..5), 0..4)
    ) {
        let mut out = Vec::new();
        write_maps(&items, &mut out);
        prop_assert_eq!(&out, &serde_json::to_vec(&items).unwrap());
        let back: Vec<Item> = serde_json::from_slice(&out).unwrap();
        prop_assert_eq!(back, items);
    }
}
