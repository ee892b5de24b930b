//! The `RequestItems` constraints of BatchWriteItem and BatchGetItem with
//! DynamoDB's messages, including the way DynamoDB echoes the map back:
//! BatchWriteItem in Java's `toString` form
//! (`{t=[WriteRequest(putRequest=PutRequest(item={pk=AttributeValue(S=x)},
//! workloadProfileName=null), deleteRequest=null)]}`), BatchGetItem as JSON
//! (`{"t":{"Keys":[{"pk":{"S":"x"}}]}}`). The per-table list limits use the
//! newer validation framework's wording
//! (`Value at 'RequestItems.<table>.member' failed to satisfy constraint:
//! Member must have length less than or equal to 25`), which, unlike the
//! older one, is the same on every call.

use std::collections::BTreeMap;

use base64::Engine as _;
use ferry_model::{AttributeValue, Item};

use crate::validation::{Checks, NAME_PATTERN, is_valid_name_chars};
use crate::wire::batch::{KeysAndAttributesW, WriteRequestW};
use crate::wire::value::item_to_json;

const MAP_KEYS: &str = "Map keys must satisfy constraint: [Member must have length less than or equal to 255, Member must have length greater than or equal to 3, Member must satisfy regular expression pattern: ";

fn bad_table_name(k: &str) -> bool {
    !is_valid_name_chars(k) || k.chars().count() < 3 || k.chars().count() > 255
}

/// An attribute value as the Java SDK's `toString` prints it.
pub fn java_value(v: &AttributeValue) -> String {
    let list = |parts: Vec<String>| format!("[{}]", parts.join(", "));
    match v {
        AttributeValue::S(s) => format!("AttributeValue(S={s})"),
        AttributeValue::N(n) => format!("AttributeValue(N={n})"),
        AttributeValue::B(b) => format!(
            "AttributeValue(B=SdkBytes(bytes=0x{}))",
            b.iter().map(|x| format!("{x:02x}")).collect::<String>()
        ),
        AttributeValue::SS(v) => format!("AttributeValue(SS={})", list(v.to_vec())),
        AttributeValue::NS(v) => format!(
            "AttributeValue(NS={})",
            list(v.iter().map(|n| n.to_string()).collect())
        ),
        AttributeValue::BS(v) => format!(
            "AttributeValue(BS={})",
            list(
                v.iter()
                    .map(|b| base64::engine::general_purpose::STANDARD.encode(b))
                    .collect()
            )
        ),
        AttributeValue::M(m) => format!("AttributeValue(M={})", java_item(m)),
        AttributeValue::L(l) => format!(
            "AttributeValue(L={})",
            list(l.iter().map(java_value).collect())
        ),
        AttributeValue::Null => "AttributeValue(NUL=true)".to_string(),
        AttributeValue::Bool(b) => format!("AttributeValue(BOOL={b})"),
    }
}

pub fn java_item(item: &Item) -> String {
    let parts: Vec<String> = item
        .iter()
        .map(|(k, v)| format!("{k}={}", java_value(v)))
        .collect();
    format!("{{{}}}", parts.join(", "))
}

fn java_write_request(r: &WriteRequestW) -> String {
    let put = match &r.put_request {
        Some(p) => format!(
            "PutRequest(item={}, workloadProfileName=null)",
            p.item
                .as_ref()
                .map_or("null".to_string(), |i| java_item(&i.item))
        ),
        None => "null".to_string(),
    };
    let delete = match &r.delete_request {
        Some(d) => format!(
            "DeleteRequest(key={})",
            d.key
                .as_ref()
                .map_or("null".to_string(), |k| java_item(&k.item))
        ),
        None => "null".to_string(),
    };
    format!("WriteRequest(putRequest={put}, deleteRequest={delete})")
}

/// BatchWriteItem's `RequestItems` as DynamoDB echoes it.
pub fn echo_write_items(map: &BTreeMap<String, Vec<WriteRequestW>>) -> String {
    let tables: Vec<String> = map
        .iter()
        .map(|(t, reqs)| {
            let reqs: Vec<String> = reqs.iter().map(java_write_request).collect();
            format!("{t}=[{}]", reqs.join(", "))
        })
        .collect();
    format!("{{{}}}", tables.join(", "))
}

/// BatchGetItem's `RequestItems` as DynamoDB echoes it (JSON).
pub fn echo_get_items(map: &BTreeMap<String, KeysAndAttributesW>) -> String {
    let mut out = serde_json::Map::new();
    for (t, ka) in map {
        let mut entry = serde_json::Map::new();
        if let Some(keys) = &ka.keys {
            entry.insert(
                "Keys".into(),
                keys.iter().map(|k| item_to_json(&k.item)).collect(),
            );
        }
        if let Some(c) = ka.consistent_read {
            entry.insert("ConsistentRead".into(), c.into());
        }
        if let Some(p) = &ka.projection_expression {
            entry.insert("ProjectionExpression".into(), p.clone().into());
        }
        if let Some(n) = &ka.expression_attribute_names {
            let names: BTreeMap<&String, &String> = n.iter().collect();
            entry.insert(
                "ExpressionAttributeNames".into(),
                serde_json::to_value(names).unwrap_or_default(),
            );
        }
        out.insert(t.clone(), serde_json::Value::Object(entry));
    }
    serde_json::Value::Object(out).to_string()
}

