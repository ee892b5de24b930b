//! Routing: which service and operation a request is for, decided from its
//! `X-Amz-Target` header alone (parsing is kept apart from handling; see
//! `dispatch.rs` for the one `match` that runs an operation).

/// One DynamoDB operation Ferry answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    CreateTable,
    DescribeTable,
    ListTables,
    DeleteTable,
    UpdateTable,
    PutItem,
    GetItem,
    DeleteItem,
    UpdateItem,
    Query,
    Scan,
    BatchWriteItem,
    BatchGetItem,
    TransactWriteItems,
    TransactGetItems,
    ImportTable,
    DescribeImport,
    ListImports,
    ExportTableToPointInTime,
    DescribeExport,
    ListExports,
    UpdateContinuousBackups,
    DescribeContinuousBackups,
    RestoreTableToPointInTime,
    CreateBackup,
    DescribeBackup,
    ListBackups,
    DeleteBackup,
    RestoreTableFromBackup,
    TagResource,
    UntagResource,
    ListTagsOfResource,
    DescribeTimeToLive,
    UpdateTimeToLive,
    DescribeEndpoints,
    DescribeLimits,
    ExecuteStatement,
    BatchExecuteStatement,
    ExecuteTransaction,
}

impl Operation {
    pub fn parse(name: &str) -> Option<Operation> {
        Some(match name {
            "CreateTable" => Operation::CreateTable,
            "DescribeTable" => Operation::DescribeTable,
            "ListTables" => Operation::ListTables,
            "DeleteTable" => Operation::DeleteTable,
            "UpdateTable" => Operation::UpdateTable,
            "PutItem" => Operation::PutItem,
            "GetItem" => Operation::GetItem,
            "DeleteItem" => Operation::DeleteItem,
            "UpdateItem" => Operation::UpdateItem,
            "Query" => Operation::Query,
            "Scan" => Operation::Scan,
            "BatchWriteItem" => Operation::BatchWriteItem,
            "BatchGetItem" => Operation::BatchGetItem,
            "TransactWriteItems" => Operation::TransactWriteItems,
            "TransactGetItems" => Operation::TransactGetItems,
            "ImportTable" => Operation::ImportTable,
            "DescribeImport" => Operation::DescribeImport,
            "ListImports" => Operation::ListImports,
            "ExportTableToPointInTime" => Operation::ExportTableToPointInTime,
            "DescribeExport" => Operation::DescribeExport,
            "ListExports" => Operation::ListExports,
            "UpdateContinuousBackups" => Operation::UpdateContinuousBackups,
            "DescribeContinuousBackups" => Operation::DescribeContinuousBackups,
            "RestoreTableToPointInTime" => Operation::RestoreTableToPointInTime,
            "CreateBackup" => Operation::CreateBackup,
            "DescribeBackup" => Operation::DescribeBackup,
            "ListBackups" => Operation::ListBackups,
            "DeleteBackup" => Operation::DeleteBackup,
            "RestoreTableFromBackup" => Operation::RestoreTableFromBackup,
            "TagResource" => Operation::TagResource,
            "UntagResource" => Operation::UntagResource,
            "ListTagsOfResource" => Operation::ListTagsOfResource,
            "DescribeTimeToLive" => Operation::DescribeTimeToLive,
            "UpdateTimeToLive" => Operation::UpdateTimeToLive,
            "DescribeEndpoints" => Operation::DescribeEndpoints,
            "DescribeLimits" => Operation::DescribeLimits,
            "ExecuteStatement" => Operation::ExecuteStatement,
            "BatchExecuteStatement" => Operation::BatchExecuteStatement,
            "ExecuteTransaction" => Operation::ExecuteTransaction,
            _ => return None,
        })
    }
}

/// One CloudWatch Logs operation Ferry answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogsOperation {
    GetLogEvents,
    FilterLogEvents,
    DescribeLogStreams,
    DescribeLogGroups,
}

impl LogsOperation {
    pub fn parse(name: &str) -> Option<LogsOperation> {
        Some(match name {
            "GetLogEvents" => LogsOperation::GetLogEvents,
            "FilterLogEvents" => LogsOperation::FilterLogEvents,
            "DescribeLogStreams" => LogsOperation::DescribeLogStreams,
            "DescribeLogGroups" => LogsOperation::DescribeLogGroups,
            _ => return None,
        })
    }
}

