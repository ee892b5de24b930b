//! Recursive-descent parser for the four expression grammars (condition,
//! update, projection; key conditions use the condition grammar).
//!
//! The grammar is AWS's own (`DynamoDbGrammar.g4`):
//!
//! ```text
//! condition  := operand comparator operand | operand IN '(' operand (',' operand)* ')'
//!             | operand BETWEEN operand AND operand | func | '(' condition ')'
//!             | NOT condition | condition AND condition | condition OR condition
//! update     := (SET set_action,+ | REMOVE path,+ | ADD path :v,+ | DELETE path :v,+)+
//! set_value  := operand | arithmetic
//! arithmetic := operand ('+'|'-') operand | '(' arithmetic ')'
//! operand    := path | :value | func | '(' operand ')'
//! func       := ID '(' operand (',' operand)* ')'
//! path       := id ('.' id | '[' INDEX ']')*        id := ID | #name
//! projection := path (',' path)*
//! ```
//!
//! Precedence: NOT over AND over OR. Parentheses directly around an already
//! parenthesised condition, operand or arithmetic are "redundant" (an error).
//! Alternatives are tried with backtracking; a syntax error names the token
//! furthest into the input at which every alternative failed.

use crate::ast::{CmpOp, Func, Operand, RawAction, RawCond, RawPath, RawSection, RawSetValue, Seg};
use crate::error::ExprError;
use crate::lexer::{Kw, Tok, Token, lex};

/// A failed parse; where it failed is recorded in `Parser::furthest`.
struct Fail;

type PResult<T> = Result<T, Fail>;

/// What a parse produced besides the tree: the first redundant parenthesis
/// (as a token index), which is an error unless a syntax error comes first.
pub(crate) struct Parsed<T> {
    pub tree: T,
    pub redundant_parens: bool,
}

struct Parser<'s> {
    src: &'s str,
    kind: &'s str,
    toks: Vec<Token>,
    pos: usize,
    /// Furthest token index at which a parse failed.
    furthest: usize,
    /// Token index of the first redundant parenthesis seen.
    redundant: Option<usize>,
    /// Current nesting of parentheses and NOTs.
    depth: usize,
    /// A problem that is not a syntax error (a list index out of range):
    /// reported instead of any syntax error.
    fatal: Option<ExprError>,
}

/// Parse a ConditionExpression / FilterExpression / KeyConditionExpression.
pub(crate) fn parse_condition<'s>(
    src: &'s str,
    kind: &'s str,
) -> Result<Parsed<RawCond>, ExprError> {
    let mut p = Parser::new(src, kind)?;
    let tree = p.parse_or().map(|(c, _)| c);
    p.finish(tree)
}

/// Parse an UpdateExpression into its clauses.
pub(crate) fn parse_update<'s>(
    src: &'s str,
    kind: &'s str,
) -> Result<Parsed<Vec<RawSection>>, ExprError> {
    let mut p = Parser::new(src, kind)?;
    let tree = p.parse_sections();
    p.finish(tree)
}

/// Parse a ProjectionExpression into its paths.
pub(crate) fn parse_projection<'s>(
    src: &'s str,
    kind: &'s str,
) -> Result<Parsed<Vec<RawPath>>, ExprError> {
    let mut p = Parser::new(src, kind)?;
    let tree = p.parse_path_list();
    p.finish(tree)
}

/// Longest expression DynamoDB accepts, in bytes.
const MAX_EXPRESSION_BYTES: usize = 4096;
/// Deepest nesting of parentheses and NOTs parsed; deeper input is a syntax
/// error at the token that goes too deep (keeps the recursion off the end of
/// the stack; 4 KB of text could otherwise nest 2000 levels).
const MAX_DEPTH: usize = 100;

impl<'s> Parser<'s> {
    fn new(src: &'s str, kind: &'s str) -> Result<Self, ExprError> {
        if src.trim_matches([' ', '\t', '\n', '\r']).is_empty() {
            return Err(ExprError::invalid(kind, "The expression can not be empty;"));
        }
        if src.len() > MAX_EXPRESSION_BYTES {
            // DynamoDB Local: EXPRESSION_SIZE_EXCEEDED; the size suffix is
            // DynamoDB's usual "; name: value" detail style (unverified).
            return Err(ExprError::invalid(
                kind,
                format!(
                    "Expression size has exceeded the maximum allowed size; expression size: {}",
                    src.len()
                ),
            ));
        }
        Ok(Parser {
            src,
            kind,
            toks: lex(src),
            pos: 0,
            furthest: 0,
            redundant: None,
            depth: 0,
            fatal: None,
        })
    }

