//! UpdateExpression application: every action on top-level attributes,
//! nested map paths and list indexes, and DynamoDB's errors.

mod common;

use common::*;
use ferry_expr::{Placeholders, Update};
use ferry_model::{AttributeValue, Item};

fn base() -> Item {
    item(&[
        ("pk", s("k")),
        ("cnt", n("10")),
        ("title", s("t")),
        ("tags", ss(&["a", "b"])),
        ("nums", ns(&["1", "2"])),
        ("bins", bs(&[&[1], &[2]])),
        ("lst", l(vec![n("0"), n("1"), n("2"), n("3")])),
        (
            "doc",
            m(&[
                ("x", n("1")),
                ("nest", m(&[("y", s("why"))])),
                ("arr", l(vec![m(&[("z", n("5"))]), s("second")])),
            ]),
        ),
    ])
}

fn get<'a>(it: &'a Item, k: &str) -> Option<&'a AttributeValue> {
    it.get(k)
}

const MISMATCH: &str = "An operand in the update expression has an incorrect data type";
const BAD_PATH: &str = "The document path provided in the update expression is invalid for update";
const NO_ATTR: &str =
    "The provided expression refers to an attribute that does not exist in the item";

fn err(expr: &str, vals: &[(&str, AttributeValue)], it: &Item) -> String {
    match update(expr, vals, it) {
        Ok(_) => "ok".to_string(),
        Err(e) => e.message,
    }
}

#[test]
fn set_top_level_nested_and_list_index() {
    let out = update(
        "SET title = :v, doc.x = :v, doc.nest.y = :v, doc.arr[0].z = :v, lst[1] = :v, doc.newkey = :v",
        &[(":v", s("new"))],
        &base(),
    )
    .expect("applies");
    assert_eq!(get(&out, "title"), Some(&s("new")));
    let AttributeValue::M(doc) = &out["doc"] else {
        panic!("doc is a map")
    };
    assert_eq!(doc["x"], s("new"));
    assert_eq!(doc["newkey"], s("new"));
    assert_eq!(doc["nest"], m(&[("y", s("new"))]));
    assert_eq!(doc["arr"], l(vec![m(&[("z", s("new"))]), s("second")]));
    assert_eq!(out["lst"], l(vec![n("0"), s("new"), n("2"), n("3")]));
}

#[test]
fn set_past_the_end_appends_in_index_order() {
    let out = update(
        "SET lst[9] = :b, lst[7] = :a",
        &[(":a", s("a")), (":b", s("b"))],
        &base(),
    )
    .expect("applies");
    assert_eq!(
        out["lst"],
        l(vec![n("0"), n("1"), n("2"), n("3"), s("a"), s("b")])
    );
}

#[test]
fn set_values_are_computed_from_the_old_item() {
    let out = update(
        "SET cnt = cnt + :one, prev = cnt, lst[0] = lst[3]",
        &[(":one", n("1"))],
        &base(),
    )
    .expect("applies");
    assert_eq!(out["cnt"], n("11"));
    assert_eq!(out["prev"], n("10"));
    assert_eq!(out["lst"], l(vec![n("3"), n("1"), n("2"), n("3")]));
}

#[test]
fn arithmetic_and_functions() {
    let vals = [
        (":one", n("1.5")),
        (":z", n("0")),
        (":more", l(vec![s("m")])),
    ];
    let out = update(
        "SET a = cnt - :one, b = if_not_exists(absent, :z) + :one, c = if_not_exists(cnt, :z), \
         d = list_append(lst, :more), e = list_append(:more, doc.arr)",
        &vals,
        &base(),
    )
    .expect("applies");
    assert_eq!(out["a"], n("8.5"));
    assert_eq!(out["b"], n("1.5"));
    assert_eq!(out["c"], n("10"));
    assert_eq!(out["d"], l(vec![n("0"), n("1"), n("2"), n("3"), s("m")]));
    assert_eq!(out["e"], l(vec![s("m"), m(&[("z", n("5"))]), s("second")]));
}

#[test]
fn remove_top_level_nested_and_list_indexes() {
    let out = update(
        "REMOVE title, doc.nest.y, doc.arr[0], lst[0], lst[2], absent, lst[40]",
        &[],
        &base(),
    )
    .expect("applies");
    assert_eq!(get(&out, "title"), None);
    let AttributeValue::M(doc) = &out["doc"] else {
        panic!("doc is a map")
    };
    assert_eq!(doc["nest"], m(&[]));
    assert_eq!(doc["arr"], l(vec![s("second")]));
    assert_eq!(out["lst"], l(vec![n("1"), n("3")]));
}

