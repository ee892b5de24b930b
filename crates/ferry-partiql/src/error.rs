//! [`PartiqlError`]: DynamoDB's ValidationException text for a statement it
//! refuses, and where in the statement the problem was found.

/// DynamoDB's prefix for a statement its parser cannot read.
pub const MALFORMED: &str = "Statement wasn't well formed, can't be processed: ";

/// A statement refused with DynamoDB's message. The server sends `message`
/// unchanged (a ValidationException); `at` (a byte offset into the
/// statement) is for golden tests and logs: DynamoDB's messages carry no
/// position.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct PartiqlError {
    pub message: String,
    pub at: Option<usize>,
}

impl PartiqlError {
    /// A message of its own (no envelope), with no position.
    pub fn new(message: impl Into<String>) -> PartiqlError {
        PartiqlError {
            message: message.into(),
            at: None,
        }
    }

    /// "Statement wasn't well formed, can't be processed: <detail>".
    pub(crate) fn malformed(detail: &str, at: usize) -> PartiqlError {
        PartiqlError {
            message: format!("{MALFORMED}{detail}"),
            at: Some(at),
        }
    }

    /// A message of its own at a position.
    pub(crate) fn at(message: impl Into<String>, at: usize) -> PartiqlError {
        PartiqlError {
            message: message.into(),
            at: Some(at),
        }
    }

    /// `line:column` (1-based) of the position in `statement`, if any.
    #[must_use]
    pub fn position(&self, statement: &str) -> Option<(usize, usize)> {
        let at = self.at?.min(statement.len());
        let before = statement.get(..at)?;
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        Some((line, col))
    }
}

impl From<ferry_expr::ExprError> for PartiqlError {
    fn from(e: ferry_expr::ExprError) -> PartiqlError {
        PartiqlError::new(e.message)
    }
}