/// The `RequestItems` constraints of BatchWriteItem (`max` requests per
/// table).
pub fn check_write_map(
    c: &mut Checks,
    map: Option<&BTreeMap<String, Vec<WriteRequestW>>>,
    max: usize,
) {
    let Some(map) = map else {
        c.not_null(None::<&()>, "requestItems");
        return;
    };
    if map.is_empty() {
        c.fail_unvalued(
            "RequestItems",
            "Member must have length greater than or equal to 1",
        );
        return;
    }
    if map.keys().any(|k| bad_table_name(k)) {
        c.fail(
            Some(&echo_write_items(map)),
            "requestItems",
            &format!("{MAP_KEYS}{NAME_PATTERN}]"),
        );
    }
    if map.values().any(Vec::is_empty) {
        c.fail(
            Some(&echo_write_items(map)),
            "requestItems",
            &format!(
                "Map value must satisfy constraint: [Member must have length less than or equal to {max}, Member must have length greater than or equal to 1]"
            ),
        );
    }
    for (t, reqs) in map {
        if reqs.len() > max {
            c.fail_unvalued(
                &format!("RequestItems.{t}.member"),
                &format!("Member must have length less than or equal to {max}"),
            );
        }
    }
}

/// The `RequestItems` constraints of BatchGetItem (`max` keys per table).
pub fn check_get_map(
    c: &mut Checks,
    map: Option<&BTreeMap<String, KeysAndAttributesW>>,
    max: usize,
) {
    let Some(map) = map else {
        c.not_null(None::<&()>, "requestItems");
        return;
    };
    if map.is_empty() {
        c.fail_unvalued(
            "RequestItems",
            "Member must have length greater than or equal to 1",
        );
        return;
    }
    if map.keys().any(|k| bad_table_name(k)) {
        c.fail(
            Some(&echo_get_items(map)),
            "requestItems",
            &format!("{MAP_KEYS}{NAME_PATTERN}]"),
        );
    }
    for (t, ka) in map {
        let path = format!("RequestItems.{t}.member.Keys");
        match ka.keys.as_ref().map(Vec::len) {
            None => c.not_null(None::<&()>, &path),
            Some(0) => c.fail_unvalued(&path, "Member must have length greater than or equal to 1"),
            Some(n) if n > max => c.fail_unvalued(
                &path,
                &format!("Member must have length less than or equal to {max}"),
            ),
            Some(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use ferry_model::Number;

    use super::*;
    use crate::wire::batch::{DeleteRequestW, PutRequestW};
    use crate::wire::value::WireItem;

    fn wire(pairs: &[(&str, AttributeValue)]) -> WireItem {
        WireItem {
            item: pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
            problem: None,
        }
    }

    #[test]
    fn write_echo() {
        let mut map = BTreeMap::new();
        map.insert(
            "bad!name".to_string(),
            vec![
                WriteRequestW {
                    put_request: Some(PutRequestW {
                        item: Some(wire(&[
                            ("pk", AttributeValue::S("x".into())),
                            ("n", AttributeValue::N(Number::parse("1.50").unwrap())),
                        ])),
                    }),
                    delete_request: None,
                },
                WriteRequestW {
                    put_request: None,
                    delete_request: Some(DeleteRequestW {
                        key: Some(wire(&[("pk", AttributeValue::S("y".into()))])),
                    }),
                },
            ],
        );
        assert_eq!(
            echo_write_items(&map),
            "{bad!name=[WriteRequest(putRequest=PutRequest(item={n=AttributeValue(N=1.5), pk=AttributeValue(S=x)}, workloadProfileName=null), deleteRequest=null), WriteRequest(putRequest=null, deleteRequest=DeleteRequest(key={pk=AttributeValue(S=y)}))]}"
        );
        let mut c = Checks::new();
        check_write_map(&mut c, Some(&map), 25);
        let msg = c.finish().unwrap_err().message.unwrap();
        assert!(msg.starts_with(
            "1 validation error detected: Value '{bad!name=[WriteRequest(putRequest=PutRequest(item={"
        ));
        assert!(msg.ends_with("at 'requestItems' failed to satisfy constraint: Map keys must satisfy constraint: [Member must have length less than or equal to 255, Member must have length greater than or equal to 3, Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+]"));
    }

    #[test]
    fn write_limits() {
        let mut map: BTreeMap<String, Vec<WriteRequestW>> = BTreeMap::new();
        map.insert("tbl".into(), Vec::new());
        let mut c = Checks::new();
        check_write_map(&mut c, Some(&map), 25);
        assert_eq!(
            c.finish().unwrap_err().message.as_deref(),
            Some(
                "1 validation error detected: Value '{tbl=[]}' at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 25, Member must have length greater than or equal to 1]"
            )
        );
        let mut c = Checks::new();
        check_write_map(&mut c, Some(&BTreeMap::new()), 25);
        assert_eq!(
            c.finish().unwrap_err().message.as_deref(),
            Some(
                "1 validation error detected: Value at 'RequestItems' failed to satisfy constraint: Member must have length greater than or equal to 1"
            )
        );
    }

    #[test]
    fn get_echo() {
        let mut map = BTreeMap::new();
        map.insert(
            "bad!name".to_string(),
            KeysAndAttributesW {
                keys: Some(vec![wire(&[("pk", AttributeValue::S("a".into()))])]),
                ..Default::default()
            },
        );
        let mut c = Checks::new();
        check_get_map(&mut c, Some(&map), 100);
        assert_eq!(
            c.finish().unwrap_err().message.as_deref(),
            Some(
                r#"1 validation error detected: Value '{"bad!name":{"Keys":[{"pk":{"S":"a"}}]}}' at 'requestItems' failed to satisfy constraint: Map keys must satisfy constraint: [Member must have length less than or equal to 255, Member must have length greater than or equal to 3, Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+]"#
            )
        );
    }
}
