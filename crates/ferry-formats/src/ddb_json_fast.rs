//! A fast parser for DynamoDB JSON lines, tried before serde on every line.
//!
//! It answers "this is the item" or "not sure" and never reports an error:
//! anything unusual (another top-level member, several or unknown type keys,
//! `null`s, JSON numbers, bad numbers or base64, lone surrogates, deep
//! nesting, invalid JSON) makes it give up, and the line then goes through
//! serde and the model's codec, whose result and messages are authoritative.
//! For every line it accepts it produces exactly what that path produces
//! (tests check it on random items and on random mutations of them). It
//! validates UTF-8 once per line, copies strings only once and builds maps
//! from sorted pairs.

use std::borrow::Cow;

use base64::Engine;
use ferry_model::{AttributeValue, Item, Number};

/// Deeper than this, leave it to serde (whose own limit is 128).
const MAX_DEPTH: usize = 100;

/// The item of a `{"Item":{...}}` line, or `None` when serde must decide.
pub(crate) fn parse_line(line: &[u8]) -> Option<Item> {
    let text = std::str::from_utf8(line).ok()?;
    let mut p = Parser {
        s: text.as_bytes(),
        text,
        pos: 0,
        depth: 0,
    };
    p.ws();
    p.eat(b'{')?;
    p.ws();
    if p.text_ref()? != "Item" {
        return None;
    }
    p.ws();
    p.eat(b':')?;
    p.ws();
    let item = p.map()?;
    p.ws();
    p.eat(b'}')?;
    p.ws();
    (p.pos == p.s.len()).then_some(item)
}

struct Parser<'a> {
    s: &'a [u8],
    text: &'a str,
    pos: usize,
    depth: usize,
}

impl<'a> Parser<'a> {
    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.s.get(self.pos) {
            self.pos += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn eat(&mut self, b: u8) -> Option<()> {
        if self.peek() == Some(b) {
            self.pos += 1;
            Some(())
        } else {
            None
        }
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        if self.s[self.pos..].starts_with(word) {
            self.pos += word.len();
            Some(())
        } else {
            None
        }
    }

    fn enter(&mut self) -> Option<()> {
        self.depth += 1;
        (self.depth <= MAX_DEPTH).then_some(())
    }

    /// `{"name": <attribute value>, ...}`
    fn map(&mut self) -> Option<Item> {
        self.enter()?;
        self.eat(b'{')?;
        self.ws();
        let mut pairs = Vec::new();
        if self.eat(b'}').is_none() {
            loop {
                self.ws();
                let name = self.string()?;
                self.ws();
                self.eat(b':')?;
                self.ws();
                let value = self.value()?;
                pairs.push((name, value));
                self.ws();
                match self.peek()? {
                    b',' => self.pos += 1,
                    b'}' => {
                        self.pos += 1;
                        break;
                    }
                    _ => return None,
                }
            }
        }
        self.depth -= 1;
        // Last one wins on duplicate names, as with map inserts.
        Some(Item::from_iter(pairs))
    }

    /// `[e, ...]`
    fn array<T>(&mut self, mut element: impl FnMut(&mut Self) -> Option<T>) -> Option<Vec<T>> {
        self.enter()?;
        self.eat(b'[')?;
        self.ws();
        let mut out = Vec::new();
        if self.eat(b']').is_none() {
            loop {
                self.ws();
                out.push(element(self)?);
                self.ws();
                match self.peek()? {
                    b',' => self.pos += 1,
                    b']' => {
                        self.pos += 1;
                        break;
                    }
                    _ => return None,
                }
            }
        }
        self.depth -= 1;
        Some(out)
    }

    /// `{"T": payload}` with exactly one known type key.
    fn value(&mut self) -> Option<AttributeValue> {
        self.enter()?;
        self.eat(b'{')?;
        self.ws();
        let tag = self.text_ref()?;
        self.ws();
        self.eat(b':')?;
        self.ws();
        let value = match &*tag {
            "S" => AttributeValue::S(self.string()?),
            "N" => AttributeValue::N(self.number()?),
            "B" => AttributeValue::B(self.binary()?),
            "SS" => AttributeValue::SS(self.array(Self::string)?),
            "NS" => AttributeValue::NS(self.array(Self::number)?),
            "BS" => AttributeValue::BS(self.array(Self::binary)?),
            "M" => AttributeValue::M(self.map()?),
            "L" => AttributeValue::L(self.array(Self::value)?),
            "NULL" => {
                self.literal(b"true")?;
                AttributeValue::Null
            }
            "BOOL" => {
                if self.literal(b"true").is_some() {
                    AttributeValue::Bool(true)
                } else {
                    self.literal(b"false")?;
                    AttributeValue::Bool(false)
                }
            }
            _ => return None,
        };
        self.ws();
        self.eat(b'}')?;
        self.depth -= 1;
        Some(value)
    }

    fn number(&mut self) -> Option<Number> {
        Number::parse(&self.text_ref()?).ok()
    }

    fn binary(&mut self) -> Option<Vec<u8>> {
        base64::engine::general_purpose::STANDARD
            .decode(&*self.text_ref()?)
            .ok()
    }

    /// A JSON string, unescaped.
    fn string(&mut self) -> Option<String> {
        self.text_ref().map(Cow::into_owned)
    }

    /// A JSON string, unescaped; borrowed from the line when it has no escapes.
    fn text_ref(&mut self) -> Option<Cow<'a, str>> {
        self.eat(b'"')?;
        let start = self.pos;
        // Fast path: no escapes.
        while let Some(&b) = self.s.get(self.pos) {
            match b {
                b'"' => {
                    let out = &self.text[start..self.pos];
                    self.pos += 1;
                    return Some(Cow::Borrowed(out));
                }
                b'\\' => break,
                0..=0x1f => return None,
                _ => self.pos += 1,
            }
        }
        let mut out = String::with_capacity(self.pos - start + 16);
        out.push_str(&self.text[start..self.pos]);
        let mut run = self.pos;
        loop {
            let b = self.peek()?;
            match b {
                b'"' => {
                    out.push_str(&self.text[run..self.pos]);
                    self.pos += 1;
                    return Some(Cow::Owned(out));
                }
                0..=0x1f => return None,
                b'\\' => {
                    out.push_str(&self.text[run..self.pos]);
                    self.pos += 1;
                    let e = self.peek()?;
                    self.pos += 1;
                    let c = match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => self.unicode_escape()?,
                        _ => return None,
                    };
                    out.push(c);
                    run = self.pos;
                }
                _ => self.pos += 1,
            }
        }
    }

    /// After `\u`: four hex digits, or a surrogate pair `\uD8xx\uDCxx`.
    fn unicode_escape(&mut self) -> Option<char> {
        let first = self.hex4()?;
        match first {
            0xD800..=0xDBFF => {
                self.literal(b"\\u")?;
                let second = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&second) {
                    return None;
                }
                char::from_u32(0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00))
            }
            0xDC00..=0xDFFF => None,
            _ => char::from_u32(first),
        }
    }

    fn hex4(&mut self) -> Option<u32> {
        let hex = self.text.get(self.pos..self.pos + 4)?;
        if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        self.pos += 4;
        u32::from_str_radix(hex, 16).ok()
    }
}
