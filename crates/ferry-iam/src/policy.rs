//! AWS's JSON policy language, parsed into a checked form: `Version`,
//! `Statement` (one object or an array) of `Sid`, `Effect`,
//! `Action`/`NotAction`, `Resource`/`NotResource`, `Principal`/`NotPrincipal`
//! (resource-based policies only) and `Condition`.
//!
//! Parsing is hand-written over `serde_json::Value` so that every refusal
//! names the statement and element at fault (these errors are shown at
//! startup for the IAM file and as S3's `MalformedPolicy` for bucket policies).

use serde_json::Value;

use crate::condition::Condition;

/// Where a policy is attached: identity policies may not name a `Principal`,
/// resource-based policies (bucket policies) must.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyKind {
    Identity,
    Resource,
}

/// Why a policy document was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("policy is not valid JSON: {0}")]
    Json(String),
    #[error("{0}")]
    Invalid(String),
}

fn invalid(reason: impl Into<String>) -> PolicyError {
    PolicyError::Invalid(reason.into())
}

/// A statement's effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
}

/// `Action` (or `Resource`) = the listed patterns match; `NotAction` (or
/// `NotResource`) = everything except them matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Patterns {
    Is(Vec<String>),
    Not(Vec<String>),
}

/// One entry of `Principal` / `NotPrincipal`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrincipalPattern {
    /// `"*"` or `{"AWS": "*"}`: anyone.
    Anyone,
    /// `"111122223333"` or `"arn:aws:iam::111122223333:root"`: any principal
    /// of that account (the account delegates to its own IAM policies).
    Account(String),
    /// A user ARN (`arn:aws:iam::111122223333:user/Dave`).
    Arn(String),
}

/// How a resource policy statement's principal names the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PrincipalMatch {
    /// Not named.
    No,
    /// Named through its account (`Account`): counts for cross-account
    /// access; within the account the identity policy must still allow.
    Account,
    /// Named directly (its ARN, or `*`).
    Direct,
}

/// The principal part of a resource-based policy statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principals {
    Is(Vec<PrincipalPattern>),
    Not(Vec<PrincipalPattern>),
}

/// One checked statement.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub sid: Option<String>,
    pub effect: Effect,
    pub actions: Patterns,
    pub resources: Patterns,
    /// `None` in identity policies.
    pub principals: Option<Principals>,
    /// All must hold.
    pub conditions: Vec<Condition>,
}

/// A checked policy document.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub statements: Vec<Statement>,
}

impl Policy {
    /// Parses and checks a policy document given as text.
    pub fn parse(text: &str, kind: PolicyKind) -> Result<Policy, PolicyError> {
        let value: Value =
            serde_json::from_str(text).map_err(|e| PolicyError::Json(e.to_string()))?;
        Policy::from_value(&value, kind)
    }

