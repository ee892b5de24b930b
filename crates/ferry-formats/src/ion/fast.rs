//! A fast parser for the subset of Ion text that DynamoDB exports (and most
//! hand-written import files) use, tried before ion-rs on every chunk.
//!
//! It only ever answers "these are the items" or "not sure": anything outside
//! the subset, and any error, makes it give up, and the chunk is then parsed
//! by ion-rs, whose result (and error messages) are authoritative. For every
//! chunk it accepts, it must produce exactly what the ion-rs path produces;
//! tests check this on random items and on random mutations of them.
//!
//! The subset: top-level structs (optionally preceded by `$ion_1_0`); fields
//! named by identifiers (not keywords, not `$<digit>…`), quoted symbols
//! or strings; values that are short strings, ints and decimals (no `_`, no
//! radix prefixes), `true`/`false`/`null`, blobs, lists, structs, and lists
//! annotated with one of `$dynamodb_SS`/`_NS`/`_BS` holding the matching
//! type. No comments, long strings, s-expressions, floats, timestamps,
//! symbols as values, other annotations, typed nulls or trailing commas.

use base64::Engine;
use ferry_model::{AttributeValue, Item, Number};

/// Not in the subset (or invalid): let ion-rs decide.
struct Unsure;

type Parsed<T> = Result<T, Unsure>;

/// Items of `chunk`, or `None` when ion-rs must parse it.
pub(crate) fn parse_chunk(chunk: &[u8]) -> Option<Vec<Item>> {
    let text = std::str::from_utf8(chunk).ok()?;
    let mut p = Parser {
        s: text.as_bytes(),
        pos: 0,
        text,
    };
    let mut items = Vec::new();
    loop {
        p.skip_ws();
        if p.pos == p.s.len() {
            return Some(items);
        }
        if p.s[p.pos..].starts_with(b"$ion_1_0") && p.is_stop(p.pos + 8) {
            p.pos += 8;
            continue;
        }
        if p.peek() != Some(b'{') {
            return None;
        }
        items.push(p.record().ok()?);
        if !p.is_stop(p.pos) {
            return None;
        }
    }
}

struct Parser<'a> {
    s: &'a [u8],
    text: &'a str,
    pos: usize,
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b == b'$'
}

