//! Splits an Ion *text* stream into record-sized chunks without parsing it, so
//! that each chunk can be parsed on its own (a bad record then costs one
//! record, not the rest of the file) and nothing larger than a record is held
//! in memory.
//!
//! Boundaries:
//! - at depth 0, a newline ends a chunk (AWS writes one `$ion_1_0 {Item:…}`
//!   per line; a value spread over several lines stays whole because its
//!   newlines are inside a container, string or comment);
//! - a `[` at depth 0 opens a *top-level list* (the import example's shape):
//!   each of its elements becomes a chunk of its own (split at depth-1 commas)
//!   until the matching `]`, so even that shape streams;
//! - a newline inside a short string or quoted symbol (illegal in Ion) ends
//!   the chunk at once, so one broken line does not swallow the next ones.
//!
//! The scanner knows strings, quoted symbols, long strings, comments and
//! lobs (`{{…}}`), so brackets inside them are not counted.

use std::io::{self, BufRead};

use crate::errors::MAX_RECORD_BYTES;

/// Deeper nesting than this is refused without parsing (ion-rs recurses;
/// DynamoDB itself allows 32 levels).
pub(crate) const MAX_DEPTH: usize = 100;

/// Bytes that are significant but never change the scanner's state:
/// identifier and number characters and `:`.
const PLAIN: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = c.is_ascii_alphanumeric() || matches!(c, b'_' | b'$' | b'.' | b':' | b'-' | b'+');
        b += 1;
    }
    t
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Normal,
    /// Saw `/` outside strings: maybe a comment.
    Slash,
    LineComment,
    BlockComment {
        star: bool,
    },
    ShortString {
        escape: bool,
        lob: bool,
    },
    /// Saw one `'`.
    Quote1 {
        lob: bool,
    },
    /// Saw `''`.
    Quote2 {
        lob: bool,
    },
    Symbol {
        escape: bool,
    },
    LongString {
        escape: bool,
        quotes: u8,
        lob: bool,
    },
    /// Saw `{` outside strings: a struct, or a lob if another `{` follows.
    Brace,
    Lob,
    /// Saw `}` inside a lob.
    LobBrace,
}

/// What to do with the byte just stepped over.
enum Action {
    /// Part of the chunk.
    Keep,
    /// Not part of the chunk; the chunk ends before it.
    End,
    /// The chunk ends before this byte, which is looked at again next time.
    EndBefore,
    /// Drop everything gathered so far and this byte (annotations of a top-level list).
    Discard,
}

pub(crate) struct Framer {
    state: State,
    depth: usize,
    list_mode: bool,
    /// The last two significant (non-space, non-comment) bytes of the chunk.
    last_sig: [u8; 2],
    has_content: bool,
    pub(crate) chunk: Vec<u8>,
    pub(crate) too_deep: bool,
    pub(crate) too_long: bool,
    /// A symbol ID (`$` then digits, outside strings and comments) with 20
    /// or more significant digits.
    pub(crate) bad_symbol_id: bool,
    /// The significant digits of the symbol ID being read (`None`: not in
    /// one).
    sid_digits: Option<u32>,
}

/// Significant digits from which a text symbol ID is refused (usize::MAX
/// has 20; ion-rs 1.2 unwraps the parse of the digits).
const MAX_SID_DIGITS: u32 = 20;

impl Framer {
    pub(crate) fn new() -> Self {
        Framer {
            state: State::Normal,
            depth: 0,
            list_mode: false,
            last_sig: [0; 2],
            has_content: false,
            chunk: Vec::with_capacity(4096),
            too_deep: false,
            too_long: false,
            bad_symbol_id: false,
            sid_digits: None,
        }
    }

    /// Follows symbol IDs through normal text, one byte at a time.
    fn sid_track(&mut self, b: u8) {
        self.sid_digits = match (b, self.sid_digits) {
            // Any `$` may start one: after a symbol ID (`$0$123`) ion-rs
            // starts another. An identifier with `$` and 20 digits in it is
            // refused too (no export writes one).
            (b'$', _) => Some(0),
            (b'0', Some(0)) => Some(0),
            (b'0'..=b'9', Some(n)) => {
                if n + 1 >= MAX_SID_DIGITS {
                    self.bad_symbol_id = true;
                }
                Some(n + 1)
            }
            _ => None,
        };
    }

