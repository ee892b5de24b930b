//! ProjectionExpression application and KeyConditionExpression extraction
//! through the public API.

mod common;

use common::*;
use ferry_expr::{KeyCondition, KeyConditionExpr, Placeholders, Projection, SortKeyCondition};
use ferry_model::{Item, KeyAttr, KeySchema, ScalarType};

fn doc() -> Item {
    item(&[
        ("pk", s("k")),
        ("a", n("1")),
        (
            "m",
            m(&[("x", n("1")), ("y", n("2")), ("z", m(&[("deep", s("d"))]))]),
        ),
        (
            "lst",
            l(vec![
                s("l0"),
                m(&[("p", n("0")), ("q", n("1"))]),
                s("l2"),
                s("l3"),
            ]),
        ),
    ])
}

#[test]
fn projection_keeps_nested_structure() {
    let it = doc();
    assert_eq!(
        project("a, pk", &it),
        item(&[("a", n("1")), ("pk", s("k"))])
    );
    assert_eq!(
        project("m.y, m.z.deep", &it),
        item(&[("m", m(&[("y", n("2")), ("z", m(&[("deep", s("d"))]))]))])
    );
    assert_eq!(
        project("lst[3], lst[1].q, lst[0]", &it),
        item(&[("lst", l(vec![s("l0"), m(&[("q", n("1"))]), s("l3")]))])
    );
    assert_eq!(
        project("absent, m.absent, lst[9], a.b, pk[0]", &it),
        Item::new()
    );
    assert_eq!(project("a", &Item::new()), Item::new());
}

#[test]
fn projection_names_and_paths() {
    let nm = names(&[("#m", "m"), ("#dot", "a.b")]);
    let p = Placeholders::new(Some(&nm), None);
    let proj = Projection::compile("#m.x, #dot, lst[1]", &p).expect("compiles");
    assert_eq!(proj.top_level_names(), vec!["a.b", "lst", "m"]);
    assert_eq!(proj.nested_top_level_names(), vec!["lst", "m"]);
    assert_eq!(proj.paths().len(), 3);
    assert_eq!(proj.to_string(), "m.x, \"a.b\", lst[1]");
    let it = item(&[("a.b", n("5")), ("a", m(&[("b", n("6"))]))]);
    assert_eq!(proj.apply(&it), item(&[("a.b", n("5"))]));
    assert_eq!(p.check_all_used(), Ok(()));
}

fn schema(hash: (&str, ScalarType), range: Option<(&str, ScalarType)>) -> KeySchema {
    let attr = |(name, ty): (&str, ScalarType)| KeyAttr {
        name: name.to_string(),
        ty,
    };
    KeySchema {
        hash: attr(hash),
        range: range.map(attr),
    }
}

fn key(
    expr: &str,
    vals: &[(&str, ferry_model::AttributeValue)],
    sch: &KeySchema,
) -> Result<KeyCondition, String> {
    let vals = values(vals);
    let p = Placeholders::new(None, Some(&vals));
    KeyCondition::compile(expr, sch, &p).map_err(|e| e.message)
}

#[test]
fn key_conditions_extract_hash_and_sort() {
    let sch = schema(("pk", ScalarType::S), Some(("sk", ScalarType::N)));
    let v = [(":p", s("x")), (":a", n("1")), (":b", n("5"))];
    let cases = [
        ("pk = :p", None),
        ("pk = :p AND sk = :a", Some(SortKeyCondition::Eq(n("1")))),
        ("sk < :a AND pk = :p", Some(SortKeyCondition::Lt(n("1")))),
        ("pk = :p AND sk <= :a", Some(SortKeyCondition::Le(n("1")))),
        ("pk = :p AND :a < sk", Some(SortKeyCondition::Gt(n("1")))),
        ("pk = :p AND :a <= sk", Some(SortKeyCondition::Ge(n("1")))),
        (
            "pk = :p AND sk BETWEEN :a AND :b",
            Some(SortKeyCondition::Between(n("1"), n("5"))),
        ),
    ];
    for (expr, sort) in cases {
        assert_eq!(
            key(expr, &v, &sch),
            Ok(KeyCondition { hash: s("x"), sort }),
            "{expr}"
        );
    }
    let sch_s = schema(("pk", ScalarType::S), Some(("sk", ScalarType::S)));
    assert_eq!(
        key("pk = :p AND begins_with(sk, :p)", &v, &sch_s),
        Ok(KeyCondition {
            hash: s("x"),
            sort: Some(SortKeyCondition::BeginsWith(s("x")))
        })
    );
}

