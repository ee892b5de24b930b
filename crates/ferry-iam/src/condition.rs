//! The `Condition` element: operators (String*, Numeric*, Bool, IpAddress /
//! NotIpAddress, Arn*, Null), the `...IfExists` suffix, the `ForAllValues:` /
//! `ForAnyValue:` set qualifiers for multi-valued keys, and policy variables
//! (`${aws:username}`) in condition values.
//!
//! AWS's rules kept here: operators are ANDed, keys within an operator are
//! ANDed, the values of one key are ORed; a key absent from the request makes
//! a positive operator false and a negated one (`StringNotEquals`, …) true,
//! except `...IfExists` (true when absent) and `Null` (tests presence);
//! `ForAllValues` holds for an absent or empty key, `ForAnyValue` does not.

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde_json::Value;

use crate::wildcard;

/// The request's condition keys (names are case-insensitive, as in AWS);
/// a key may hold several values (`dynamodb:LeadingKeys`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    keys: BTreeMap<String, Vec<String>>,
}

impl Context {
    pub fn new() -> Self {
        Context::default()
    }

    /// Sets `key` to one value.
    pub fn set(&mut self, key: &str, value: impl Into<String>) {
        self.keys
            .insert(key.to_ascii_lowercase(), vec![value.into()]);
    }

    /// Sets `key` to a set of values (duplicates are kept once).
    pub fn set_many(&mut self, key: &str, values: impl IntoIterator<Item = String>) {
        let mut values: Vec<String> = values.into_iter().collect();
        values.sort();
        values.dedup();
        self.keys.insert(key.to_ascii_lowercase(), values);
    }

    /// The values of `key`, if it is present.
    pub fn get(&self, key: &str) -> Option<&[String]> {
        self.keys.get(&key.to_ascii_lowercase()).map(Vec::as_slice)
    }

    /// `s` with each `${key}` replaced by the key's (single) value; `None`
    /// when a variable names an absent or multi-valued key (AWS then treats
    /// the value as not matching).
    pub fn substitute(&self, s: &str) -> Option<String> {
        if !s.contains("${") {
            return Some(s.to_string());
        }
        let mut out = String::with_capacity(s.len());
        let mut rest = s;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after.find('}')?;
            match self.get(&after[..end]) {
                Some([one]) => out.push_str(one),
                _ => return None,
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Some(out)
    }
}

/// The comparison of one operator family (without its negation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compare {
    StringEquals,
    StringEqualsIgnoreCase,
    StringLike,
    NumericEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    Bool,
    IpAddress,
    ArnLike,
    Null,
}

/// `ForAllValues:` / `ForAnyValue:` or neither.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetQualifier {
    Single,
    ForAllValues,
    ForAnyValue,
}

/// One (operator, key, values) triple of a `Condition` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    pub qualifier: SetQualifier,
    pub compare: Compare,
    /// `StringNotEquals`, `NotIpAddress`, …: holds when no value matches.
    pub negated: bool,
    pub if_exists: bool,
    pub key: String,
    pub values: Vec<String>,
}

fn operator(name: &str) -> Option<(Compare, bool)> {
    use Compare::*;
    Some(match name {
        "StringEquals" => (StringEquals, false),
        "StringNotEquals" => (StringEquals, true),
        "StringEqualsIgnoreCase" => (StringEqualsIgnoreCase, false),
        "StringNotEqualsIgnoreCase" => (StringEqualsIgnoreCase, true),
        "StringLike" => (StringLike, false),
        "StringNotLike" => (StringLike, true),
        "NumericEquals" => (NumericEquals, false),
        "NumericNotEquals" => (NumericEquals, true),
        "NumericLessThan" => (NumericLessThan, false),
        "NumericLessThanEquals" => (NumericLessThanEquals, false),
        "NumericGreaterThan" => (NumericGreaterThan, false),
        "NumericGreaterThanEquals" => (NumericGreaterThanEquals, false),
        "Bool" => (Bool, false),
        "IpAddress" => (IpAddress, false),
        "NotIpAddress" => (IpAddress, true),
        "ArnEquals" | "ArnLike" => (ArnLike, false),
        "ArnNotEquals" | "ArnNotLike" => (ArnLike, true),
        "Null" => (Null, false),
        _ => return None,
    })
}

impl Condition {
    /// Parses a statement's `Condition` object.
    pub(crate) fn parse_block(block: &Value) -> Result<Vec<Condition>, String> {
        let ops = block
            .as_object()
            .ok_or_else(|| "Condition must be an object".to_string())?;
        let mut out = Vec::new();
        for (op_name, keys) in ops {
            let (qualifier, rest) = if let Some(r) = op_name.strip_prefix("ForAllValues:") {
                (SetQualifier::ForAllValues, r)
            } else if let Some(r) = op_name.strip_prefix("ForAnyValue:") {
                (SetQualifier::ForAnyValue, r)
            } else {
                (SetQualifier::Single, op_name.as_str())
            };
            let (base, if_exists) = match rest.strip_suffix("IfExists") {
                Some(b) => (b, true),
                None => (rest, false),
            };
            let (compare, negated) = operator(base)
                .ok_or_else(|| format!("unsupported condition operator {op_name}"))?;
            if compare == Compare::Null && (if_exists || qualifier != SetQualifier::Single) {
                return Err(format!("unsupported condition operator {op_name}"));
            }
            let keys = keys
                .as_object()
                .ok_or_else(|| format!("condition {op_name} must map keys to values"))?;
            for (key, values) in keys {
                let values = condition_values(values).ok_or_else(|| {
                    format!(
                        "condition {op_name} {key}: values must be strings, numbers or booleans"
                    )
                })?;
                for v in &values {
                    check_value(compare, v)
                        .map_err(|reason| format!("condition {op_name} {key}: {reason}"))?;
                }
                out.push(Condition {
                    qualifier,
                    compare,
                    negated,
                    if_exists,
                    key: key.clone(),
                    values,
                });
            }
        }
        Ok(out)
    }

