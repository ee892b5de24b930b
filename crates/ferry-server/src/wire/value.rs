//! The DynamoDB JSON wire codec for attribute values, items and the maps that
//! hold them (`Item`, `Key`, `ExclusiveStartKey`, `ExpressionAttributeValues`).
//!
//! Deserialisation goes straight into `ferry_model` values. Two kinds of
//! problems are told apart, as DynamoDB does:
//! - shape errors (a number where a string belongs, a list where a map
//!   belongs, bad base64) fail serde and become `SerializationException`
//!   with DynamoDB's (Java-flavoured) wording;
//! - value errors (empty value, two types, a malformed number, an empty or
//!   duplicated set) do not fail parsing: the first one is recorded in the
//!   parsed container (`problem`) so that the operation can report it with
//!   its own context as a `ValidationException`.

use std::collections::HashMap;
use std::fmt;

use base64::Engine as _;
use ferry_model::{AttributeValue, Item, Number};
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

const NUMBER_CLASS: &str = "class com.amazon.coral.value.json.numbers.TruncatingBigNumber";

/// An item (or key) as sent on the wire, with the first value problem in it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WireItem {
    pub item: Item,
    pub problem: Option<String>,
}

impl WireItem {
    /// The item, or its first value problem as DynamoDB's message.
    #[allow(dead_code, reason = "kept for the PartiQL branch, which calls it")]
    pub fn checked(self) -> Result<Item, String> {
        match self.problem {
            Some(p) => Err(p),
            None => Ok(self.item),
        }
    }
}

/// `ExpressionAttributeValues`: placeholder to value, with the first
/// problem and the placeholder it was found under.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WireValues {
    pub values: HashMap<String, AttributeValue>,
    pub problem: Option<(String, String)>,
}

/// One parsed value plus the first problem found in it (then `value` is a
/// placeholder and must not be used).
struct Parsed {
    value: AttributeValue,
    problem: Option<String>,
}

/// Parse a number as DynamoDB does, with its messages.
pub fn parse_number(text: &str) -> Result<Number, String> {
    if text.is_empty() {
        return Err("The parameter cannot be converted to a numeric value".to_string());
    }
    Number::parse(text).map_err(|e| e.message())
}

// ---------------------------------------------------------------- shape errors

/// Error messages for a value of the wrong JSON kind, by expected kind.
#[derive(Clone, Copy)]
enum Expect {
    Str,
    Blob,
    Bool,
    List,
    Map,
    /// An AttributeValue structure.
    Structure,
}

impl Expect {
    fn number<E: de::Error>(self) -> E {
        E::custom(match self {
            Expect::Str => format!("{NUMBER_CLASS} can not be converted to an String"),
            Expect::Blob => format!("{NUMBER_CLASS} can not be converted to a Blob"),
            Expect::Bool => format!("{NUMBER_CLASS} can not be converted to an Boolean"),
            Expect::List => "Expected list or null".to_string(),
            Expect::Map => "Expected map or null".to_string(),
            Expect::Structure => "Expected null".to_string(),
        })
    }
    fn boolean<E: de::Error>(self) -> E {
        E::custom(match self {
            Expect::Str => "class java.lang.Boolean can not be converted to an String",
            Expect::Blob => "class java.lang.Boolean can not be converted to a Blob",
            Expect::Bool => "unreachable",
            Expect::List => "Expected list or null",
            Expect::Map => "Expected map or null",
            Expect::Structure => "Expected null",
        })
    }
    fn string<E: de::Error>(self) -> E {
        E::custom(match self {
            Expect::List => "Expected list or null",
            Expect::Map => "Expected map or null",
            Expect::Structure => "Expected null",
            Expect::Str | Expect::Blob | Expect::Bool => "unreachable",
        })
    }
    fn list<E: de::Error>(self) -> E {
        E::custom("Start of list found where not expected")
    }
    fn map<E: de::Error>(self) -> E {
        E::custom("Start of structure or map found where not expected.")
    }
}

/// The `Visitor` methods that refuse a boolean, number or string where the
/// `expect`ed kind belongs, with DynamoDB's message for each.
macro_rules! reject_scalars {
    ($expect:expr) => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Err($expect.boolean())
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Err($expect.number())
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Err($expect.number())
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Err($expect.number())
        }
        fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Err($expect.string())
        }
    };
}

/// Deserialises an optional string (null = None) with DynamoDB's messages.
struct StrSeed(Expect);

impl<'de> DeserializeSeed<'de> for StrSeed {
    type Value = Option<String>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for StrSeed {
    type Value = Option<String>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Some(v))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Err(self.0.boolean())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Err(self.0.number())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Err(self.0.number())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Err(self.0.number())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
        Err(self.0.list())
    }
    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
        Err(self.0.map())
    }
}

/// A base64 blob (null = None).
struct BlobSeed;

impl<'de> DeserializeSeed<'de> for BlobSeed {
    type Value = Option<Vec<u8>>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        let Some(text) = StrSeed(Expect::Blob).deserialize(d)? else {
            return Ok(None);
        };
        ferry_model::decode_base64(&text)
            .map(Some)
            .map_err(de::Error::custom)
    }
}