fn is_ident_part(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$'
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while self.pos < self.s.len() && is_ws(self.s[self.pos]) {
            self.pos += 1;
        }
    }

    /// A value may end at `at`: end of input, whitespace, `,`, `]` or `}`.
    fn is_stop(&self, at: usize) -> bool {
        match self.s.get(at) {
            None => true,
            Some(&b) => is_ws(b) || matches!(b, b',' | b']' | b'}'),
        }
    }

    fn expect(&mut self, b: u8) -> Parsed<()> {
        self.skip_ws();
        if self.peek() == Some(b) {
            self.pos += 1;
            Ok(())
        } else {
            Err(Unsure)
        }
    }

    /// `{... Item:{...} ...}`: the last `Item` field wins, other fields are ignored.
    fn record(&mut self) -> Parsed<Item> {
        let mut item = None;
        self.fields(|p, name| {
            let value = p.value()?;
            if name == "Item" {
                match value {
                    AttributeValue::M(m) => item = Some(m),
                    _ => return Err(Unsure),
                }
            }
            Ok(())
        })?;
        item.ok_or(Unsure)
    }

    /// Parses `{ name: value, ... }`, calling `f` after each field name.
    fn fields(&mut self, mut f: impl FnMut(&mut Self, String) -> Parsed<()>) -> Parsed<()> {
        self.expect(b'{')?;
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(());
        }
        loop {
            self.skip_ws();
            let name = self.field_name()?;
            self.expect(b':')?;
            if self.peek() == Some(b':') {
                return Err(Unsure); // `name::` is an annotation, not a field
            }
            self.skip_ws();
            f(self, name)?;
            self.skip_ws();
            match self.peek() {
                Some(b',') => {
                    self.pos += 1;
                    self.skip_ws();
                    if self.peek() == Some(b'}') {
                        return Err(Unsure); // trailing comma
                    }
                }
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(());
                }
                _ => return Err(Unsure),
            }
        }
    }

    fn field_name(&mut self) -> Parsed<String> {
        match self.peek() {
            Some(b'"') => self.quoted(b'"'),
            Some(b'\'') => {
                if self.s[self.pos..].starts_with(b"'''") {
                    return Err(Unsure);
                }
                self.quoted(b'\'')
            }
            // `$<digit>…` is a symbol id (or misread by ion-rs): not ours.
            Some(b)
                if is_ident_start(b)
                    && !(b == b'$' && self.s.get(self.pos + 1).is_some_and(u8::is_ascii_digit)) =>
            {
                let start = self.pos;
                while self.pos < self.s.len() && is_ident_part(self.s[self.pos]) {
                    self.pos += 1;
                }
                let name = &self.text[start..self.pos];
                if matches!(name, "null" | "true" | "false" | "nan") {
                    return Err(Unsure);
                }
                Ok(name.to_owned())
            }
            _ => Err(Unsure),
        }
    }

    fn value(&mut self) -> Parsed<AttributeValue> {
        let Some(b) = self.peek() else {
            return Err(Unsure);
        };
        let value = match b {
            b'"' => AttributeValue::S(self.quoted(b'"')?),
            b'{' if self.s.get(self.pos + 1) == Some(&b'{') => AttributeValue::B(self.blob()?),
            b'{' => {
                let mut pairs = Vec::new();
                self.fields(|p, name| {
                    let value = p.value()?;
                    pairs.push((name, value));
                    Ok(())
                })?;
                // Built from pairs: last one wins on duplicate names, as with inserts.
                AttributeValue::M(Item::from_iter(pairs))
            }
            b'[' => AttributeValue::L(self.list(Self::value)?),
            b'-' | b'0'..=b'9' => AttributeValue::N(self.number()?),
            b'$' => self.set()?,
            b't' | b'f' | b'n' => {
                let start = self.pos;
                while self.pos < self.s.len() && self.s[self.pos].is_ascii_alphabetic() {
                    self.pos += 1;
                }
                let value = match &self.text[start..self.pos] {
                    "true" => AttributeValue::Bool(true),
                    "false" => AttributeValue::Bool(false),
                    "null" => AttributeValue::Null,
                    _ => return Err(Unsure),
                };
                if !self.is_stop(self.pos) {
                    return Err(Unsure); // `null.string`, `true::`, …
                }
                value
            }
            _ => return Err(Unsure),
        };
        Ok(value)
    }

    /// `$dynamodb_SS::[…]`, `$dynamodb_NS::[…]`, `$dynamodb_BS::[…]`.
    fn set(&mut self) -> Parsed<AttributeValue> {
        let rest = &self.s[self.pos..];
        let kind = if rest.starts_with(b"$dynamodb_SS::") {
            b'S'
        } else if rest.starts_with(b"$dynamodb_NS::") {
            b'N'
        } else if rest.starts_with(b"$dynamodb_BS::") {
            b'B'
        } else {
            return Err(Unsure);
        };
        self.pos += "$dynamodb_SS::".len();
        self.skip_ws();
        if self.peek() != Some(b'[') {
            return Err(Unsure);
        }
        Ok(match kind {
            b'S' => AttributeValue::SS(self.list(|p| {
                if p.peek() == Some(b'"') {
                    p.quoted(b'"')
                } else {
                    Err(Unsure)
                }
            })?),
            b'N' => AttributeValue::NS(self.list(|p| match p.peek() {
                Some(b'-' | b'0'..=b'9') => p.number(),
                _ => Err(Unsure),
            })?),
            _ => AttributeValue::BS(self.list(|p| {
                if p.s[p.pos..].starts_with(b"{{") {
                    p.blob()
                } else {
                    Err(Unsure)
                }
            })?),
        })
    }

    fn list<T>(&mut self, mut element: impl FnMut(&mut Self) -> Parsed<T>) -> Parsed<Vec<T>> {
        self.expect(b'[')?;
        let mut out = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(out);
        }
        loop {
            self.skip_ws();
            out.push(element(self)?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => {
                    self.pos += 1;
                    self.skip_ws();
                    if self.peek() == Some(b']') {
                        return Err(Unsure); // trailing comma
                    }
                }
                Some(b']') => {
                    self.pos += 1;
                    return Ok(out);
                }
                _ => return Err(Unsure),
            }
        }
    }

    /// Ion int or decimal: `-?digits(.digits?)?([dD][+-]?digits)?`, no
    /// leading zeros, ended by a stop character.
    fn number(&mut self) -> Parsed<Number> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        let int_start = self.pos;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
        let int_len = self.pos - int_start;
        if int_len == 0 || (int_len > 1 && self.s[int_start] == b'0') {
            return Err(Unsure);
        }
        let mut mantissa_end = self.pos;
        let mut exponent = "";
        if self.peek() == Some(b'.') {
            self.pos += 1;
            while self.peek().is_some_and(|b| b.is_ascii_digit()) {
                self.pos += 1;
            }
            mantissa_end = self.pos;
        }
        if matches!(self.peek(), Some(b'd' | b'D')) {
            self.pos += 1;
            let exp_start = self.pos;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            let digits_start = self.pos;
            while self.peek().is_some_and(|b| b.is_ascii_digit()) {
                self.pos += 1;
            }
            if self.pos == digits_start {
                return Err(Unsure);
            }
            exponent = &self.text[exp_start..self.pos];
        }
        if !self.is_stop(self.pos) {
            return Err(Unsure); // float, timestamp, `_`, radix, …
        }
        let mantissa = &self.text[start..mantissa_end];
        let parsed = if exponent.is_empty() {
            Number::parse(mantissa)
        } else {
            Number::parse(&format!("{mantissa}E{exponent}"))
        };
        parsed.map_err(|_| Unsure)
    }

    /// `{{ base64 }}` (whitespace only around the base64).
    fn blob(&mut self) -> Parsed<Vec<u8>> {
        self.pos += 2;
        let start = self.pos;
        let end = self.s[start..]
            .iter()
            .position(|&b| b == b'}')
            .map(|p| start + p)
            .ok_or(Unsure)?;
        if self.s.get(end + 1) != Some(&b'}') {
            return Err(Unsure);
        }
        self.pos = end + 2;
        let mut inside = &self.s[start..end];
        while let [first, rest @ ..] = inside
            && is_ws(*first)
        {
            inside = rest;
        }
        while let [rest @ .., last] = inside
            && is_ws(*last)
        {
            inside = rest;
        }
        if !inside
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
        {
            return Err(Unsure); // a clob, or whitespace inside the base64
        }
        base64::engine::general_purpose::STANDARD
            .decode(inside)
            .map_err(|_| Unsure)
    }

    /// A short string (`"`) or quoted symbol (`'`) with Ion escapes.
    fn quoted(&mut self, quote: u8) -> Parsed<String> {
        self.pos += 1;
        let mut out = String::new();
        let mut run = self.pos;
        loop {
            let Some(b) = self.peek() else {
                return Err(Unsure);
            };
            if b == quote {
                out.push_str(&self.text[run..self.pos]);
                self.pos += 1;
                return Ok(out);
            }
            if b < 0x20 || b == 0x7f {
                return Err(Unsure); // raw control characters (incl. newlines)
            }
            if b != b'\\' {
                self.pos += 1;
                continue;
            }
            out.push_str(&self.text[run..self.pos]);
            self.pos += 1;
            let e = self.peek().ok_or(Unsure)?;
            self.pos += 1;
            let c = match e {
                b'0' => '\0',
                b'a' => '\u{7}',
                b'b' => '\u{8}',
                b't' => '\t',
                b'n' => '\n',
                b'v' => '\u{b}',
                b'f' => '\u{c}',
                b'r' => '\r',
                b'"' => '"',
                b'\'' => '\'',
                b'?' => '?',
                b'\\' => '\\',
                b'/' => '/',
                b'x' => self.hex_char(2)?,
                b'u' => self.hex_char(4)?,
                b'U' => self.hex_char(8)?,
                _ => return Err(Unsure),
            };
            out.push(c);
            run = self.pos;
        }
    }

    fn hex_char(&mut self, digits: usize) -> Parsed<char> {
        let hex = self.text.get(self.pos..self.pos + digits).ok_or(Unsure)?;
        if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Unsure);
        }
        self.pos += digits;
        let code = u32::from_str_radix(hex, 16).map_err(|_| Unsure)?;
        char::from_u32(code).ok_or(Unsure)
    }
}
