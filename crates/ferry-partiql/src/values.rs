//! Literal and parameter values: PartiQL's literals (`'s'`, `1.5`, `TRUE`,
//! `NULL`, `[…]`, `{…}`, `<<…>>`) and `?` parameters to `AttributeValue`s,
//! with DynamoDB's messages.

use ferry_model::{AttributeValue, Item, Number, NumberError};

use crate::ast::Expr;
use crate::error::PartiqlError;

/// DynamoDB's message when a statement has more `?` than `Parameters`.
pub const PARAMETER_COUNT: &str = "Number of parameters in request and statement don't match.";

const BAG_TYPES: &str =
    "Unsupported data type in Bag. DynamoDB only supports either numbers or strings in bags";

/// Whether `e` is a value (a literal or parameter, nested ones included).
pub fn is_value(e: &Expr) -> bool {
    match e {
        Expr::Num(_) | Expr::Str(_) | Expr::Bool(_) | Expr::Null | Expr::Param(_) => true,
        Expr::List(l) | Expr::Bag(l) => l.iter().all(is_value),
        Expr::Map(m) => m.iter().all(|(_, v)| is_value(v)),
        _ => false,
    }
}

/// The value of a literal or parameter. `at` names where it sits for number
/// messages: `root`, `root.x`, `root[1]` (DynamoDB's "… under root.x").
pub fn value(
    e: &Expr,
    params: &[AttributeValue],
    at: &str,
) -> Result<AttributeValue, PartiqlError> {
    Ok(match e {
        Expr::Num(n) => AttributeValue::N(number(n, at)?),
        Expr::Str(s) => AttributeValue::S(s.clone()),
        Expr::Bool(b) => AttributeValue::Bool(*b),
        Expr::Null => AttributeValue::Null,
        Expr::Param(i) => params
            .get(*i)
            .cloned()
            .ok_or_else(|| PartiqlError::new(PARAMETER_COUNT))?,
        Expr::List(items) => AttributeValue::L(
            items
                .iter()
                .enumerate()
                .map(|(i, v)| value(v, params, &format!("{at}[{i}]")))
                .collect::<Result<_, _>>()?,
        ),
        Expr::Map(entries) => {
            AttributeValue::M(tuple(entries, params, at, |k| format!("{at}.{k}"))?)
        }
        Expr::Bag(items) => bag(items, at)?,
        other => {
            return Err(PartiqlError::new(format!(
                "Unsupported value: {other}; a value must be a literal or a parameter"
            )));
        }
    })
}

/// The item INSERT's `VALUE {…}` builds: each attribute's value is its own
/// `root` in messages (DynamoDB: `{'m': {'x': 1e126}}` is "… under root.x").
pub fn item(entries: &[(String, Expr)], params: &[AttributeValue]) -> Result<Item, PartiqlError> {
    tuple(entries, params, "root", |_| "root".to_string())
}

/// The map a `{…}` literal builds; `child` names each value's place.
fn tuple(
    entries: &[(String, Expr)],
    params: &[AttributeValue],
    at: &str,
    child: impl Fn(&str) -> String,
) -> Result<Item, PartiqlError> {
    let mut m = Item::new();
    for (k, v) in entries {
        let v = value(v, params, &child(k))?;
        if m.insert(k.clone(), v).is_some() {
            return Err(PartiqlError::new(format!(
                "Duplicate keys in tuple. Key: {k} under {at}"
            )));
        }
    }
    Ok(m)
}

fn number(text: &str, at: &str) -> Result<Number, PartiqlError> {
    Number::parse(text).map_err(|e| match e {
        NumberError::Malformed(_) => PartiqlError::new(crate::error::MALFORMED),
        other => PartiqlError::new(format!("{} under {at}", other.message())),
    })
}

/// `<<…>>`: a string set or a number set (DynamoDB's messages, as its
/// PartiQL front end sends them).
fn bag(items: &[Expr], at: &str) -> Result<AttributeValue, PartiqlError> {
    if items.is_empty() {
        return Err(PartiqlError::new("Empty bags are not supported"));
    }
    let mut strings = Vec::new();
    let mut numbers: Vec<Number> = Vec::new();
    for item in items {
        match item {
            Expr::Str(s) => strings.push(s.clone()),
            Expr::Num(n) => numbers.push(number(n, at)?),
            _ => return Err(PartiqlError::new(BAG_TYPES)),
        }
    }
    let dup = |n: usize, unique: usize| {
        (n != unique)
            .then(|| PartiqlError::new("Input collection contains duplicates"))
            .map_or(Ok(()), Err)
    };
    match (strings.is_empty(), numbers.is_empty()) {
        (false, true) => {
            let unique: std::collections::BTreeSet<&String> = strings.iter().collect();
            dup(strings.len(), unique.len())?;
            Ok(AttributeValue::SS(strings))
        }
        (true, false) => {
            let unique: std::collections::HashSet<&Number> = numbers.iter().collect();
            dup(numbers.len(), unique.len())?;
            Ok(AttributeValue::NS(numbers))
        }
        _ => Err(PartiqlError::new(BAG_TYPES)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_messages_name_the_path() {
        let e = value(
            &Expr::Map(vec![("x".into(), Expr::Num("1e126".into()))]),
            &[],
            "root",
        )
        .unwrap_err();
        assert_eq!(
            e.message,
            "Number overflow. Attempting to store a number with magnitude larger than supported range under root.x"
        );
        let e = value(
            &Expr::List(vec![Expr::Num("1".into()), Expr::Num("1e-131".into())]),
            &[],
            "root",
        )
        .unwrap_err();
        assert!(e.message.ends_with("supported range under root[1]"));
    }

    #[test]
    fn bags() {
        let b = |v: Vec<Expr>| value(&Expr::Bag(v), &[], "root").map_err(|e| e.message);
        assert_eq!(
            b(vec![Expr::Str("a".into()), Expr::Str("a".into())]),
            Err("Input collection contains duplicates".into())
        );
        assert_eq!(
            b(vec![Expr::Str("a".into()), Expr::Num("1".into())]),
            Err(BAG_TYPES.into())
        );
        assert_eq!(b(vec![Expr::Param(0)]), Err(BAG_TYPES.into()));
        assert_eq!(
            b(vec![Expr::Num("1".into()), Expr::Num("2".into())]),
            Ok(AttributeValue::NS(vec![
                Number::parse("1").unwrap(),
                Number::parse("2").unwrap()
            ]))
        );
    }
}
