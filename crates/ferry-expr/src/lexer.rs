//! The expression lexer: turns text into tokens with byte spans.
//!
//! Token rules follow AWS's own expression grammar (`Tokens.g4` of the DAX
//! client): whitespace is hidden; keywords (`AND OR NOT IN BETWEEN SET ADD
//! DELETE REMOVE`) are case-insensitive and never identifiers; identifiers are
//! `[a-zA-Z][a-zA-Z0-9_]*`; `#x` and `:x` are placeholders; list indexes are
//! `0 | [1-9][0-9]*`; quoted strings are one (always invalid) token; any other
//! character is a one-character unknown token.

/// What a token is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tok {
    Ident,
    /// `#name`
    Name,
    /// `:value`
    Value,
    /// A list index (digits).
    Index,
    Kw(Kw),
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    Dot,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Plus,
    Minus,
    /// A quoted string literal: lexed, never valid in an expression.
    Str,
    /// Any other character.
    Unknown,
    Eof,
}

/// Keywords of the expression language.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kw {
    And,
    Or,
    Not,
    In,
    Between,
    Set,
    Add,
    Delete,
    Remove,
}

/// One token: its kind and byte span in the source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Token {
    pub kind: Tok,
    pub start: usize,
    pub end: usize,
}

impl Token {
    /// The token's text (`<EOF>` for the end of input).
    pub fn text<'s>(&self, src: &'s str) -> &'s str {
        if self.kind == Tok::Eof {
            "<EOF>"
        } else {
            &src[self.start..self.end]
        }
    }
}

fn is_id_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn keyword(word: &str) -> Option<Kw> {
    let kw = match word.len() {
        2 if word.eq_ignore_ascii_case("or") => Kw::Or,
        2 if word.eq_ignore_ascii_case("in") => Kw::In,
        3 if word.eq_ignore_ascii_case("and") => Kw::And,
        3 if word.eq_ignore_ascii_case("not") => Kw::Not,
        3 if word.eq_ignore_ascii_case("set") => Kw::Set,
        3 if word.eq_ignore_ascii_case("add") => Kw::Add,
        6 if word.eq_ignore_ascii_case("delete") => Kw::Delete,
        6 if word.eq_ignore_ascii_case("remove") => Kw::Remove,
        7 if word.eq_ignore_ascii_case("between") => Kw::Between,
        _ => return None,
    };
    Some(kw)
}

/// All tokens of `src`, ending with one `Eof` token.
pub(crate) fn lex(src: &str) -> Vec<Token> {
    let bytes = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
            i += 1;
            continue;
        }
        let start = i;
        let kind = match b {
            b'a'..=b'z' | b'A'..=b'Z' => {
                while i < bytes.len() && is_id_char(bytes[i]) {
                    i += 1;
                }
                keyword(&src[start..i]).map_or(Tok::Ident, Tok::Kw)
            }
            b'#' | b':' if i + 1 < bytes.len() && is_id_char(bytes[i + 1]) => {
                i += 1;
                while i < bytes.len() && is_id_char(bytes[i]) {
                    i += 1;
                }
                if b == b'#' { Tok::Name } else { Tok::Value }
            }
            b'0' => {
                i += 1;
                Tok::Index
            }
            b'1'..=b'9' => {
                while i < bytes.len() && bytes[i].is_ascii_digit() {
                    i += 1;
                }
                Tok::Index
            }
            b'"' | b'\'' => match string_end(bytes, i) {
                Some(end) => {
                    i = end;
                    Tok::Str
                }
                None => {
                    i += 1;
                    Tok::Unknown
                }
            },
            b'<' => match bytes.get(i + 1) {
                Some(b'=') => {
                    i += 2;
                    Tok::Le
                }
                Some(b'>') => {
                    i += 2;
                    Tok::Ne
                }
                _ => {
                    i += 1;
                    Tok::Lt
                }
            },
            b'>' => {
                if bytes.get(i + 1) == Some(&b'=') {
                    i += 2;
                    Tok::Ge
                } else {
                    i += 1;
                    Tok::Gt
                }
            }
            _ => {
                i += 1;
                match b {
                    b'(' => Tok::LParen,
                    b')' => Tok::RParen,
                    b'[' => Tok::LBracket,
                    b']' => Tok::RBracket,
                    b',' => Tok::Comma,
                    b'.' => Tok::Dot,
                    b'=' => Tok::Eq,
                    b'+' => Tok::Plus,
                    b'-' => Tok::Minus,
                    _ => {
                        // One whole (possibly multi-byte) character.
                        while i < bytes.len() && !src.is_char_boundary(i) {
                            i += 1;
                        }
                        Tok::Unknown
                    }
                }
            }
        };
        out.push(Token {
            kind,
            start,
            end: i,
        });
    }
    out.push(Token {
        kind: Tok::Eof,
        start: src.len(),
        end: src.len(),
    });
    out
}

/// The end (exclusive) of the quoted string starting at `start`, honouring
/// backslash-escaped quotes; `None` when it is not closed.
fn string_end(bytes: &[u8], start: usize) -> Option<usize> {
    let quote = bytes[start];
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if bytes.get(i + 1) == Some(&quote) => i += 2,
            b if b == quote => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<(Tok, &str)> {
        lex(src).iter().map(|t| (t.kind, t.text(src))).collect()
    }

    #[test]
    fn lexes_every_token_kind() {
        assert_eq!(
            kinds("a.b[10] <> #n AND :v<=(x)"),
            vec![
                (Tok::Ident, "a"),
                (Tok::Dot, "."),
                (Tok::Ident, "b"),
                (Tok::LBracket, "["),
                (Tok::Index, "10"),
                (Tok::RBracket, "]"),
                (Tok::Ne, "<>"),
                (Tok::Name, "#n"),
                (Tok::Kw(Kw::And), "AND"),
                (Tok::Value, ":v"),
                (Tok::Le, "<="),
                (Tok::LParen, "("),
                (Tok::Ident, "x"),
                (Tok::RParen, ")"),
                (Tok::Eof, "<EOF>"),
            ]
        );
    }

    #[test]
    fn keywords_are_case_insensitive_but_longer_words_are_identifiers() {
        assert_eq!(kinds("BeTwEeN")[0].0, Tok::Kw(Kw::Between));
        assert_eq!(kinds("and1")[0].0, Tok::Ident);
        assert_eq!(kinds("set_x")[0].0, Tok::Ident);
        assert_eq!(kinds("remove")[0].0, Tok::Kw(Kw::Remove));
    }

    #[test]
    fn odd_characters_are_single_unknown_tokens() {
        assert_eq!(
            kinds("__a"),
            vec![
                (Tok::Unknown, "_"),
                (Tok::Unknown, "_"),
                (Tok::Ident, "a"),
                (Tok::Eof, "<EOF>")
            ]
        );
        assert_eq!(kinds("é")[0], (Tok::Unknown, "é"));
        assert_eq!(kinds("#")[0], (Tok::Unknown, "#"));
        assert_eq!(kinds(": v")[0], (Tok::Unknown, ":"));
    }

    #[test]
    fn indexes_do_not_have_leading_zeros() {
        assert_eq!(
            kinds("01"),
            vec![(Tok::Index, "0"), (Tok::Index, "1"), (Tok::Eof, "<EOF>")]
        );
    }

    #[test]
    fn quoted_strings_are_one_token() {
        assert_eq!(kinds("\"ei\\\"ght\" x")[0], (Tok::Str, "\"ei\\\"ght\""));
        assert_eq!(kinds("'open")[0], (Tok::Unknown, "'"));
    }
}