    fn reset_chunk(&mut self) {
        self.chunk.clear();
        self.has_content = false;
        self.too_deep = false;
        self.too_long = false;
        self.bad_symbol_id = false;
        self.last_sig = [0; 2];
    }

    fn keep(&mut self, from: &[u8]) {
        if self.too_long {
            return;
        }
        if self.chunk.len() + from.len() > MAX_RECORD_BYTES {
            self.too_long = true;
            self.chunk.clear();
            return;
        }
        self.chunk.extend_from_slice(from);
    }

    /// Reads the next non-empty chunk into `self.chunk`; `Ok(false)` at the end
    /// of the stream. `bytes_read` grows by every byte consumed from `r`.
    pub(crate) fn next_chunk<R: BufRead>(
        &mut self,
        r: &mut R,
        bytes_read: &mut u64,
    ) -> io::Result<bool> {
        self.reset_chunk();
        loop {
            let buf = r.fill_buf()?;
            if buf.is_empty() {
                // End of stream: whatever is open stays open; the parser reports it.
                self.state = State::Normal;
                self.depth = 0;
                self.list_mode = false;
                return Ok(self.has_content);
            }
            let mut run_start = 0;
            let mut i = 0;
            let mut ended = false;
            while i < buf.len() {
                // Fast skips over the bytes that cannot change the state.
                match self.state {
                    State::ShortString { escape: false, .. } => {
                        while i < buf.len() && !matches!(buf[i], b'"' | b'\\' | b'\n') {
                            i += 1;
                        }
                    }
                    State::Normal => {
                        let comma_plain = !(self.list_mode && self.depth == 1);
                        let start = i;
                        while i < buf.len()
                            && (PLAIN[buf[i] as usize] || (comma_plain && buf[i] == b','))
                        {
                            i += 1;
                        }
                        if i > start {
                            self.plain_run(&buf[start..i]);
                        }
                    }
                    _ => {}
                }
                if i == buf.len() {
                    break;
                }
                match self.step(buf[i]) {
                    Action::Keep => i += 1,
                    Action::End => {
                        self.keep(&buf[run_start..i]);
                        i += 1;
                        ended = true;
                        break;
                    }
                    Action::EndBefore => {
                        self.keep(&buf[run_start..i]);
                        ended = true;
                        break;
                    }
                    Action::Discard => {
                        self.reset_chunk();
                        i += 1;
                        run_start = i;
                    }
                }
            }
            if !ended {
                self.keep(&buf[run_start..i]);
            }
            r.consume(i);
            *bytes_read += i as u64;
            if ended {
                if self.has_content {
                    return Ok(true);
                }
                self.reset_chunk();
            }
        }
    }

    /// A run of [`PLAIN`] bytes (and commas inside values) in the normal state.
    fn plain_run(&mut self, run: &[u8]) {
        for &b in run {
            self.sid_track(b);
        }
        self.has_content = true;
        self.last_sig = match run {
            [.., a, b] => [*a, *b],
            [b] => [self.last_sig[1], *b],
            [] => self.last_sig,
        };
    }

    fn significant(&mut self, b: u8) {
        self.has_content = true;
        self.last_sig = [self.last_sig[1], b];
    }