    fn finish<T>(self, tree: PResult<T>) -> Result<Parsed<T>, ExprError> {
        if let Some(e) = self.fatal {
            return Err(e);
        }
        let complete = match tree {
            Ok(t) if self.peek() == Tok::Eof => Some(t),
            _ => None,
        };
        match complete {
            Some(tree) => Ok(Parsed {
                tree,
                redundant_parens: self.redundant.is_some(),
            }),
            None => {
                let at = self.furthest.max(self.pos);
                match self.redundant {
                    Some(r) if r < at => Err(ExprError::invalid(
                        self.kind,
                        "The expression has redundant parentheses;",
                    )),
                    _ => Err(self.syntax_error(at)),
                }
            }
        }
    }

    /// `Syntax error; token: "<tok>", near: "<prev tok … next tok>"`: the
    /// source from the token before the offending one to the token after it
    /// (moto's rule, verified against AWS).
    fn syntax_error(&self, at: usize) -> ExprError {
        let at = at.min(self.toks.len() - 1);
        let tok = self.toks[at];
        let start = if at > 0 {
            self.toks[at - 1].start
        } else {
            tok.start
        };
        let end = if tok.kind == Tok::Eof {
            self.src.len()
        } else {
            self.toks.get(at + 1).map_or(tok.end, |t| t.end)
        };
        ExprError::invalid(
            self.kind,
            format!(
                "Syntax error; token: \"{}\", near: \"{}\"",
                tok.text(self.src),
                &self.src[start..end]
            ),
        )
    }

    // ---------------------------------------------------------- cursor

    fn peek(&self) -> Tok {
        self.toks[self.pos].kind
    }

    fn peek_at(&self, ahead: usize) -> Tok {
        self.toks.get(self.pos + ahead).map_or(Tok::Eof, |t| t.kind)
    }

