//! CloudWatch Logs filter patterns (the plain-text subset).

/// A simple CloudWatch filter pattern: space-separated terms that must all
/// occur (`"quoted phrases"` allowed); `?term` terms of which at least one
/// must occur; `-term` terms that must not occur. An empty pattern matches
/// everything. JSON and space-delimited field patterns are not supported:
/// their text is matched as plain terms.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FilterPattern {
    all: Vec<String>,
    any: Vec<String>,
    none: Vec<String>,
}

impl FilterPattern {
    pub fn parse(pattern: &str) -> FilterPattern {
        let mut p = FilterPattern::default();
        let mut chars = pattern.chars().peekable();
        loop {
            while chars.peek().is_some_and(|c| c.is_whitespace()) {
                chars.next();
            }
            let Some(&first) = chars.peek() else { break };
            let kind = match first {
                '?' | '-' => {
                    chars.next();
                    first
                }
                _ => ' ',
            };
            let mut term = String::new();
            if chars.peek() == Some(&'"') {
                chars.next();
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => {
                            if let Some(n) = chars.next() {
                                term.push(n);
                            }
                        }
                        c => term.push(c),
                    }
                }
            } else {
                while let Some(&c) = chars.peek() {
                    if c.is_whitespace() {
                        break;
                    }
                    term.push(c);
                    chars.next();
                }
            }
            if term.is_empty() {
                continue;
            }
            match kind {
                '?' => p.any.push(term),
                '-' => p.none.push(term),
                _ => p.all.push(term),
            }
        }
        p
    }

    pub fn matches(&self, message: &str) -> bool {
        self.all.iter().all(|t| message.contains(t.as_str()))
            && (self.any.is_empty() || self.any.iter().any(|t| message.contains(t.as_str())))
            && !self.none.iter().any(|t| message.contains(t.as_str()))
    }
}
