//! IAM's wildcard matching: `*` matches any run of characters (also none),
//! `?` exactly one character, everything else itself. Used by `Action`,
//! `Resource`, `Principal`, `StringLike` and `ArnLike`.

/// True when `text` matches `pattern`; `ignore_case` compares letters
/// ASCII-case-insensitively (IAM action names are case-insensitive).
///
/// The classic linear-time greedy match with one backtrack point: on a
/// mismatch the last `*` absorbs one more character.
pub fn matches(pattern: &str, text: &str, ignore_case: bool) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let same = |a: char, b: char| {
        if ignore_case {
            a.eq_ignore_ascii_case(&b)
        } else {
            a == b
        }
    };
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(&c) if c == '?' || same(c, t[ti]) => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn literal_star_and_question_mark() {
        assert!(matches("abc", "abc", false));
        assert!(!matches("abc", "abd", false));
        assert!(matches("*", "", false));
        assert!(matches("a*", "a", false));
        assert!(matches("a*c", "abbbc", false));
        assert!(!matches("a*c", "abbbd", false));
        assert!(matches("a?c", "abc", false));
        assert!(!matches("a?c", "ac", false));
        assert!(matches("*b*b*", "abxb", false));
        assert!(matches(
            "arn:aws:dynamodb:us-east-1:111122223333:table/my-table*",
            "arn:aws:dynamodb:us-east-1:111122223333:table/my-table-2",
            false
        ));
    }

    #[test]
    fn case() {
        assert!(matches("dynamodb:getitem", "dynamodb:GetItem", true));
        assert!(!matches("dynamodb:getitem", "dynamodb:GetItem", false));
        assert!(matches("DynamoDB:Get*", "dynamodb:GetItem", true));
    }
}
