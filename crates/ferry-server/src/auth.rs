//! Request authentication for the JSON services (DynamoDB and CloudWatch
//! Logs): with `Config::credentials` set, every request must carry a valid
//! SigV4 signature (ferry-auth's verifier) or gets the error DynamoDB sends
//! (`MissingAuthenticationTokenException`, `IncompleteSignatureException`,
//! `UnrecognizedClientException`, `InvalidSignatureException`, all 400).
//! With no credentials every request is accepted, signed or not. With an
//! IAM file the keys are its users', and a verified request names its caller. The checks
//! that need no body run before the body is read ([`precheck`]).

use std::time::SystemTime;

use ferry_auth::AuthError;

use crate::errors::{ApiError, ErrorCode};
use crate::iam::{Caller, PeerAddr};
use crate::state::AppState;

fn code(e: &AuthError) -> ErrorCode {
    match e {
        AuthError::MissingAuthenticationToken => ErrorCode::MissingAuthenticationTokenException,
        AuthError::IncompleteSignature(_) => ErrorCode::IncompleteSignatureException,
        AuthError::UnrecognizedClient => ErrorCode::UnrecognizedClientException,
        AuthError::InvalidSignature(_) => ErrorCode::InvalidSignatureException,
    }
}

/// The checks that need no body (signature shape, time, scope, known key),
/// made before a body is read.
pub fn precheck(state: &AppState, parts: &http::request::Parts) -> Result<(), ApiError> {
    state
        .credentials
        .precheck(parts, SystemTime::now())
        .map_err(|e| ApiError::new(code(&e), e.message()))
}

/// Accept or refuse one request; with an IAM file, an accepted request's
/// caller (the user its access key belongs to).
pub fn verify(
    state: &AppState,
    parts: &http::request::Parts,
    body: &[u8],
) -> Result<Option<Caller>, ApiError> {
    if state.credentials.is_open() {
        return Ok(None);
    }
    match state.credentials.verify(parts, body, SystemTime::now()) {
        Ok(principal) => Ok(principal.and_then(|p| {
            Caller::resolve(
                state,
                &p.access_key,
                parts.extensions.get::<PeerAddr>().copied(),
            )
        })),
        Err(e) => Err(ApiError::new(code(&e), e.message())),
    }
}
