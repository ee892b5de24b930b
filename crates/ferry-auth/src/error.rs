//! The errors a DynamoDB or CloudWatch Logs request's SigV4 check can end in,
//! worded as the real services word them (DynamoDB's messages, checked against
//! dynalite's record of them).

/// Why a JSON-protocol (DynamoDB / Logs) request was refused.
///
/// [`AuthError::code`], [`AuthError::message`] and [`AuthError::status`] are
/// what goes on the wire; the server puts `code` in `__type` (DynamoDB itself
/// prefixes `com.amazon.coral.service#`, see [`AuthError::qualified_type`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No `Authorization` header (or one not starting with `AWS4-`) and no
    /// presigned query parameters.
    #[error("request is missing an authentication token")]
    MissingAuthenticationToken,
    /// The `Authorization` header or the presigned query lacks a part, or a
    /// part cannot be parsed. The message is the full wire message.
    #[error("incomplete signature: {0}")]
    IncompleteSignature(String),
    /// The access key id is not one of the configured credentials.
    #[error("unrecognized access key id")]
    UnrecognizedClient,
    /// The signature is wrong, expired, not yet valid, or its scope is wrong.
    /// The message is the full wire message.
    #[error("invalid signature: {0}")]
    InvalidSignature(String),
}

/// DynamoDB's message for a signature that does not match.
pub const SIGNATURE_MISMATCH_MESSAGE: &str = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

/// DynamoDB's message for an unknown access key id.
pub const UNRECOGNIZED_CLIENT_MESSAGE: &str =
    "The security token included in the request is invalid.";

/// The refusal of a presigned request whose `X-Amz-Expires` is over seven
/// days. This is S3's wording (`AuthorizationQueryParametersError`); what
/// DynamoDB itself says is not documented, so Ferry's JSON services send
/// S3's sentence as an `IncompleteSignatureException` (a chosen mapping).
pub const EXPIRES_TOO_LONG_MESSAGE: &str = "X-Amz-Expires must be less than a week (in seconds) that is, the given X-Amz-Expires must be less than 604800 seconds";

/// DynamoDB's message for an unsigned request.
pub const MISSING_TOKEN_MESSAGE: &str = "Request is missing Authentication Token";

impl AuthError {
    /// The error code (`__type` without namespace), e.g. `UnrecognizedClientException`.
    pub fn code(&self) -> &'static str {
        match self {
            AuthError::MissingAuthenticationToken => "MissingAuthenticationTokenException",
            AuthError::IncompleteSignature(_) => "IncompleteSignatureException",
            AuthError::UnrecognizedClient => "UnrecognizedClientException",
            AuthError::InvalidSignature(_) => "InvalidSignatureException",
        }
    }

    /// `com.amazon.coral.service#<code>`, the `__type` real DynamoDB sends.
    pub fn qualified_type(&self) -> String {
        format!("com.amazon.coral.service#{}", self.code())
    }

    /// The wire message.
    pub fn message(&self) -> &str {
        match self {
            AuthError::MissingAuthenticationToken => MISSING_TOKEN_MESSAGE,
            AuthError::IncompleteSignature(m) | AuthError::InvalidSignature(m) => m,
            AuthError::UnrecognizedClient => UNRECOGNIZED_CLIENT_MESSAGE,
        }
    }

    /// HTTP status: DynamoDB answers every authentication failure with 400.
    pub fn status(&self) -> u16 {
        match self {
            AuthError::MissingAuthenticationToken
            | AuthError::IncompleteSignature(_)
            | AuthError::UnrecognizedClient
            | AuthError::InvalidSignature(_) => 400,
        }
    }
}

/// A credentials file could not be read or parsed.
#[derive(Debug, thiserror::Error)]
pub enum CredentialsFileError {
    #[error("cannot read credentials file {path}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("credentials file line {line}: {reason}")]
    Parse { line: usize, reason: String },
}
