//! Property tests: no input makes the parser, resolver or evaluators panic,
//! and NOT really negates.

mod common;

use common::*;
use ferry_expr::{Condition, KeyCondition, Placeholders, Projection, Update};
use ferry_model::{AttributeValue, Item, KeyAttr, KeySchema, ScalarType};
use proptest::prelude::*;

const TOKENS: &[&str] = &[
    "a",
    "b",
    "m",
    "l",
    "#n",
    "#x",
    ":v",
    ":s",
    ":l",
    ":m",
    ":z",
    "(",
    ")",
    "[",
    "]",
    "0",
    "1",
    "12",
    ",",
    ".",
    "=",
    "<>",
    "<",
    "<=",
    ">",
    ">=",
    "+",
    "-",
    "AND",
    "or",
    "NOT",
    "IN",
    "BETWEEN",
    "SET",
    "remove",
    "ADD",
    "DELETE",
    "size",
    "contains",
    "begins_with",
    "attribute_exists",
    "attribute_not_exists",
    "attribute_type",
    "if_not_exists",
    "list_append",
    "status",
    "_",
    "!",
    "\"q\"",
    "é",
    " ",
    "\t",
];

fn soup() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(TOKENS), 0..40).prop_map(|toks| {
        let mut s = String::new();
        for (i, t) in toks.iter().enumerate() {
            if i % 3 != 0 {
                s.push(' ');
            }
            s.push_str(t);
        }
        s
    })
}

fn sample_item() -> Item {
    item(&[
        ("a", n("1")),
        ("b", s("bee")),
        ("m", m(&[("a", l(vec![n("1"), s("x")])), ("b", ss(&["q"]))])),
        ("l", l(vec![m(&[("a", n("2"))]), n("3")])),
    ])
}

/// Compile `text` as every kind of expression and run whatever compiles.
fn exercise(text: &str) {
    let nm = names(&[("#n", "a"), ("#x", "m")]);
    let vals = values(&[
        (":v", n("1")),
        (":s", s("S")),
        (":l", l(vec![n("1")])),
        (":m", ss(&["x"])),
        (":z", AttributeValue::Bool(true)),
    ]);
    let p = Placeholders::new(Some(&nm), Some(&vals));
    let it = sample_item();
    if let Ok(c) = Condition::compile(text, "ConditionExpression", &p) {
        let _ = c.eval(Some(&it));
        let _ = c.eval(None);
        let _ = c.to_string();
        let _ = c.top_level_names();
    }
    if let Ok(u) = Update::compile(text, &p) {
        let mut copy = it.clone();
        let _ = u.apply(&mut copy);
        let mut empty = Item::new();
        let _ = u.apply(&mut empty);
        let _ = u.project_updated(&copy);
        let _ = u.to_string();
    }
    if let Ok(proj) = Projection::compile(text, &p) {
        let _ = proj.apply(&it);
    }
    let schema = KeySchema {
        hash: KeyAttr {
            name: "a".to_string(),
            ty: ScalarType::N,
        },
        range: Some(KeyAttr {
            name: "b".to_string(),
            ty: ScalarType::S,
        }),
    };
    let _ = KeyCondition::compile(text, &schema, &p);
    let _ = p.check_all_used();
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_text_never_panics(text in any::<String>()) {
        exercise(&text);
    }

    #[test]
    fn token_soup_never_panics(text in soup()) {
        exercise(&text);
    }

    #[test]
    fn not_negates(text in soup()) {
        let vals = values(&[(":v", n("1")), (":s", s("S")), (":l", l(vec![n("1")])), (":m", ss(&["x"])), (":z", AttributeValue::Bool(true))]);
        let nm = names(&[("#n", "a"), ("#x", "m")]);
        let p = Placeholders::new(Some(&nm), Some(&vals));
        let it = sample_item();
        if let (Ok(c), Ok(neg)) = (
            Condition::compile(&text, "ConditionExpression", &p),
            Condition::compile(&format!("NOT ({text})"), "ConditionExpression", &p),
        ) {
            prop_assert_eq!(neg.eval(Some(&it)).map(|b| !b), c.eval(Some(&it)));
        }
    }
}

#[test]
fn deep_nesting_is_a_syntax_error_not_a_crash() {
    for text in [
        format!("{}a = :v{}", "(".repeat(1500), ")".repeat(1500)),
        format!("{}a = :v", "NOT ".repeat(900)),
        format!("{}a{} = :v", "(".repeat(1500), ")".repeat(1500)),
        format!("SET a = {}b{}", "(".repeat(1500), ")".repeat(1500)),
        format!("SET a = {}b", "if_not_exists(b, ".repeat(200)),
    ] {
        exercise(&text);
        let vals = values(&[(":v", n("1"))]);
        let p = Placeholders::new(None, Some(&vals));
        let msg = Condition::compile(&text, "ConditionExpression", &p)
            .map(|_| ())
            .map_err(|e| e.message);
        assert!(
            matches!(&msg, Err(m) if m.contains("Syntax error") || m.contains("redundant")),
            "{msg:?}"
        );
    }
}

#[test]
fn long_and_chains_work() {
    let text = vec!["a = :v"; 350].join(" AND ");
    assert!(cond(&text, &[(":v", n("1"))], &sample_item()));
    let too_long = "a".repeat(4097);
    let p = Placeholders::new(None, None);
    assert_eq!(
        Projection::compile(&too_long, &p).map(|_| ()).map_err(|e| e.message),
        Err("Invalid ProjectionExpression: Expression size has exceeded the maximum allowed size; expression size: 4097".to_string())
    );
}
