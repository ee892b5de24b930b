//! The one place where errors meet the wire: a closed [`ErrorCode`] enum
//! gives each error its `__type` namespace and HTTP status through an
//! exhaustive `match`; [`ApiError`] carries a code and DynamoDB's message.
//!
//! Namespaces are the ones real DynamoDB sends: protocol-level errors come
//! from `com.amazon.coral.service`, parameter validation from
//! `com.amazon.coral.validate`, everything DynamoDB-specific from
//! `com.amazonaws.dynamodb.v20120810`. CloudWatch Logs errors carry the bare
//! code (`"__type":"ResourceNotFoundException"`).

use ferry_storage::StorageError;
use http::StatusCode;

/// Every error code Ferry sends. No catch-all: an error that is not mapped on
/// purpose becomes [`ErrorCode::InternalServerError`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    // com.amazon.coral.service
    SerializationException,
    UnknownOperationException,
    MissingAuthenticationTokenException,
    UnrecognizedClientException,
    InvalidSignatureException,
    IncompleteSignatureException,
    AccessDeniedException,
    #[allow(
        dead_code,
        reason = "not sent yet; named by open work (PartiQL batch error codes)"
    )]
    ThrottlingException,
    // com.amazon.coral.validate
    ValidationException,
    // com.amazonaws.dynamodb.v20120810
    ResourceNotFoundException,
    ResourceInUseException,
    ConditionalCheckFailedException,
    LimitExceededException,
    #[allow(
        dead_code,
        reason = "not sent yet; named by open work (PartiQL batch error codes)"
    )]
    ProvisionedThroughputExceededException,
    #[allow(
        dead_code,
        reason = "not sent yet; named by open work (PartiQL batch error codes)"
    )]
    RequestLimitExceeded,
    #[allow(
        dead_code,
        reason = "not sent yet; named by open work (PartiQL batch error codes)"
    )]
    ItemCollectionSizeLimitExceededException,
    #[allow(
        dead_code,
        reason = "not sent yet; named by open work (transaction conflicts, issue 11)"
    )]
    TransactionConflictException,
    TransactionCanceledException,
    TransactionInProgressException,
    IdempotentParameterMismatchException,
    /// PartiQL INSERT of a key that exists.
    DuplicateItemException,
    ImportNotFoundException,
    ImportConflictException,
    ExportNotFoundException,
    ExportConflictException,
    InvalidExportTimeException,
    PointInTimeRecoveryUnavailableException,
    #[allow(dead_code, reason = "not sent yet; named by open work (backups)")]
    ContinuousBackupsUnavailableException,
    TableNotFoundException,
    TableAlreadyExistsException,
    #[allow(dead_code, reason = "not sent yet; named by open work (restores)")]
    TableInUseException,
    InvalidRestoreTimeException,
    BackupNotFoundException,
    BackupInUseException,
    // DynamoDB Streams (same namespace)
    ExpiredIteratorException,
    TrimmedDataAccessException,
    InternalServerError,
    // CloudWatch Logs (bare codes)
    InvalidParameterException,
    // HTTP-level refusals, sent with an empty body (see `ErrorCode::has_body`)
    /// A body over the 16 MB limit (declared, received or decompressed):
    /// HTTP 413 with no body, as DynamoDB answers it.
    RequestEntityTooLarge,
    /// A body not received within the body-read timeout: HTTP 408, no body
    /// (Ferry's choice; the connection is closed after it).
    RequestTimeout,
}

/// The namespace a code is sent under.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Namespace {
    CoralService,
    CoralValidate,
    DynamoDb,
    /// No namespace: the bare code (CloudWatch Logs).
    Bare,
}

