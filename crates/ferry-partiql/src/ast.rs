//! The typed syntax tree of DynamoDB's PartiQL subset, as the parser builds
//! it (parameters still `?n`, literals still as written). It prints as an
//! S-expression; the golden tests compare those dumps.

use std::fmt;

/// A statement.
#[derive(Clone, Debug, PartialEq)]
pub enum Statement {
    Select(Select),
    Insert(Insert),
    Update(Update),
    Delete(Delete),
    /// `EXISTS(SELECT … WHERE <key> [AND <condition>])`: a condition check
    /// in a write transaction.
    Exists(Select),
}

impl Statement {
    /// The table the statement names.
    pub fn table(&self) -> &str {
        match self {
            Statement::Select(s) | Statement::Exists(s) => &s.source.table,
            Statement::Insert(s) => &s.table,
            Statement::Update(s) => &s.table,
            Statement::Delete(s) => &s.table,
        }
    }

    /// Whether the statement only reads (SELECT).
    pub fn is_read(&self) -> bool {
        matches!(self, Statement::Select(_))
    }

    /// Whether the statement has a RETURNING clause.
    pub fn has_returning(&self) -> bool {
        match self {
            Statement::Update(u) => u.returning.is_some(),
            Statement::Delete(d) => d.returning.is_some(),
            Statement::Select(_) | Statement::Insert(_) | Statement::Exists(_) => false,
        }
    }
}

/// `"table"` or `"table"."index"`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    pub table: String,
    pub index: Option<String>,
}

/// `SELECT <projection> FROM <source> [WHERE <filter>] [ORDER BY …]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Select {
    /// `None` for `*`.
    pub projection: Option<Vec<Path>>,
    pub source: Source,
    pub filter: Option<Expr>,
    /// `ORDER BY` terms (empty without the clause).
    pub order_by: Vec<OrderTerm>,
}

/// One `ORDER BY` term: `<path> [ASC | DESC]`.
#[derive(Clone, Debug, PartialEq)]
pub struct OrderTerm {
    pub path: Path,
    pub descending: bool,
}

/// `INSERT INTO <table> VALUE <value>`.
#[derive(Clone, Debug, PartialEq)]
pub struct Insert {
    pub table: String,
    pub value: Expr,
}

/// `UPDATE <table> SET …/REMOVE … [WHERE …] [RETURNING …]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Update {
    pub table: String,
    pub actions: Vec<Action>,
    pub filter: Option<Expr>,
    pub returning: Option<Returning>,
}

/// `DELETE FROM <table> [WHERE …] [RETURNING ALL OLD *]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Delete {
    pub table: String,
    pub filter: Option<Expr>,
    pub returning: Option<Returning>,
}

/// What a RETURNING clause asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Returning {
    AllOld,
    ModifiedOld,
    AllNew,
    ModifiedNew,
}

impl Returning {
    /// As written: `ALL OLD`, `MODIFIED NEW`, ….
    pub fn as_sql(self) -> &'static str {
        match self {
            Returning::AllOld => "ALL OLD",
            Returning::ModifiedOld => "MODIFIED OLD",
            Returning::AllNew => "ALL NEW",
            Returning::ModifiedNew => "MODIFIED NEW",
        }
    }
}

/// One UPDATE action.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    Set(Path, Expr),
    Remove(Path),
}

/// A document path (`a`, `"a".b[2]`, `a['b']`) is ferry-expr's `Path`, so a
/// planned statement hands its paths to the evaluator as they are.
pub use ferry_expr::{Path, PathElem};

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    /// The operator in DynamoDB's expression language.
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

/// An expression: a condition in WHERE, a value in SET or VALUE.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    Path(Path),
    /// A number literal as written, with its sign.
    Num(String),
    Str(String),
    Bool(bool),
    Null,
    /// The n-th `?` (0-based).
    Param(usize),
    List(Vec<Expr>),
    Map(Vec<(String, Expr)>),
    /// `<<…>>`: a string or number set.
    Bag(Vec<Expr>),
    Cmp(CmpOp, Box<Expr>, Box<Expr>),
    Between(Box<Expr>, Box<Expr>, Box<Expr>),
    In(Box<Expr>, Vec<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    /// `x IS [NOT] MISSING` (`negated` for NOT).
    IsMissing(Box<Expr>, bool),
    /// `x IS [NOT] NULL`.
    IsNull(Box<Expr>, bool),
    /// A function call; the name lower-cased.
    Call(String, Vec<Expr>),
    Add(Box<Expr>, Box<Expr>),
    Sub(Box<Expr>, Box<Expr>),
}

// ----------------------------------------------------------------- display