    /// Parses and checks a policy document already read as JSON.
    pub fn from_value(value: &Value, kind: PolicyKind) -> Result<Policy, PolicyError> {
        let obj = value
            .as_object()
            .ok_or_else(|| invalid("a policy must be a JSON object"))?;
        for key in obj.keys() {
            if !matches!(key.as_str(), "Version" | "Id" | "Statement") {
                return Err(invalid(format!("unknown policy element {key}")));
            }
        }
        match obj.get("Version") {
            None => {}
            Some(Value::String(v)) if v == "2012-10-17" || v == "2008-10-17" => {}
            Some(other) => {
                return Err(invalid(format!(
                    "Version must be \"2012-10-17\" or \"2008-10-17\", not {other}"
                )));
            }
        }
        let statements = match obj.get("Statement") {
            Some(Value::Array(list)) if !list.is_empty() => list.iter().collect(),
            Some(single @ Value::Object(_)) => vec![single],
            Some(_) => {
                return Err(invalid(
                    "Statement must be a statement object or a non-empty array of them",
                ));
            }
            None => return Err(invalid("the policy has no Statement")),
        };
        let statements = statements
            .into_iter()
            .enumerate()
            .map(|(i, s)| {
                parse_statement(s, kind)
                    .map_err(|reason| invalid(format!("statement {i}: {reason}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Policy { statements })
    }
}

fn parse_statement(value: &Value, kind: PolicyKind) -> Result<Statement, String> {
    let obj = value
        .as_object()
        .ok_or_else(|| "a statement must be a JSON object".to_string())?;
    for key in obj.keys() {
        if !matches!(
            key.as_str(),
            "Sid"
                | "Effect"
                | "Action"
                | "NotAction"
                | "Resource"
                | "NotResource"
                | "Principal"
                | "NotPrincipal"
                | "Condition"
        ) {
            return Err(format!("unknown statement element {key}"));
        }
    }
    let sid = match obj.get("Sid") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err("Sid must be a string".into()),
    };
    let effect = match obj.get("Effect") {
        Some(Value::String(e)) if e == "Allow" => Effect::Allow,
        Some(Value::String(e)) if e == "Deny" => Effect::Deny,
        Some(_) => return Err("Effect must be \"Allow\" or \"Deny\"".into()),
        None => return Err("Effect is missing".into()),
    };
    let actions = either(obj, "Action", "NotAction")?;
    for a in pattern_list(&actions) {
        if a != "*" && !a.contains(':') {
            return Err(format!("action {a} is not of the form service:action"));
        }
    }
    let resources = either(obj, "Resource", "NotResource")?;
    for r in pattern_list(&resources) {
        if r != "*" && !r.starts_with("arn:") {
            return Err(format!("resource {r} must be \"*\" or an ARN"));
        }
    }
    let principals = match (obj.get("Principal"), obj.get("NotPrincipal")) {
        (Some(_), Some(_)) => return Err("give Principal or NotPrincipal, not both".into()),
        (Some(p), None) => Some(Principals::Is(parse_principals(p)?)),
        (None, Some(p)) => Some(Principals::Not(parse_principals(p)?)),
        (None, None) => None,
    };
    match (kind, &principals) {
        (PolicyKind::Identity, Some(_)) => {
            return Err("an identity-based policy may not have a Principal".into());
        }
        (PolicyKind::Resource, None) => {
            return Err("a resource-based policy statement needs a Principal".into());
        }
        _ => {}
    }
    let conditions = match obj.get("Condition") {
        None => Vec::new(),
        Some(c) => Condition::parse_block(c)?,
    };
    Ok(Statement {
        sid,
        effect,
        actions,
        resources,
        principals,
        conditions,
    })
}

fn pattern_list(p: &Patterns) -> &[String] {
    match p {
        Patterns::Is(v) | Patterns::Not(v) => v,
    }
}

/// Exactly one of `yes` / `no`, each a string or a non-empty array of strings.
fn either(obj: &serde_json::Map<String, Value>, yes: &str, no: &str) -> Result<Patterns, String> {
    match (obj.get(yes), obj.get(no)) {
        (Some(_), Some(_)) => Err(format!("give {yes} or {no}, not both")),
        (Some(v), None) => Ok(Patterns::Is(strings(v, yes)?)),
        (None, Some(v)) => Ok(Patterns::Not(strings(v, no)?)),
        (None, None) => Err(format!("{yes} (or {no}) is missing")),
    }
}

/// A string or a non-empty array of strings.
pub(crate) fn strings(v: &Value, what: &str) -> Result<Vec<String>, String> {
    match v {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(list) if !list.is_empty() => list
            .iter()
            .map(|x| match x {
                Value::String(s) => Ok(s.clone()),
                _ => Err(format!("{what} must hold strings")),
            })
            .collect(),
        _ => Err(format!(
            "{what} must be a string or a non-empty array of strings"
        )),
    }
}

fn parse_principals(v: &Value) -> Result<Vec<PrincipalPattern>, String> {
    let list = match v {
        Value::String(s) if s == "*" => return Ok(vec![PrincipalPattern::Anyone]),
        Value::Object(map) => {
            let mut list = Vec::new();
            for (k, v) in map {
                if k != "AWS" {
                    return Err(format!(
                        "principal type {k} is not supported (only \"AWS\" principals exist in Ferry)"
                    ));
                }
                list.extend(strings(v, "Principal.AWS")?);
            }
            list
        }
        _ => return Err("Principal must be \"*\" or an object like {\"AWS\": ...}".into()),
    };
    list.into_iter().map(|p| principal_pattern(&p)).collect()
}

fn principal_pattern(p: &str) -> Result<PrincipalPattern, String> {
    if p == "*" {
        return Ok(PrincipalPattern::Anyone);
    }
    if crate::file::is_account_id(p) {
        return Ok(PrincipalPattern::Account(p.to_string()));
    }
    if let Some(rest) = p.strip_prefix("arn:aws:iam::")
        && let Some((account, resource)) = rest.split_once(':')
        && crate::file::is_account_id(account)
    {
        if resource == "root" {
            return Ok(PrincipalPattern::Account(account.to_string()));
        }
        if resource.starts_with("user/") {
            return Ok(PrincipalPattern::Arn(p.to_string()));
        }
    }
    Err(format!("invalid principal {p}"))
}

impl Principals {
    /// How these principals name the caller.
    pub fn matches(&self, account: &str, arn: &str) -> PrincipalMatch {
        let named = |list: &[PrincipalPattern]| {
            list.iter()
                .map(|p| match p {
                    PrincipalPattern::Anyone => PrincipalMatch::Direct,
                    PrincipalPattern::Arn(a) if a == arn => PrincipalMatch::Direct,
                    PrincipalPattern::Account(a) if a == account => PrincipalMatch::Account,
                    _ => PrincipalMatch::No,
                })
                .max()
                .unwrap_or(PrincipalMatch::No)
        };
        match self {
            Principals::Is(list) => named(list),
            Principals::Not(list) => match named(list) {
                PrincipalMatch::No => PrincipalMatch::Direct,
                _ => PrincipalMatch::No,
            },
        }
    }
}
