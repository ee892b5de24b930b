//! Translation of PartiQL conditions, SET/REMOVE actions and projected
//! paths into ferry-expr's compiled trees — the one evaluator Ferry has.
//!
//! Each piece is written out as DynamoDB expression-language text in which
//! every attribute name is a `#pN` placeholder and every value a `:vN`
//! placeholder, then compiled by `ferry_expr` (so reserved words, odd names
//! and value types need no quoting rules of their own).

use std::collections::HashMap;

use ferry_expr::{Condition, Placeholders, Projection, Update};
use ferry_model::{AttributeValue, Item};

use crate::ast::{Action, Expr, Path, PathElem};
use crate::error::PartiqlError;
use crate::values::{is_value, value};

/// The text being written and its placeholder maps.
#[derive(Default)]
struct Gen {
    text: String,
    names: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
}

fn unsupported(what: &str) -> PartiqlError {
    PartiqlError::new(format!("Unsupported operation: {what}"))
}

impl Gen {
    fn path(&mut self, p: &Path) {
        for (i, seg) in p.0.iter().enumerate() {
            match seg {
                PathElem::Attr(a) => {
                    if i > 0 {
                        self.text.push('.');
                    }
                    let key = format!("#p{}", self.names.len());
                    self.text.push_str(&key);
                    self.names.insert(key, a.clone());
                }
                PathElem::Index(n) => self.text.push_str(&format!("[{n}]")),
            }
        }
    }

    fn value(&mut self, v: AttributeValue) {
        let key = format!(":v{}", self.values.len());
        self.text.push_str(&key);
        self.values.insert(key, v);
    }

    fn push(&mut self, s: &str) {
        self.text.push_str(s);
    }

    /// A comparison operand: a path, `size(path)`, or a value.
    fn operand(&mut self, e: &Expr, params: &[AttributeValue]) -> Result<(), PartiqlError> {
        match e {
            Expr::Path(p) => self.path(p),
            Expr::Call(f, args) if f == "size" => {
                let [arg] = args.as_slice() else {
                    return Err(unsupported("size takes one path"));
                };
                self.push("size(");
                self.operand(arg, params)?;
                self.push(")");
            }
            v if is_value(v) => self.value(value(v, params, "root")?),
            Expr::Add(..) | Expr::Sub(..) => return Err(unsupported("arithmetic in WHERE")),
            _ => return Err(unsupported("this expression is not an operand")),
        }
        Ok(())
    }

    fn args(&mut self, args: &[Expr], params: &[AttributeValue]) -> Result<(), PartiqlError> {
        for (i, a) in args.iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.operand(a, params)?;
        }
        Ok(())
    }

    /// A condition.
    fn cond(&mut self, e: &Expr, params: &[AttributeValue]) -> Result<(), PartiqlError> {
        match e {
            Expr::Cmp(op, a, b) => {
                self.push("(");
                self.operand(a, params)?;
                self.push(&format!(" {} ", op.symbol()));
                self.operand(b, params)?;
                self.push(")");
            }
            Expr::Between(a, lo, hi) => {
                self.push("(");
                self.operand(a, params)?;
                self.push(" BETWEEN ");
                self.operand(lo, params)?;
                self.push(" AND ");
                self.operand(hi, params)?;
                self.push(")");
            }
            Expr::In(a, items) => {
                self.push("(");
                self.operand(a, params)?;
                self.push(" IN (");
                self.args(items, params)?;
                self.push("))");
            }
            Expr::And(a, b) | Expr::Or(a, b) => {
                let op = if matches!(e, Expr::And(..)) {
                    " AND "
                } else {
                    " OR "
                };
                self.push("(");
                self.cond(a, params)?;
                self.push(op);
                self.cond(b, params)?;
                self.push(")");
            }
            Expr::Not(a) => {
                self.push("(NOT ");
                self.cond(a, params)?;
                self.push(")");
            }
            Expr::IsMissing(a, negated) => {
                let Expr::Path(p) = a.as_ref() else {
                    return Err(unsupported("IS MISSING takes a path"));
                };
                self.push(if *negated {
                    "attribute_exists("
                } else {
                    "attribute_not_exists("
                });
                self.path(p);
                self.push(")");
            }
            Expr::IsNull(a, negated) => {
                // PartiQL: MISSING IS NULL too.
                let Expr::Path(p) = a.as_ref() else {
                    return Err(unsupported("IS NULL takes a path"));
                };
                self.push(if *negated { "(NOT (" } else { "(" });
                self.push("attribute_type(");
                self.path(p);
                self.push(", ");
                self.value(AttributeValue::S("NULL".into()));
                self.push(") OR attribute_not_exists(");
                self.path(p);
                self.push(if *negated { ")))" } else { "))" });
            }
            Expr::Call(f, args) => match f.as_str() {
                "begins_with"
                | "contains"
                | "attribute_type"
                | "attribute_exists"
                | "attribute_not_exists" => {
                    self.push(f);
                    self.push("(");
                    self.args(args, params)?;
                    self.push(")");
                }
                other => return Err(PartiqlError::new(format!("Unrecognized function: {other}"))),
            },
            _ => return Err(unsupported("this expression is not a condition")),
        }
        Ok(())
    }

    fn placeholders(&self) -> Placeholders<'_> {
        Placeholders::new(
            (!self.names.is_empty()).then_some(&self.names),
            (!self.values.is_empty()).then_some(&self.values),
        )
    }
}

