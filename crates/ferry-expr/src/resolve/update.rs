//! Resolution and checks of update expressions.

use std::collections::BTreeSet;

use ferry_model::AttributeValue;

use super::{
    CONDITION_FUNCTIONS, Resolver, UPDATE_FUNCTIONS, check_overlaps, operand_funcs, operand_paths,
};
use crate::ast::{Operand, RawAction, RawSection, RawSetValue, UAction, UVal};
use crate::error::ExprError;
use crate::functions::type_code;
use crate::lexer::Kw;
use crate::parser::Parsed;
use crate::{Path, Placeholders};

/// Compile parsed update clauses into (target path, action) pairs in
/// source order.
pub(crate) fn update(
    parsed: Parsed<Vec<RawSection>>,
    kind: &str,
    p: &Placeholders<'_>,
) -> Result<Vec<(Path, UAction)>, ExprError> {
    let r = Resolver { p, kind };
    if parsed.redundant_parens {
        return Err(r.err("The expression has redundant parentheses;"));
    }
    let actions: Vec<&RawAction> = parsed.tree.iter().flat_map(|s| &s.actions).collect();

    // Reserved words (targets and operands, in source order).
    let mut paths = Vec::new();
    for a in &actions {
        match a {
            RawAction::Set(t, v) => {
                paths.push(t);
                set_value_operands(v)
                    .into_iter()
                    .for_each(|o| operand_paths(o, &mut paths));
            }
            RawAction::Remove(t) | RawAction::Add(t, _) | RawAction::Delete(t, _) => paths.push(t),
        }
    }
    r.first_reserved(paths)?;

    // Function names.
    let mut funcs = Vec::new();
    for a in &actions {
        if let RawAction::Set(_, v) = a {
            set_value_operands(v)
                .into_iter()
                .for_each(|o| operand_funcs(o, &mut funcs));
        }
    }
    for f in &funcs {
        if CONDITION_FUNCTIONS.contains(&f.name.as_str()) {
            return Err(r.err(format!(
                "The function is not allowed in an update expression; function: {}",
                f.name
            )));
        }
        if !UPDATE_FUNCTIONS.contains(&f.name.as_str()) {
            return Err(r.err(format!("Invalid function name; function: {}", f.name)));
        }
    }

    // Each clause at most once.
    let mut seen = BTreeSet::new();
    for s in &parsed.tree {
        let name = match s.kw {
            Kw::Set => "SET",
            Kw::Remove => "REMOVE",
            Kw::Add => "ADD",
            _ => "DELETE",
        };
        if !seen.insert(name) {
            return Err(r.err(format!(
                "The \"{name}\" section can only be used once in an update expression;"
            )));
        }
    }

    // Names first (all of them), then values.
    let mut targets = Vec::with_capacity(actions.len());
    for a in &actions {
        let (t, v) = match a {
            RawAction::Set(t, v) => (t, set_value_operands(v)),
            RawAction::Remove(t) | RawAction::Add(t, _) | RawAction::Delete(t, _) => (t, vec![]),
        };
        targets.push(r.path(t)?);
        let mut ps = Vec::new();
        v.into_iter().for_each(|o| operand_paths(o, &mut ps));
        for path in ps {
            r.path(path)?;
        }
    }
    let mut resolved = Vec::with_capacity(actions.len());
    for (a, target) in actions.iter().zip(targets) {
        let action = match a {
            RawAction::Set(_, v) => UAction::Set(r.set_value(v)?),
            RawAction::Remove(_) => UAction::Remove,
            RawAction::Add(_, v) => UAction::Add(r.value(v)?),
            RawAction::Delete(_, v) => UAction::Delete(r.value(v)?),
        };
        resolved.push((target, action));
    }

    check_overlaps(&r, resolved.iter().map(|(p, _)| p))?;

    // ADD and DELETE operand types.
    for (_, a) in &resolved {
        let (op, v) = match a {
            UAction::Add(v) => ("ADD", v),
            UAction::Delete(v) => ("DELETE", v),
            _ => continue,
        };
        let ok = match v {
            AttributeValue::SS(_) | AttributeValue::NS(_) | AttributeValue::BS(_) => true,
            AttributeValue::N(_) => op == "ADD",
            _ => false,
        };
        if !ok {
            let ty = match v {
                AttributeValue::S(_) => "STRING",
                AttributeValue::N(_) => "NUMBER",
                AttributeValue::B(_) => "BINARY",
                AttributeValue::Null => "NULL",
                AttributeValue::Bool(_) => "BOOLEAN",
                AttributeValue::L(_) => "LIST",
                _ => "MAP",
            };
            return Err(r.err(format!(
                "Incorrect operand type for operator or function; operator: {op}, operand type: {ty}"
            )));
        }
    }

    // Function arity and operand checks (innermost first).
    for a in &actions {
        if let RawAction::Set(_, v) = a {
            r.check_set_value(v)?;
        }
    }
    Ok(resolved)
}

