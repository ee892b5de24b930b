//! Name/value resolution and the semantic checks DynamoDB runs after a
//! successful parse, in DynamoDB's order of precedence.
//!
//! Conditions (dynalite's `conditionParser`): redundant parentheses, unknown
//! function, misused function, reserved word, then per leaf condition in
//! source order: undefined name/value, operand count, repeated path, operand
//! types. Updates (`updateParser`): redundant parentheses, reserved word,
//! unknown function, repeated clause, undefined name, undefined value,
//! overlapping paths, conflicting paths, ADD/DELETE operand type, function
//! checks. Projections: reserved word, undefined name, overlap, conflict.

mod condition;
mod update;

use std::collections::BTreeSet;
use std::sync::{Mutex, MutexGuard};

use ferry_model::AttributeValue;

use crate::ast::{Func, Operand, RawPath, Seg};
use crate::error::ExprError;
use crate::parser::Parsed;
use crate::reserved::is_reserved;
use crate::{Path, PathElem, Placeholders};

pub(crate) use condition::condition;
pub(crate) use update::update;

const CONDITION_FUNCTIONS: &[&str] = &[
    "attribute_exists",
    "attribute_not_exists",
    "attribute_type",
    "begins_with",
    "contains",
    "size",
];
const UPDATE_FUNCTIONS: &[&str] = &["if_not_exists", "list_append"];
const TYPE_NAMES: &[&str] = &["S", "SS", "N", "NS", "B", "BS", "BOOL", "NULL", "L", "M"];
/// DynamoDB's limit on the operands of IN.
const MAX_IN_OPERANDS: usize = 100;

// ------------------------------------------------------------ placeholders

impl Placeholders<'_> {
    /// DynamoDB's checks on the two maps themselves: not empty, keys of the
    /// form `#x` / `:x`. Run before any expression is compiled.
    pub fn validate(&self) -> Result<(), ExprError> {
        if let Some(names) = self.names {
            if names.is_empty() {
                return Err(ExprError::new("ExpressionAttributeNames must not be empty"));
            }
            if let Some(bad) = first_invalid_key(names.keys(), '#') {
                return Err(ExprError::new(format!(
                    "ExpressionAttributeNames contains invalid key: Syntax error; key: \"{bad}\""
                )));
            }
        }
        if let Some(values) = self.values {
            if values.is_empty() {
                return Err(ExprError::new(
                    "ExpressionAttributeValues must not be empty",
                ));
            }
            if let Some(bad) = first_invalid_key(values.keys(), ':') {
                return Err(ExprError::new(format!(
                    "ExpressionAttributeValues contains invalid key: Syntax error; key: \"{bad}\""
                )));
            }
        }
        Ok(())
    }

    /// The attribute name `#n` stands for, recording the use.
    fn name(&self, key: &str) -> Option<String> {
        let v = self.names?.get(key)?.clone();
        lock(&self.used_names).insert(key.to_string());
        Some(v)
    }

    /// The value `:v` stands for, recording the use.
    fn value(&self, key: &str) -> Option<AttributeValue> {
        let v = self.values?.get(key)?.clone();
        lock(&self.used_values).insert(key.to_string());
        Some(v)
    }

    pub(crate) fn unused_names(&self) -> Vec<String> {
        let used = lock(&self.used_names);
        let mut out: Vec<String> = self
            .names
            .into_iter()
            .flat_map(|m| m.keys())
            .filter(|k| !used.contains(*k))
            .cloned()
            .collect();
        out.sort();
        out
    }

    pub(crate) fn unused_values(&self) -> Vec<String> {
        let used = lock(&self.used_values);
        let mut out: Vec<String> = self
            .values
            .into_iter()
            .flat_map(|m| m.keys())
            .filter(|k| !used.contains(*k))
            .cloned()
            .collect();
        out.sort();
        out
    }
}

/// The set behind a lock; a poisoned lock still holds a usable set.
fn lock(m: &Mutex<BTreeSet<String>>) -> MutexGuard<'_, BTreeSet<String>> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The smallest key not of the form `<sigil>[0-9a-zA-Z_]+`.
fn first_invalid_key<'k>(keys: impl Iterator<Item = &'k String>, sigil: char) -> Option<&'k str> {
    keys.filter(|k| {
        let rest = k.strip_prefix(sigil);
        !matches!(rest, Some(r) if !r.is_empty()
            && r.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
    })
    .map(|k| k.as_str())
    .min()
}

// ------------------------------------------------------------ shared bits

/// `[a, b, [1]]`, DynamoDB's rendering of a path in messages.
pub(crate) fn path_str(path: &Path) -> String {
    let parts: Vec<String> = path
        .0
        .iter()
        .map(|e| match e {
            PathElem::Attr(a) => a.clone(),
            PathElem::Index(i) => format!("[{i}]"),
        })
        .collect();
    format!("[{}]", parts.join(", "))
}

/// Deepest document path DynamoDB accepts (the attribute is level 1).
const MAX_PATH_DEPTH: usize = 32;

struct Resolver<'p, 'a> {
    p: &'p Placeholders<'a>,
    kind: &'p str,
}

impl Resolver<'_, '_> {
    fn err(&self, detail: impl AsRef<str>) -> ExprError {
        ExprError::invalid(self.kind, detail)
    }

