//! S3 listing over a bucket's sorted key index: raw string prefix, delimiter
//! grouping into common prefixes, start-after / marker, max-keys. Keys sort
//! by UTF-8 bytes, as S3 sorts them. A run of keys under one common prefix is
//! skipped with one range seek, so a page costs O(page · log n).

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::Arc;

use chrono::{DateTime, Utc};

/// What the index keeps per key: enough to answer a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexEntry {
    pub size: u64,
    pub etag: Arc<str>,
    pub last_modified: DateTime<Utc>,
}

/// One listing request.
#[derive(Debug, Clone, Copy, Default)]
pub struct ListQuery<'a> {
    pub prefix: &'a str,
    /// `None` or empty: no grouping.
    pub delimiter: Option<&'a str>,
    /// Start after this key (ListObjectsV2 start-after / continuation, v1 marker).
    pub start_after: Option<&'a str>,
    /// Keys plus common prefixes per page (S3 caps it at 1000).
    pub max_keys: usize,
}

/// One listed object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedObject {
    pub key: String,
    pub size: u64,
    /// Without quotes.
    pub etag: String,
    pub last_modified: DateTime<Utc>,
}

/// One page of a listing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListPage {
    pub objects: Vec<ListedObject>,
    pub common_prefixes: Vec<String>,
    pub is_truncated: bool,
    /// The last key or common prefix returned, when truncated: pass it back as
    /// `start_after` for the next page.
    pub next_marker: Option<String>,
}

/// The smallest string greater than every string starting with `p` is not
/// always a valid `String`; this bound (p followed by the largest char) is
/// passed by all but keys continuing with that very char, which the loop
/// then skips one by one.
fn after_prefix(p: &str) -> String {
    let mut s = String::with_capacity(p.len() + 4);
    s.push_str(p);
    s.push(char::MAX);
    s
}

/// The common prefix `key` falls under, if any.
fn common_prefix<'k>(key: &'k str, prefix: &str, delimiter: Option<&str>) -> Option<&'k str> {
    let d = delimiter.filter(|d| !d.is_empty())?;
    let rest = key.get(prefix.len()..)?;
    let i = rest.find(d)?;
    key.get(..prefix.len() + i + d.len())
}

