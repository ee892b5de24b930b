//! A property test of [`evaluate`] against a small reference model of AWS's
//! evaluation logic: random identity and bucket policies (rendered to JSON
//! and parsed like any policy), random requests, the same decision.
//!
//! The model matches wildcards by plain recursion (the crate uses a greedy
//! linear match) and decides by AWS's flowchart read directly: any applying
//! deny, then same-account "either side", then cross-account "both sides".

use proptest::prelude::*;

use crate::*;

const CALLER_ACCOUNT: &str = "111122223333";
const OTHER_ACCOUNT: &str = "444455556666";
const CALLER_ARN: &str = "arn:aws:iam::111122223333:user/Dave";
const ACTIONS: &[&str] = &[
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "s3:GetObject",
    "s3:PutObject",
];
const ACTION_PATTERNS: &[&str] = &[
    "*",
    "dynamodb:*",
    "s3:*",
    "dynamodb:GetItem",
    "DYNAMODB:getitem",
    "dynamodb:?utItem",
    "s3:Get*",
    "s3:PutObject",
    "*:*Object",
];
const RESOURCES: &[&str] = &[
    "arn:aws:s3:::a/k",
    "arn:aws:s3:::b/k",
    "arn:aws:dynamodb:r:111122223333:table/t",
];
const RESOURCE_PATTERNS: &[&str] = &[
    "*",
    "arn:aws:s3:::a/*",
    "arn:aws:s3:::?/k",
    "arn:aws:dynamodb:*:*:table/t",
    "arn:aws:s3:::b/k",
    "arn:aws:S3:::b/k",
];
/// (JSON of the principal, how strongly it names Dave: 0 no, 1 account, 2 directly).
const PRINCIPALS: &[(&str, u8)] = &[
    (r#""*""#, 2),
    (r#"{"AWS":"*"}"#, 2),
    (r#"{"AWS":"111122223333"}"#, 1),
    (r#"{"AWS":"arn:aws:iam::111122223333:root"}"#, 1),
    (r#"{"AWS":"444455556666"}"#, 0),
    (r#"{"AWS":"arn:aws:iam::111122223333:user/Dave"}"#, 2),
    (
        r#"{"AWS":["arn:aws:iam::111122223333:user/Ann","arn:aws:iam::444455556666:root"]}"#,
        0,
    ),
];

#[derive(Debug, Clone)]
struct MStatement {
    allow: bool,
    not_action: bool,
    actions: Vec<usize>,
    not_resource: bool,
    resources: Vec<usize>,
    /// (negated, value) of a `StringEquals` / `StringNotEquals` on key `k`.
    condition: Option<(bool, &'static str)>,
    principal: usize,
}

fn statement() -> impl Strategy<Value = MStatement> {
    (
        any::<bool>(),
        any::<bool>(),
        prop::collection::vec(0..ACTION_PATTERNS.len(), 1..3),
        prop::bool::weighted(0.2),
        prop::collection::vec(0..RESOURCE_PATTERNS.len(), 1..3),
        prop::option::of((any::<bool>(), prop::sample::select(vec!["x", "y"]))),
        0..PRINCIPALS.len(),
    )
        .prop_map(
            |(allow, not_action, actions, not_resource, resources, condition, principal)| {
                MStatement {
                    allow: allow || !not_action, // keep Allow common
                    not_action: not_action && allow,
                    actions,
                    not_resource,
                    resources,
                    condition,
                    principal,
                }
            },
        )
}

fn render(statements: &[MStatement], with_principal: bool) -> String {
    let list: Vec<String> = statements
        .iter()
        .map(|s| {
            let quote = |xs: &[usize], from: &[&str]| {
                let v: Vec<String> = xs.iter().map(|&i| format!("\"{}\"", from[i])).collect();
                format!("[{}]", v.join(","))
            };
            let mut parts = vec![format!(
                "\"Effect\":\"{}\"",
                if s.allow { "Allow" } else { "Deny" }
            )];
            parts.push(format!(
                "\"{}\":{}",
                if s.not_action { "NotAction" } else { "Action" },
                quote(&s.actions, ACTION_PATTERNS)
            ));
            parts.push(format!(
                "\"{}\":{}",
                if s.not_resource {
                    "NotResource"
                } else {
                    "Resource"
                },
                quote(&s.resources, RESOURCE_PATTERNS)
            ));
            if let Some((negated, v)) = s.condition {
                let op = if negated {
                    "StringNotEquals"
                } else {
                    "StringEquals"
                };
                parts.push(format!("\"Condition\":{{\"{op}\":{{\"k\":\"{v}\"}}}}"));
            }
            if with_principal {
                parts.push(format!("\"Principal\":{}", PRINCIPALS[s.principal].0));
            }
            format!("{{{}}}", parts.join(","))
        })
        .collect();
    format!(
        "{{\"Version\":\"2012-10-17\",\"Statement\":[{}]}}",
        list.join(",")
    )
}

fn glob(p: &[char], t: &[char], ignore_case: bool) -> bool {
    match p.split_first() {
        None => t.is_empty(),
        Some(('*', rest)) => {
            glob(rest, t, ignore_case) || (!t.is_empty() && glob(p, &t[1..], ignore_case))
        }
        Some(('?', rest)) => !t.is_empty() && glob(rest, &t[1..], ignore_case),
        Some((c, rest)) => {
            !t.is_empty()
                && (if ignore_case {
                    c.eq_ignore_ascii_case(&t[0])
                } else {
                    *c == t[0]
                })
                && glob(rest, &t[1..], ignore_case)
        }
    }
}

fn model_glob(p: &str, t: &str, ignore_case: bool) -> bool {
    let p: Vec<char> = p.chars().collect();
    let t: Vec<char> = t.chars().collect();
    glob(&p, &t, ignore_case)
}

fn model_applies(s: &MStatement, action: &str, resource: &str, k: Option<&str>) -> bool {
    let a = s
        .actions
        .iter()
        .any(|&i| model_glob(ACTION_PATTERNS[i], action, true))
        != s.not_action;
    let r = s
        .resources
        .iter()
        .any(|&i| model_glob(RESOURCE_PATTERNS[i], resource, false))
        != s.not_resource;
    let c = match (s.condition, k) {
        (None, _) => true,
        (Some((negated, _)), None) => negated,
        (Some((negated, v)), Some(x)) => (x == v) != negated,
    };
    a && r && c
}

fn model(
    identity: &[MStatement],
    bucket: Option<&[MStatement]>,
    same_account: bool,
    action: &str,
    resource: &str,
    k: Option<&str>,
) -> Decision {
    let applying = |list: &[MStatement], allow: bool| -> Vec<u8> {
        list.iter()
            .filter(|s| s.allow == allow && model_applies(s, action, resource, k))
            .map(|s| PRINCIPALS[s.principal].1)
            .collect()
    };
    let bucket = bucket.unwrap_or(&[]);
    if !applying(identity, false).is_empty() {
        return Decision::Deny(DenyReason::ExplicitDenyIdentity);
    }
    if applying(bucket, false).iter().any(|&n| n > 0) {
        return Decision::Deny(DenyReason::ExplicitDenyResource);
    }
    let id_allow = !applying(identity, true).is_empty();
    let res_allow = applying(bucket, true).into_iter().max().unwrap_or(0);
    match (same_account, id_allow, res_allow) {
        (true, true, _) | (true, _, 2) => Decision::Allow,
        (true, _, _) => Decision::Deny(DenyReason::NoIdentityAllow),
        (false, false, _) => Decision::Deny(DenyReason::NoIdentityAllow),
        (false, true, 0) => Decision::Deny(DenyReason::NoResourceAllow),
        (false, true, _) => Decision::Allow,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]
    #[test]
    fn evaluator_agrees_with_the_reference_model(
        identity_statements in prop::collection::vec(statement(), 0..4),
        bucket_statements in prop::option::of(prop::collection::vec(statement(), 1..3)),
        same_account in any::<bool>(),
        action in prop::sample::select(ACTIONS.to_vec()),
        resource in prop::sample::select(RESOURCES.to_vec()),
        k in prop::option::of(prop::sample::select(vec!["x", "y", "z"])),
    ) {
        let identity: Vec<Policy> = if identity_statements.is_empty() {
            Vec::new()
        } else {
            vec![Policy::parse(&render(&identity_statements, false), PolicyKind::Identity).unwrap()]
        };
        let bucket = bucket_statements
            .as_ref()
            .map(|s| Policy::parse(&render(s, true), PolicyKind::Resource).unwrap());
        let mut ctx = Context::new();
        if let Some(k) = k {
            ctx.set("k", k);
        }
        let req = Request {
            caller: Caller { account: CALLER_ACCOUNT, arn: CALLER_ARN },
            action,
            resource,
            context: &ctx,
        };
        let side = ResourceSide {
            owner: if same_account { CALLER_ACCOUNT } else { OTHER_ACCOUNT },
            policy: bucket.as_ref(),
        };
        let got = evaluate(&identity, side, &req);
        let want = model(&identity_statements, bucket_statements.as_deref(), same_account, action, resource, k);
        prop_assert_eq!(got, want);
    }

    #[test]
    fn wildcard_agrees_with_plain_recursion(
        p in "[ab*?]{0,8}",
        t in "[abAB]{0,8}",
        ignore_case in any::<bool>(),
    ) {
        prop_assert_eq!(wildcard_matches(&p, &t, ignore_case), model_glob(&p, &t, ignore_case));
    }
}
