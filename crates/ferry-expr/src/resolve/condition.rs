//! Resolution and checks of conditions (ConditionExpression,
//! FilterExpression, KeyConditionExpression).

use ferry_model::AttributeValue;

use super::{
    CONDITION_FUNCTIONS, MAX_IN_OPERANDS, Resolver, TYPE_NAMES, UPDATE_FUNCTIONS, operand_funcs,
    operand_paths, path_str,
};
use crate::Placeholders;
use crate::ast::{CmpOp, Cond, Operand, RawCond, Val};
use crate::error::ExprError;
use crate::functions::{compare, type_code};
use crate::parser::Parsed;

/// The operands of one leaf condition, in source order.
fn leaf_operands(c: &RawCond) -> Vec<&Operand> {
    match c {
        RawCond::Cmp(_, a, b) => vec![a, b],
        RawCond::Between(a, b, d) => vec![a, b, d],
        RawCond::In(a, list) => std::iter::once(a).chain(list).collect(),
        RawCond::Func(f) => f.args.iter().collect(),
        RawCond::Not(_) | RawCond::And(..) | RawCond::Or(..) => Vec::new(),
    }
}

/// Leaf conditions in source order.
fn leaves<'r>(c: &'r RawCond, out: &mut Vec<&'r RawCond>) {
    match c {
        RawCond::Not(inner) => leaves(inner, out),
        RawCond::And(a, b) | RawCond::Or(a, b) => {
            leaves(a, out);
            leaves(b, out);
        }
        leaf => out.push(leaf),
    }
}

/// Compile a parsed condition into the resolved tree.
pub(crate) fn condition(
    parsed: Parsed<RawCond>,
    kind: &str,
    p: &Placeholders<'_>,
) -> Result<Cond, ExprError> {
    let r = Resolver { p, kind };
    if parsed.redundant_parens {
        return Err(r.err("The expression has redundant parentheses;"));
    }
    let mut all_leaves = Vec::new();
    leaves(&parsed.tree, &mut all_leaves);

    // Unknown (or update-only) function names.
    for leaf in &all_leaves {
        let mut funcs = Vec::new();
        if let RawCond::Func(f) = leaf {
            f.args.iter().for_each(|a| operand_funcs(a, &mut funcs));
            funcs.push(f);
        } else {
            leaf_operands(leaf)
                .into_iter()
                .for_each(|o| operand_funcs(o, &mut funcs));
        }
        for f in funcs {
            if UPDATE_FUNCTIONS.contains(&f.name.as_str()) {
                let phrase = match kind {
                    "FilterExpression" => "a filter expression",
                    "KeyConditionExpression" => "a key condition expression",
                    _ => "a condition expression",
                };
                return Err(r.err(format!(
                    "The function is not allowed in {phrase}; function: {}",
                    f.name
                )));
            }
            if !CONDITION_FUNCTIONS.contains(&f.name.as_str()) {
                return Err(r.err(format!("Invalid function name; function: {}", f.name)));
            }
        }
    }

    // Functions used where they cannot be: a non-size function as an
    // operand, size() as a whole condition.
    for leaf in &all_leaves {
        if let RawCond::Func(f) = leaf
            && f.name == "size"
        {
            return Err(r.misused("size"));
        }
        let mut funcs = Vec::new();
        leaf_operands(leaf)
            .into_iter()
            .for_each(|o| operand_funcs(o, &mut funcs));
        if let Some(f) = funcs.iter().find(|f| f.name != "size") {
            return Err(r.misused(&f.name));
        }
    }

    // Reserved words.
    let mut paths = Vec::new();
    for leaf in &all_leaves {
        leaf_operands(leaf)
            .into_iter()
            .for_each(|o| operand_paths(o, &mut paths));
    }
    r.first_reserved(paths)?;

    r.cond(&parsed.tree)
}

