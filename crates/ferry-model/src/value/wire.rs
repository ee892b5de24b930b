//! The DynamoDB JSON wire form of [`AttributeValue`] (serde), shared by the
//! server and the import/export formats: `{"S":"x"}`, `{"N":"1.5"}` (numbers as
//! JSON strings, written in canonical form), `{"B":"<base64>"}`, `{"SS":[…]}`,
//! `{"NS":[…]}`, `{"BS":[…]}`, `{"M":{…}}`, `{"L":[…]}`, `{"NULL":true}`,
//! `{"BOOL":true}`. An [`Item`](crate::Item) (a `BTreeMap`) is then a JSON
//! object of these.
//!
//! Deserialisation is a hand-written visitor: no `serde_json::Value`, strings
//! parsed in place, numbers parsed from the borrowed text. As in DynamoDB,
//! unknown type keys and `null` members are ignored. A few DynamoDB
//! *ValidationException*s are necessarily found while decoding: a malformed or
//! out-of-range number, `{"NULL": false}`, no type (`{}`) and more than one
//! type. Their serde error text is DynamoDB's message, word for word;
//! [`serde_error_validation_message`] recognises them so the server can answer
//! ValidationException for them and SerializationException for the rest.
//! Empty sets, duplicates and the like are left to `validate_item`.
//!
//! Human-readable formats (JSON) carry binary as base64; others (if a storage
//! format ever uses serde) carry raw bytes.

use std::fmt;

use base64::Engine as _;
use base64::display::Base64Display;
use base64::engine::general_purpose::STANDARD;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};

use super::{AttributeValue, Item};
use crate::number::{
    MALFORMED_NUMBER_MESSAGE, OVERFLOW_MESSAGE, TOO_MANY_DIGITS_MESSAGE, UNDERFLOW_MESSAGE,
};
use crate::{Number, NumberError};

/// DynamoDB's message for an attribute value with no type set.
pub const EMPTY_VALUE_MESSAGE: &str =
    "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes";
/// DynamoDB's message for an attribute value with several types set.
pub const MULTIPLE_TYPES_MESSAGE: &str = "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes";
/// DynamoDB's message for `{"NULL": false}`.
pub const NULL_FALSE_MESSAGE: &str = "One or more parameter values were invalid: Null attribute value types must have the value of true";

/// The messages of the ValidationExceptions raised while decoding.
const VALIDATION_MESSAGES: [&str; 7] = [
    MALFORMED_NUMBER_MESSAGE,
    TOO_MANY_DIGITS_MESSAGE,
    OVERFLOW_MESSAGE,
    UNDERFLOW_MESSAGE,
    EMPTY_VALUE_MESSAGE,
    MULTIPLE_TYPES_MESSAGE,
    NULL_FALSE_MESSAGE,
];

/// If `error_text` (the `to_string()` of a serde error, e.g. a
/// `serde_json::Error`) is one of the DynamoDB *validation* errors raised while
/// decoding attribute values, return DynamoDB's message (without serde_json's
/// ` at line L column C` suffix). `None` means: a SerializationException.
pub fn serde_error_validation_message(error_text: &str) -> Option<&str> {
    let message = strip_position(error_text);
    VALIDATION_MESSAGES
        .iter()
        .any(|m| message.starts_with(m))
        .then_some(message)
}

/// Remove a trailing ` at line <digits> column <digits>`.
fn strip_position(text: &str) -> &str {
    let Some(at) = text.rfind(" at line ") else {
        return text;
    };
    let tail = &text[at + " at line ".len()..];
    let mut parts = tail.splitn(2, " column ");
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    match (parts.next(), parts.next()) {
        (Some(line), Some(column)) if all_digits(line) && all_digits(column) => &text[..at],
        _ => text,
    }
}

// ---------------------------------------------------------------- serialize

/// A number in canonical text, written without an intermediate `String`.
struct NumberText<'a>(&'a Number);

impl Serialize for NumberText<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self.0)
    }
}

struct Binary<'a>(&'a [u8]);

impl Serialize for Binary<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.collect_str(&Base64Display::new(self.0, &STANDARD))
        } else {
            s.serialize_bytes(self.0)
        }
    }
}

struct NumberSet<'a>(&'a [Number]);

impl Serialize for NumberSet<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for n in self.0 {
            seq.serialize_element(&NumberText(n))?;
        }
        seq.end()
    }
}

struct BinarySet<'a>(&'a [Vec<u8>]);

impl Serialize for BinarySet<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for b in self.0 {
            seq.serialize_element(&Binary(b))?;
        }
        seq.end()
    }
}

