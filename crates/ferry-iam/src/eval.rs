//! AWS's policy evaluation logic, for one request (principal, action,
//! resource, condition keys) against the caller's identity-based policies and
//! the resource's resource-based policy:
//!
//! 1. an explicit `Deny` that applies, in any policy, denies;
//! 2. within one account, an `Allow` in the identity policies, or in the
//!    resource policy naming the caller directly (its ARN or `*`), allows;
//! 3. across accounts, the identity policies AND the resource policy (naming
//!    the caller, its account or `*`) must both allow;
//! 4. otherwise the request is implicitly denied.
//!
//! The [`Decision`] keeps which of these refused, for AWS's messages
//! ("because no identity-based policy allows the … action", "with an
//! explicit deny in an identity-based policy", …).

use crate::condition::Context;
use crate::policy::{Effect, Patterns, Policy, PrincipalMatch, Statement};
use crate::wildcard;

/// Who is asking.
#[derive(Debug, Clone, Copy)]
pub struct Caller<'a> {
    /// The 12-digit account id.
    pub account: &'a str,
    /// `arn:aws:iam::<account>:user/<name>`.
    pub arn: &'a str,
}

/// What is asked: an action (`dynamodb:PutItem`) on a resource ARN.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub caller: Caller<'a>,
    pub action: &'a str,
    pub resource: &'a str,
    pub context: &'a Context,
}

/// The resource's side: its owner account and its resource-based policy.
#[derive(Debug, Clone, Copy)]
pub struct ResourceSide<'a> {
    pub owner: &'a str,
    pub policy: Option<&'a Policy>,
}

/// Why a request was refused (the clause of AWS's message).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DenyReason {
    ExplicitDenyIdentity,
    ExplicitDenyResource,
    NoIdentityAllow,
    NoResourceAllow,
}

impl DenyReason {
    /// The end of AWS's `... is not authorized to perform: <action> on
    /// resource: <arn>` sentence.
    pub fn clause(self, action: &str) -> String {
        match self {
            DenyReason::ExplicitDenyIdentity => {
                "with an explicit deny in an identity-based policy".to_string()
            }
            DenyReason::ExplicitDenyResource => {
                "with an explicit deny in a resource-based policy".to_string()
            }
            DenyReason::NoIdentityAllow => {
                format!("because no identity-based policy allows the {action} action")
            }
            DenyReason::NoResourceAllow => {
                format!("because no resource-based policy allows the {action} action")
            }
        }
    }
}

/// The outcome of [`evaluate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    Deny(DenyReason),
}

impl Decision {
    pub fn is_allow(self) -> bool {
        self == Decision::Allow
    }
}

/// AWS's full refusal sentence, as DynamoDB and the other JSON services send
/// it: `User: <arn> is not authorized to perform: <action> on resource:
/// <resource> <clause>`.
pub fn denial_message(req: &Request<'_>, reason: DenyReason) -> String {
    format!(
        "User: {} is not authorized to perform: {} on resource: {} {}",
        req.caller.arn,
        req.action,
        req.resource,
        reason.clause(req.action)
    )
}

/// Does `statement` apply to `req` (action, resource, conditions; the
/// principal is checked by the caller)?
pub fn statement_applies(statement: &Statement, req: &Request<'_>) -> bool {
    let action_hit = |p: &String| wildcard::matches(p, req.action, true);
    let resource_hit = |p: &String| {
        req.context
            .substitute(p)
            .is_some_and(|p| wildcard::matches(&p, req.resource, false))
    };
    let action_ok = match &statement.actions {
        Patterns::Is(list) => list.iter().any(action_hit),
        Patterns::Not(list) => !list.iter().any(action_hit),
    };
    let resource_ok = match &statement.resources {
        Patterns::Is(list) => list.iter().any(resource_hit),
        Patterns::Not(list) => !list.iter().any(resource_hit),
    };
    action_ok && resource_ok && statement.conditions.iter().all(|c| c.holds(req.context))
}

/// The effects of the statements of `policies` that apply: (any allow, any deny).
fn identity_effects(policies: &[Policy], req: &Request<'_>) -> (bool, bool) {
    let (mut allow, mut deny) = (false, false);
    for s in policies.iter().flat_map(|p| &p.statements) {
        if statement_applies(s, req) {
            match s.effect {
                Effect::Allow => allow = true,
                Effect::Deny => deny = true,
            }
        }
    }
    (allow, deny)
}

/// The strongest principal match of an applying `Allow`, and whether an
/// applying `Deny` names the caller, in a resource-based policy.
fn resource_effects(policy: &Policy, req: &Request<'_>) -> (PrincipalMatch, bool) {
    let (mut allow, mut deny) = (PrincipalMatch::No, false);
    for s in &policy.statements {
        let named = s.principals.as_ref().map_or(PrincipalMatch::No, |p| {
            p.matches(req.caller.account, req.caller.arn)
        });
        if named == PrincipalMatch::No || !statement_applies(s, req) {
            continue;
        }
        match s.effect {
            Effect::Allow => allow = allow.max(named),
            Effect::Deny => deny = true,
        }
    }
    (allow, deny)
}

/// AWS's decision for `req` (see the module doc).
pub fn evaluate(identity: &[Policy], resource: ResourceSide<'_>, req: &Request<'_>) -> Decision {
    let (id_allow, id_deny) = identity_effects(identity, req);
    let (res_allow, res_deny) = resource
        .policy
        .map_or((PrincipalMatch::No, false), |p| resource_effects(p, req));
    if id_deny {
        return Decision::Deny(DenyReason::ExplicitDenyIdentity);
    }
    if res_deny {
        return Decision::Deny(DenyReason::ExplicitDenyResource);
    }
    if resource.owner == req.caller.account {
        if id_allow || res_allow == PrincipalMatch::Direct {
            Decision::Allow
        } else {
            Decision::Deny(DenyReason::NoIdentityAllow)
        }
    } else if !id_allow {
        Decision::Deny(DenyReason::NoIdentityAllow)
    } else if res_allow == PrincipalMatch::No {
        Decision::Deny(DenyReason::NoResourceAllow)
    } else {
        Decision::Allow
    }
}
