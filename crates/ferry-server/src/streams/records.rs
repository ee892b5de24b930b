//! Stream records as DynamoDB Streams writes them, from the engine's
//! item-level changes.

use ferry_model::{Item, item_size};
use ferry_storage::StreamChange;
use serde_json::{Value, json};

use crate::wire::value::item_to_json;

use super::model::{seq, seq_text};

/// The key attributes of `item` (the table's key schema names).
fn keys_of(item: &Item, names: &[&str]) -> Item {
    names
        .iter()
        .filter_map(|n| item.get_key_value(*n))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// One record and its size in bytes (what GetRecords' 1 MB limit counts).
pub fn record(
    change: &StreamChange,
    key_names: &[&str],
    view_type: &str,
    region: &str,
) -> (Value, usize) {
    let event = match (&change.old, &change.new) {
        (None, _) => "INSERT",
        (Some(_), Some(_)) => "MODIFY",
        (Some(_), None) => "REMOVE",
    };
    let image = change
        .new
        .as_ref()
        .or(change.old.as_ref())
        .map(|i| keys_of(i, key_names))
        .unwrap_or_default();
    let new = matches!(view_type, "NEW_IMAGE" | "NEW_AND_OLD_IMAGES")
        .then_some(change.new.as_ref())
        .flatten();
    let old = matches!(view_type, "OLD_IMAGE" | "NEW_AND_OLD_IMAGES")
        .then_some(change.old.as_ref())
        .flatten();
    let size = item_size(&image) + new.map_or(0, item_size) + old.map_or(0, item_size);
    let n = seq(change.ts, change.ordinal);
    let mut body = serde_json::Map::new();
    body.insert(
        "ApproximateCreationDateTime".into(),
        json!(change.ts.div_euclid(1_000_000)),
    );
    body.insert("Keys".into(), item_to_json(&image));
    if let Some(i) = new {
        body.insert("NewImage".into(), item_to_json(i));
    }
    if let Some(i) = old {
        body.insert("OldImage".into(), item_to_json(i));
    }
    body.insert("SequenceNumber".into(), json!(seq_text(n)));
    body.insert("SizeBytes".into(), json!(size));
    body.insert("StreamViewType".into(), json!(view_type));
    let mut value = json!({
        "eventID": format!("{n:032x}"),
        "eventName": event,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": region,
        "dynamodb": Value::Object(body),
    });
    if change.expired {
        // What DynamoDB writes for a deletion by Time to Live. The Streams
        // API's Identity members are `Type` and `PrincipalId` (the API
        // model's names; Lambda's event format spells them in camelCase).
        value["userIdentity"] = json!({
            "Type": "Service",
            "PrincipalId": "dynamodb.amazonaws.com",
        });
    }
    (value, size)
}
