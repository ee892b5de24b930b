//! `ExprError` and the DynamoDB message texts it carries.
//!
//! Every message here is the text real DynamoDB puts in its
//! ValidationException. Sources: dynalite's validations and parsers (tested
//! against real DynamoDB), DynamoDB Local's `ErrorFactory`, moto's
//! AWS-verified tests and AWS's own expression grammar (the DAX client's
//! `DynamoDbGrammar.g4`). Where a text is an educated guess the function says
//! so.

/// An expression error; `message` is DynamoDB's ValidationException text.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ExprError {
    pub message: String,
}

impl ExprError {
    /// An error with exactly this message.
    pub fn new(message: impl Into<String>) -> Self {
        ExprError {
            message: message.into(),
        }
    }

    /// `Invalid <kind>: <detail>`, the shape of every parse and validation
    /// error about one expression parameter.
    pub(crate) fn invalid(kind: &str, detail: impl AsRef<str>) -> Self {
        ExprError::new(format!("Invalid {kind}: {}", detail.as_ref()))
    }
}

/// The messages that do not name the expression parameter: evaluation-time
/// errors of UpdateExpression and the key-condition schema checks.
pub(crate) mod msg {
    pub const ATTRIBUTE_NOT_FOUND: &str =
        "The provided expression refers to an attribute that does not exist in the item";
    pub const PATH_INVALID_FOR_UPDATE: &str =
        "The document path provided in the update expression is invalid for update";
    pub const UPDATE_TYPE_MISMATCH: &str =
        "An operand in the update expression has an incorrect data type";
    pub const KEY_CONDITION_NOT_SUPPORTED: &str = "Query key condition not supported";
    pub const KEY_TYPE_MISMATCH: &str = "One or more parameter values were invalid: Condition parameter type does not match schema type";
    pub const CONDITIONS_LENGTH: &str = "Conditions can be of length 1 or 2 only";
}