#[test]
fn add_numbers_and_sets() {
    let vals = [
        (":n", n("-2")),
        (":ss", ss(&["b", "c"])),
        (":ns", ns(&["2", "3.0"])),
        (":bs", bs(&[&[2], &[3]])),
    ];
    let out = update(
        "ADD cnt :n, fresh :n, tags :ss, nums :ns, bins :bs, newset :ss, doc.x :n, lst[1] :n, lst[8] :ss",
        &vals,
        &base(),
    )
    .expect("applies");
    assert_eq!(out["cnt"], n("8"));
    assert_eq!(out["fresh"], n("-2"));
    assert_eq!(out["tags"], ss(&["a", "b", "c"]));
    assert_eq!(out["nums"], ns(&["1", "2", "3"]));
    assert_eq!(out["bins"], bs(&[&[1], &[2], &[3]]));
    assert_eq!(out["newset"], ss(&["b", "c"]));
    let AttributeValue::M(doc) = &out["doc"] else {
        panic!("doc is a map")
    };
    assert_eq!(doc["x"], n("-1"));
    assert_eq!(
        out["lst"],
        l(vec![n("0"), n("-1"), n("2"), n("3"), ss(&["b", "c"])])
    );
}

#[test]
fn delete_from_sets() {
    let vals = [
        (":ss", ss(&["a", "zz"])),
        (":ns", ns(&["1", "2"])),
        (":bs", bs(&[&[9]])),
    ];
    let out = update(
        "DELETE tags :ss, nums :ns, bins :bs, absent :ss",
        &vals,
        &base(),
    )
    .expect("applies");
    assert_eq!(out["tags"], ss(&["b"]));
    // Deleting every member removes the attribute.
    assert_eq!(get(&out, "nums"), None);
    assert_eq!(out["bins"], bs(&[&[1], &[2]]));
    assert_eq!(get(&out, "absent"), None);
}

#[test]
fn all_four_clauses_on_a_new_item() {
    let out = update(
        "REMOVE b DELETE c :c ADD d :d, e :e SET f = :f",
        &[
            (":c", ss(&["a"])),
            (":d", n("5")),
            (":e", ss(&["a", "b"])),
            (":f", l(vec![s("a"), n("1")])),
        ],
        &Item::new(),
    )
    .expect("applies");
    assert_eq!(
        out,
        item(&[
            ("d", n("5")),
            ("e", ss(&["a", "b"])),
            ("f", l(vec![s("a"), n("1")]))
        ])
    );
}

#[test]
fn evaluation_errors() {
    let it = base();
    assert_eq!(err("SET a = absent", &[], &it), NO_ATTR);
    assert_eq!(err("SET a = list_append(absent, lst)", &[], &it), NO_ATTR);
    assert_eq!(err("SET a = absent + cnt", &[], &it), NO_ATTR);
    assert_eq!(err("SET a = title + cnt", &[], &it), MISMATCH);
    assert_eq!(err("SET a = cnt - tags", &[], &it), MISMATCH);
    assert_eq!(err("SET a = list_append(lst, tags)", &[], &it), MISMATCH);
    assert_eq!(err("ADD title :n", &[(":n", n("1"))], &it), MISMATCH);
    assert_eq!(err("ADD tags :n", &[(":n", ns(&["1"]))], &it), MISMATCH);
    assert_eq!(err("ADD cnt :s", &[(":s", ss(&["1"]))], &it), MISMATCH);
    assert_eq!(err("DELETE cnt :s", &[(":s", ns(&["1"]))], &it), MISMATCH);
    assert_eq!(err("DELETE tags :s", &[(":s", bs(&[&[1]]))], &it), MISMATCH);
}

#[test]
fn invalid_document_paths() {
    let it = base();
    let v = [(":v", ss(&["a"]))];
    for expr in [
        "SET absent.a = :v",
        "SET absent[1] = :v",
        "SET title.a = :v",
        "SET title[0] = :v",
        "SET doc[0] = :v",
        "SET lst.a = :v",
        "SET lst[9].a = :v",
        "SET doc.absent.y = :v",
        "REMOVE absent.a",
        "REMOVE title[1]",
        "REMOVE lst.x",
        "ADD absent.a :v",
        "ADD doc[1] :v",
        "DELETE lst.a :v",
        "DELETE absent[0] :v",
    ] {
        assert_eq!(err(expr, &v, &it), BAD_PATH, "{expr}");
    }
}

