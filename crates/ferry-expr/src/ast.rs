//! The syntax trees: the parser's raw tree (placeholders still as written)
//! and the resolved tree the evaluators run (names and values substituted).
//!
//! The resolved trees print as S-expressions (`(= a.b[1] S:"x")`); the golden
//! tests compare those dumps.

use std::fmt;

use ferry_model::AttributeValue;

use crate::lexer::Kw;
use crate::{Path, PathElem};

// ---------------------------------------------------------------- raw tree

/// One segment of a document path as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Seg {
    /// A bare attribute name (checked against the reserved words).
    Ident(String),
    /// `#name`, resolved through ExpressionAttributeNames.
    Name(String),
    /// `[n]`
    Index(usize),
}

/// A document path as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RawPath(pub Vec<Seg>);

/// A function call as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Func {
    pub name: String,
    pub args: Vec<Operand>,
}

/// An operand as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Operand {
    Path(RawPath),
    /// `:value`
    Value(String),
    Func(Func),
}

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Ne => "<>",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }
}

/// A condition as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum RawCond {
    Cmp(CmpOp, Operand, Operand),
    Between(Operand, Operand, Operand),
    In(Operand, Vec<Operand>),
    Func(Func),
    Not(Box<RawCond>),
    And(Box<RawCond>, Box<RawCond>),
    Or(Box<RawCond>, Box<RawCond>),
}

/// The right-hand side of a SET action as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum RawSetValue {
    Operand(Operand),
    Plus(Operand, Operand),
    Minus(Operand, Operand),
}

/// One update action as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum RawAction {
    Set(RawPath, RawSetValue),
    Remove(RawPath),
    Add(RawPath, String),
    Delete(RawPath, String),
}

/// One clause (`SET …`, `REMOVE …`, …) of an update expression.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RawSection {
    pub kw: Kw,
    pub actions: Vec<RawAction>,
}

// ----------------------------------------------------------- resolved tree

/// A resolved condition operand.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Val {
    Path(Path),
    Const(AttributeValue),
    Size(Box<Val>),
}

/// A resolved condition.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Cond {
    Cmp(CmpOp, Val, Val),
    Between(Val, Val, Val),
    In(Val, Vec<Val>),
    Exists(Path),
    NotExists(Path),
    /// `attribute_type(path, :t)`; the type name is checked at compile time.
    Type(Path, String),
    BeginsWith(Val, Val),
    Contains(Val, Val),
    Not(Box<Cond>),
    And(Box<Cond>, Box<Cond>),
    Or(Box<Cond>, Box<Cond>),
}

/// A resolved SET value.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum UVal {
    Path(Path),
    Const(AttributeValue),
    IfNotExists(Path, Box<UVal>),
    ListAppend(Box<UVal>, Box<UVal>),
    Plus(Box<UVal>, Box<UVal>),
    Minus(Box<UVal>, Box<UVal>),
}

/// A resolved update action on one path.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum UAction {
    Set(UVal),
    Remove,
    Add(AttributeValue),
    Delete(AttributeValue),
}

// ----------------------------------------------------------------- display

/// Whether `name` can be printed bare in a path dump.
fn is_plain(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, elem) in self.0.iter().enumerate() {
            match elem {
                PathElem::Attr(name) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    if is_plain(name) {
                        f.write_str(name)?;
                    } else {
                        write!(f, "{name:?}")?;
                    }
                }
                PathElem::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

/// A compact one-line rendering of a value: `S:"x"`, `N:5`, `SS:["a","b"]`.
pub(crate) struct ShowValue<'a>(pub &'a AttributeValue);

impl fmt::Display for ShowValue<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn hex(b: &[u8]) -> String {
            b.iter().map(|x| format!("{x:02x}")).collect()
        }
        match self.0 {
            AttributeValue::S(s) => write!(f, "S:{s:?}"),
            AttributeValue::N(n) => write!(f, "N:{}", n),
            AttributeValue::B(b) => write!(f, "B:0x{}", hex(b)),
            AttributeValue::SS(v) => write!(f, "SS:{v:?}"),
            AttributeValue::NS(v) => {
                let parts: Vec<String> = v.iter().map(|n| n.to_string()).collect();
                write!(f, "NS:[{}]", parts.join(","))
            }
            AttributeValue::BS(v) => {
                let parts: Vec<String> = v.iter().map(|b| format!("0x{}", hex(b))).collect();
                write!(f, "BS:[{}]", parts.join(","))
            }
            AttributeValue::M(m) => {
                f.write_str("M:{")?;
                for (i, (k, v)) in m.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{k:?}:{}", ShowValue(v))?;
                }
                f.write_str("}")
            }
            AttributeValue::L(l) => {
                f.write_str("L:[")?;
                for (i, v) in l.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{}", ShowValue(v))?;
                }
                f.write_str("]")
            }
            AttributeValue::Null => f.write_str("NULL"),
            AttributeValue::Bool(b) => write!(f, "BOOL:{b}"),
        }
    }
}

impl fmt::Display for Val {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Val::Path(p) => write!(f, "{p}"),
            Val::Const(v) => write!(f, "{}", ShowValue(v)),
            Val::Size(v) => write!(f, "(size {v})"),
        }
    }
}

impl fmt::Display for Cond {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cond::Cmp(op, a, b) => write!(f, "({} {a} {b})", op.symbol()),
            Cond::Between(a, lo, hi) => write!(f, "(BETWEEN {a} {lo} {hi})"),
            Cond::In(a, list) => {
                write!(f, "(IN {a}")?;
                for v in list {
                    write!(f, " {v}")?;
                }
                f.write_str(")")
            }
            Cond::Exists(p) => write!(f, "(attribute_exists {p})"),
            Cond::NotExists(p) => write!(f, "(attribute_not_exists {p})"),
            Cond::Type(p, t) => write!(f, "(attribute_type {p} {t})"),
            Cond::BeginsWith(a, b) => write!(f, "(begins_with {a} {b})"),
            Cond::Contains(a, b) => write!(f, "(contains {a} {b})"),
            Cond::Not(c) => write!(f, "(NOT {c})"),
            Cond::And(a, b) => write!(f, "(AND {a} {b})"),
            Cond::Or(a, b) => write!(f, "(OR {a} {b})"),
        }
    }
}

impl fmt::Display for UVal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UVal::Path(p) => write!(f, "{p}"),
            UVal::Const(v) => write!(f, "{}", ShowValue(v)),
            UVal::IfNotExists(p, v) => write!(f, "(if_not_exists {p} {v})"),
            UVal::ListAppend(a, b) => write!(f, "(list_append {a} {b})"),
            UVal::Plus(a, b) => write!(f, "(+ {a} {b})"),
            UVal::Minus(a, b) => write!(f, "(- {a} {b})"),
        }
    }
}