/// A boolean (null = None); like DynamoDB, accepts "true"/"1"/"yes" strings.
struct BoolSeed;

impl<'de> DeserializeSeed<'de> for BoolSeed {
    type Value = Option<bool>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for BoolSeed {
    type Value = Option<bool>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a boolean")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Some(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        let upper = v.to_uppercase();
        match upper.as_str() {
            "TRUE" | "1" | "YES" => Ok(Some(true)),
            "FALSE" | "0" | "NO" => Ok(Some(false)),
            _ => Err(E::custom(format!(
                "'{upper}' can not be converted to an Boolean"
            ))),
        }
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Err(Expect::Bool.number())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Err(Expect::Bool.number())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Err(Expect::Bool.number())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
        Err(Expect::Bool.list())
    }
    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
        Err(Expect::Bool.map())
    }
}

/// A JSON list whose members go through `S` (null = None).
struct ListSeed<S>(S);

impl<'de, S: DeserializeSeed<'de> + Copy> DeserializeSeed<'de> for ListSeed<S> {
    type Value = Option<Vec<S::Value>>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, S: DeserializeSeed<'de> + Copy> Visitor<'de> for ListSeed<S> {
    type Value = Option<Vec<S::Value>>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
        while let Some(v) = seq.next_element_seed(self.0)? {
            out.push(v);
        }
        Ok(Some(out))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    reject_scalars!(Expect::List);
    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
        Err(Expect::List.map())
    }
}

#[derive(Clone, Copy)]
struct SetStr;
impl<'de> DeserializeSeed<'de> for SetStr {
    type Value = Option<String>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        StrSeed(Expect::Str).deserialize(d)
    }
}

#[derive(Clone, Copy)]
struct SetBlob;
impl<'de> DeserializeSeed<'de> for SetBlob {
    type Value = Option<Vec<u8>>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        BlobSeed.deserialize(d)
    }
}

// ---------------------------------------------------------------- values

/// Deserialises one AttributeValue structure.
#[derive(Clone, Copy)]
struct ValueSeed;

impl<'de> DeserializeSeed<'de> for ValueSeed {
    type Value = Option<Parsed>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

fn problem(msg: impl Into<String>) -> Parsed {
    Parsed {
        value: AttributeValue::Null,
        problem: Some(msg.into()),
    }
}

const INVALID: &str = "One or more parameter values were invalid: ";

impl<'de> Visitor<'de> for ValueSeed {
    type Value = Option<Parsed>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an attribute value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut found: Vec<Parsed> = Vec::with_capacity(1);
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            let parsed = match key.as_ref() {
                "S" => map.next_value_seed(StrSeed(Expect::Str))?.map(|s| Parsed {
                    value: AttributeValue::S(s),
                    problem: None,
                }),
                "N" => map
                    .next_value_seed(StrSeed(Expect::Str))?
                    .map(|s| match parse_number(&s) {
                        Ok(n) => Parsed {
                            value: AttributeValue::N(n),
                            problem: None,
                        },
                        Err(m) => problem(m),
                    }),
                "B" => map.next_value_seed(BlobSeed)?.map(|b| Parsed {
                    value: AttributeValue::B(b),
                    problem: None,
                }),
                "BOOL" => map.next_value_seed(BoolSeed)?.map(|b| Parsed {
                    value: AttributeValue::Bool(b),
                    problem: None,
                }),
                "NULL" => map.next_value_seed(BoolSeed)?.map(|b| {
                    if b {
                        Parsed {
                            value: AttributeValue::Null,
                            problem: None,
                        }
                    } else {
                        problem(format!(
                            "{INVALID}Null attribute value types must have the value of true"
                        ))
                    }
                }),
                "SS" => map.next_value_seed(ListSeed(SetStr))?.map(string_set),
                "NS" => map.next_value_seed(ListSeed(SetStr))?.map(number_set),
                "BS" => map.next_value_seed(ListSeed(SetBlob))?.map(binary_set),
                "M" => map.next_value_seed(MapSeed)?.map(|w| match w.problem {
                    Some(p) => problem(p),
                    None => Parsed {
                        value: AttributeValue::M(w.item),
                        problem: None,
                    },
                }),
                "L" => map.next_value_seed(ListSeed(ValueSeed))?.map(|list| {
                    let mut out = Vec::with_capacity(list.len());
                    for p in list.into_iter().flatten() {
                        if p.problem.is_some() {
                            return p;
                        }
                        out.push(p.value);
                    }
                    Parsed {
                        value: AttributeValue::L(out),
                        problem: None,
                    }
                }),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                    None
                }
            };
            if let Some(p) = parsed {
                found.push(p);
            }
        }
        let first_problem = found.iter().find_map(|p| p.problem.clone());
        Ok(Some(match (found.len(), first_problem) {
            (0, _) => problem(
                "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes",
            ),
            (_, Some(p)) => problem(p),
            (1, None) => found.pop().unwrap_or_else(|| problem("unreachable")),
            _ => problem(
                "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes",
            ),
        }))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    reject_scalars!(Expect::Structure);
    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
        Err(Expect::Structure.list())
    }
}

