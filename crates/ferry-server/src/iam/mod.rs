//! Authorization with the IAM file (`Config::iam`): each verified request
//! carries its [`Caller`] (the user its access key belongs to and the peer
//! address), every operation maps to IAM actions on resource ARNs
//! (`actions.rs`), and [`authorize`] runs AWS's evaluation (`ferry-iam`)
//! before the handler, so a refused request changes nothing.
//!
//! Refusals are `AccessDeniedException` (HTTP 400) with AWS's sentence:
//! `User: <arn> is not authorized to perform: <action> on resource: <arn>
//! because no identity-based policy allows the <action> action` (or `with an
//! explicit deny in an identity-based policy`, …).
//!
//! Without an IAM file nothing here runs: requests carry no caller.

mod actions;

use std::net::IpAddr;
use std::sync::Arc;

use ferry_iam::{Decision, Request, ResourceSide};

use crate::errors::{ApiError, ErrorCode};
use crate::router::Route;
use crate::state::AppState;

pub use actions::Check;

/// The principal of a verified request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: Arc<ferry_iam::User>,
    /// The peer address (`aws:SourceIp`), IPv4-mapped addresses as IPv4.
    pub source_ip: Option<IpAddr>,
}

pub use ferry_iam::PeerAddr;

impl Caller {
    /// The caller of a request signed with `access_key`, when an IAM file is
    /// loaded and the key is one of its users'.
    pub fn resolve(state: &AppState, access_key: &str, peer: Option<PeerAddr>) -> Option<Caller> {
        let user = state.config.iam.as_ref()?.user_for_key(access_key)?.clone();
        Some(Caller {
            user,
            source_ip: peer.map(PeerAddr::source_ip),
        })
    }
}

/// The account a resource ARN names (`arn:aws:<svc>:<region>:<account>:…`).
fn arn_account(arn: &str) -> Option<&str> {
    let mut parts = arn.splitn(6, ':');
    match (parts.next(), parts.nth(3)) {
        (Some("arn"), Some(account)) if !account.is_empty() => Some(account),
        _ => None,
    }
}

/// Checks one authorization for `caller`; the refusal is AWS's.
pub fn check(caller: &Caller, c: &Check) -> Result<(), ApiError> {
    let mut ctx = caller.user.context(caller.source_ip);
    if let Some(keys) = &c.leading_keys {
        ctx.set_many("dynamodb:LeadingKeys", keys.iter().cloned());
    }
    if let Some(attrs) = &c.attributes {
        ctx.set_many("dynamodb:Attributes", attrs.iter().cloned());
    }
    for (k, v) in &c.extra {
        ctx.set(k, v.clone());
    }
    let req = Request {
        caller: ferry_iam::Caller {
            account: &caller.user.account,
            arn: &caller.user.arn,
        },
        action: &c.action,
        resource: &c.resource,
        context: &ctx,
    };
    let side = ResourceSide {
        owner: arn_account(&c.resource).unwrap_or(&caller.user.account),
        policy: None,
    };
    match ferry_iam::evaluate(&caller.user.policies, side, &req) {
        Decision::Allow => Ok(()),
        Decision::Deny(reason) => Err(ApiError::new(
            ErrorCode::AccessDeniedException,
            ferry_iam::denial_message(&req, reason),
        )),
    }
}

/// Authorizes a JSON-protocol request (DynamoDB, Streams, Logs) before its
/// handler runs. No caller (no IAM file): nothing to check.
pub fn authorize(state: &AppState, route: Route, body: &[u8]) -> Result<(), ApiError> {
    let Some(caller) = state.caller() else {
        // With an IAM file every verified key is a user's, so a request
        // without a caller cannot happen; refuse rather than run it unchecked.
        return match state.config.iam {
            Some(_) => Err(ApiError::new(
                ErrorCode::AccessDeniedException,
                "Access is denied",
            )),
            None => Ok(()),
        };
    };
    let checks = match route {
        Route::DynamoDb(op) => actions::dynamodb(state, op, body),
        Route::Streams(op) => actions::streams(state, op, body),
        Route::Logs(op) => actions::logs(state, op, body),
        Route::DynamoDbUnknown
        | Route::LogsUnknown
        | Route::StreamsUnknown
        | Route::AdvanceClock
        | Route::UnknownTarget
        | Route::S3 => Vec::new(),
    };
    checks.iter().try_for_each(|c| check(&caller, c))
}