#[test]
fn key_condition_schema_errors() {
    let sch = schema(("pk", ScalarType::S), Some(("sk", ScalarType::N)));
    let v = [(":p", s("x")), (":a", n("1"))];
    assert_eq!(
        key("sk = :a", &v, &sch),
        Err("Query condition missed key schema element: pk".into())
    );
    assert_eq!(
        key("pk = :p AND other2 = :a", &v, &sch),
        Err("Query condition missed key schema element: sk".into())
    );
    assert_eq!(
        key("pk < :p", &v, &sch),
        Err("Query key condition not supported".into())
    );
    assert_eq!(
        key("pk = :a", &v, &sch),
        Err("One or more parameter values were invalid: Condition parameter type does not match schema type".into())
    );
    let hash_only = schema(("pk", ScalarType::S), None);
    assert_eq!(
        key("pk = :p AND sk = :a", &v, &hash_only),
        Err("Query key condition not supported".into())
    );
}

#[test]
fn key_condition_checks_before_the_schema() {
    let vals = values(&[(":p", s("x"))]);
    let p = Placeholders::new(None, Some(&vals));
    // Structural errors come without a schema...
    assert_eq!(
        KeyConditionExpr::compile("pk = :p OR pk = :p", &p).map_err(|e| e.message),
        Err("Invalid operator used in KeyConditionExpression: OR".to_string())
    );
    // ...schema errors only when checked against one.
    let expr = KeyConditionExpr::compile("other2 = :p", &p).expect("schema-free checks pass");
    let sch = schema(("pk", ScalarType::S), None);
    assert_eq!(
        expr.against(&sch).map_err(|e| e.message),
        Err("Query condition missed key schema element: pk".to_string())
    );
    let idx = schema(("other2", ScalarType::S), None);
    assert_eq!(
        expr.against(&idx),
        Ok(KeyCondition {
            hash: s("x"),
            sort: None
        })
    );
}

#[test]
fn sort_key_condition_matching() {
    use SortKeyCondition as K;
    assert!(K::Eq(n("1")).matches(&n("1.0")));
    assert!(!K::Eq(n("1")).matches(&s("1")));
    assert!(K::Lt(n("1")).matches(&n("0.5")));
    assert!(!K::Lt(n("1")).matches(&n("1")));
    assert!(K::Le(n("1")).matches(&n("1")));
    assert!(K::Gt(s("b")).matches(&s("ba")));
    assert!(!K::Gt(s("b")).matches(&s("B")));
    assert!(K::Ge(b(&[1])).matches(&b(&[1])));
    assert!(!K::Ge(b(&[1])).matches(&b(&[0, 9])));
    assert!(K::Between(n("1"), n("3")).matches(&n("3")));
    assert!(!K::Between(n("1"), n("3")).matches(&n("3.01")));
    assert!(K::BeginsWith(s("ab")).matches(&s("abc")));
    assert!(!K::BeginsWith(s("ab")).matches(&s("a")));
    assert!(K::BeginsWith(b(&[1])).matches(&b(&[1, 2])));
}

#[test]
fn compiled_expressions_cross_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<ferry_expr::Condition>();
    assert_send_sync::<ferry_expr::Update>();
    assert_send_sync::<Projection>();
    assert_send_sync::<KeyCondition>();
    assert_send_sync::<KeyConditionExpr>();
    assert_send_sync::<Placeholders<'static>>();
    assert_send_sync::<ferry_expr::ExprError>();
}