impl Resolver<'_, '_> {
    fn cond(&self, c: &RawCond) -> Result<Cond, ExprError> {
        Ok(match c {
            RawCond::Not(inner) => Cond::Not(Box::new(self.cond(inner)?)),
            RawCond::And(a, b) => Cond::And(Box::new(self.cond(a)?), Box::new(self.cond(b)?)),
            RawCond::Or(a, b) => Cond::Or(Box::new(self.cond(a)?), Box::new(self.cond(b)?)),
            leaf => self.leaf(leaf)?,
        })
    }

    /// One leaf: resolve its operands, then run its checks in order.
    fn leaf(&self, c: &RawCond) -> Result<Cond, ExprError> {
        // 1. names and values, in source order
        let ops = leaf_operands(c);
        let vals: Vec<Val> = ops.iter().map(|o| self.val(o)).collect::<Result<_, _>>()?;
        // 2. operand counts
        let mut funcs = Vec::new();
        ops.iter().for_each(|o| operand_funcs(o, &mut funcs));
        if let RawCond::Func(f) = c {
            funcs.push(f);
        }
        for f in &funcs {
            let want = match f.name.as_str() {
                "attribute_type" | "begins_with" | "contains" => 2,
                _ => 1,
            };
            self.operand_count(f, want)?;
        }
        // 3. the first operand repeated
        let op_name = match c {
            RawCond::Cmp(op, ..) => op.symbol().to_string(),
            RawCond::Between(..) => "BETWEEN".to_string(),
            RawCond::In(..) => "IN".to_string(),
            RawCond::Func(f) => f.name.clone(),
            _ => String::new(),
        };
        if let (Some(Val::Path(first)), true) = (vals.first(), vals.len() > 1)
            && vals[1..]
                .iter()
                .any(|v| matches!(v, Val::Path(p) if p == first))
        {
            return Err(self.err(format!(
                "The first operand must be distinct from the remaining operands for this operator or function; operator: {op_name}, first operand: {}",
                path_str(first)
            )));
        }
        // 4. operand types
        for v in &vals {
            self.check_size_args(v)?;
        }
        let mut vals = vals.into_iter();
        let mut next = || vals.next().unwrap_or(Val::Const(AttributeValue::Null));
        Ok(match c {
            RawCond::Cmp(op, ..) => {
                let (a, b) = (next(), next());
                if !matches!(op, CmpOp::Eq | CmpOp::Ne) {
                    self.orderable(op.symbol(), &a)?;
                    self.orderable(op.symbol(), &b)?;
                }
                Cond::Cmp(*op, a, b)
            }
            RawCond::Between(..) => {
                let (a, lo, hi) = (next(), next(), next());
                for v in [&a, &lo, &hi] {
                    self.orderable("BETWEEN", v)?;
                }
                self.between_bounds(&lo, &hi)?;
                Cond::Between(a, lo, hi)
            }
            RawCond::In(_, list) => {
                if list.len() > MAX_IN_OPERANDS {
                    // DynamoDB Local: TOO_MANY_OPERANDS_FOR_IN; detail
                    // wording after ';' unverified.
                    return Err(self.err(format!(
                        "The IN operator is provided with too many operands; number of operands: {}",
                        list.len()
                    )));
                }
                let a = next();
                Cond::In(a, (0..list.len()).map(|_| next()).collect())
            }
            RawCond::Func(f) => self.condition_function(&f.name, next(), next())?,
            RawCond::Not(_) | RawCond::And(..) | RawCond::Or(..) => {
                return Err(self.err("Syntax error; unexpected condition"));
            }
        })
    }

    fn val(&self, op: &Operand) -> Result<Val, ExprError> {
        Ok(match op {
            Operand::Path(p) => Val::Path(self.path(p)?),
            Operand::Value(v) => Val::Const(self.value(v)?),
            Operand::Func(f) => {
                // Only size() gets here (others were rejected as misused);
                // its arity is checked after all names are resolved.
                let mut args = f
                    .args
                    .iter()
                    .map(|a| self.val(a))
                    .collect::<Result<Vec<_>, _>>()?;
                Val::Size(Box::new(args.swap_remove(0)))
            }
        })
    }