impl Serialize for AttributeValue {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(1))?;
        let key = self.type_name();
        match self {
            AttributeValue::S(v) => map.serialize_entry(key, v)?,
            AttributeValue::N(v) => map.serialize_entry(key, &NumberText(v))?,
            AttributeValue::B(v) => map.serialize_entry(key, &Binary(v))?,
            AttributeValue::SS(v) => map.serialize_entry(key, v)?,
            AttributeValue::NS(v) => map.serialize_entry(key, &NumberSet(v))?,
            AttributeValue::BS(v) => map.serialize_entry(key, &BinarySet(v))?,
            AttributeValue::M(v) => map.serialize_entry(key, v)?,
            AttributeValue::L(v) => map.serialize_entry(key, v)?,
            AttributeValue::Null => map.serialize_entry(key, &true)?,
            AttributeValue::Bool(v) => map.serialize_entry(key, v)?,
        }
        map.end()
    }
}

/// A bare number serialises as its canonical text (`"1.5"`), as in `{"N": …}`.
impl Serialize for Number {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

// -------------------------------------------------------------- deserialize

impl<'de> Deserialize<'de> for AttributeValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(ValueVisitor)
    }
}

/// A bare number deserialises from its text, with DynamoDB's number errors.
impl<'de> Deserialize<'de> for Number {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        NumberSeed.deserialize(d)
    }
}

#[derive(Clone, Copy)]
enum Tag {
    S,
    N,
    B,
    SS,
    NS,
    BS,
    M,
    L,
    Null,
    Bool,
}

/// Reads a type key; `None` for keys DynamoDB ignores.
struct TagSeed;

impl<'de> DeserializeSeed<'de> for TagSeed {
    type Value = Option<Tag>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_identifier(self)
    }
}

impl<'de> Visitor<'de> for TagSeed {
    type Value = Option<Tag>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an attribute type name")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(match v {
            "S" => Some(Tag::S),
            "N" => Some(Tag::N),
            "B" => Some(Tag::B),
            "SS" => Some(Tag::SS),
            "NS" => Some(Tag::NS),
            "BS" => Some(Tag::BS),
            "M" => Some(Tag::M),
            "L" => Some(Tag::L),
            "NULL" => Some(Tag::Null),
            "BOOL" => Some(Tag::Bool),
            _ => None,
        })
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Self::Value, E> {
        match std::str::from_utf8(v) {
            Ok(s) => self.visit_str(s),
            Err(_) => Ok(None),
        }
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = AttributeValue;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an AttributeValue object such as {\"S\": \"text\"}")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<AttributeValue, A::Error> {
        let mut found: Option<AttributeValue> = None;
        let mut several = false;
        while let Some(tag) = map.next_key_seed(TagSeed)? {
            let Some(tag) = tag else {
                map.next_value::<IgnoredAny>()?;
                continue;
            };
            let value = match tag {
                Tag::S => map.next_value_seed(Opt(StringSeed))?.map(AttributeValue::S),
                Tag::N => map.next_value_seed(Opt(NumberSeed))?.map(AttributeValue::N),
                Tag::B => map.next_value_seed(Opt(BinarySeed))?.map(AttributeValue::B),
                Tag::SS => map
                    .next_value_seed(Opt(SeqSeed(StringSeed)))?
                    .map(AttributeValue::SS),
                Tag::NS => map
                    .next_value_seed(Opt(SeqSeed(NumberSeed)))?
                    .map(AttributeValue::NS),
                Tag::BS => map
                    .next_value_seed(Opt(SeqSeed(BinarySeed)))?
                    .map(AttributeValue::BS),
                Tag::M => map.next_value::<Option<Item>>()?.map(AttributeValue::M),
                Tag::L => map
                    .next_value::<Option<Vec<AttributeValue>>>()?
                    .map(AttributeValue::L),
                Tag::Null => match map.next_value::<Option<bool>>()? {
                    Some(true) => Some(AttributeValue::Null),
                    Some(false) => return Err(de::Error::custom(NULL_FALSE_MESSAGE)),
                    None => None,
                },
                Tag::Bool => map.next_value::<Option<bool>>()?.map(AttributeValue::Bool),
            };
            if let Some(value) = value {
                several |= found.is_some();
                found = Some(value);
            }
        }
        if several {
            return Err(de::Error::custom(MULTIPLE_TYPES_MESSAGE));
        }
        found.ok_or_else(|| de::Error::custom(EMPTY_VALUE_MESSAGE))
    }
}

/// A seed whose value may be JSON `null` (then `None`, ignored as DynamoDB does).
struct Opt<T>(T);

