//! Wire shapes of TransactWriteItems and TransactGetItems.

use std::collections::{BTreeMap, HashMap};

use ferry_model::Item;
use serde::{Deserialize, Serialize};

use super::ConsumedCapacity;
use super::items::ItemCollectionMetrics;
use super::value::{WireItem, WireValues};

/// One action of a transaction: `ConditionCheck`, `Put`, `Delete`, `Update`
/// or `Get`. They share their members (a Put has `Item` where the others
/// have `Key`; only an Update has `UpdateExpression`; only a Get has
/// `ProjectionExpression`), so one shape reads them all.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ActionW {
    pub table_name: Option<String>,
    pub item: Option<WireItem>,
    pub key: Option<WireItem>,
    pub condition_expression: Option<String>,
    pub update_expression: Option<String>,
    pub projection_expression: Option<String>,
    pub expression_attribute_names: Option<HashMap<String, String>>,
    pub expression_attribute_values: Option<WireValues>,
    pub return_values_on_condition_check_failure: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TransactWriteItemW {
    pub condition_check: Option<ActionW>,
    pub put: Option<ActionW>,
    pub delete: Option<ActionW>,
    pub update: Option<ActionW>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TransactWriteItemsInput {
    pub transact_items: Option<Vec<TransactWriteItemW>>,
    pub return_consumed_capacity: Option<String>,
    pub return_item_collection_metrics: Option<String>,
    pub client_request_token: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TransactWriteItemsOutput {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consumed_capacity: Option<Vec<ConsumedCapacity>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item_collection_metrics: Option<BTreeMap<String, Vec<ItemCollectionMetrics>>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TransactGetItemW {
    pub get: Option<ActionW>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TransactGetItemsInput {
    pub transact_items: Option<Vec<TransactGetItemW>>,
    pub return_consumed_capacity: Option<String>,
}

/// One `Responses` entry: the item, or `{}` when there is none.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ItemResponse {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item: Option<Item>,
}

#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TransactGetItemsOutput {
    pub responses: Vec<ItemResponse>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consumed_capacity: Option<Vec<ConsumedCapacity>>,
}