    /// `size(x)` of a constant number, boolean or null is a type error.
    fn check_size_args(&self, v: &Val) -> Result<(), ExprError> {
        if let Val::Size(inner) = v {
            self.check_size_args(inner)?;
            let ty = match inner.as_ref() {
                Val::Const(c) => type_code(c),
                Val::Size(_) => "N",
                Val::Path(_) => return Ok(()),
            };
            if matches!(ty, "N" | "BOOL" | "NULL") {
                return Err(self.operand_type("size", ty));
            }
        }
        Ok(())
    }

    /// `<`, `<=`, `>`, `>=` and BETWEEN take S, N or B constants only.
    fn orderable(&self, op: &str, v: &Val) -> Result<(), ExprError> {
        if let Val::Const(c) = v {
            let ty = type_code(c);
            if !matches!(ty, "S" | "N" | "B") {
                return Err(self.operand_type(op, ty));
            }
        }
        Ok(())
    }

    fn between_bounds(&self, lo: &Val, hi: &Val) -> Result<(), ExprError> {
        let (Val::Const(lo), Val::Const(hi)) = (lo, hi) else {
            return Ok(());
        };
        let show = |v: &AttributeValue| format!("{{{}:{}}}", type_code(v), scalar_text(v));
        let bounds = format!(
            "lower bound operand: AttributeValue: {}, upper bound operand: AttributeValue: {}",
            show(lo),
            show(hi)
        );
        if type_code(lo) != type_code(hi) {
            return Err(self.err(format!(
                "The BETWEEN operator requires same data type for lower and upper bounds; {bounds}"
            )));
        }
        if compare(lo, hi) == Some(std::cmp::Ordering::Greater) {
            return Err(self.err(format!(
                "The BETWEEN operator requires upper bound to be greater than or equal to lower bound; {bounds}"
            )));
        }
        Ok(())
    }

    fn condition_function(&self, name: &str, a: Val, b: Val) -> Result<Cond, ExprError> {
        Ok(match name {
            "attribute_exists" | "attribute_not_exists" => {
                let Val::Path(p) = a else {
                    return Err(self.requires_path(name));
                };
                if name == "attribute_exists" {
                    Cond::Exists(p)
                } else {
                    Cond::NotExists(p)
                }
            }
            "attribute_type" => {
                let Val::Path(p) = a else {
                    return Err(self.requires_path(name));
                };
                match b {
                    Val::Const(AttributeValue::S(t)) => {
                        if !TYPE_NAMES.contains(&t.as_str()) {
                            return Err(self.err(format!(
                                "Invalid attribute type name found; type: {t}, valid types: {{B,NULL,SS,BOOL,L,BS,N,NS,S,M}}"
                            )));
                        }
                        Cond::Type(p, t)
                    }
                    Val::Const(other) => return Err(self.operand_type(name, type_code(&other))),
                    Val::Size(_) => return Err(self.operand_type(name, "N")),
                    Val::Path(_) => {
                        return Err(self.operand_type(name, "{NS,SS,L,BS,N,M,B,BOOL,NULL,S}"));
                    }
                }
            }
            "begins_with" => {
                for v in [&a, &b] {
                    let ty = match v {
                        Val::Const(c) => type_code(c),
                        Val::Size(_) => "N",
                        Val::Path(_) => continue,
                    };
                    if !matches!(ty, "S" | "B") {
                        return Err(self.operand_type(name, ty));
                    }
                }
                Cond::BeginsWith(a, b)
            }
            _ => Cond::Contains(a, b),
        })
    }
}

/// The scalar text DynamoDB prints inside `{S:…}` in BETWEEN messages.
fn scalar_text(v: &AttributeValue) -> String {
    match v {
        AttributeValue::S(s) => s.clone(),
        AttributeValue::N(n) => n.to_string(),
        // DynamoDB's text for binary bounds is unknown; base64 as on the wire.
        AttributeValue::B(b) => {
            use base64::Engine as _;
            base64::engine::general_purpose::STANDARD.encode(b)
        }
        other => format!("{}", crate::ast::ShowValue(other)),
    }
}
