//! Wire shapes of the legacy (pre-expression) parameters: `Condition`
//! (QueryFilter, ScanFilter, KeyConditions), `ExpectedAttributeValue` and
//! `AttributeValueUpdate`. Maps keep their keys sorted so that checks and
//! evaluation run in one deterministic order.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::value::WireValue;

/// One `Condition`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ConditionW {
    pub attribute_value_list: Option<Vec<WireValue>>,
    pub comparison_operator: Option<String>,
}

/// One `ExpectedAttributeValue`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ExpectedW {
    pub value: Option<WireValue>,
    pub exists: Option<bool>,
    pub comparison_operator: Option<String>,
    pub attribute_value_list: Option<Vec<WireValue>>,
}

/// One `AttributeValueUpdate`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AttributeUpdateW {
    pub value: Option<WireValue>,
    pub action: Option<String>,
}

pub type ConditionsW = BTreeMap<String, ConditionW>;
pub type ExpectedMapW = BTreeMap<String, ExpectedW>;
pub type AttributeUpdatesW = BTreeMap<String, AttributeUpdateW>;
