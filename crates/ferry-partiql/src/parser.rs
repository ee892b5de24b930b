//! The recursive-descent parser: tokens to a [`Statement`], with DynamoDB's
//! messages for what it refuses (recorded against DynamoDB; see
//! docs/design/partiql.md for the sources and the texts Ferry chose where
//! DynamoDB's are unknown).
//!
//! Precedence, lowest first: `OR`, `AND`, `NOT`, the predicates (`=`, `<>`,
//! `<`, `<=`, `>`, `>=`, `BETWEEN`, `IN`, `IS`), `+`/`-`, terms.

use crate::ast::{
    Action, CmpOp, Delete, Expr, Insert, OrderTerm, Path, PathElem, Returning, Select, Source,
    Statement, Update,
};
use crate::error::PartiqlError;
use crate::lexer::{Tok, Token, lex};
use crate::reserved::{is_reserved, is_structural};

const LEFTOVER: &str = "Unexpected token after expression";
const NO_RHS: &str = "Missing right-hand side expression of infix operator";
const ON_INDEX: &str = "This operation is not supported on an index";

/// Reserved words that are operators (a term cannot start with them).
const OPERATOR_WORDS: &[&str] = &["AND", "OR", "IS", "LIKE", "BETWEEN", "IN"];

/// Parse one statement.
pub fn parse(text: &str) -> Result<Statement, PartiqlError> {
    let mut p = Parser {
        toks: lex(text)?,
        pos: 0,
        params: 0,
    };
    let stmt = p.statement()?;
    p.eat_punct(";");
    if p.peek() != &Tok::Eof {
        return Err(PartiqlError::malformed(LEFTOVER, p.at()));
    }
    Ok(stmt)
}

/// How many `?` parameters `text` holds (0 when it does not parse).
pub fn parameter_count(text: &str) -> usize {
    lex(text).map_or(0, |t| t.iter().filter(|t| t.tok == Tok::Param).count())
}

struct Parser {
    toks: Vec<Token>,
    pos: usize,
    params: usize,
}

impl Parser {
    fn peek(&self) -> &Tok {
        &self.toks[self.pos.min(self.toks.len() - 1)].tok
    }

    fn peek_at(&self, n: usize) -> &Tok {
        &self.toks[(self.pos + n).min(self.toks.len() - 1)].tok
    }

    fn at(&self) -> usize {
        self.toks[self.pos.min(self.toks.len() - 1)].at
    }

    fn bump(&mut self) -> Tok {
        let t = self.peek().clone();
        if self.pos < self.toks.len() - 1 {
            self.pos += 1;
        }
        t
    }

    fn is_kw(&self, kw: &str) -> bool {
        matches!(self.peek(), Tok::Word(w) if w.eq_ignore_ascii_case(kw))
    }

    fn eat_kw(&mut self, kw: &str) -> bool {
        let yes = self.is_kw(kw);
        if yes {
            self.bump();
        }
        yes
    }

    fn eat_punct(&mut self, p: &str) -> bool {
        let yes = matches!(self.peek(), Tok::Punct(q) if *q == p);
        if yes {
            self.bump();
        }
        yes
    }

    fn malformed(&self, detail: &str) -> PartiqlError {
        PartiqlError::malformed(detail, self.at())
    }

    fn expect_kw(&mut self, kw: &str) -> Result<(), PartiqlError> {
        if self.eat_kw(kw) {
            Ok(())
        } else {
            Err(self.unexpected())
        }
    }

    fn expect_punct(&mut self, p: &str) -> Result<(), PartiqlError> {
        if self.eat_punct(p) {
            Ok(())
        } else {
            Err(self.unexpected())
        }
    }

    /// DynamoDB's message for a token where a term should start.
    fn unexpected(&self) -> PartiqlError {
        let detail = match self.peek() {
            Tok::Word(w) if OPERATOR_WORDS.iter().any(|o| o.eq_ignore_ascii_case(w)) => {
                "Unexpected operator"
            }
            Tok::Word(w) if is_reserved(w) => "Unexpected keyword",
            Tok::Punct(p) if ["=", "<>", "!=", "<", "<=", ">", ">=", "*", "+"].contains(p) => {
                "Unexpected operator"
            }
            _ => "Unexpected term",
        };
        self.malformed(detail)
    }

    // ------------------------------------------------------------ statements

    fn statement(&mut self) -> Result<Statement, PartiqlError> {
        if self.eat_kw("SELECT") {
            self.select().map(Statement::Select)
        } else if self.eat_kw("INSERT") {
            self.insert().map(Statement::Insert)
        } else if self.eat_kw("UPDATE") {
            self.update().map(Statement::Update)
        } else if self.eat_kw("DELETE") {
            self.delete().map(Statement::Delete)
        } else if self.is_kw("EXISTS") && self.peek_at(1) == &Tok::Punct("(") {
            self.bump();
            self.bump();
            self.expect_kw("SELECT")?;
            let select = self.select()?;
            self.expect_punct(")")?;
            Ok(Statement::Exists(select))
        } else {
            Err(self.malformed("Expected data manipulation"))
        }
    }