fn list(f: &mut fmt::Formatter<'_>, open: &str, items: &[Expr], close: &str) -> fmt::Result {
    f.write_str(open)?;
    for (i, e) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(" ")?;
        }
        write!(f, "{e}")?;
    }
    f.write_str(close)
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Path(p) => write!(f, "{p}"),
            Expr::Num(n) => f.write_str(n),
            Expr::Str(s) => write!(f, "'{}'", s.replace('\'', "''")),
            Expr::Bool(b) => write!(f, "{}", if *b { "TRUE" } else { "FALSE" }),
            Expr::Null => f.write_str("NULL"),
            Expr::Param(n) => write!(f, "?{n}"),
            Expr::List(l) => list(f, "[", l, "]"),
            Expr::Bag(l) => list(f, "<<", l, ">>"),
            Expr::Map(m) => {
                f.write_str("{")?;
                for (i, (k, v)) in m.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" ")?;
                    }
                    write!(f, "'{k}': {v}")?;
                }
                f.write_str("}")
            }
            Expr::Cmp(op, a, b) => write!(f, "({} {a} {b})", op.symbol()),
            Expr::Between(a, lo, hi) => write!(f, "(BETWEEN {a} {lo} {hi})"),
            Expr::In(a, l) => {
                write!(f, "(IN {a} ")?;
                list(f, "[", l, "])")
            }
            Expr::And(a, b) => write!(f, "(AND {a} {b})"),
            Expr::Or(a, b) => write!(f, "(OR {a} {b})"),
            Expr::Not(a) => write!(f, "(NOT {a})"),
            Expr::IsMissing(a, neg) => {
                write!(f, "(IS{} MISSING {a})", if *neg { " NOT" } else { "" })
            }
            Expr::IsNull(a, neg) => write!(f, "(IS{} NULL {a})", if *neg { " NOT" } else { "" }),
            Expr::Call(name, args) => {
                write!(f, "({name}")?;
                for a in args {
                    write!(f, " {a}")?;
                }
                f.write_str(")")
            }
            Expr::Add(a, b) => write!(f, "(+ {a} {b})"),
            Expr::Sub(a, b) => write!(f, "(- {a} {b})"),
        }
    }
}

fn source(f: &mut fmt::Formatter<'_>, table: &str, index: Option<&str>) -> fmt::Result {
    write!(f, "{table:?}")?;
    if let Some(ix) = index {
        write!(f, ".{ix:?}")?;
    }
    Ok(())
}

fn opt_where(f: &mut fmt::Formatter<'_>, w: &Option<Expr>) -> fmt::Result {
    match w {
        Some(w) => write!(f, " (WHERE {w})"),
        None => Ok(()),
    }
}

impl fmt::Display for Statement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Statement::Exists(s) => {
                let inner = Statement::Select(s.clone());
                write!(f, "(EXISTS {inner}")?;
            }
            Statement::Select(s) => {
                f.write_str("(SELECT ")?;
                match &s.projection {
                    None => f.write_str("*")?,
                    Some(paths) => {
                        let p: Vec<String> = paths.iter().map(ToString::to_string).collect();
                        write!(f, "[{}]", p.join(" "))?;
                    }
                }
                f.write_str(" FROM ")?;
                source(f, &s.source.table, s.source.index.as_deref())?;
                opt_where(f, &s.filter)?;
                if !s.order_by.is_empty() {
                    f.write_str(" (ORDER BY")?;
                    for t in &s.order_by {
                        let dir = if t.descending { "DESC" } else { "ASC" };
                        write!(f, " {} {dir}", t.path)?;
                    }
                    f.write_str(")")?;
                }
            }
            Statement::Insert(s) => {
                f.write_str("(INSERT ")?;
                source(f, &s.table, None)?;
                write!(f, " {}", s.value)?;
            }
            Statement::Update(s) => {
                f.write_str("(UPDATE ")?;
                source(f, &s.table, None)?;
                for a in &s.actions {
                    match a {
                        Action::Set(p, v) => write!(f, " (SET {p} {v})")?,
                        Action::Remove(p) => write!(f, " (REMOVE {p})")?,
                    }
                }
                opt_where(f, &s.filter)?;
                if let Some(r) = s.returning {
                    write!(f, " (RETURNING {})", r.as_sql())?;
                }
            }
            Statement::Delete(s) => {
                f.write_str("(DELETE ")?;
                source(f, &s.table, None)?;
                opt_where(f, &s.filter)?;
                if let Some(r) = s.returning {
                    write!(f, " (RETURNING {})", r.as_sql())?;
                }
            }
        }
        f.write_str(")")
    }
}
