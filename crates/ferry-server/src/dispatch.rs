//! The one dispatch `match`: each operation to its handler in its family's
//! file, and the handler's typed answer to JSON.

use serde::Serialize;

use crate::errors::ApiError;
use crate::router::{LogsOperation, Operation, StreamsOperation};
use crate::state::AppState;
use crate::{
    account, backups, batch, exports, imports, items, logs, partiql, query, scan, streams, tables,
    tags, transact, ttl, wire,
};

fn json<T: Serialize>(r: Result<T, ApiError>) -> Result<Vec<u8>, ApiError> {
    wire::to_json(&r?)
}

/// Run one DynamoDB operation.
pub async fn dynamodb(state: &AppState, op: Operation, body: &[u8]) -> Result<Vec<u8>, ApiError> {
    match op {
        Operation::CreateTable => json(tables::create_table(state, body).await),
        Operation::DescribeTable => json(tables::describe_table(state, body).await),
        Operation::ListTables => json(tables::list_tables(state, body).await),
        Operation::DeleteTable => json(tables::delete_table(state, body).await),
        Operation::UpdateTable => json(tables::update_table(state, body).await),
        Operation::PutItem => json(items::put_item(state, body).await),
        Operation::GetItem => json(items::get_item(state, body).await),
        Operation::DeleteItem => json(items::delete_item(state, body).await),
        Operation::UpdateItem => json(items::update_item(state, body).await),
        Operation::Query => json(query::query(state, body).await),
        Operation::Scan => json(scan::scan(state, body).await),
        Operation::BatchWriteItem => json(batch::batch_write_item(state, body).await),
        Operation::BatchGetItem => json(batch::batch_get_item(state, body).await),
        Operation::TransactWriteItems => json(transact::transact_write_items(state, body).await),
        Operation::TransactGetItems => json(transact::transact_get_items(state, body).await),
        Operation::ImportTable => json(imports::import_table(state, body).await),
        Operation::DescribeImport => json(imports::describe_import(state, body).await),
        Operation::ListImports => json(imports::list_imports(state, body).await),
        Operation::ExportTableToPointInTime => {
            json(exports::export_table_to_point_in_time(state, body).await)
        }
        Operation::DescribeExport => json(exports::describe_export(state, body).await),
        Operation::ListExports => json(exports::list_exports(state, body).await),
        Operation::UpdateContinuousBackups => {
            json(backups::update_continuous_backups(state, body).await)
        }
        Operation::DescribeContinuousBackups => {
            json(backups::describe_continuous_backups(state, body).await)
        }
        Operation::RestoreTableToPointInTime => {
            json(backups::restore_table_to_point_in_time(state, body).await)
        }
        Operation::CreateBackup => json(backups::create_backup(state, body).await),
        Operation::DescribeBackup => json(backups::describe_backup(state, body).await),
        Operation::ListBackups => json(backups::list_backups(state, body).await),
        Operation::DeleteBackup => json(backups::delete_backup(state, body).await),
        Operation::RestoreTableFromBackup => {
            json(backups::restore_table_from_backup(state, body).await)
        }
        // No output members: DynamoDB sends an empty body.
        Operation::TagResource => tags::tag_resource(state, body).await.map(|()| Vec::new()),
        Operation::UntagResource => tags::untag_resource(state, body).await.map(|()| Vec::new()),
        Operation::ListTagsOfResource => json(tags::list_tags_of_resource(state, body).await),
        Operation::DescribeTimeToLive => json(ttl::describe_time_to_live(state, body).await),
        Operation::UpdateTimeToLive => json(ttl::update_time_to_live(state, body).await),
        Operation::DescribeEndpoints => json(account::describe_endpoints(state, body).await),
        Operation::DescribeLimits => json(account::describe_limits(state, body).await),
        Operation::ExecuteStatement => json(partiql::execute_statement(state, body).await),
        Operation::ExecuteTransaction => json(partiql::execute_transaction(state, body).await),
        Operation::BatchExecuteStatement => {
            json(partiql::batch_execute_statement(state, body).await)
        }
    }
}

/// Run one CloudWatch Logs operation.
pub async fn logs(state: &AppState, op: LogsOperation, body: &[u8]) -> Result<Vec<u8>, ApiError> {
    match op {
        LogsOperation::GetLogEvents => json(logs::get_log_events(state, body).await),
        LogsOperation::FilterLogEvents => json(logs::filter_log_events(state, body).await),
        LogsOperation::DescribeLogStreams => json(logs::describe_log_streams(state, body).await),
        LogsOperation::DescribeLogGroups => json(logs::describe_log_groups(state, body).await),
    }
}

/// Run one DynamoDB Streams operation.
pub async fn streams(
    state: &AppState,
    op: StreamsOperation,
    body: &[u8],
) -> Result<Vec<u8>, ApiError> {
    match op {
        StreamsOperation::ListStreams => json(streams::list_streams(state, body).await),
        StreamsOperation::DescribeStream => json(streams::describe_stream(state, body).await),
        StreamsOperation::GetShardIterator => json(streams::get_shard_iterator(state, body).await),
        StreamsOperation::GetRecords => json(streams::get_records(state, body).await),
    }
}