/// One DynamoDB Streams operation Ferry answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StreamsOperation {
    ListStreams,
    DescribeStream,
    GetShardIterator,
    GetRecords,
}

impl StreamsOperation {
    pub fn parse(name: &str) -> Option<StreamsOperation> {
        Some(match name {
            "ListStreams" => StreamsOperation::ListStreams,
            "DescribeStream" => StreamsOperation::DescribeStream,
            "GetShardIterator" => StreamsOperation::GetShardIterator,
            "GetRecords" => StreamsOperation::GetRecords,
            _ => return None,
        })
    }
}

/// Where a request goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    DynamoDb(Operation),
    /// `DynamoDB_20120810.<something we do not implement>`.
    DynamoDbUnknown,
    Logs(LogsOperation),
    LogsUnknown,
    Streams(StreamsOperation),
    /// `DynamoDBStreams_20120810.<something we do not implement>`.
    StreamsUnknown,
    /// `FerryTest.AdvanceClock` (only honoured with `Config::test_clock`).
    AdvanceClock,
    /// An `X-Amz-Target` of no service of ours.
    UnknownTarget,
    /// No `X-Amz-Target` header: S3.
    S3,
}

pub const DYNAMODB_PREFIX: &str = "DynamoDB_20120810";
pub const LOGS_PREFIX: &str = "Logs_20140328";
pub const STREAMS_PREFIX: &str = "DynamoDBStreams_20120810";

/// Route on the `X-Amz-Target` header (absent: S3).
pub fn route(target: Option<&str>) -> Route {
    let Some(target) = target else {
        return Route::S3;
    };
    let Some((service, op)) = target.split_once('.') else {
        return Route::UnknownTarget;
    };
    match service {
        DYNAMODB_PREFIX => Operation::parse(op).map_or(Route::DynamoDbUnknown, Route::DynamoDb),
        LOGS_PREFIX => LogsOperation::parse(op).map_or(Route::LogsUnknown, Route::Logs),
        STREAMS_PREFIX => StreamsOperation::parse(op).map_or(Route::StreamsUnknown, Route::Streams),
        "FerryTest" if op == "AdvanceClock" => Route::AdvanceClock,
        _ => Route::UnknownTarget,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        assert_eq!(route(None), Route::S3);
        assert_eq!(
            route(Some("DynamoDB_20120810.PutItem")),
            Route::DynamoDb(Operation::PutItem)
        );
        assert_eq!(
            route(Some("DynamoDB_20120810.UpdateTimeToLive")),
            Route::DynamoDb(Operation::UpdateTimeToLive)
        );
        assert_eq!(
            route(Some("DynamoDB_20120810.TransactGetItems")),
            Route::DynamoDb(Operation::TransactGetItems)
        );
        assert_eq!(
            route(Some("DynamoDB_20120810.ExecuteTransaction")),
            Route::DynamoDb(Operation::ExecuteTransaction)
        );
        assert_eq!(
            route(Some("DynamoDB_20120810.NoSuchOperation")),
            Route::DynamoDbUnknown
        );
        assert_eq!(route(Some("DynamoDB_20120810")), Route::UnknownTarget);
        assert_eq!(
            route(Some("Logs_20140328.GetLogEvents")),
            Route::Logs(LogsOperation::GetLogEvents)
        );
        assert_eq!(
            route(Some("Logs_20140328.PutLogEvents")),
            Route::LogsUnknown
        );
        assert_eq!(
            route(Some("DynamoDBStreams_20120810.GetRecords")),
            Route::Streams(StreamsOperation::GetRecords)
        );
        assert_eq!(
            route(Some("DynamoDBStreams_20120810.ListShards")),
            Route::StreamsUnknown
        );
        assert_eq!(route(Some("FerryTest.AdvanceClock")), Route::AdvanceClock);
        assert_eq!(
            route(Some("Kinesis_20131202.PutRecord")),
            Route::UnknownTarget
        );
    }
}