/// What a write's condition says about the item's existence (`name`: the
/// partition key attribute).
#[derive(Clone, Copy, Debug)]
pub enum Guard<'a> {
    /// Nothing: SELECT's filter.
    None,
    /// The item must exist (UPDATE, EXISTS).
    Exists(&'a str),
    /// A missing item passes (DELETE).
    MissingOr(&'a str),
    /// The item must not exist (INSERT in a transaction).
    Absent(&'a str),
}

/// Compile the conjunction of `conds` under `guard` into one condition;
/// `None` when there is nothing to check. `kind` names the expression
/// ferry-expr's messages speak of.
pub fn condition(
    conds: &[&Expr],
    guard: Guard<'_>,
    params: &[AttributeValue],
    kind: &str,
) -> Result<Option<Condition>, PartiqlError> {
    let mut g = Gen::default();
    for c in conds {
        if !g.text.is_empty() {
            g.push(" AND ");
        }
        g.cond(c, params)?;
    }
    // Placeholder numbers need not follow the text's order: write the
    // guard after the rest and put it in front.
    let rest = std::mem::take(&mut g.text);
    let key = |g: &mut Gen, name: &str| g.path(&Path(vec![PathElem::Attr(name.to_string())]));
    match guard {
        Guard::None => g.text = rest,
        Guard::Exists(name) => {
            g.push("attribute_exists(");
            key(&mut g, name);
            g.push(")");
            if !rest.is_empty() {
                g.push(" AND ");
                g.push(&rest);
            }
        }
        Guard::Absent(name) => {
            g.push("attribute_not_exists(");
            key(&mut g, name);
            g.push(")");
        }
        Guard::MissingOr(_) if rest.is_empty() => {}
        Guard::MissingOr(name) => {
            g.push("attribute_not_exists(");
            key(&mut g, name);
            g.push(") OR ");
            let wrap = conds.len() > 1;
            g.push(if wrap { "(" } else { "" });
            g.push(&rest);
            g.push(if wrap { ")" } else { "" });
        }
    }
    if g.text.is_empty() {
        return Ok(None);
    }
    let p = g.placeholders();
    Ok(Some(Condition::compile(&g.text, kind, &p)?))
}

/// Compile UPDATE's actions into one update expression: `SET` for
/// assignments (`list_append`, `if_not_exists`, `+`, `-` included), `ADD`
/// for `set_add(path, set)` and `DELETE` for `set_delete(path, set)`.
pub fn update(actions: &[Action], params: &[AttributeValue]) -> Result<Update, PartiqlError> {
    let mut g = Gen::default();
    let mut sets = Vec::new();
    let mut removes = Vec::new();
    let mut adds = Vec::new();
    let mut deletes = Vec::new();
    for action in actions {
        match action {
            Action::Remove(p) => removes.push((p, None)),
            Action::Set(p, Expr::Call(f, args)) if f == "set_add" || f == "set_delete" => {
                let op = if f == "set_add" { "ADD" } else { "DELETE" };
                let [target, v] = args.as_slice() else {
                    return Err(PartiqlError::new(format!(
                        "SET_{op} must have exactly two arguments"
                    )));
                };
                if !matches!(target, Expr::Path(t) if t == p) {
                    return Err(PartiqlError::new(format!(
                        "The first argument to SET_{op} must equal the assignment value"
                    )));
                }
                if !matches!(v, Expr::Bag(_) | Expr::Param(_)) {
                    return Err(PartiqlError::new(format!(
                        "The second argument to SET_{op} must be a value with type SET"
                    )));
                }
                let list = if f == "set_add" {
                    &mut adds
                } else {
                    &mut deletes
                };
                list.push((p, Some(v)));
            }
            Action::Set(p, v) => sets.push((p, Some(v))),
        }
    }
    let mut first = true;
    for (kw, list) in [
        ("SET", &sets),
        ("REMOVE", &removes),
        ("ADD", &adds),
        ("DELETE", &deletes),
    ] {
        for (i, (path, v)) in list.iter().enumerate() {
            if i == 0 {
                if !first {
                    g.push(" ");
                }
                g.push(kw);
                g.push(" ");
                first = false;
            } else {
                g.push(", ");
            }
            g.path(path);
            match (kw, v) {
                ("SET", Some(v)) => {
                    g.push(" = ");
                    set_value(&mut g, v, params)?;
                }
                (_, Some(v)) => {
                    g.push(" ");
                    g.value(value(v, params, "root")?);
                }
                (_, None) => {}
            }
        }
    }
    let p = g.placeholders();
    Ok(Update::compile(&g.text, &p)?)
}

/// The right-hand side of a SET.
fn set_value(g: &mut Gen, e: &Expr, params: &[AttributeValue]) -> Result<(), PartiqlError> {
    match e {
        Expr::Path(p) => g.path(p),
        Expr::Add(a, b) | Expr::Sub(a, b) => {
            set_value(g, a, params)?;
            g.push(if matches!(e, Expr::Add(..)) {
                " + "
            } else {
                " - "
            });
            set_value(g, b, params)?;
        }
        Expr::Call(f, args) if f == "list_append" || f == "if_not_exists" => {
            let [a, b] = args.as_slice() else {
                return Err(unsupported(&format!("{f} takes two arguments")));
            };
            g.push(f);
            g.push("(");
            set_value(g, a, params)?;
            g.push(", ");
            set_value(g, b, params)?;
            g.push(")");
        }
        Expr::Call(f, _) => return Err(PartiqlError::new(format!("Unrecognized function: {f}"))),
        v => g.value(value(v, params, "root")?),
    }
    Ok(())
}

/// One projected path of a SELECT and the name its value is returned under
/// (the last attribute name with the indexes after it: `a.b[1]` → `b[1]`).
#[derive(Clone, Debug)]
pub struct Projected {
    pub label: String,
    path: Path,
    projection: Projection,
}

impl Projected {
    pub fn new(path: &Path) -> Result<Projected, PartiqlError> {
        let mut g = Gen::default();
        g.path(path);
        let p = g.placeholders();
        let projection = Projection::compile(&g.text, &p)?;
        let start = path
            .0
            .iter()
            .rposition(|s| matches!(s, PathElem::Attr(_)))
            .unwrap_or(0);
        let mut label = String::new();
        for seg in path.0.iter().skip(start) {
            match seg {
                PathElem::Attr(a) => label.push_str(a),
                PathElem::Index(n) => label.push_str(&format!("[{n}]")),
            }
        }
        Ok(Projected {
            label,
            path: path.clone(),
            projection,
        })
    }

    /// The value at the path in `item`, if any.
    #[must_use]
    pub fn extract(&self, item: &Item) -> Option<AttributeValue> {
        let projected = self.projection.apply(item);
        let mut segs = self.path.0.iter();
        let Some(PathElem::Attr(first)) = segs.next() else {
            return None;
        };
        let mut cur = projected.get(first)?.clone();
        for seg in segs {
            cur = match (seg, cur) {
                (PathElem::Attr(a), AttributeValue::M(mut m)) => m.remove(a)?,
                // The projection keeps only the indexed element.
                (PathElem::Index(_), AttributeValue::L(l)) => l.into_iter().next()?,
                _ => return None,
            };
        }
        Some(cur)
    }
}
