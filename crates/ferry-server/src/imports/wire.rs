//! Wire shapes of ImportTable, DescribeImport and ListImports, checked
//! against AWS's API model (`ImportTableInput`, `ImportTableDescription`,
//! `ImportSummary`, …). Output members are in the model's order.

use serde::{Deserialize, Serialize};

use crate::wire::tables::{
    AttributeDefinitionW, GlobalSecondaryIndexW, KeySchemaElementW, SseSpecificationW, ThroughputW,
};

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct S3BucketSourceW {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub s3_bucket_owner: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub s3_bucket: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub s3_key_prefix: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CsvOptionsW {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delimiter: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub header_list: Option<Vec<String>>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct InputFormatOptionsW {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub csv: Option<CsvOptionsW>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TableCreationParametersW {
    pub table_name: Option<String>,
    pub attribute_definitions: Option<Vec<AttributeDefinitionW>>,
    pub key_schema: Option<Vec<KeySchemaElementW>>,
    pub billing_mode: Option<String>,
    pub provisioned_throughput: Option<ThroughputW>,
    pub on_demand_throughput: Option<serde_json::Value>,
    #[serde(rename = "SSESpecification")]
    pub sse_specification: Option<SseSpecificationW>,
    pub global_secondary_indexes: Option<Vec<GlobalSecondaryIndexW>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ImportTableInput {
    pub client_token: Option<String>,
    #[serde(rename = "S3BucketSource")]
    pub s3_bucket_source: Option<S3BucketSourceW>,
    pub input_format: Option<String>,
    pub input_format_options: Option<InputFormatOptionsW>,
    pub input_compression_type: Option<String>,
    pub table_creation_parameters: Option<TableCreationParametersW>,
    /// Ferry's extension, not in AWS's model: `true` imports into the
    /// existing table `TableCreationParameters.TableName` (same key schema)
    /// instead of creating it (`docs/design/import.md`).
    pub ferry_into_existing_table: Option<bool>,
    /// Ferry's extension, not in AWS's model: `true` only checks the source
    /// as the import would read it (`ferry check --endpoint-url`) and
    /// answers the dry run's report; nothing is created or recorded.
    pub ferry_dry_run: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeImportInput {
    pub import_arn: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListImportsInput {
    pub table_arn: Option<String>,
    pub page_size: Option<i64>,
    pub next_token: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ImportTableDescription {
    pub import_arn: String,
    pub import_status: &'static str,
    pub table_arn: String,
    pub table_id: String,
    pub client_token: String,
    #[serde(rename = "S3BucketSource")]
    pub s3_bucket_source: S3BucketSourceW,
    pub error_count: u64,
    pub cloud_watch_log_group_arn: String,
    pub input_format: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input_format_options: Option<InputFormatOptionsW>,
    pub input_compression_type: &'static str,
    pub table_creation_parameters: serde_json::Value,
    pub start_time: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_time: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub processed_size_bytes: Option<u64>,
    pub processed_item_count: u64,
    pub imported_item_count: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_message: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ImportTableOutput {
    pub import_table_description: ImportTableDescription,
}

/// ImportTable's answer: the new import, or (Ferry's `FerryDryRun`) the
/// dry run's report (`ferry_jobs::import::check::dry_run`).
#[derive(Clone, Debug, Serialize)]
#[serde(untagged)]
pub enum ImportTableAnswer {
    Started(Box<ImportTableOutput>),
    DryRun(serde_json::Value),
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ImportSummary {
    pub import_arn: String,
    pub import_status: &'static str,
    pub table_arn: String,
    #[serde(rename = "S3BucketSource")]
    pub s3_bucket_source: S3BucketSourceW,
    pub cloud_watch_log_group_arn: String,
    pub input_format: &'static str,
    pub start_time: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_time: Option<f64>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListImportsOutput {
    pub import_summary_list: Vec<ImportSummary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}