    fn open(&mut self) {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            self.too_deep = true;
        }
    }

    fn step(&mut self, b: u8) -> Action {
        if !matches!(self.state, State::Normal) {
            self.sid_digits = None;
        }
        loop {
            match self.state {
                // Tracked here: a byte another state hands back is normal too.
                State::Normal => {
                    self.sid_track(b);
                    return self.step_normal(b);
                }
                State::Slash => match b {
                    b'/' => {
                        self.state = State::LineComment;
                        return Action::Keep;
                    }
                    b'*' => {
                        self.state = State::BlockComment { star: false };
                        return Action::Keep;
                    }
                    _ => {
                        // A lone `/` (an operator inside an s-expression).
                        self.significant(b'/');
                        self.state = State::Normal;
                    }
                },
                State::LineComment => {
                    if b == b'\n' {
                        self.state = State::Normal;
                        continue; // the newline may end the chunk
                    }
                    return Action::Keep;
                }
                State::BlockComment { star } => {
                    self.state = if star && b == b'/' {
                        State::Normal
                    } else {
                        State::BlockComment { star: b == b'*' }
                    };
                    return Action::Keep;
                }
                State::ShortString { escape, lob } => {
                    if escape {
                        self.state = State::ShortString { escape: false, lob };
                    } else if b == b'\\' {
                        self.state = State::ShortString { escape: true, lob };
                    } else if b == b'"' {
                        self.state = if lob { State::Lob } else { State::Normal };
                    } else if b == b'\n' {
                        return self.broken_line();
                    }
                    return Action::Keep;
                }
                State::Quote1 { lob } => {
                    if b == b'\'' {
                        self.state = State::Quote2 { lob };
                        return Action::Keep;
                    }
                    if lob {
                        self.state = State::Lob;
                    } else {
                        self.state = State::Symbol { escape: false };
                    }
                }
                State::Quote2 { lob } => {
                    if b == b'\'' {
                        self.state = State::LongString {
                            escape: false,
                            quotes: 0,
                            lob,
                        };
                        return Action::Keep;
                    }
                    // `''`: the empty quoted symbol.
                    self.state = if lob { State::Lob } else { State::Normal };
                }
                State::Symbol { escape } => {
                    if escape {
                        self.state = State::Symbol { escape: false };
                    } else if b == b'\\' {
                        self.state = State::Symbol { escape: true };
                    } else if b == b'\'' {
                        self.state = State::Normal;
                    } else if b == b'\n' {
                        return self.broken_line();
                    }
                    return Action::Keep;
                }
                State::LongString {
                    escape,
                    quotes,
                    lob,
                } => {
                    self.state = if escape {
                        State::LongString {
                            escape: false,
                            quotes: 0,
                            lob,
                        }
                    } else if b == b'\\' {
                        State::LongString {
                            escape: true,
                            quotes: 0,
                            lob,
                        }
                    } else if b == b'\'' {
                        if quotes == 2 {
                            if lob { State::Lob } else { State::Normal }
                        } else {
                            State::LongString {
                                escape: false,
                                quotes: quotes + 1,
                                lob,
                            }
                        }
                    } else {
                        State::LongString {
                            escape: false,
                            quotes: 0,
                            lob,
                        }
                    };
                    return Action::Keep;
                }
                State::Brace => {
                    if b == b'{' {
                        self.state = State::Lob;
                        return Action::Keep;
                    }
                    self.open();
                    self.state = State::Normal;
                }
                State::Lob => {
                    match b {
                        b'"' => {
                            self.state = State::ShortString {
                                escape: false,
                                lob: true,
                            }
                        }
                        b'\'' => self.state = State::Quote1 { lob: true },
                        b'}' => self.state = State::LobBrace,
                        _ => {}
                    }
                    return Action::Keep;
                }
                State::LobBrace => {
                    self.state = if b == b'}' { State::Normal } else { State::Lob };
                    if self.state == State::Normal {
                        self.last_sig = [b'}', b'}'];
                    }
                    return Action::Keep;
                }
            }
        }
    }

    fn step_normal(&mut self, b: u8) -> Action {
        match b {
            b'\n' => {
                if self.depth == 0 && !self.list_mode && self.last_sig != [b':', b':'] {
                    return Action::End;
                }
                Action::Keep
            }
            b' ' | b'\t' | b'\r' | 0x0b | 0x0c => Action::Keep,
            b'/' => {
                self.state = State::Slash;
                Action::Keep
            }
            b'"' => {
                self.significant(b);
                self.state = State::ShortString {
                    escape: false,
                    lob: false,
                };
                Action::Keep
            }
            b'\'' => {
                self.significant(b);
                self.state = State::Quote1 { lob: false };
                Action::Keep
            }
            b'{' => {
                self.significant(b);
                self.state = State::Brace;
                Action::Keep
            }
            b'[' if self.depth == 0 && !self.list_mode => {
                if self.has_content && self.last_sig != [b':', b':'] {
                    // A value before the list: parse it first, then come back.
                    return Action::EndBefore;
                }
                self.list_mode = true;
                self.depth = 1;
                Action::Discard
            }
            b'[' | b'(' => {
                self.significant(b);
                self.open();
                Action::Keep
            }
            b'}' | b')' => {
                self.significant(b);
                self.depth = self.depth.saturating_sub(1);
                Action::Keep
            }
            b']' => {
                if self.list_mode && self.depth == 1 {
                    self.list_mode = false;
                    self.depth = 0;
                    return Action::End;
                }
                self.significant(b);
                self.depth = self.depth.saturating_sub(1);
                Action::Keep
            }
            b',' if self.list_mode && self.depth == 1 => Action::End,
            _ => {
                self.significant(b);
                Action::Keep
            }
        }
    }

    /// A newline inside a short string or quoted symbol: the record is broken;
    /// end it here so the next line starts afresh.
    fn broken_line(&mut self) -> Action {
        self.state = State::Normal;
        if self.list_mode {
            self.depth = 1;
        } else {
            self.depth = 0;
        }
        Action::End
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunks(text: &str) -> Vec<String> {
        let mut framer = Framer::new();
        let mut r = io::BufReader::with_capacity(7, text.as_bytes()); // tiny buffer: boundaries across refills
        let mut bytes = 0;
        let mut out = Vec::new();
        while framer.next_chunk(&mut r, &mut bytes).unwrap() {
            let mut s = String::from_utf8(framer.chunk.clone()).unwrap();
            if framer.too_deep {
                s.insert_str(0, "<deep>");
            }
            if framer.too_long {
                s.insert_str(0, "<long>");
            }
            out.push(s);
        }
        assert_eq!(bytes, text.len() as u64);
        out
    }

    #[test]
    fn one_value_per_line() {
        assert_eq!(
            chunks("$ion_1_0 {Item:{a:1}}\n\n$ion_1_0 {Item:{b:\"x\"}}\r\n"),
            vec!["$ion_1_0 {Item:{a:1}}", "$ion_1_0 {Item:{b:\"x\"}}\r"]
        );
    }

    #[test]
    fn multi_line_values_stay_whole() {
        let text = "$ion_1_0 {\n  Item:{\n    a:1,\n    b:\"]}[\"\n  }\n}\n{Item:{}}";
        assert_eq!(
            chunks(text),
            vec![
                "$ion_1_0 {\n  Item:{\n    a:1,\n    b:\"]}[\"\n  }\n}",
                "{Item:{}}"
            ]
        );
    }

    #[test]
    fn top_level_list_elements_are_chunks() {
        let text = "$ion_1_0\n[\n  {Item:{a:[1,2]}},\n  {Item:{b:(x y)}}\n]\n";
        assert_eq!(
            chunks(text),
            vec!["$ion_1_0", "\n  {Item:{a:[1,2]}}", "\n  {Item:{b:(x y)}}\n"]
        );
    }

    #[test]
    fn list_after_a_value_on_the_same_line() {
        assert_eq!(
            chunks("$ion_1_0 [{Item:{}},{Item:{c:1}},]"),
            vec!["$ion_1_0 ", "{Item:{}}", "{Item:{c:1}}"]
        );
        // Annotations on the top-level list are dropped.
        assert_eq!(chunks("ann::[{Item:{}}]"), vec!["{Item:{}}"]);
    }

    #[test]
    fn brackets_in_strings_symbols_comments_and_lobs_are_ignored() {
        let text = concat!(
            "{Item:{'a]}':'''x}\n''' /* { */ , b:{{ \"}}\" }}, c:{{aGk=}} // ]\n}}\n",
            "{Item:{}}\n"
        );
        assert_eq!(
            chunks(text),
            vec![
                "{Item:{'a]}':'''x}\n''' /* { */ , b:{{ \"}}\" }}, c:{{aGk=}} // ]\n}}",
                "{Item:{}}"
            ]
        );
    }

    #[test]
    fn comments_and_blank_lines_are_not_chunks() {
        assert_eq!(
            chunks("// only a comment\n   \n/* block\n */\n{Item:{}}"),
            vec!["{Item:{}}"]
        );
    }

    #[test]
    fn newline_in_a_short_string_ends_the_record() {
        assert_eq!(
            chunks("{Item:{a:\"open}}\n{Item:{b:1}}\n"),
            vec!["{Item:{a:\"open}}", "{Item:{b:1}}"]
        );
    }

    #[test]
    fn annotation_across_lines_stays_with_its_value() {
        assert_eq!(chunks("x::\n{Item:{}}\n"), vec!["x::\n{Item:{}}"]);
    }

    #[test]
    fn too_deep_is_flagged() {
        let n = MAX_DEPTH + 2;
        let got = chunks(&format!(
            "{{a:{}{}}}\n{{Item:{{}}}}",
            "[".repeat(n),
            "]".repeat(n)
        ));
        assert!(got[0].starts_with("<deep>"), "{got:?}");
        assert_eq!(got[1], "{Item:{}}");
    }
}
