//! Condition evaluation over items: every comparator, BETWEEN, IN, AND / OR /
//! NOT, and every function, with DynamoDB's type rules.

mod common;

use common::*;
use ferry_expr::{Condition, Placeholders};
use ferry_model::{AttributeValue, Item};

fn sample() -> Item {
    item(&[
        ("pk", s("user#1")),
        ("age", n("42")),
        ("title", s("Ada")),
        ("bin", b(&[1, 2, 3])),
        ("tags", ss(&["a", "b"])),
        ("scores", ns(&["1", "2.5"])),
        ("blobs", bs(&[&[9], &[8, 7]])),
        ("flag", AttributeValue::Bool(true)),
        ("nothing", AttributeValue::Null),
        (
            "doc",
            m(&[
                ("x", n("1")),
                ("lst", l(vec![s("p"), n("7"), m(&[("deep", s("yes"))])])),
            ]),
        ),
    ])
}

#[test]
fn equality_and_inequality() {
    let it = sample();
    assert!(cond("age = :v", &[(":v", n("42.0"))], &it));
    assert!(!cond("age = :v", &[(":v", s("42"))], &it));
    assert!(cond("age <> :v", &[(":v", s("42"))], &it));
    assert!(!cond("age <> :v", &[(":v", n("42"))], &it));
    assert!(cond("tags = :v", &[(":v", ss(&["b", "a"]))], &it));
    assert!(cond("doc.x = :v", &[(":v", n("1"))], &it));
    assert!(cond(
        "flag = :v",
        &[(":v", AttributeValue::Bool(true))],
        &it
    ));
    assert!(cond("nothing = :v", &[(":v", AttributeValue::Null)], &it));
    assert!(cond(
        "doc.lst[2] = :v",
        &[(":v", m(&[("deep", s("yes"))]))],
        &it
    ));
    // A missing attribute equals nothing and differs from everything.
    assert!(!cond("absent = :v", &[(":v", n("1"))], &it));
    assert!(cond("absent <> :v", &[(":v", n("1"))], &it));
}

#[test]
fn ordering_comparators() {
    let it = sample();
    let v = [(":v", n("42"))];
    assert!(!cond("age < :v", &v, &it));
    assert!(cond("age <= :v", &v, &it));
    assert!(!cond("age > :v", &v, &it));
    assert!(cond("age >= :v", &v, &it));
    assert!(cond("age > :v", &[(":v", n("-1e3"))], &it));
    assert!(cond("title < :v", &[(":v", s("Adb"))], &it));
    assert!(cond("title > :v", &[(":v", s("AZ"))], &it)); // 'd' > 'Z' bytewise
    assert!(cond("bin < :v", &[(":v", b(&[1, 2, 4]))], &it));
    assert!(cond("bin > :v", &[(":v", b(&[1, 2]))], &it));
    // Different types never order.
    assert!(!cond("age < :v", &[(":v", s("100"))], &it));
    assert!(!cond("age > :v", &[(":v", s("1"))], &it));
    assert!(!cond("absent < :v", &[(":v", n("1"))], &it));
    // Two paths.
    assert!(cond("age > doc.x", &[], &it));
    assert!(cond("doc.x < doc.lst[1]", &[], &it));
}

#[test]
fn between_is_inclusive() {
    let it = sample();
    assert!(cond(
        "age BETWEEN :a AND :b",
        &[(":a", n("42")), (":b", n("42"))],
        &it
    ));
    assert!(cond(
        "age between :a and :b",
        &[(":a", n("1")), (":b", n("100"))],
        &it
    ));
    assert!(!cond(
        "age BETWEEN :a AND :b",
        &[(":a", n("43")), (":b", n("100"))],
        &it
    ));
    assert!(cond(
        "title BETWEEN :a AND :b",
        &[(":a", s("A")), (":b", s("B"))],
        &it
    ));
    assert!(!cond(
        "title BETWEEN :a AND :b",
        &[(":a", n("1")), (":b", n("2"))],
        &it
    ));
    assert!(!cond(
        "absent BETWEEN :a AND :b",
        &[(":a", n("1")), (":b", n("2"))],
        &it
    ));
}

#[test]
fn in_matches_any_candidate() {
    let it = sample();
    let vals = [(":a", s("x")), (":b", n("42")), (":c", s("Ada"))];
    assert!(cond("age IN (:a, :b)", &vals, &it));
    assert!(cond("title IN (:a, :b, :c)", &vals, &it));
    assert!(!cond("title IN (:a, :b)", &vals, &it));
    assert!(!cond("absent IN (:a, :b, :c)", &vals, &it));
    assert!(!cond("age IN (:a, doc.x)", &vals, &it));
    assert!(cond(
        "doc.x IN (:a, doc.lst[1], :one)",
        &[(":a", s("x")), (":one", n("1"))],
        &it
    ));
}

