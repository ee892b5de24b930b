//! Wire shapes of Query and Scan.

use std::collections::HashMap;

use ferry_model::Item;
use serde::{Deserialize, Serialize};

use super::ConsumedCapacity;
use super::legacy::ConditionsW;
use super::value::{WireItem, WireValues};

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct QueryInput {
    pub table_name: Option<String>,
    pub index_name: Option<String>,
    pub select: Option<String>,
    pub limit: Option<i64>,
    pub consistent_read: Option<bool>,
    pub key_condition_expression: Option<String>,
    pub filter_expression: Option<String>,
    pub projection_expression: Option<String>,
    pub expression_attribute_names: Option<HashMap<String, String>>,
    pub expression_attribute_values: Option<WireValues>,
    pub scan_index_forward: Option<bool>,
    pub exclusive_start_key: Option<WireItem>,
    pub return_consumed_capacity: Option<String>,
    pub key_conditions: Option<ConditionsW>,
    pub query_filter: Option<ConditionsW>,
    pub attributes_to_get: Option<Vec<String>>,
    pub conditional_operator: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ScanInput {
    pub table_name: Option<String>,
    pub index_name: Option<String>,
    pub select: Option<String>,
    pub limit: Option<i64>,
    pub consistent_read: Option<bool>,
    pub filter_expression: Option<String>,
    pub projection_expression: Option<String>,
    pub expression_attribute_names: Option<HashMap<String, String>>,
    pub expression_attribute_values: Option<WireValues>,
    pub exclusive_start_key: Option<WireItem>,
    pub segment: Option<i64>,
    pub total_segments: Option<i64>,
    pub return_consumed_capacity: Option<String>,
    pub scan_filter: Option<ConditionsW>,
    pub attributes_to_get: Option<Vec<String>>,
    pub conditional_operator: Option<String>,
}

/// The output of Query and Scan.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PageOutput {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub items: Option<Vec<Item>>,
    pub count: u64,
    pub scanned_count: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_evaluated_key: Option<Item>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consumed_capacity: Option<ConsumedCapacity>,
}