fn set_value_operands(v: &RawSetValue) -> Vec<&Operand> {
    match v {
        RawSetValue::Operand(o) => vec![o],
        RawSetValue::Plus(a, b) | RawSetValue::Minus(a, b) => vec![a, b],
    }
}

impl Resolver<'_, '_> {
    fn set_value(&self, v: &RawSetValue) -> Result<UVal, ExprError> {
        Ok(match v {
            RawSetValue::Operand(o) => self.uval(o)?,
            RawSetValue::Plus(a, b) => UVal::Plus(Box::new(self.uval(a)?), Box::new(self.uval(b)?)),
            RawSetValue::Minus(a, b) => {
                UVal::Minus(Box::new(self.uval(a)?), Box::new(self.uval(b)?))
            }
        })
    }

    fn uval(&self, o: &Operand) -> Result<UVal, ExprError> {
        Ok(match o {
            Operand::Path(p) => UVal::Path(self.path(p)?),
            Operand::Value(v) => UVal::Const(self.value(v)?),
            Operand::Func(f) => {
                let args = f
                    .args
                    .iter()
                    .map(|a| self.uval(a))
                    .collect::<Result<Vec<_>, _>>()?;
                let mut args = args.into_iter();
                let (Some(a), Some(b), None) = (args.next(), args.next(), args.next()) else {
                    // Wrong arity: reported later by check_set_value.
                    return Ok(UVal::Const(AttributeValue::Null));
                };
                match (f.name.as_str(), a) {
                    ("if_not_exists", UVal::Path(p)) => UVal::IfNotExists(p, Box::new(b)),
                    ("if_not_exists", _) => UVal::Const(AttributeValue::Null),
                    (_, a) => UVal::ListAppend(Box::new(a), Box::new(b)),
                }
            }
        })
    }

    /// Arity, document-path and constant-type checks of update functions and
    /// `+`/`-`, innermost first.
    fn check_set_value(&self, v: &RawSetValue) -> Result<(), ExprError> {
        for o in set_value_operands(v) {
            self.check_update_operand(o)?;
        }
        if let RawSetValue::Plus(a, b) | RawSetValue::Minus(a, b) = v {
            let op = if matches!(v, RawSetValue::Plus(..)) {
                "+"
            } else {
                "-"
            };
            for o in [a, b] {
                if let Operand::Value(key) = o {
                    let ty = self.value(key).map(|c| type_code(&c))?;
                    if ty != "N" {
                        return Err(self.operand_type(op, ty));
                    }
                }
            }
        }
        Ok(())
    }

    fn check_update_operand(&self, o: &Operand) -> Result<(), ExprError> {
        let Operand::Func(f) = o else {
            return Ok(());
        };
        for a in &f.args {
            self.check_update_operand(a)?;
        }
        self.operand_count(f, 2)?;
        if f.name == "if_not_exists" {
            if !matches!(f.args[0], Operand::Path(_)) {
                return Err(self.requires_path("if_not_exists"));
            }
        } else {
            // DynamoDB refuses list_append nested in list_append (ScyllaDB's
            // Alternator tests record the message); if_not_exists inside it
            // is allowed.
            if f.args
                .iter()
                .any(|a| matches!(a, Operand::Func(inner) if inner.name == "list_append"))
            {
                return Err(self.misused("list_append"));
            }
            for a in &f.args {
                if let Operand::Value(key) = a {
                    let ty = self.value(key).map(|c| type_code(&c))?;
                    if ty != "L" {
                        return Err(self.operand_type("list_append", ty));
                    }
                }
            }
        }
        Ok(())
    }
}