/// Lists `index` as S3 would.
pub fn list(index: &BTreeMap<String, IndexEntry>, q: &ListQuery<'_>) -> ListPage {
    let mut page = ListPage::default();
    if q.max_keys == 0 {
        return page;
    }
    let mut start: Bound<String> = match q.start_after {
        Some(s) if s >= q.prefix => Bound::Excluded(s.to_owned()),
        _ => Bound::Included(q.prefix.to_owned()),
    };
    // A marker inside a common prefix means that prefix was already returned.
    let mut skip: Option<String> = q
        .start_after
        .filter(|s| s.starts_with(q.prefix))
        .and_then(|s| common_prefix(s, q.prefix, q.delimiter))
        .map(str::to_owned);
    if let Some(cp) = &skip {
        start = Bound::Excluded(after_prefix(cp));
    }
    let mut count = 0usize;
    let mut last: Option<String> = None;
    'outer: loop {
        let range = index.range::<String, _>((start.clone(), Bound::Unbounded));
        for (key, e) in range {
            if !key.starts_with(q.prefix) {
                break 'outer;
            }
            if let Some(cp) = &skip
                && key.starts_with(cp.as_str())
            {
                continue;
            }
            if count == q.max_keys {
                page.is_truncated = true;
                break 'outer;
            }
            count += 1;
            if let Some(cp) = common_prefix(key, q.prefix, q.delimiter) {
                page.common_prefixes.push(cp.to_owned());
                last = Some(cp.to_owned());
                skip = Some(cp.to_owned());
                start = Bound::Excluded(after_prefix(cp));
                continue 'outer;
            }
            page.objects.push(ListedObject {
                key: key.clone(),
                size: e.size,
                etag: e.etag.to_string(),
                last_modified: e.last_modified,
            });
            last = Some(key.clone());
        }
        break;
    }
    if page.is_truncated {
        page.next_marker = last;
    }
    page
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn index(keys: &[&str]) -> BTreeMap<String, IndexEntry> {
        keys.iter()
            .map(|k| {
                (
                    (*k).to_owned(),
                    IndexEntry {
                        size: k.len() as u64,
                        etag: Arc::from("e"),
                        last_modified: DateTime::UNIX_EPOCH,
                    },
                )
            })
            .collect()
    }

    fn keys(p: &ListPage) -> Vec<&str> {
        p.objects.iter().map(|o| o.key.as_str()).collect()
    }

    #[test]
    fn prefix_is_a_raw_string() {
        let ix = index(&["a", "a/b", "ab", "abc/d", "b"]);
        let p = list(
            &ix,
            &ListQuery {
                prefix: "ab",
                max_keys: 1000,
                ..Default::default()
            },
        );
        assert_eq!(keys(&p), ["ab", "abc/d"]);
        assert!(!p.is_truncated);
    }

    #[test]
    fn delimiter_groups_and_pages() {
        let ix = index(&["a/1", "a/2", "b", "c/x/1", "c/y", "d"]);
        let q = ListQuery {
            prefix: "",
            delimiter: Some("/"),
            start_after: None,
            max_keys: 2,
        };
        let p1 = list(&ix, &q);
        assert_eq!(p1.common_prefixes, ["a/"]);
        assert_eq!(keys(&p1), ["b"]);
        assert!(p1.is_truncated);
        assert_eq!(p1.next_marker.as_deref(), Some("b"));
        let p2 = list(
            &ix,
            &ListQuery {
                start_after: Some("b"),
                ..q
            },
        );
        assert_eq!(p2.common_prefixes, ["c/"]);
        assert_eq!(keys(&p2), ["d"]);
        assert!(!p2.is_truncated);
        // marker that is a common prefix: its keys are not listed again
        let p3 = list(
            &ix,
            &ListQuery {
                start_after: Some("a/"),
                max_keys: 1,
                ..q
            },
        );
        assert_eq!(keys(&p3), ["b"]);
        assert!(p3.common_prefixes.is_empty());
    }

    #[test]
    fn nested_prefix_and_multichar_delimiter() {
        let ix = index(&["p/a--1", "p/a--2", "p/b", "q"]);
        let q = ListQuery {
            prefix: "p/",
            delimiter: Some("--"),
            start_after: None,
            max_keys: 10,
        };
        let p = list(&ix, &q);
        assert_eq!(p.common_prefixes, ["p/a--"]);
        assert_eq!(keys(&p), ["p/b"]);
    }

    #[test]
    fn keys_after_char_max_are_still_grouped() {
        let m = char::MAX.to_string();
        let k1 = format!("a/{m}x");
        let ix = index(&["a/1", &k1, "b"]);
        let q = ListQuery {
            prefix: "",
            delimiter: Some("/"),
            start_after: None,
            max_keys: 10,
        };
        let p = list(&ix, &q);
        assert_eq!(p.common_prefixes, ["a/"]);
        assert_eq!(keys(&p), ["b"]);
    }

    /// The obvious O(n) listing, as the oracle.
    fn naive(keys: &[String], q: &ListQuery<'_>) -> (Vec<String>, Vec<String>) {
        let mut objs = Vec::new();
        let mut cps: Vec<String> = Vec::new();
        let mut sorted = keys.to_vec();
        sorted.sort();
        sorted.dedup();
        for k in sorted {
            if !k.starts_with(q.prefix) {
                continue;
            }
            match common_prefix(&k, q.prefix, q.delimiter) {
                Some(cp) => {
                    if cps.last().map(String::as_str) != Some(cp) {
                        cps.push(cp.to_owned());
                    }
                }
                None => objs.push(k),
            }
        }
        (objs, cps)
    }

    proptest! {
        #[test]
        fn paging_matches_naive(
            ks in prop::collection::vec("[ab/]{1,5}", 0..40),
            prefix in "[ab/]{0,2}",
            delim in prop::option::of(prop::sample::select(vec!["/", "b", "ab"])),
            page in 1usize..5,
        ) {
            let refs: Vec<&str> = ks.iter().map(String::as_str).collect();
            let ix = index(&refs);
            let mut objs = Vec::new();
            let mut cps = Vec::new();
            let mut marker: Option<String> = None;
            for _ in 0..100 {
                let q = ListQuery { prefix: &prefix, delimiter: delim, start_after: marker.as_deref(), max_keys: page };
                let p = list(&ix, &q);
                prop_assert!(p.objects.len() + p.common_prefixes.len() <= page);
                objs.extend(p.objects.iter().map(|o| o.key.clone()));
                cps.extend(p.common_prefixes.iter().cloned());
                if !p.is_truncated { break; }
                marker = p.next_marker.clone();
                prop_assert!(marker.is_some());
            }
            let q = ListQuery { prefix: &prefix, delimiter: delim, start_after: None, max_keys: 1 };
            let (want_objs, want_cps) = naive(&ks, &q);
            prop_assert_eq!(objs, want_objs);
            prop_assert_eq!(cps, want_cps);
        }
    }
}
