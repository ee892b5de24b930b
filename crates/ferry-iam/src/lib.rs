//! Ferry's identities and AWS's policy language.
//!
//! - [`Iam`] (`file.rs`): the IAM file of accounts, users, access keys and
//!   identity-based policies, checked at startup.
//! - [`Policy`] (`policy.rs`): a checked policy document (identity- or
//!   resource-based), with `condition.rs` for the `Condition` element and
//!   `wildcard.rs` for `*`/`?` patterns.
//! - [`evaluate`] (`eval.rs`): AWS's evaluation logic, returning a
//!   [`Decision`] that keeps the reason AWS's refusal messages name.
//!
//! This crate knows nothing of HTTP, DynamoDB or S3 wire formats: callers
//! name the action, the resource ARN and the condition keys of a request.
// Input reaches this crate: a panic is never the answer to bad input.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod condition;
mod eval;
mod file;
mod policy;
mod wildcard;

pub use condition::{Compare, Condition, Context, SetQualifier};
pub use eval::{
    Caller, Decision, DenyReason, Request, ResourceSide, denial_message, evaluate,
    statement_applies,
};
pub use file::{Iam, IamFileError, PeerAddr, User, is_account_id};
pub use policy::{
    Effect, Patterns, Policy, PolicyError, PolicyKind, PrincipalMatch, PrincipalPattern,
    Principals, Statement,
};
pub use wildcard::matches as wildcard_matches;

#[cfg(test)]
mod model_tests;
#[cfg(test)]
mod tests;
