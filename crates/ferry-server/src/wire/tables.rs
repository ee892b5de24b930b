//! Wire shapes of the table operations (CreateTable, DescribeTable,
//! ListTables, DeleteTable, UpdateTable) and of `TableDescription`, checked
//! against AWS's API model (`aws-models/dynamodb.json`).

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AttributeDefinitionW {
    pub attribute_name: Option<String>,
    pub attribute_type: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeySchemaElementW {
    pub attribute_name: Option<String>,
    pub key_type: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ProjectionW {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub projection_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub non_key_attributes: Option<Vec<String>>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ThroughputW {
    pub read_capacity_units: Option<i64>,
    pub write_capacity_units: Option<i64>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LocalSecondaryIndexW {
    pub index_name: Option<String>,
    pub key_schema: Option<Vec<KeySchemaElementW>>,
    pub projection: Option<ProjectionW>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GlobalSecondaryIndexW {
    pub index_name: Option<String>,
    pub key_schema: Option<Vec<KeySchemaElementW>>,
    pub projection: Option<ProjectionW>,
    pub provisioned_throughput: Option<ThroughputW>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TagW {
    pub key: Option<String>,
    pub value: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SseSpecificationW {
    pub enabled: Option<bool>,
    #[serde(rename = "SSEType")]
    pub sse_type: Option<String>,
    #[serde(rename = "KMSMasterKeyId")]
    pub kms_master_key_id: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StreamSpecificationW {
    pub stream_enabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream_view_type: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateTableInput {
    pub table_name: Option<String>,
    pub attribute_definitions: Option<Vec<AttributeDefinitionW>>,
    pub key_schema: Option<Vec<KeySchemaElementW>>,
    pub local_secondary_indexes: Option<Vec<LocalSecondaryIndexW>>,
    pub global_secondary_indexes: Option<Vec<GlobalSecondaryIndexW>>,
    pub billing_mode: Option<String>,
    pub provisioned_throughput: Option<ThroughputW>,
    pub stream_specification: Option<StreamSpecificationW>,
    #[serde(rename = "SSESpecification")]
    pub sse_specification: Option<SseSpecificationW>,
    pub tags: Option<Vec<TagW>>,
    pub table_class: Option<String>,
    pub deletion_protection_enabled: Option<bool>,
    pub on_demand_throughput: Option<serde_json::Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TableNameInput {
    pub table_name: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListTablesInput {
    pub exclusive_start_table_name: Option<String>,
    pub limit: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GsiUpdateActionW {
    pub index_name: Option<String>,
    pub provisioned_throughput: Option<ThroughputW>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GsiUpdateW {
    pub update: Option<GsiUpdateActionW>,
    pub create: Option<GlobalSecondaryIndexW>,
    pub delete: Option<GsiUpdateActionW>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateTableInput {
    pub table_name: Option<String>,
    pub attribute_definitions: Option<Vec<AttributeDefinitionW>>,
    pub billing_mode: Option<String>,
    pub provisioned_throughput: Option<ThroughputW>,
    pub global_secondary_index_updates: Option<Vec<GsiUpdateW>>,
    pub stream_specification: Option<StreamSpecificationW>,
    #[serde(rename = "SSESpecification")]
    pub sse_specification: Option<SseSpecificationW>,
    pub replica_updates: Option<serde_json::Value>,
    pub table_class: Option<String>,
    pub deletion_protection_enabled: Option<bool>,
    pub on_demand_throughput: Option<serde_json::Value>,
}

// ------------------------------------------------------------------ output

#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ThroughputDescription {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_increase_date_time: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_decrease_date_time: Option<f64>,
    pub number_of_decreases_today: i64,
    pub read_capacity_units: i64,
    pub write_capacity_units: i64,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct BillingModeSummary {
    pub billing_mode: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_update_to_pay_per_request_date_time: Option<f64>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LocalSecondaryIndexDescription {
    pub index_name: String,
    pub key_schema: Vec<KeySchemaElementW>,
    pub projection: ProjectionW,
    pub index_size_bytes: u64,
    pub item_count: u64,
    pub index_arn: String,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GlobalSecondaryIndexDescription {
    pub index_name: String,
    pub key_schema: Vec<KeySchemaElementW>,
    pub projection: ProjectionW,
    pub index_status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backfilling: Option<bool>,
    pub provisioned_throughput: ThroughputDescription,
    pub index_size_bytes: u64,
    pub item_count: u64,
    pub index_arn: String,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SseDescription {
    pub status: String,
    #[serde(rename = "SSEType")]
    pub sse_type: String,
    #[serde(rename = "KMSMasterKeyArn")]
    pub kms_master_key_arn: String,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TableClassSummary {
    pub table_class: String,
}

/// DynamoDB's `TableDescription`.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TableDescription {
    pub attribute_definitions: Vec<AttributeDefinitionW>,
    pub table_name: String,
    pub key_schema: Vec<KeySchemaElementW>,
    pub table_status: String,
    pub creation_date_time: f64,
    pub provisioned_throughput: ThroughputDescription,
    pub table_size_bytes: u64,
    pub item_count: u64,
    pub table_arn: String,
    pub table_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub billing_mode_summary: Option<BillingModeSummary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub local_secondary_indexes: Option<Vec<LocalSecondaryIndexDescription>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub global_secondary_indexes: Option<Vec<GlobalSecondaryIndexDescription>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream_specification: Option<StreamSpecificationW>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latest_stream_label: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latest_stream_arn: Option<String>,
    #[serde(rename = "SSEDescription", skip_serializing_if = "Option::is_none")]
    pub sse_description: Option<SseDescription>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table_class_summary: Option<TableClassSummary>,
    pub deletion_protection_enabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_demand_throughput: Option<serde_json::Value>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TableDescriptionOutput {
    pub table_description: TableDescription,
}

/// The description DeleteTable answers: DynamoDB sends the status, the
/// identity, the counts and the throughput of the deleting table, but not
/// its creation time, key schema, attribute definitions or indexes.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeletedTableDescription {
    pub table_name: String,
    pub table_status: String,
    pub provisioned_throughput: ThroughputDescription,
    pub table_size_bytes: u64,
    pub item_count: u64,
    pub table_arn: String,
    pub table_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub billing_mode_summary: Option<BillingModeSummary>,
    pub deletion_protection_enabled: bool,
}

impl From<TableDescription> for DeletedTableDescription {
    fn from(d: TableDescription) -> Self {
        DeletedTableDescription {
            table_name: d.table_name,
            table_status: d.table_status,
            provisioned_throughput: d.provisioned_throughput,
            table_size_bytes: d.table_size_bytes,
            item_count: d.item_count,
            table_arn: d.table_arn,
            table_id: d.table_id,
            billing_mode_summary: d.billing_mode_summary,
            deletion_protection_enabled: d.deletion_protection_enabled,
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteTableOutput {
    pub table_description: DeletedTableDescription,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeTableOutput {
    pub table: TableDescription,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListTablesOutput {
    pub table_names: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_evaluated_table_name: Option<String>,
}