#[test]
fn a_failed_update_changes_nothing() {
    let vals = values(&[(":v", n("1"))]);
    let p = Placeholders::new(None, Some(&vals));
    let u = Update::compile("SET a = :v, b.c = :v REMOVE title", &p).expect("compiles");
    let mut it = base();
    let before = it.clone();
    assert_eq!(
        u.apply(&mut it).map_err(|e| e.message),
        Err(BAD_PATH.to_string())
    );
    assert_eq!(it, before);
}

#[test]
fn number_results_are_checked() {
    let big = "9.9999999999999999999999999999999999999E+125";
    let it = item(&[
        ("a", n(big)),
        ("p", n("12345678901234567890123456789012345678")),
    ]);
    let overflow =
        "Number overflow. Attempting to store a number with magnitude larger than supported range";
    assert_eq!(err("SET b = a + a", &[], &it), overflow);
    assert_eq!(err("ADD a :v", &[(":v", n(big))], &it), overflow);
    // 38 digits plus a fraction cannot be stored exactly.
    assert_eq!(
        err("SET b = p + :f", &[(":f", n("0.5"))], &it),
        ferry_model::NumberError::Inexact.message()
    );
    let out = update("SET b = a - a", &[], &it).expect("applies");
    assert_eq!(out["b"], n("0"));
}

#[test]
fn targets_projection_and_paths() {
    let nm = names(&[("#t", "title")]);
    let vals = values(&[(":v", n("1"))]);
    let p = Placeholders::new(Some(&nm), Some(&vals));
    let u = Update::compile(
        "SET doc.x = :v, #t = doc.nest.y REMOVE lst[1] ADD cnt :v",
        &p,
    )
    .expect("compiles");
    assert_eq!(u.top_level_targets(), vec!["cnt", "doc", "lst", "title"]);
    assert_eq!(u.nested_top_level_names(), vec!["doc", "lst"]);
    let old = base();
    let mut new = old.clone();
    u.apply(&mut new).expect("applies");
    assert_eq!(
        u.project_updated(&old),
        item(&[
            ("cnt", n("10")),
            ("doc", m(&[("x", n("1"))])),
            ("lst", l(vec![n("1")])),
            ("title", s("t")),
        ])
    );
    assert_eq!(
        u.project_updated(&new),
        item(&[
            ("cnt", n("11")),
            ("doc", m(&[("x", n("1"))])),
            ("lst", l(vec![n("2")])),
            ("title", s("why")),
        ])
    );
}

#[test]
fn compile_errors() {
    let compile = |expr: &str, vals: &[(&str, AttributeValue)]| {
        let vals = values(vals);
        let p = Placeholders::new(None, (!vals.is_empty()).then_some(&vals));
        Update::compile(expr, &p).map(|_| ()).map_err(|e| e.message)
    };
    assert_eq!(
        compile("SET a = :v", &[]),
        Err("Invalid UpdateExpression: An expression attribute value used in expression is not defined; attribute value: :v".to_string())
    );
    assert_eq!(
        compile("SET a = :v ADD a :v", &[(":v", n("1"))]),
        Err("Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a]".to_string())
    );
    assert_eq!(
        compile("SET a = :v DELETE b :v", &[(":v", n("1"))]),
        Err("Invalid UpdateExpression: Incorrect operand type for operator or function; operator: DELETE, operand type: NUMBER".to_string())
    );
    assert_eq!(
        compile("ADD a :v ADD b :v", &[(":v", n("1"))]),
        Err("Invalid UpdateExpression: The \"ADD\" section can only be used once in an update expression;".to_string())
    );
    assert_eq!(
        compile("SET a = list_append(:v)", &[(":v", l(vec![]))]),
        Err("Invalid UpdateExpression: Incorrect number of operands for operator or function; operator or function: list_append, number of operands: 1".to_string())
    );
    assert_eq!(
        compile("set a = :v remove b, c[2] add d :v", &[(":v", n("1"))]),
        Ok(())
    );
}