#[test]
fn logical_operators() {
    let it = sample();
    let v = [(":a", n("42")), (":n", s("Ada"))];
    assert!(cond("age = :a AND title = :n", &v, &it));
    assert!(!cond("age = :a AND title <> :n", &v, &it));
    assert!(cond("age <> :a OR title = :n", &v, &it));
    assert!(!cond("age <> :a OR title <> :n", &v, &it));
    assert!(cond("NOT age <> :a", &v, &it));
    assert!(cond("NOT (age <> :a OR title <> :n)", &v, &it));
    // NOT binds tighter than AND, AND tighter than OR.
    assert!(cond("NOT age = :a AND title = :n OR title = :n", &v, &it));
    assert!(!cond(
        "NOT age = :a AND (title = :n OR title = :n)",
        &v,
        &it
    ));
}

#[test]
fn attribute_exists_and_not_exists() {
    let it = sample();
    assert!(cond("attribute_exists(pk)", &[], &it));
    assert!(cond("attribute_exists(doc.lst[2].deep)", &[], &it));
    assert!(!cond("attribute_exists(doc.lst[3])", &[], &it));
    assert!(!cond("attribute_exists(doc.x.y)", &[], &it));
    assert!(cond("attribute_not_exists(doc.lst[3])", &[], &it));
    assert!(cond("attribute_exists(nothing)", &[], &it));
    assert!(!cond("attribute_not_exists(age)", &[], &it));
}

#[test]
fn attribute_type_of_every_type() {
    let it = sample();
    for (path, ty) in [
        ("pk", "S"),
        ("age", "N"),
        ("bin", "B"),
        ("tags", "SS"),
        ("scores", "NS"),
        ("blobs", "BS"),
        ("flag", "BOOL"),
        ("nothing", "NULL"),
        ("doc", "M"),
        ("doc.lst", "L"),
    ] {
        let expr = format!("attribute_type({path}, :t)");
        assert!(cond(&expr, &[(":t", s(ty))], &it), "{path} is {ty}");
        let other = if ty == "S" { "N" } else { "S" };
        assert!(
            !cond(&expr, &[(":t", s(other))], &it),
            "{path} is not {other}"
        );
    }
    assert!(!cond("attribute_type(absent, :t)", &[(":t", s("S"))], &it));
}

#[test]
fn begins_with_strings_and_binaries() {
    let it = sample();
    assert!(cond("begins_with(pk, :p)", &[(":p", s("user#"))], &it));
    assert!(!cond("begins_with(pk, :p)", &[(":p", s("User"))], &it));
    assert!(cond("begins_with(bin, :p)", &[(":p", b(&[1, 2]))], &it));
    assert!(!cond("begins_with(bin, :p)", &[(":p", b(&[2]))], &it));
    assert!(!cond("begins_with(bin, :p)", &[(":p", s("a"))], &it));
    assert!(!cond("begins_with(tags, :p)", &[(":p", s("a"))], &it));
    assert!(cond(
        "begins_with(pk, doc.lst[0])",
        &[],
        &item(&[("pk", s("px")), ("doc", m(&[("lst", l(vec![s("p")]))]))])
    ));
}

#[test]
fn contains_strings_sets_and_lists() {
    let it = sample();
    assert!(cond("contains(title, :v)", &[(":v", s("d"))], &it));
    assert!(!cond("contains(title, :v)", &[(":v", s("x"))], &it));
    assert!(cond("contains(tags, :v)", &[(":v", s("b"))], &it));
    assert!(!cond("contains(tags, :v)", &[(":v", s("c"))], &it));
    assert!(cond("contains(scores, :v)", &[(":v", n("2.50"))], &it));
    assert!(cond("contains(blobs, :v)", &[(":v", b(&[8, 7]))], &it));
    assert!(cond("contains(doc.lst, :v)", &[(":v", n("7"))], &it));
    assert!(cond(
        "contains(doc.lst, :v)",
        &[(":v", m(&[("deep", s("yes"))]))],
        &it
    ));
    assert!(!cond("contains(doc.lst, :v)", &[(":v", s("7"))], &it));
    assert!(cond("contains(bin, :v)", &[(":v", b(&[2, 3]))], &it));
    assert!(!cond("contains(age, :v)", &[(":v", n("4"))], &it));
    assert!(!cond("contains(tags, :v)", &[(":v", n("1"))], &it));
    assert!(cond("NOT contains(absent, :v)", &[(":v", s("x"))], &it));
}