    /// Whether this condition holds for `ctx`.
    pub fn holds(&self, ctx: &Context) -> bool {
        let present = ctx.get(&self.key);
        if self.compare == Compare::Null {
            let absent = present.is_none_or(<[String]>::is_empty);
            return self
                .values
                .iter()
                .any(|v| v.eq_ignore_ascii_case("true") == absent);
        }
        let policy: Vec<String> = self
            .values
            .iter()
            .filter_map(|v| ctx.substitute(v))
            .collect();
        // One request value against the policy's values, negation applied.
        let one = |r: &str| policy.iter().any(|p| compare(self.compare, p, r)) != self.negated;
        match (self.qualifier, present) {
            (SetQualifier::ForAllValues, None) => true,
            (SetQualifier::ForAllValues, Some(vals)) => vals.iter().all(|r| one(r)),
            (_, None) if self.if_exists => true,
            (SetQualifier::ForAnyValue, None) => false,
            (SetQualifier::ForAnyValue, Some(vals)) => vals.iter().any(|r| one(r)),
            (SetQualifier::Single, None) => self.negated,
            (SetQualifier::Single, Some(vals)) => {
                let any = vals
                    .iter()
                    .any(|r| policy.iter().any(|p| compare(self.compare, p, r)));
                any != self.negated
            }
        }
    }
}

fn condition_values(v: &Value) -> Option<Vec<String>> {
    let one = |x: &Value| match x {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    };
    match v {
        Value::Array(list) if !list.is_empty() => list.iter().map(one).collect(),
        Value::Array(_) => None,
        other => one(other).map(|s| vec![s]),
    }
}

fn check_value(compare: Compare, v: &str) -> Result<(), String> {
    match compare {
        Compare::NumericEquals
        | Compare::NumericLessThan
        | Compare::NumericLessThanEquals
        | Compare::NumericGreaterThan
        | Compare::NumericGreaterThanEquals
            if !v.contains("${") && v.parse::<f64>().is_err() =>
        {
            Err(format!("{v} is not a number"))
        }
        Compare::IpAddress if cidr(v).is_none() => {
            Err(format!("{v} is not an IP address or CIDR block"))
        }
        Compare::Bool | Compare::Null
            if !v.eq_ignore_ascii_case("true") && !v.eq_ignore_ascii_case("false") =>
        {
            Err(format!("{v} is not true or false"))
        }
        _ => Ok(()),
    }
}

/// Does the policy value `p` accept the request value `r`?
fn compare(c: Compare, p: &str, r: &str) -> bool {
    let num = |f: fn(f64, f64) -> bool| match (r.parse::<f64>(), p.parse::<f64>()) {
        (Ok(r), Ok(p)) => f(r, p),
        _ => false,
    };
    match c {
        Compare::StringEquals => p == r,
        Compare::StringEqualsIgnoreCase => p.to_lowercase() == r.to_lowercase(),
        Compare::StringLike | Compare::ArnLike => wildcard::matches(p, r, false),
        Compare::NumericEquals => num(|r, p| r == p),
        Compare::NumericLessThan => num(|r, p| r < p),
        Compare::NumericLessThanEquals => num(|r, p| r <= p),
        Compare::NumericGreaterThan => num(|r, p| r > p),
        Compare::NumericGreaterThanEquals => num(|r, p| r >= p),
        Compare::Bool => p.eq_ignore_ascii_case(r),
        Compare::IpAddress => match (cidr(p), r.parse::<IpAddr>()) {
            (Some((net, bits)), Ok(ip)) => in_block(net, bits, ip),
            _ => false,
        },
        Compare::Null => false,
    }
}

/// `203.0.113.0/24`, `2001:db8::/32` or a bare address (a /32 or /128).
fn cidr(s: &str) -> Option<(IpAddr, u32)> {
    let (addr, bits) = match s.split_once('/') {
        Some((a, b)) => (a.parse::<IpAddr>().ok()?, Some(b.parse::<u32>().ok()?)),
        None => (s.parse::<IpAddr>().ok()?, None),
    };
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let bits = bits.unwrap_or(max);
    (bits <= max).then_some((addr, bits))
}

fn in_block(net: IpAddr, bits: u32, ip: IpAddr) -> bool {
    let (n, i, width) = match (net, ip) {
        (IpAddr::V4(n), IpAddr::V4(i)) => (u128::from(u32::from(n)), u128::from(u32::from(i)), 32),
        (IpAddr::V6(n), IpAddr::V6(i)) => (u128::from(n), u128::from(i), 128),
        _ => return false,
    };
    if bits == 0 {
        return true;
    }
    let shift = width - bits;
    (n >> shift) == (i >> shift)
}