impl ErrorCode {
    /// The code's name, as it appears after `#` in `__type`.
    pub fn name(self) -> &'static str {
        match self {
            ErrorCode::SerializationException => "SerializationException",
            ErrorCode::UnknownOperationException => "UnknownOperationException",
            ErrorCode::MissingAuthenticationTokenException => "MissingAuthenticationTokenException",
            ErrorCode::UnrecognizedClientException => "UnrecognizedClientException",
            ErrorCode::InvalidSignatureException => "InvalidSignatureException",
            ErrorCode::IncompleteSignatureException => "IncompleteSignatureException",
            ErrorCode::AccessDeniedException => "AccessDeniedException",
            ErrorCode::ThrottlingException => "ThrottlingException",
            ErrorCode::ValidationException => "ValidationException",
            ErrorCode::ResourceNotFoundException => "ResourceNotFoundException",
            ErrorCode::ResourceInUseException => "ResourceInUseException",
            ErrorCode::ConditionalCheckFailedException => "ConditionalCheckFailedException",
            ErrorCode::LimitExceededException => "LimitExceededException",
            ErrorCode::ProvisionedThroughputExceededException => {
                "ProvisionedThroughputExceededException"
            }
            ErrorCode::RequestLimitExceeded => "RequestLimitExceeded",
            ErrorCode::ItemCollectionSizeLimitExceededException => {
                "ItemCollectionSizeLimitExceededException"
            }
            ErrorCode::TransactionConflictException => "TransactionConflictException",
            ErrorCode::TransactionCanceledException => "TransactionCanceledException",
            ErrorCode::TransactionInProgressException => "TransactionInProgressException",
            ErrorCode::IdempotentParameterMismatchException => {
                "IdempotentParameterMismatchException"
            }
            ErrorCode::DuplicateItemException => "DuplicateItemException",
            ErrorCode::ImportNotFoundException => "ImportNotFoundException",
            ErrorCode::ImportConflictException => "ImportConflictException",
            ErrorCode::ExportNotFoundException => "ExportNotFoundException",
            ErrorCode::ExportConflictException => "ExportConflictException",
            ErrorCode::InvalidExportTimeException => "InvalidExportTimeException",
            ErrorCode::PointInTimeRecoveryUnavailableException => {
                "PointInTimeRecoveryUnavailableException"
            }
            ErrorCode::ContinuousBackupsUnavailableException => {
                "ContinuousBackupsUnavailableException"
            }
            ErrorCode::TableNotFoundException => "TableNotFoundException",
            ErrorCode::TableAlreadyExistsException => "TableAlreadyExistsException",
            ErrorCode::TableInUseException => "TableInUseException",
            ErrorCode::InvalidRestoreTimeException => "InvalidRestoreTimeException",
            ErrorCode::BackupNotFoundException => "BackupNotFoundException",
            ErrorCode::BackupInUseException => "BackupInUseException",
            ErrorCode::ExpiredIteratorException => "ExpiredIteratorException",
            ErrorCode::TrimmedDataAccessException => "TrimmedDataAccessException",
            ErrorCode::InternalServerError => "InternalServerError",
            ErrorCode::InvalidParameterException => "InvalidParameterException",
            ErrorCode::RequestEntityTooLarge => "RequestEntityTooLarge",
            ErrorCode::RequestTimeout => "RequestTimeout",
        }
    }

    /// False for the HTTP-level refusals answered with an empty body.
    pub fn has_body(self) -> bool {
        !matches!(
            self,
            ErrorCode::RequestEntityTooLarge | ErrorCode::RequestTimeout
        )
    }

    fn namespace(self) -> Namespace {
        match self {
            ErrorCode::SerializationException
            | ErrorCode::UnknownOperationException
            | ErrorCode::MissingAuthenticationTokenException
            | ErrorCode::UnrecognizedClientException
            | ErrorCode::InvalidSignatureException
            | ErrorCode::IncompleteSignatureException
            | ErrorCode::AccessDeniedException
            | ErrorCode::ThrottlingException
            | ErrorCode::RequestEntityTooLarge
            | ErrorCode::RequestTimeout => Namespace::CoralService,
            ErrorCode::ValidationException => Namespace::CoralValidate,
            ErrorCode::ResourceNotFoundException
            | ErrorCode::ResourceInUseException
            | ErrorCode::ConditionalCheckFailedException
            | ErrorCode::LimitExceededException
            | ErrorCode::ProvisionedThroughputExceededException
            | ErrorCode::RequestLimitExceeded
            | ErrorCode::ItemCollectionSizeLimitExceededException
            | ErrorCode::TransactionConflictException
            | ErrorCode::TransactionCanceledException
            | ErrorCode::TransactionInProgressException
            | ErrorCode::IdempotentParameterMismatchException
            | ErrorCode::DuplicateItemException
            | ErrorCode::ImportNotFoundException
            | ErrorCode::ImportConflictException
            | ErrorCode::ExportNotFoundException
            | ErrorCode::ExportConflictException
            | ErrorCode::InvalidExportTimeException
            | ErrorCode::PointInTimeRecoveryUnavailableException
            | ErrorCode::ContinuousBackupsUnavailableException
            | ErrorCode::TableNotFoundException
            | ErrorCode::TableAlreadyExistsException
            | ErrorCode::TableInUseException
            | ErrorCode::InvalidRestoreTimeException
            | ErrorCode::BackupNotFoundException
            | ErrorCode::BackupInUseException
            | ErrorCode::ExpiredIteratorException
            | ErrorCode::TrimmedDataAccessException
            | ErrorCode::InternalServerError => Namespace::DynamoDb,
            ErrorCode::InvalidParameterException => Namespace::Bare,
        }
    }

    /// The HTTP status DynamoDB answers this code with.
    pub fn status(self) -> StatusCode {
        match self {
            ErrorCode::InternalServerError => StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::RequestEntityTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            ErrorCode::SerializationException
            | ErrorCode::UnknownOperationException
            | ErrorCode::MissingAuthenticationTokenException
            | ErrorCode::UnrecognizedClientException
            | ErrorCode::InvalidSignatureException
            | ErrorCode::IncompleteSignatureException
            | ErrorCode::AccessDeniedException
            | ErrorCode::ThrottlingException
            | ErrorCode::ValidationException
            | ErrorCode::ResourceNotFoundException
            | ErrorCode::ResourceInUseException
            | ErrorCode::ConditionalCheckFailedException
            | ErrorCode::LimitExceededException
            | ErrorCode::ProvisionedThroughputExceededException
            | ErrorCode::RequestLimitExceeded
            | ErrorCode::ItemCollectionSizeLimitExceededException
            | ErrorCode::TransactionConflictException
            | ErrorCode::TransactionCanceledException
            | ErrorCode::TransactionInProgressException
            | ErrorCode::IdempotentParameterMismatchException
            | ErrorCode::DuplicateItemException
            | ErrorCode::ImportNotFoundException
            | ErrorCode::ImportConflictException
            | ErrorCode::ExportNotFoundException
            | ErrorCode::ExportConflictException
            | ErrorCode::InvalidExportTimeException
            | ErrorCode::PointInTimeRecoveryUnavailableException
            | ErrorCode::ContinuousBackupsUnavailableException
            | ErrorCode::TableNotFoundException
            | ErrorCode::TableAlreadyExistsException
            | ErrorCode::TableInUseException
            | ErrorCode::InvalidRestoreTimeException
            | ErrorCode::BackupNotFoundException
            | ErrorCode::BackupInUseException
            | ErrorCode::ExpiredIteratorException
            | ErrorCode::TrimmedDataAccessException
            | ErrorCode::InvalidParameterException => StatusCode::BAD_REQUEST,
        }
    }

    /// The `__type` value for a DynamoDB response.
    pub fn type_name(self) -> String {
        match self.namespace() {
            Namespace::CoralService => format!("com.amazon.coral.service#{}", self.name()),
            Namespace::CoralValidate => format!("com.amazon.coral.validate#{}", self.name()),
            Namespace::DynamoDb => format!("com.amazonaws.dynamodb.v20120810#{}", self.name()),
            Namespace::Bare => self.name().to_string(),
        }
    }
}