impl<'de, T: DeserializeSeed<'de>> DeserializeSeed<'de> for Opt<T> {
    type Value = Option<T::Value>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_option(self)
    }
}

impl<'de, T: DeserializeSeed<'de>> Visitor<'de> for Opt<T> {
    type Value = Option<T::Value>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a value or null")
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        self.0.deserialize(d).map(Some)
    }
}

/// A list of elements read with `T`.
struct SeqSeed<T>(T);

impl<'de, T: DeserializeSeed<'de> + Copy> DeserializeSeed<'de> for SeqSeed<T> {
    type Value = Vec<T::Value>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, T: DeserializeSeed<'de> + Copy> Visitor<'de> for SeqSeed<T> {
    type Value = Vec<T::Value>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(v) = seq.next_element_seed(self.0)? {
            out.push(v);
        }
        Ok(out)
    }
}

/// Text-typed members (S, N, B): route through `deserialize_any` on JSON so a
/// JSON number, object or list gets DynamoDB's SerializationException wording.
fn deserialize_text<'de, D: Deserializer<'de>, V: Visitor<'de>>(
    d: D,
    v: V,
) -> Result<V::Value, D::Error> {
    if d.is_human_readable() {
        d.deserialize_any(v)
    } else {
        d.deserialize_str(v)
    }
}

/// Visitor methods rejecting non-string JSON with DynamoDB's wording.
macro_rules! reject_non_text {
    () => {
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Err(E::custom("NUMBER_VALUE cannot be converted to String"))
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Err(E::custom("NUMBER_VALUE cannot be converted to String"))
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Err(E::custom("NUMBER_VALUE cannot be converted to String"))
        }
        fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
            Err(de::Error::custom(
                "Start of structure or map found where not expected.",
            ))
        }
        fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
            Err(de::Error::custom("Start of list found where not expected"))
        }
    };
}

#[derive(Clone, Copy)]
struct StringSeed;

impl<'de> DeserializeSeed<'de> for StringSeed {
    type Value = String;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<String, D::Error> {
        deserialize_text(d, self)
    }
}

impl<'de> Visitor<'de> for StringSeed {
    type Value = String;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        Ok(v.to_owned())
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<String, E> {
        Ok(v)
    }
    reject_non_text!();
}

#[derive(Clone, Copy)]
struct NumberSeed;

impl<'de> DeserializeSeed<'de> for NumberSeed {
    type Value = Number;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Number, D::Error> {
        deserialize_text(d, self)
    }
}

impl<'de> Visitor<'de> for NumberSeed {
    type Value = Number;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a number as a string")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Number, E> {
        Number::parse(v).map_err(|e: NumberError| E::custom(e.message()))
    }
    reject_non_text!();
}

#[derive(Clone, Copy)]
struct BinarySeed;

impl<'de> DeserializeSeed<'de> for BinarySeed {
    type Value = Vec<u8>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Vec<u8>, D::Error> {
        if d.is_human_readable() {
            d.deserialize_any(self)
        } else {
            d.deserialize_byte_buf(self)
        }
    }
}

impl<'de> Visitor<'de> for BinarySeed {
    type Value = Vec<u8>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("base64 text")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Vec<u8>, E> {
        decode_base64(v).map_err(E::custom)
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Vec<u8>, E> {
        Ok(v.to_vec())
    }
    fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<Vec<u8>, E> {
        Ok(v)
    }
    reject_non_text!();
}

/// Strict standard base64 (with padding), with the wording of DynamoDB's
/// SerializationException for a bad Blob: the one base64 validator of the
/// code base (the server's request decoder uses it too).
pub fn decode_base64(text: &str) -> Result<Vec<u8>, String> {
    let blob = |detail: String| format!("'{text}' can not be converted to a Blob: {detail}");
    if !text.len().is_multiple_of(4) {
        return Err(blob(format!(
            "Base64 encoded length is expected a multiple of 4 bytes but found: {}",
            text.len()
        )));
    }
    let bytes = text.as_bytes();
    for (i, &c) in bytes.iter().enumerate() {
        let ok = c.is_ascii_alphanumeric() || c == b'+' || c == b'/' || c == b'=';
        let bad_pad = c == b'=' && bytes.get(i + 1).is_some_and(|&n| n != b'=');
        if !ok || bad_pad {
            let shown = if bad_pad {
                '='
            } else {
                text.get(i..).and_then(|t| t.chars().next()).unwrap_or('?')
            };
            return Err(blob(format!("Invalid Base64 character: '{shown}'")));
        }
    }
    STANDARD
        .decode(text)
        .map_err(|_| blob("Invalid last non-pad Base64 character dectected".to_owned()))
}