    fn select(&mut self) -> Result<Select, PartiqlError> {
        let projection = if self.eat_punct("*") {
            if self.peek() == &Tok::Punct(",") {
                return Err(PartiqlError::at(
                    "Other attributes should not be present in the projection when '*' is used.",
                    self.at(),
                ));
            }
            None
        } else {
            let mut paths = vec![self.path()?];
            while self.eat_punct(",") {
                paths.push(self.path()?);
            }
            Some(paths)
        };
        self.expect_kw("FROM")?;
        let source = self.source("Unexpected term")?;
        self.no_alias()?;
        let filter = self.opt_where()?;
        let mut order_by = Vec::new();
        if self.eat_kw("ORDER") {
            self.expect_kw("BY")?;
            loop {
                let path = self.path()?;
                let descending = if self.eat_kw("DESC") {
                    true
                } else {
                    self.eat_kw("ASC");
                    false
                };
                order_by.push(OrderTerm { path, descending });
                if !self.eat_punct(",") {
                    break;
                }
            }
        }
        Ok(Select {
            projection,
            source,
            filter,
            order_by,
        })
    }

    fn insert(&mut self) -> Result<Insert, PartiqlError> {
        self.expect_kw("INTO")?;
        let source = self.source("Expected identifier for simple path")?;
        if source.index.is_some() {
            return Err(PartiqlError::new(
                "FROM clause may only contain a single table name",
            ));
        }
        if !self.eat_kw("VALUE") {
            return Err(self.malformed(LEFTOVER));
        }
        let value = self.expr()?;
        if self.is_kw("RETURNING") {
            return Err(PartiqlError::at(
                "RETURNING is not supported in INSERT",
                self.at(),
            ));
        }
        Ok(Insert {
            table: source.table,
            value,
        })
    }

    fn update(&mut self) -> Result<Update, PartiqlError> {
        let table = self.table_only("Expected identifier for simple path")?;
        self.no_alias()?;
        let mut actions = Vec::new();
        loop {
            if self.eat_kw("SET") {
                loop {
                    let path = self.path()?;
                    self.expect_punct("=")?;
                    actions.push(Action::Set(path, self.operand()?));
                    if !self.eat_punct(",") {
                        break;
                    }
                }
            } else if self.eat_kw("REMOVE") {
                loop {
                    actions.push(Action::Remove(self.path()?));
                    if !self.eat_punct(",") {
                        break;
                    }
                }
            } else {
                break;
            }
        }
        if actions.is_empty() {
            return Err(self.unexpected());
        }
        let filter = self.opt_where()?;
        let returning = self.opt_returning()?;
        Ok(Update {
            table,
            actions,
            filter,
            returning,
        })
    }

    fn delete(&mut self) -> Result<Delete, PartiqlError> {
        if !self.eat_kw("FROM") {
            return Err(self.malformed("Expected identifier for simple path"));
        }
        let table = self.table_only("Expected identifier for simple path")?;
        self.no_alias()?;
        let filter = self.opt_where()?;
        let returning = self.opt_returning()?;
        if let Some(r) = returning
            && r != Returning::AllOld
        {
            return Err(PartiqlError::new(format!(
                "Invalid returning clause: RETURNING {} *. Only RETURNING ALL OLD * is allowed in DELETE statements.",
                r.as_sql()
            )));
        }
        Ok(Delete {
            table,
            filter,
            returning,
        })
    }

    fn table_only(&mut self, missing: &str) -> Result<String, PartiqlError> {
        let source = self.source(missing)?;
        if source.index.is_some() {
            return Err(PartiqlError::new(ON_INDEX));
        }
        Ok(source.table)
    }

    /// `"table"` or `"table"."index"`.
    fn source(&mut self, missing: &str) -> Result<Source, PartiqlError> {
        let mut parts = Vec::new();
        loop {
            let at = self.at();
            let name = match self.peek().clone() {
                Tok::Quoted(q) => q,
                Tok::Word(w) if !is_reserved(&w) => w,
                _ if parts.is_empty() => return Err(self.malformed(missing)),
                _ => return Err(self.unexpected()),
            };
            self.bump();
            if name.is_empty() {
                return Err(PartiqlError::at(
                    "Path component cannot be an empty string",
                    at,
                ));
            }
            parts.push(name);
            if !self.eat_punct(".") {
                break;
            }
        }
        if parts.len() > 2 {
            return Err(PartiqlError::new(
                "A path may contain at most 2 components in the FROM clause",
            ));
        }
        let mut it = parts.into_iter();
        Ok(Source {
            table: it.next().unwrap_or_default(),
            index: it.next(),
        })
    }