#[test]
fn size_of_every_sizable_type() {
    let it = sample();
    for (path, size) in [
        ("title", "3"),
        ("bin", "3"),
        ("tags", "2"),
        ("scores", "2"),
        ("blobs", "2"),
        ("doc", "2"),
        ("doc.lst", "3"),
    ] {
        let expr = format!("size({path}) = :n");
        assert!(
            cond(&expr, &[(":n", n(size))], &it),
            "size({path}) = {size}"
        );
    }
    // No size for numbers, booleans, nulls or missing attributes.
    for path in ["age", "flag", "nothing", "absent"] {
        let expr = format!("size({path}) >= :z");
        assert!(!cond(&expr, &[(":z", n("0"))], &it), "{path} has no size");
        let expr = format!("size({path}) <> :z");
        assert!(cond(&expr, &[(":z", n("0"))], &it), "{path} has no size");
    }
    assert!(cond(
        "size(title) BETWEEN :a AND :b",
        &[(":a", n("1")), (":b", n("3"))],
        &it
    ));
    assert!(cond(
        "size(:v) = :n",
        &[(":v", s("four")), (":n", n("4"))],
        &it
    ));
}

#[test]
fn absent_and_empty_items_do_not_exist() {
    let vals = values(&[(":v", s("x"))]);
    let p = Placeholders::new(None, Some(&vals));
    let c = Condition::compile(
        "attribute_not_exists(pk) OR pk <> :v",
        "ConditionExpression",
        &p,
    )
    .expect("compiles");
    assert_eq!(c.eval(None), Ok(true));
    assert_eq!(c.eval(Some(&Item::new())), Ok(true));
    let exists =
        Condition::compile("attribute_exists(pk)", "ConditionExpression", &p).expect("compiles");
    assert_eq!(exists.eval(None), Ok(false));
}

#[test]
fn names_resolve_reserved_words_and_dots() {
    let it = item(&[
        ("status", s("flag")),
        ("a.b", n("1")),
        ("a", m(&[("b", n("2"))])),
    ]);
    let nm = names(&[("#s", "status"), ("#ab", "a.b"), ("#a", "a"), ("#b", "b")]);
    let vals = values(&[(":flag", s("flag")), (":one", n("1")), (":two", n("2"))]);
    let p = Placeholders::new(Some(&nm), Some(&vals));
    let c = Condition::compile(
        "#s = :flag AND #ab = :one AND #a.#b = :two",
        "ConditionExpression",
        &p,
    )
    .expect("compiles");
    assert_eq!(c.eval(Some(&it)), Ok(true));
    assert_eq!(c.top_level_names(), vec!["a", "a.b", "status"]);
    assert_eq!(c.nested_top_level_names(), vec!["a"]);
    assert_eq!(p.check_all_used(), Ok(()));
}

#[test]
fn compile_errors_carry_dynamodb_messages() {
    assert_eq!(
        cond_err("a =", &[]),
        "Invalid ConditionExpression: Syntax error; token: \"<EOF>\", near: \"=\""
    );
    assert_eq!(
        cond_err("status = :v", &[(":v", s("x"))]),
        "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: status"
    );
    assert_eq!(
        cond_err("a = :x", &[(":v", s("x"))]),
        "Invalid ConditionExpression: An expression attribute value used in expression is not defined; attribute value: :x"
    );
    assert_eq!(
        cond_err("#x = :v", &[(":v", s("x"))]),
        "Invalid ConditionExpression: An expression attribute name used in the document path is not defined; attribute name: #x"
    );
}

#[test]
fn unused_placeholders_are_reported_sorted() {
    let nm = names(&[("#b", "b"), ("#a", "a")]);
    let vals = values(&[(":b", s("x")), (":a", s("y")), (":c", s("z"))]);
    let p = Placeholders::new(Some(&nm), Some(&vals));
    Condition::compile("#a = :a", "ConditionExpression", &p).expect("compiles");
    assert_eq!(
        p.check_all_used().map_err(|e| e.message),
        Err(
            "Value provided in ExpressionAttributeNames unused in expressions: keys: {#b}"
                .to_string()
        )
    );
    Condition::compile("#b = :b", "FilterExpression", &p).expect("compiles");
    assert_eq!(
        p.check_all_used().map_err(|e| e.message),
        Err(
            "Value provided in ExpressionAttributeValues unused in expressions: keys: {:c}"
                .to_string()
        )
    );
}