fn string_set(members: Vec<Option<String>>) -> Parsed {
    let members: Vec<String> = members.into_iter().flatten().collect();
    if members.is_empty() {
        return problem(format!("{INVALID}An string set  may not be empty"));
    }
    let mut seen = std::collections::HashSet::with_capacity(members.len());
    if members.iter().any(|m| !seen.insert(m.as_str())) {
        return problem(format!(
            "{INVALID}Input collection [{}] contains duplicates.",
            members.join(", ")
        ));
    }
    Parsed {
        value: AttributeValue::SS(members),
        problem: None,
    }
}

fn number_set(members: Vec<Option<String>>) -> Parsed {
    let texts: Vec<String> = members.into_iter().flatten().collect();
    if texts.is_empty() {
        return problem(format!("{INVALID}An number set  may not be empty"));
    }
    let mut numbers = Vec::with_capacity(texts.len());
    for t in &texts {
        match parse_number(t) {
            Ok(n) => numbers.push(n),
            Err(m) => return problem(m),
        }
    }
    let mut seen = std::collections::HashSet::with_capacity(numbers.len());
    if numbers.iter().any(|n| !seen.insert(n)) {
        return problem("Input collection contains duplicates");
    }
    Parsed {
        value: AttributeValue::NS(numbers),
        problem: None,
    }
}

fn binary_set(members: Vec<Option<Vec<u8>>>) -> Parsed {
    let members: Vec<Vec<u8>> = members.into_iter().flatten().collect();
    if members.is_empty() {
        return problem(format!("{INVALID}Binary sets should not be empty"));
    }
    let mut seen = std::collections::HashSet::with_capacity(members.len());
    if members.iter().any(|m| !seen.insert(m.as_slice())) {
        let shown: Vec<String> = members
            .iter()
            .map(|m| base64::engine::general_purpose::STANDARD.encode(m))
            .collect();
        return problem(format!(
            "{INVALID}Input collection [{}]of type BS contains duplicates.",
            shown.join(", ")
        ));
    }
    Parsed {
        value: AttributeValue::BS(members),
        problem: None,
    }
}

// ---------------------------------------------------------------- maps

/// A map of attribute name to AttributeValue (an item, a key, an `M`).
#[derive(Clone, Copy)]
struct MapSeed;

impl<'de> DeserializeSeed<'de> for MapSeed {
    type Value = Option<WireItem>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for MapSeed {
    type Value = Option<WireItem>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a map of attribute values")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = WireItem::default();
        while let Some(key) = map.next_key::<String>()? {
            let Some(parsed) = map.next_value_seed(ValueSeed)? else {
                continue;
            };
            if let Some(p) = parsed.problem {
                out.problem.get_or_insert(p);
            } else {
                out.item.insert(key, parsed.value);
            }
        }
        Ok(Some(out))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    reject_scalars!(Expect::Map);
    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
        Err(Expect::Map.list())
    }
}

impl<'de> Deserialize<'de> for WireItem {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(MapSeed.deserialize(d)?.unwrap_or_default())
    }
}

/// One AttributeValue as sent on the wire (inside the legacy parameters),
/// with its first value problem (then `value` must not be used).
#[derive(Clone, Debug, PartialEq)]
pub struct WireValue {
    pub value: AttributeValue,
    pub problem: Option<String>,
}

impl<'de> Deserialize<'de> for WireValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match ValueSeed.deserialize(d)? {
            Some(p) => WireValue {
                value: p.value,
                problem: p.problem,
            },
            None => WireValue {
                value: AttributeValue::Null,
                problem: Some(
                    "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"
                        .to_string(),
                ),
            },
        })
    }
}

impl<'de> Deserialize<'de> for WireValues {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = WireValues;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a map of attribute values")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<WireValues, A::Error> {
                let mut out = WireValues::default();
                while let Some(key) = map.next_key::<String>()? {
                    let Some(parsed) = map.next_value_seed(ValueSeed)? else {
                        continue;
                    };
                    match parsed.problem {
                        Some(p) => {
                            if out.problem.is_none() {
                                out.problem = Some((key, p));
                            }
                        }
                        None => {
                            out.values.insert(key, parsed.value);
                        }
                    }
                }
                Ok(out)
            }
            fn visit_unit<E: de::Error>(self) -> Result<WireValues, E> {
                Ok(WireValues::default())
            }
            reject_scalars!(Expect::Map);
            fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<WireValues, A::Error> {
                Err(Expect::Map.list())
            }
        }
        d.deserialize_any(V)
    }
}

// ---------------------------------------------------------------- output

// Items go out through the model's codec (`Serialize` for `AttributeValue`
// and `ferry_model::json`).

/// The item as a `serde_json::Value` (error bodies).
pub fn item_to_json(item: &Item) -> serde_json::Value {
    serde_json::to_value(item).unwrap_or(serde_json::Value::Null)
}

#[cfg(test)]
#[path = "value_tests.rs"]
mod tests;