    fn path(&self, raw: &RawPath) -> Result<Path, ExprError> {
        if raw.0.len() > MAX_PATH_DEPTH {
            return Err(self.err(format!(
                "The document path has too many nesting levels; nesting levels: {}",
                raw.0.len()
            )));
        }
        let mut out = Vec::with_capacity(raw.0.len());
        for seg in &raw.0 {
            out.push(match seg {
                Seg::Ident(s) => PathElem::Attr(s.clone()),
                Seg::Index(i) => PathElem::Index(*i),
                Seg::Name(n) => match self.p.name(n) {
                    Some(v) => PathElem::Attr(v),
                    None => {
                        return Err(self.err(format!(
                            "An expression attribute name used in the document path is not defined; attribute name: {n}"
                        )));
                    }
                },
            });
        }
        Ok(Path(out))
    }

    fn value(&self, key: &str) -> Result<AttributeValue, ExprError> {
        self.p.value(key).ok_or_else(|| {
            self.err(format!(
                "An expression attribute value used in expression is not defined; attribute value: {key}"
            ))
        })
    }

    fn first_reserved<'r>(
        &self,
        paths: impl IntoIterator<Item = &'r RawPath>,
    ) -> Result<(), ExprError> {
        for path in paths {
            for seg in &path.0 {
                if let Seg::Ident(name) = seg
                    && is_reserved(name)
                {
                    return Err(self.err(format!(
                        "Attribute name is a reserved keyword; reserved keyword: {name}"
                    )));
                }
            }
        }
        Ok(())
    }

    fn operand_count(&self, func: &Func, want: usize) -> Result<(), ExprError> {
        if func.args.len() == want {
            return Ok(());
        }
        Err(self.err(format!(
            "Incorrect number of operands for operator or function; operator or function: {}, number of operands: {}",
            func.name,
            func.args.len()
        )))
    }

    fn operand_type(&self, function: &str, ty: &str) -> ExprError {
        self.err(format!(
            "Incorrect operand type for operator or function; operator or function: {function}, operand type: {ty}"
        ))
    }

    /// A function where DynamoDB does not allow it (`size` as a whole
    /// condition, a function as a condition operand, `list_append` inside
    /// `list_append`).
    fn misused(&self, function: &str) -> ExprError {
        self.err(format!(
            "The function is not allowed to be used this way in an expression; function: {function}"
        ))
    }

    fn requires_path(&self, function: &str) -> ExprError {
        self.err(format!(
            "Operator or function requires a document path; operator or function: {function}"
        ))
    }
}

/// Paths of an operand tree, in source order.
fn operand_paths<'r>(op: &'r Operand, out: &mut Vec<&'r RawPath>) {
    match op {
        Operand::Path(p) => out.push(p),
        Operand::Value(_) => {}
        Operand::Func(f) => f.args.iter().for_each(|a| operand_paths(a, out)),
    }
}

/// Functions of an operand tree, arguments before the function itself.
fn operand_funcs<'r>(op: &'r Operand, out: &mut Vec<&'r Func>) {
    if let Operand::Func(f) = op {
        f.args.iter().for_each(|a| operand_funcs(a, out));
        out.push(f);
    }
}

// ------------------------------------------------------------- projection

/// Compile parsed projection paths.
pub(crate) fn projection(
    parsed: Parsed<Vec<RawPath>>,
    kind: &str,
    p: &Placeholders<'_>,
) -> Result<Vec<Path>, ExprError> {
    let r = Resolver { p, kind };
    r.first_reserved(&parsed.tree)?;
    let paths = parsed
        .tree
        .iter()
        .map(|raw| r.path(raw))
        .collect::<Result<Vec<_>, _>>()?;
    check_overlaps(&r, paths.iter())?;
    Ok(paths)
}

/// DynamoDB's overlap (one path a prefix of another) and conflict (an index
/// where another path has a name) checks; overlap wins over conflict, each
/// reported for the first pair found, the earlier path as "path one".
fn check_overlaps<'x>(
    r: &Resolver<'_, '_>,
    paths: impl Iterator<Item = &'x Path>,
) -> Result<(), ExprError> {
    let mut seen: Vec<&Path> = Vec::new();
    let mut conflict: Option<ExprError> = None;
    for path in paths {
        for earlier in &seen {
            let mut differs = false;
            for (x, y) in earlier.0.iter().zip(&path.0) {
                let same_kind = matches!(
                    (x, y),
                    (PathElem::Attr(_), PathElem::Attr(_))
                        | (PathElem::Index(_), PathElem::Index(_))
                );
                if !same_kind {
                    if conflict.is_none() {
                        conflict = Some(r.err(format!(
                            "Two document paths conflict with each other; must remove or rewrite one of these paths; path one: {}, path two: {}",
                            path_str(earlier),
                            path_str(path)
                        )));
                    }
                    differs = true;
                    break;
                }
                if x != y {
                    differs = true;
                    break;
                }
            }
            if !differs {
                return Err(r.err(format!(
                    "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: {}, path two: {}",
                    path_str(earlier),
                    path_str(path)
                )));
            }
        }
        seen.push(path);
    }
    conflict.map_or(Ok(()), Err)
}