/// An error answer: a code, DynamoDB's message (some codes, like a JSON
/// syntax error's SerializationException, carry none), and optional extra
/// members merged into the error body (ConditionalCheckFailed's `Item`,
/// TransactionCanceled's `CancellationReasons`).
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{}: {}", code.name(), message.as_deref().unwrap_or(""))]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: Option<String>,
    pub extra: Option<serde_json::Map<String, serde_json::Value>>,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError {
            code,
            message: Some(message.into()),
            extra: None,
        }
    }

    /// An error without a message.
    pub fn bare(code: ErrorCode) -> ApiError {
        ApiError {
            code,
            message: None,
            extra: None,
        }
    }

    pub fn validation(message: impl Into<String>) -> ApiError {
        ApiError::new(ErrorCode::ValidationException, message)
    }

    pub fn serialization(message: impl Into<String>) -> ApiError {
        ApiError::new(ErrorCode::SerializationException, message)
    }

    pub fn unknown_operation() -> ApiError {
        ApiError::bare(ErrorCode::UnknownOperationException)
    }

    /// `ResourceNotFoundException: Requested resource not found` (item
    /// operations on a missing or not yet ACTIVE table).
    pub fn resource_not_found() -> ApiError {
        ApiError::new(
            ErrorCode::ResourceNotFoundException,
            "Requested resource not found",
        )
    }

    /// DescribeTable's and DeleteTable's wording.
    pub fn table_not_found(name: &str) -> ApiError {
        ApiError::new(
            ErrorCode::ResourceNotFoundException,
            format!("Requested resource not found: Table: {name} not found"),
        )
    }

    pub fn conditional_check_failed() -> ApiError {
        ApiError::new(
            ErrorCode::ConditionalCheckFailedException,
            "The conditional request failed",
        )
    }

    pub fn internal(message: impl Into<String>) -> ApiError {
        ApiError::new(ErrorCode::InternalServerError, message)
    }

    /// Add one member to the error body.
    #[must_use]
    pub fn with_extra(mut self, key: &str, value: serde_json::Value) -> ApiError {
        self.extra
            .get_or_insert_with(Default::default)
            .insert(key.to_string(), value);
        self
    }

    /// The JSON error body for DynamoDB (`bare_type` false) or CloudWatch
    /// Logs (`bare_type` true: `__type` without namespace).
    pub fn body(&self, bare_type: bool) -> Vec<u8> {
        if !self.code.has_body() {
            return Vec::new();
        }
        let mut map = serde_json::Map::new();
        let ty = if bare_type {
            self.code.name().to_string()
        } else {
            self.code.type_name()
        };
        map.insert("__type".into(), serde_json::Value::String(ty));
        if let Some(message) = &self.message {
            // DynamoDB's serialization layer capitalises the member, and so
            // does TransactionCanceledException's body.
            let key = if matches!(
                self.code,
                ErrorCode::SerializationException | ErrorCode::TransactionCanceledException
            ) {
                "Message"
            } else {
                "message"
            };
            map.insert(key.into(), serde_json::Value::String(message.clone()));
        }
        if let Some(extra) = &self.extra {
            for (k, v) in extra {
                map.insert(k.clone(), v.clone());
            }
        }
        serde_json::to_vec(&serde_json::Value::Object(map)).unwrap_or_default()
    }
}