    /// A name right after the source is an alias, which DynamoDB refuses.
    fn no_alias(&self) -> Result<(), PartiqlError> {
        match self.peek() {
            Tok::Quoted(_) => {}
            Tok::Word(w) if w.eq_ignore_ascii_case("AS") || !is_reserved(w) => {}
            _ => return Ok(()),
        }
        Err(PartiqlError::at("Aliasing is not supported", self.at()))
    }

    fn opt_where(&mut self) -> Result<Option<Expr>, PartiqlError> {
        if self.eat_kw("WHERE") {
            Ok(Some(self.expr()?))
        } else {
            Ok(None)
        }
    }

    fn opt_returning(&mut self) -> Result<Option<Returning>, PartiqlError> {
        if !self.eat_kw("RETURNING") {
            return Ok(None);
        }
        let all = if self.eat_kw("ALL") {
            true
        } else if self.eat_kw("MODIFIED") {
            false
        } else {
            return Err(self.unexpected());
        };
        let old = if self.eat_kw("OLD") {
            true
        } else if self.eat_kw("NEW") {
            false
        } else {
            return Err(self.unexpected());
        };
        self.expect_punct("*")?;
        Ok(Some(match (all, old) {
            (true, true) => Returning::AllOld,
            (false, true) => Returning::ModifiedOld,
            (true, false) => Returning::AllNew,
            (false, false) => Returning::ModifiedNew,
        }))
    }

    // ----------------------------------------------------------- expressions