    fn text(&self) -> &'s str {
        let t = self.toks[self.pos];
        &self.src[t.start..t.end]
    }

    fn fail<T>(&mut self) -> PResult<T> {
        self.furthest = self.furthest.max(self.pos);
        Err(Fail)
    }

    fn bump(&mut self) {
        if self.pos + 1 < self.toks.len() {
            self.pos += 1;
        }
    }

    fn expect(&mut self, kind: Tok) -> PResult<()> {
        if self.peek() == kind {
            self.bump();
            Ok(())
        } else {
            self.fail()
        }
    }

    /// Run `f`; on failure rewind to where it started.
    fn attempt<T>(&mut self, f: impl FnOnce(&mut Self) -> PResult<T>) -> PResult<T> {
        let (pos, redundant) = (self.pos, self.redundant);
        let r = f(self);
        if r.is_err() {
            self.pos = pos;
            self.redundant = redundant;
        }
        r
    }

    /// Run `f` one nesting level deeper, failing past `MAX_DEPTH`.
    fn nested<T>(&mut self, f: impl FnOnce(&mut Self) -> PResult<T>) -> PResult<T> {
        if self.depth >= MAX_DEPTH {
            return self.fail();
        }
        self.depth += 1;
        let r = f(self);
        self.depth -= 1;
        r
    }

    fn note_redundant(&mut self, open: usize) {
        if self.redundant.is_none() {
            self.redundant = Some(open);
        }
    }

    // ------------------------------------------------------ conditions

    fn parse_or(&mut self) -> PResult<(RawCond, bool)> {
        let left = self.parse_and()?;
        if self.peek() == Tok::Kw(Kw::Or) {
            self.bump();
            let (right, _) = self.parse_or()?;
            return Ok((RawCond::Or(Box::new(left.0), Box::new(right)), false));
        }
        Ok(left)
    }

    fn parse_and(&mut self) -> PResult<(RawCond, bool)> {
        let left = self.parse_not()?;
        if self.peek() == Tok::Kw(Kw::And) {
            self.bump();
            let (right, _) = self.parse_and()?;
            return Ok((RawCond::And(Box::new(left.0), Box::new(right)), false));
        }
        Ok(left)
    }

    fn parse_not(&mut self) -> PResult<(RawCond, bool)> {
        if self.peek() == Tok::Kw(Kw::Not) {
            return self.nested(|p| {
                p.bump();
                let (inner, _) = p.parse_not()?;
                Ok((RawCond::Not(Box::new(inner)), false))
            });
        }
        self.parse_primary()
    }

    /// A comparison, function condition or parenthesised condition; the
    /// flag says whether it is wrapped in parentheses.
    fn parse_primary(&mut self) -> PResult<(RawCond, bool)> {
        if self.peek() == Tok::LParen {
            let grouped = self.attempt(|p| {
                p.nested(|p| {
                    let open = p.pos;
                    p.bump();
                    let (inner, outer) = p.parse_or()?;
                    p.expect(Tok::RParen)?;
                    if outer {
                        p.note_redundant(open);
                    }
                    Ok(inner)
                })
            });
            if let Ok(cond) = grouped {
                return Ok((cond, true));
            }
        }
        let (left, left_parens) = self.parse_operand()?;
        let cond = match self.peek() {
            Tok::Eq | Tok::Ne | Tok::Lt | Tok::Le | Tok::Gt | Tok::Ge => {
                let op = match self.peek() {
                    Tok::Eq => CmpOp::Eq,
                    Tok::Ne => CmpOp::Ne,
                    Tok::Lt => CmpOp::Lt,
                    Tok::Le => CmpOp::Le,
                    Tok::Gt => CmpOp::Gt,
                    _ => CmpOp::Ge,
                };
                self.bump();
                let (right, _) = self.parse_operand()?;
                RawCond::Cmp(op, left, right)
            }
            Tok::Kw(Kw::Between) => {
                self.bump();
                let (lo, _) = self.parse_operand()?;
                self.expect(Tok::Kw(Kw::And))?;
                let (hi, _) = self.parse_operand()?;
                RawCond::Between(left, lo, hi)
            }
            Tok::Kw(Kw::In) => {
                self.bump();
                self.expect(Tok::LParen)?;
                let mut list = vec![self.parse_operand()?.0];
                while self.peek() == Tok::Comma {
                    self.bump();
                    list.push(self.parse_operand()?.0);
                }
                self.expect(Tok::RParen)?;
                RawCond::In(left, list)
            }
            _ => match left {
                Operand::Func(func) if !left_parens => RawCond::Func(func),
                _ => return self.fail(),
            },
        };
        Ok((cond, false))
    }

    // -------------------------------------------------------- operands

    /// An operand; the flag says whether it is wrapped in parentheses.
    fn parse_operand(&mut self) -> PResult<(Operand, bool)> {
        match self.peek() {
            Tok::LParen => self.nested(|p| {
                let open = p.pos;
                p.bump();
                let (inner, outer) = p.parse_operand()?;
                p.expect(Tok::RParen)?;
                if outer {
                    p.note_redundant(open);
                }
                Ok((inner, true))
            }),
            Tok::Ident if self.peek_at(1) == Tok::LParen => self.nested(|p| {
                let name = p.text().to_string();
                p.bump();
                p.bump();
                let mut args = vec![p.parse_operand()?.0];
                while p.peek() == Tok::Comma {
                    p.bump();
                    args.push(p.parse_operand()?.0);
                }
                p.expect(Tok::RParen)?;
                Ok((Operand::Func(Func { name, args }), false))
            }),
            Tok::Value => {
                let v = self.text().to_string();
                self.bump();
                Ok((Operand::Value(v), false))
            }
            Tok::Ident | Tok::Name => Ok((Operand::Path(self.parse_path()?), false)),
            _ => self.fail(),
        }
    }

    fn parse_path(&mut self) -> PResult<RawPath> {
        let mut segs = vec![self.parse_id()?];
        loop {
            match self.peek() {
                Tok::Dot => {
                    self.bump();
                    segs.push(self.parse_id()?);
                }
                Tok::LBracket => {
                    self.bump();
                    if self.peek() != Tok::Index {
                        return self.fail();
                    }
                    let index = match self.text().parse::<i32>() {
                        Ok(n) => n as usize,
                        // Larger than DynamoDB's (Java int) index range.
                        Err(_) => {
                            let detail = format!(
                                "List index is not within the allowable range; index: [{}]",
                                self.text()
                            );
                            let kind = self.kind;
                            self.fatal
                                .get_or_insert_with(|| ExprError::invalid(kind, detail));
                            return self.fail();
                        }
                    };
                    self.bump();
                    self.expect(Tok::RBracket)?;
                    segs.push(Seg::Index(index));
                }
                _ => return Ok(RawPath(segs)),
            }
        }
    }

    fn parse_id(&mut self) -> PResult<Seg> {
        let seg = match self.peek() {
            Tok::Ident => Seg::Ident(self.text().to_string()),
            Tok::Name => Seg::Name(self.text().to_string()),
            _ => return self.fail(),
        };
        self.bump();
        Ok(seg)
    }

    // ------------------------------------------------------ projection

    fn parse_path_list(&mut self) -> PResult<Vec<RawPath>> {
        let mut paths = vec![self.parse_path()?];
        while self.peek() == Tok::Comma {
            self.bump();
            paths.push(self.parse_path()?);
        }
        if self.peek() != Tok::Eof {
            return self.fail();
        }
        Ok(paths)
    }

    // ---------------------------------------------------------- update

    fn parse_sections(&mut self) -> PResult<Vec<RawSection>> {
        let mut sections = Vec::new();
        loop {
            let kw = match self.peek() {
                Tok::Kw(kw @ (Kw::Set | Kw::Remove | Kw::Add | Kw::Delete)) => kw,
                Tok::Eof if !sections.is_empty() => return Ok(sections),
                _ => return self.fail(),
            };
            self.bump();
            let mut actions = vec![self.parse_action(kw)?];
            while self.peek() == Tok::Comma {
                self.bump();
                actions.push(self.parse_action(kw)?);
            }
            sections.push(RawSection { kw, actions });
        }
    }

    fn parse_action(&mut self, kw: Kw) -> PResult<RawAction> {
        let path = self.parse_path()?;
        Ok(match kw {
            Kw::Set => {
                self.expect(Tok::Eq)?;
                RawAction::Set(path, self.parse_set_value()?)
            }
            Kw::Remove => RawAction::Remove(path),
            _ => {
                if self.peek() != Tok::Value {
                    return self.fail();
                }
                let v = self.text().to_string();
                self.bump();
                if kw == Kw::Add {
                    RawAction::Add(path, v)
                } else {
                    RawAction::Delete(path, v)
                }
            }
        })
    }

    fn parse_set_value(&mut self) -> PResult<RawSetValue> {
        if self.peek() == Tok::LParen
            && let Ok((v, _)) = self.attempt(|p| p.parse_arith_parens())
        {
            return Ok(v);
        }
        let (left, _) = self.parse_operand()?;
        self.parse_arith_tail(left)
    }

    /// `'(' arithmetic ')'`; the flag says it is parenthesised (always).
    fn parse_arith_parens(&mut self) -> PResult<(RawSetValue, bool)> {
        self.nested(Self::parse_arith_parens_inner)
    }

    fn parse_arith_parens_inner(&mut self) -> PResult<(RawSetValue, bool)> {
        let open = self.pos;
        self.expect(Tok::LParen)?;
        let (inner, outer) = if self.peek() == Tok::LParen {
            match self.attempt(|p| p.parse_arith_parens()) {
                Ok(v) => v,
                Err(Fail) => (self.parse_arith()?, false),
            }
        } else {
            (self.parse_arith()?, false)
        };
        self.expect(Tok::RParen)?;
        if outer {
            self.note_redundant(open);
        }
        Ok((inner, true))
    }

    /// `operand ('+'|'-') operand`
    fn parse_arith(&mut self) -> PResult<RawSetValue> {
        let (left, _) = self.parse_operand()?;
        match self.parse_arith_tail(left)? {
            RawSetValue::Operand(_) => self.fail(),
            v => Ok(v),
        }
    }

    fn parse_arith_tail(&mut self, left: Operand) -> PResult<RawSetValue> {
        let plus = match self.peek() {
            Tok::Plus => true,
            Tok::Minus => false,
            _ => return Ok(RawSetValue::Operand(left)),
        };
        self.bump();
        let (right, _) = self.parse_operand()?;
        Ok(if plus {
            RawSetValue::Plus(left, right)
        } else {
            RawSetValue::Minus(left, right)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cond_err(src: &str) -> String {
        match parse_condition(src, "ConditionExpression") {
            Ok(_) => "ok".to_string(),
            Err(e) => e.message,
        }
    }

    fn update_err(src: &str) -> String {
        match parse_update(src, "UpdateExpression") {
            Ok(_) => "ok".to_string(),
            Err(e) => e.message,
        }
    }

    #[test]
    fn syntax_errors_name_the_token_and_its_neighbours() {
        assert_eq!(
            cond_err("foo"),
            "Invalid ConditionExpression: Syntax error; token: \"<EOF>\", near: \"foo\""
        );
        assert_eq!(
            cond_err("a = "),
            "Invalid ConditionExpression: Syntax error; token: \"<EOF>\", near: \"= \""
        );
        assert_eq!(
            cond_err("a = b AND __typename = :t"),
            "Invalid ConditionExpression: Syntax error; token: \"_\", near: \"AND __\""
        );
        assert_eq!(
            update_err("SET"),
            "Invalid UpdateExpression: Syntax error; token: \"<EOF>\", near: \"SET\""
        );
        assert_eq!(
            update_err("SET a = b +"),
            "Invalid UpdateExpression: Syntax error; token: \"<EOF>\", near: \"+\""
        );
        assert_eq!(
            update_err("SET path = VALUE 1"),
            "Invalid UpdateExpression: Syntax error; token: \"1\", near: \"VALUE 1\""
        );
        assert_eq!(
            update_err("SET numx = numx / :v"),
            "Invalid UpdateExpression: Syntax error; token: \"/\", near: \"numx / :v\""
        );
    }

    #[test]
    fn empty_expressions_are_rejected() {
        assert_eq!(
            cond_err(""),
            "Invalid ConditionExpression: The expression can not be empty;"
        );
        assert_eq!(
            update_err(" \n "),
            "Invalid UpdateExpression: The expression can not be empty;"
        );
    }

    #[test]
    fn redundant_parentheses() {
        let cond = |src| parse_condition(src, "C").map(|p| p.redundant_parens);
        assert_eq!(cond("((a = :v))"), Ok(true));
        assert_eq!(cond("((a)) = :v"), Ok(true));
        assert_eq!(cond("(a = :v) AND ((b = :v))"), Ok(true));
        assert_eq!(cond("NOT ((a = :v))"), Ok(true));
        assert_eq!(cond("(a = :v)"), Ok(false));
        assert_eq!(cond("((a = :v) AND b = :v)"), Ok(false));
        assert_eq!(cond("(a) = (:v)"), Ok(false));
        let update = |src| parse_update(src, "U").map(|p| p.redundant_parens);
        assert_eq!(update("SET a = ((b + c))"), Ok(true));
        assert_eq!(update("SET a = ((b))"), Ok(true));
        assert_eq!(update("SET a = ((b)+(c))"), Ok(false));
        // A redundant pair before a syntax error wins; after it, loses.
        assert_eq!(
            cond_err("((a = :v)) AND"),
            "Invalid ConditionExpression: The expression has redundant parentheses;"
        );
        assert_eq!(
            cond_err("a = AND ((b = :v))"),
            "Invalid ConditionExpression: Syntax error; token: \"AND\", near: \"= AND (\""
        );
    }

    #[test]
    fn update_grammar_edges() {
        for bad in [
            "whatever",
            "set a",
            "add a",
            "delete a",
            "set a=set",
            "remove a = b",
            "add a = b",
            "delete a b",
            "remove a b",
            "set a b",
            "set :a = b",
            "remove :a",
            "set a = b * c",
            "set a[1] = \"eight\"",
            "SET a = if_not_exist(a, 100)",
            "set (a = (b + c))",
            "set a = (b.c).d + e",
            "set a = b + c + d",
        ] {
            assert!(
                update_err(bad).starts_with("Invalid UpdateExpression: Syntax error; "),
                "{bad}: {}",
                update_err(bad)
            );
        }
        for good in [
            "set a = (b + c)",
            "set a = ((b.c.d)+(e))",
            "SET a = if_not_exists(a, :b) + :c",
            "REMOVE a, b[1] SET c = :v ADD d :n DELETE e :s",
        ] {
            assert_eq!(update_err(good), "ok", "{good}");
        }
    }

    #[test]
    fn precedence_is_not_and_or() {
        let parsed = parse_condition("NOT a = :a AND b = :b OR c = :c", "C").ok();
        let tree = parsed.map(|p| p.tree);
        let expected = RawCond::Or(
            Box::new(RawCond::And(
                Box::new(RawCond::Not(Box::new(cmp("a", ":a")))),
                Box::new(cmp("b", ":b")),
            )),
            Box::new(cmp("c", ":c")),
        );
        assert_eq!(tree, Some(expected));
    }

    fn cmp(path: &str, value: &str) -> RawCond {
        RawCond::Cmp(
            CmpOp::Eq,
            Operand::Path(RawPath(vec![Seg::Ident(path.to_string())])),
            Operand::Value(value.to_string()),
        )
    }
}
