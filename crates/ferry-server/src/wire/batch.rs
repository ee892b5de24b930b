//! Wire shapes of BatchWriteItem and BatchGetItem.

use std::collections::{BTreeMap, HashMap};

use ferry_model::Item;
use serde::{Deserialize, Serialize};

use super::ConsumedCapacity;
use super::items::ItemCollectionMetrics;
use super::value::WireItem;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutRequestW {
    pub item: Option<WireItem>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteRequestW {
    pub key: Option<WireItem>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct WriteRequestW {
    pub put_request: Option<PutRequestW>,
    pub delete_request: Option<DeleteRequestW>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BatchWriteItemInput {
    pub request_items: Option<BTreeMap<String, Vec<WriteRequestW>>>,
    pub return_consumed_capacity: Option<String>,
    pub return_item_collection_metrics: Option<String>,
}

#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct BatchWriteItemOutput {
    /// Always empty: every request is processed.
    pub unprocessed_items: BTreeMap<String, Vec<()>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consumed_capacity: Option<Vec<ConsumedCapacity>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item_collection_metrics: Option<BTreeMap<String, Vec<ItemCollectionMetrics>>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeysAndAttributesW {
    pub keys: Option<Vec<WireItem>>,
    pub projection_expression: Option<String>,
    pub expression_attribute_names: Option<HashMap<String, String>>,
    pub consistent_read: Option<bool>,
    pub attributes_to_get: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BatchGetItemInput {
    pub request_items: Option<BTreeMap<String, KeysAndAttributesW>>,
    pub return_consumed_capacity: Option<String>,
}

/// A list of items on the way out.
#[derive(Debug, Default)]
pub struct ItemList(pub Vec<Item>);

impl Serialize for ItemList {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

/// Keys left for the caller to ask again (the 16 MB response limit).
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct UnprocessedKeysW {
    pub keys: ItemList,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attributes_to_get: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub projection_expression: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expression_attribute_names: Option<HashMap<String, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consistent_read: Option<bool>,
}

#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct BatchGetItemOutput {
    pub responses: BTreeMap<String, ItemList>,
    pub unprocessed_keys: BTreeMap<String, UnprocessedKeysW>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consumed_capacity: Option<Vec<ConsumedCapacity>>,
}