impl From<StorageError> for ApiError {
    fn from(e: StorageError) -> ApiError {
        match e {
            StorageError::TableNotFound(_) => ApiError::resource_not_found(),
            StorageError::TableExists(name) => ApiError::new(
                ErrorCode::ResourceInUseException,
                format!("Table already exists: {name}"),
            ),
            StorageError::IndexNotFound(name) => ApiError::validation(format!(
                "The table does not have the specified index: {name}"
            )),
            other => {
                tracing::error!(error = %other, "storage failure");
                ApiError::internal("Internal server error")
            }
        }
    }
}

/// A refused PartiQL statement: DynamoDB's ValidationException text.
impl From<ferry_partiql::PartiqlError> for ApiError {
    fn from(e: ferry_partiql::PartiqlError) -> ApiError {
        ApiError::validation(e.message)
    }
}

impl From<ferry_expr::ExprError> for ApiError {
    fn from(e: ferry_expr::ExprError) -> ApiError {
        ApiError::validation(e.message)
    }
}

/// A blocking task panicked or was cancelled.
impl From<tokio::task::JoinError> for ApiError {
    fn from(e: tokio::task::JoinError) -> ApiError {
        tracing::error!(error = %e, "blocking task failed");
        ApiError::internal("Internal server error")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_names_use_dynamodb_namespaces() {
        assert_eq!(
            ErrorCode::ValidationException.type_name(),
            "com.amazon.coral.validate#ValidationException"
        );
        assert_eq!(
            ErrorCode::ResourceNotFoundException.type_name(),
            "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException"
        );
        assert_eq!(
            ErrorCode::UnknownOperationException.type_name(),
            "com.amazon.coral.service#UnknownOperationException"
        );
        assert_eq!(
            ErrorCode::InternalServerError.status(),
            StatusCode::INTERNAL_SERVER_ERROR
        );
        assert_eq!(
            ErrorCode::ConditionalCheckFailedException.status(),
            StatusCode::BAD_REQUEST
        );
    }

    #[test]
    fn bodies() {
        let e = ApiError::table_not_found("t1");
        assert_eq!(
            String::from_utf8(e.body(false)).unwrap(),
            r#"{"__type":"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException","message":"Requested resource not found: Table: t1 not found"}"#
        );
        let e = ApiError::bare(ErrorCode::SerializationException);
        assert_eq!(
            String::from_utf8(e.body(false)).unwrap(),
            r#"{"__type":"com.amazon.coral.service#SerializationException"}"#
        );
        let e = ApiError::new(
            ErrorCode::ResourceNotFoundException,
            "The specified log group does not exist.",
        );
        assert_eq!(
            String::from_utf8(e.body(true)).unwrap(),
            r#"{"__type":"ResourceNotFoundException","message":"The specified log group does not exist."}"#
        );
    }
}
