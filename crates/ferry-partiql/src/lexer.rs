//! The lexer: statement text to tokens with their byte offsets.
//!
//! Comments (`--` to the end of the line, `/* … */`) are skipped. A `#`, an
//! unterminated comment, string or quoted name, and any other character
//! DynamoDB's lexer cannot read fail with the bare "wasn't well formed"
//! envelope (nothing after the colon), as DynamoDB answers them.

use crate::error::PartiqlError;

/// One token.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Tok {
    /// A bare word: keyword or identifier (case kept; keywords compare
    /// case-insensitively).
    Word(String),
    /// `"name"`: an identifier, case kept, never a keyword.
    Quoted(String),
    /// `'text'`
    Str(String),
    /// A number literal as written (sign not included).
    Num(String),
    /// `?`
    Param,
    /// Punctuation and operators: `( ) [ ] { } , . : ; * + - = <> != < <= > >= << >>`.
    Punct(&'static str),
    Eof,
}

/// A token and where it starts (byte offset into the statement).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Token {
    pub tok: Tok,
    pub at: usize,
}

const PUNCTS: &[&str] = &[
    "<<", ">>", "<>", "!=", "<=", ">=", "(", ")", "[", "]", "{", "}", ",", ".", ":", ";", "*", "+",
    "-", "=", "<", ">", "?",
];

/// Split `text` into tokens, ending with [`Tok::Eof`].
pub(crate) fn lex(text: &str) -> Result<Vec<Token>, PartiqlError> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let bare = |at: usize| PartiqlError::malformed("", at);
    while i < bytes.len() {
        let c = bytes[i];
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if text[i..].starts_with("--") {
            i = text[i..].find('\n').map_or(bytes.len(), |n| i + n);
            continue;
        }
        if text[i..].starts_with("/*") {
            let end = text[i + 2..].find("*/").ok_or_else(|| bare(i))?;
            i += 2 + end + 2;
            continue;
        }
        let at = i;
        if c == b'\'' || c == b'"' {
            let (s, next) = quoted(text, i, c as char).ok_or_else(|| bare(at))?;
            let tok = if c == b'\'' {
                Tok::Str(s)
            } else {
                Tok::Quoted(s)
            };
            out.push(Token { tok, at });
            i = next;
            continue;
        }
        if c.is_ascii_digit() || (c == b'.' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit)) {
            let next = number_end(bytes, i);
            out.push(Token {
                tok: Tok::Num(text[i..next].to_string()),
                at,
            });
            i = next;
            continue;
        }
        if c.is_ascii_alphabetic() || c == b'_' || c == b'$' {
            let mut j = i + 1;
            while j < bytes.len()
                && (bytes[j].is_ascii_alphanumeric() || bytes[j] == b'_' || bytes[j] == b'$')
            {
                j += 1;
            }
            out.push(Token {
                tok: Tok::Word(text[i..j].to_string()),
                at,
            });
            i = j;
            continue;
        }
        let p = PUNCTS
            .iter()
            .find(|p| text[i..].starts_with(**p))
            .ok_or_else(|| bare(at))?;
        let tok = if *p == "?" { Tok::Param } else { Tok::Punct(p) };
        out.push(Token { tok, at });
        i += p.len();
    }
    out.push(Token {
        tok: Tok::Eof,
        at: text.len(),
    });
    Ok(out)
}

/// A quoted string or name starting at `start`; a doubled quote is one
/// quote. Returns the text and the offset after the closing quote.
fn quoted(text: &str, start: usize, q: char) -> Option<(String, usize)> {
    let mut out = String::new();
    let mut chars = text[start + 1..].char_indices().peekable();
    while let Some((off, c)) = chars.next() {
        if c == q {
            if chars.peek().is_some_and(|(_, n)| *n == q) {
                chars.next();
                out.push(q);
                continue;
            }
            return Some((out, start + 1 + off + 1));
        }
        out.push(c);
    }
    None
}

/// The end of the number literal starting at `i`: digits, an optional
/// fraction and an optional exponent (`1`, `1.5`, `.5`, `1e-3`).
fn number_end(b: &[u8], mut i: usize) -> usize {
    let digits = |mut i: usize| {
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        i
    };
    i = digits(i);
    if b.get(i) == Some(&b'.') {
        i = digits(i + 1);
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        let mut j = i + 1;
        if matches!(b.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        if b.get(j).is_some_and(u8::is_ascii_digit) {
            i = digits(j);
        }
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<Tok> {
        lex(s).unwrap().into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn tokens() {
        assert_eq!(
            toks("SELECT * FROM \"t\"\"x\" WHERE a<>'it''s' -- c\n AND b <= 1.5e3"),
            vec![
                Tok::Word("SELECT".into()),
                Tok::Punct("*"),
                Tok::Word("FROM".into()),
                Tok::Quoted("t\"x".into()),
                Tok::Word("WHERE".into()),
                Tok::Word("a".into()),
                Tok::Punct("<>"),
                Tok::Str("it's".into()),
                Tok::Word("AND".into()),
                Tok::Word("b".into()),
                Tok::Punct("<="),
                Tok::Num("1.5e3".into()),
                Tok::Eof,
            ]
        );
        assert_eq!(
            toks("<<1,2>> /* x */ ?"),
            vec![
                Tok::Punct("<<"),
                Tok::Num("1".into()),
                Tok::Punct(","),
                Tok::Num("2".into()),
                Tok::Punct(">>"),
                Tok::Param,
                Tok::Eof
            ]
        );
    }

    #[test]
    fn unreadable_input_is_the_bare_envelope() {
        for bad in ["a # b", "'open", "\"open", "/* open", "a ` b", "é"] {
            let e = lex(bad).unwrap_err();
            assert_eq!(
                e.message, "Statement wasn't well formed, can't be processed: ",
                "{bad}"
            );
        }
    }
}