    fn expr(&mut self) -> Result<Expr, PartiqlError> {
        let mut left = self.and()?;
        while self.eat_kw("OR") {
            let right = self.rhs(Self::and)?;
            left = Expr::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, PartiqlError> {
        let mut left = self.not()?;
        while self.eat_kw("AND") {
            let right = self.rhs(Self::not)?;
            left = Expr::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    /// The right-hand side of an infix operator.
    fn rhs(
        &mut self,
        f: fn(&mut Parser) -> Result<Expr, PartiqlError>,
    ) -> Result<Expr, PartiqlError> {
        if matches!(self.peek(), Tok::Eof | Tok::Punct(";")) {
            return Err(self.malformed(NO_RHS));
        }
        f(self)
    }

    fn not(&mut self) -> Result<Expr, PartiqlError> {
        if self.eat_kw("NOT") {
            return Ok(Expr::Not(Box::new(self.not()?)));
        }
        self.predicate()
    }

    fn predicate(&mut self) -> Result<Expr, PartiqlError> {
        let left = self.operand()?;
        let op = match self.peek() {
            Tok::Punct("=") => Some(CmpOp::Eq),
            Tok::Punct("<>" | "!=") => Some(CmpOp::Ne),
            Tok::Punct("<") => Some(CmpOp::Lt),
            Tok::Punct("<=") => Some(CmpOp::Le),
            Tok::Punct(">") => Some(CmpOp::Gt),
            Tok::Punct(">=") => Some(CmpOp::Ge),
            _ => None,
        };
        if let Some(op) = op {
            self.bump();
            let right = self.rhs(Self::operand)?;
            return Ok(Expr::Cmp(op, Box::new(left), Box::new(right)));
        }
        let negated = self.is_kw("NOT")
            && matches!(self.peek_at(1), Tok::Word(w)
                if w.eq_ignore_ascii_case("IN") || w.eq_ignore_ascii_case("BETWEEN"));
        if negated {
            self.bump();
        }
        let wrap = |e: Expr| if negated { Expr::Not(Box::new(e)) } else { e };
        if self.eat_kw("BETWEEN") {
            let lo = self.rhs(Self::operand)?;
            self.expect_kw("AND")?;
            let hi = self.rhs(Self::operand)?;
            return Ok(wrap(Expr::Between(
                Box::new(left),
                Box::new(lo),
                Box::new(hi),
            )));
        }
        if self.eat_kw("IN") {
            let close = if self.eat_punct("[") {
                "]"
            } else if self.eat_punct("(") {
                ")"
            } else {
                return Err(self.unexpected());
            };
            let items = self.items(close)?;
            return Ok(wrap(Expr::In(Box::new(left), items)));
        }
        if self.eat_kw("IS") {
            let neg = self.eat_kw("NOT");
            let left = Box::new(left);
            if self.eat_kw("MISSING") {
                return Ok(Expr::IsMissing(left, neg));
            }
            if self.eat_kw("NULL") {
                return Ok(Expr::IsNull(left, neg));
            }
            return Err(self.malformed("Expected type name"));
        }
        Ok(left)
    }

    /// `a`, `a + b`, `a - b`.
    fn operand(&mut self) -> Result<Expr, PartiqlError> {
        let mut left = self.term()?;
        loop {
            if self.eat_punct("+") {
                let r = self.rhs(Self::term)?;
                left = Expr::Add(Box::new(left), Box::new(r));
            } else if self.peek() == &Tok::Punct("-") {
                self.bump();
                let r = self.rhs(Self::term)?;
                left = Expr::Sub(Box::new(left), Box::new(r));
            } else {
                return Ok(left);
            }
        }
    }

    /// Comma-separated expressions up to `close`.
    fn items(&mut self, close: &str) -> Result<Vec<Expr>, PartiqlError> {
        let mut out = Vec::new();
        if self.eat_punct(close) {
            return Ok(out);
        }
        loop {
            out.push(self.expr()?);
            if self.eat_punct(close) {
                return Ok(out);
            }
            self.expect_punct(",")?;
        }
    }

    fn term(&mut self) -> Result<Expr, PartiqlError> {
        match self.peek().clone() {
            Tok::Num(n) => {
                self.bump();
                Ok(Expr::Num(n))
            }
            Tok::Punct("-") if matches!(self.peek_at(1), Tok::Num(_)) => {
                self.bump();
                match self.bump() {
                    Tok::Num(n) => Ok(Expr::Num(format!("-{n}"))),
                    _ => Err(self.unexpected()),
                }
            }
            Tok::Str(s) => {
                self.bump();
                Ok(Expr::Str(s))
            }
            Tok::Param => {
                self.bump();
                self.params += 1;
                Ok(Expr::Param(self.params - 1))
            }
            Tok::Punct("(") => {
                self.bump();
                let e = self.expr()?;
                self.expect_punct(")")?;
                Ok(e)
            }
            Tok::Punct("[") => {
                self.bump();
                Ok(Expr::List(self.items("]")?))
            }
            Tok::Punct("<<") => {
                self.bump();
                Ok(Expr::Bag(self.items(">>")?))
            }
            Tok::Punct("{") => {
                self.bump();
                self.map()
            }
            Tok::Word(w) if w.eq_ignore_ascii_case("TRUE") || w.eq_ignore_ascii_case("FALSE") => {
                self.bump();
                Ok(Expr::Bool(w.eq_ignore_ascii_case("TRUE")))
            }
            Tok::Word(w) if w.eq_ignore_ascii_case("NULL") => {
                self.bump();
                Ok(Expr::Null)
            }
            // A function may bear a reserved name (`size`, `upper`).
            Tok::Word(w) if !is_structural(&w) && self.peek_at(1) == &Tok::Punct("(") => {
                self.bump();
                self.bump();
                let args = self.items(")")?;
                Ok(Expr::Call(w.to_ascii_lowercase(), args))
            }
            Tok::Word(_) | Tok::Quoted(_) => Ok(Expr::Path(self.path()?)),
            _ => Err(self.unexpected()),
        }
    }

    fn map(&mut self) -> Result<Expr, PartiqlError> {
        let mut entries = Vec::new();
        if self.eat_punct("}") {
            return Ok(Expr::Map(entries));
        }
        loop {
            let Tok::Str(key) = self.peek().clone() else {
                return Err(self.unexpected());
            };
            self.bump();
            self.expect_punct(":")?;
            entries.push((key, self.expr()?));
            if self.eat_punct("}") {
                return Ok(Expr::Map(entries));
            }
            self.expect_punct(",")?;
        }
    }

    /// `name ( .name | [n] | ['name'] )*`
    fn path(&mut self) -> Result<Path, PartiqlError> {
        let mut segs = vec![PathElem::Attr(self.name()?)];
        loop {
            if self.eat_punct(".") {
                segs.push(PathElem::Attr(self.name()?));
            } else if self.eat_punct("[") {
                match self.bump() {
                    Tok::Num(n) => {
                        let i = n
                            .parse::<usize>()
                            .map_err(|_| self.malformed("Unexpected term"))?;
                        segs.push(PathElem::Index(i));
                    }
                    Tok::Str(s) => segs.push(PathElem::Attr(s)),
                    _ => return Err(self.malformed("Unexpected term")),
                }
                self.expect_punct("]")?;
            } else {
                return Ok(Path(segs));
            }
        }
    }

    fn name(&mut self) -> Result<String, PartiqlError> {
        match self.peek().clone() {
            Tok::Quoted(q) => {
                self.bump();
                Ok(q)
            }
            Tok::Word(w) if !is_reserved(&w) => {
                self.bump();
                Ok(w)
            }
            _ => Err(self.unexpected()),
        }
    }
}
