//! Property tests: a PartiQL WHERE and the equivalent expression-API
//! FilterExpression select the same items, a PartiQL UPDATE and the
//! equivalent UpdateExpression make the same item, and no input makes the
//! parser or planner panic.

use std::collections::HashMap;

use ferry_expr::{Condition, Placeholders, Update};
use ferry_model::{AttributeValue, Item, KeyAttr, KeySchema, Number, ScalarType};
use ferry_partiql::{Plan, parse, plan};
use proptest::prelude::*;

fn schema() -> KeySchema {
    KeySchema {
        hash: KeyAttr {
            name: "pk".into(),
            ty: ScalarType::S,
        },
        range: None,
    }
}

/// A literal in both languages' terms.
#[derive(Clone, Debug)]
enum Lit {
    N(i32),
    S(String),
}

impl Lit {
    fn partiql(&self) -> String {
        match self {
            Lit::N(n) => n.to_string(),
            Lit::S(s) => format!("'{s}'"),
        }
    }
    fn value(&self) -> AttributeValue {
        match self {
            Lit::N(n) => AttributeValue::N(Number::parse(&n.to_string()).expect("a number")),
            Lit::S(s) => AttributeValue::S(s.clone()),
        }
    }
}

/// A condition, rendered as PartiQL and as a FilterExpression.
#[derive(Clone, Debug)]
enum C {
    Cmp(&'static str, usize, Lit),
    Between(usize, Lit, Lit),
    In(usize, Vec<Lit>),
    BeginsWith(usize, String),
    Missing(usize, bool),
    Size(usize, i32),
    Not(Box<C>),
    And(Box<C>, Box<C>),
    Or(Box<C>, Box<C>),
}

const ATTRS: [&str; 3] = ["a", "b", "c"];

struct Expr {
    values: HashMap<String, AttributeValue>,
}

impl Expr {
    fn v(&mut self, l: &Lit) -> String {
        let k = format!(":v{}", self.values.len());
        self.values.insert(k.clone(), l.value());
        k
    }

    fn render(&mut self, c: &C) -> String {
        match c {
            C::Cmp(op, a, l) => format!("#{} {op} {}", ATTRS[*a], self.v(l)),
            C::Between(a, lo, hi) => {
                format!("#{} BETWEEN {} AND {}", ATTRS[*a], self.v(lo), self.v(hi))
            }
            C::In(a, list) => {
                let vs: Vec<String> = list.iter().map(|l| self.v(l)).collect();
                format!("#{} IN ({})", ATTRS[*a], vs.join(", "))
            }
            C::BeginsWith(a, p) => format!(
                "begins_with(#{}, {})",
                ATTRS[*a],
                self.v(&Lit::S(p.clone()))
            ),
            C::Missing(a, true) => format!("attribute_not_exists(#{})", ATTRS[*a]),
            C::Missing(a, false) => format!("attribute_exists(#{})", ATTRS[*a]),
            C::Size(a, n) => format!("size(#{}) > {}", ATTRS[*a], self.v(&Lit::N(*n))),
            C::Not(x) => format!("NOT ({})", self.render(x)),
            C::And(x, y) => format!("({}) AND ({})", self.render(x), self.render(y)),
            C::Or(x, y) => format!("({}) OR ({})", self.render(x), self.render(y)),
        }
    }
}

fn partiql(c: &C) -> String {
    match c {
        C::Cmp(op, a, l) => format!("{} {op} {}", ATTRS[*a], l.partiql()),
        C::Between(a, lo, hi) => format!(
            "{} BETWEEN {} AND {}",
            ATTRS[*a],
            lo.partiql(),
            hi.partiql()
        ),
        C::In(a, list) => {
            let vs: Vec<String> = list.iter().map(Lit::partiql).collect();
            format!("{} IN [{}]", ATTRS[*a], vs.join(", "))
        }
        C::BeginsWith(a, p) => format!("begins_with({}, '{p}')", ATTRS[*a]),
        C::Missing(a, true) => format!("{} IS MISSING", ATTRS[*a]),
        C::Missing(a, false) => format!("\"{}\" IS NOT MISSING", ATTRS[*a]),
        C::Size(a, n) => format!("size({}) > {n}", ATTRS[*a]),
        C::Not(x) => format!("NOT ({})", partiql(x)),
        C::And(x, y) => format!("({}) AND ({})", partiql(x), partiql(y)),
        C::Or(x, y) => format!("({}) OR ({})", partiql(x), partiql(y)),
    }
}

fn lit() -> impl Strategy<Value = Lit> {
    prop_oneof![(-3i32..4).prop_map(Lit::N), "[xy]{0,2}".prop_map(Lit::S)]
}

fn cond() -> impl Strategy<Value = C> {
    let attr = 0usize..3;
    let leaf = prop_oneof![
        (
            prop_oneof![
                Just("="),
                Just("<>"),
                Just("<"),
                Just("<="),
                Just(">"),
                Just(">=")
            ],
            attr.clone(),
            lit()
        )
            .prop_map(|(op, a, l)| C::Cmp(op, a, l)),
        (attr.clone(), lit(), lit()).prop_map(|(a, lo, hi)| C::Between(a, lo, hi)),
        (attr.clone(), proptest::collection::vec(lit(), 1..4)).prop_map(|(a, l)| C::In(a, l)),
        (attr.clone(), "[xy]{1,2}").prop_map(|(a, p)| C::BeginsWith(a, p)),
        (attr.clone(), any::<bool>()).prop_map(|(a, m)| C::Missing(a, m)),
        (attr, 0i32..3).prop_map(|(a, n)| C::Size(a, n)),
    ];
    leaf.prop_recursive(3, 12, 2, |inner| {
        prop_oneof![
            inner.clone().prop_map(|c| C::Not(Box::new(c))),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| C::And(Box::new(a), Box::new(b))),
            (inner.clone(), inner).prop_map(|(a, b)| C::Or(Box::new(a), Box::new(b))),
        ]
    })
}

fn item() -> impl Strategy<Value = Item> {
    proptest::collection::vec(proptest::option::of(lit()), 3).prop_map(|vals| {
        let mut item = Item::from([("pk".to_string(), AttributeValue::S("k".into()))]);
        for (name, v) in ATTRS.iter().zip(vals) {
            if let Some(v) = v {
                item.insert(name.to_string(), v.value());
            }
        }
        item
    })
}

fn names() -> HashMap<String, String> {
    ATTRS
        .iter()
        .map(|a| (format!("#{a}"), a.to_string()))
        .collect()
}

proptest! {
    #[test]
    fn where_matches_the_filter_expression(c in cond(), items in proptest::collection::vec(item(), 1..6)) {
        let stmt = parse(&format!("SELECT * FROM t WHERE {}", partiql(&c))).expect("parses");
        let mut e = Expr { values: HashMap::new() };
        let text = e.render(&c);
        let all_names = names();
        let used: HashMap<String, String> = all_names.into_iter().filter(|(k, _)| text.contains(k.as_str())).collect();
        let ph = Placeholders::new(Some(&used), (!e.values.is_empty()).then_some(&e.values));
        let expr = Condition::compile(&text, "FilterExpression", &ph);
        // Both refuse the same conditions (BETWEEN bounds of two types…)
        // with the same message, or both select the same items.
        let (filter, expr) = match (plan(&stmt, &schema(), &[]), expr) {
            (Ok(Plan::Select(p)), Ok(expr)) => (p.filter.expect("a filter"), expr),
            (Err(a), Err(b)) => {
                prop_assert_eq!(a.message, b.message);
                return Ok(());
            }
            (a, b) => panic!("{text}: PartiQL {a:?} but expression {b:?}"),
        };
        for it in &items {
            prop_assert_eq!(filter.eval(Some(it)).ok(), expr.eval(Some(it)).ok(), "{} on {:?}", text, it);
        }
    }

    #[test]
    fn update_matches_the_update_expression(n in -5i32..5, s in "[a-z]{0,3}", base in item()) {
        let stmt = parse(&format!(
            "UPDATE t SET a = {n}, b = '{s}' SET l = list_append(if_not_exists(l, []), [{n}]) REMOVE c WHERE pk = 'k'"
        )).expect("parses");
        let Plan::Update(p) = plan(&stmt, &schema(), &[]).expect("plans") else { panic!("an update") };
        let values = HashMap::from([
            (":n".to_string(), Lit::N(n).value()),
            (":s".to_string(), AttributeValue::S(s.clone())),
            (":l".to_string(), AttributeValue::L(vec![Lit::N(n).value()])),
            (":e".to_string(), AttributeValue::L(vec![])),
        ]);
        let names = HashMap::from([
            ("#a".to_string(), "a".to_string()),
            ("#b".to_string(), "b".to_string()),
            ("#c".to_string(), "c".to_string()),
            ("#l".to_string(), "l".to_string()),
        ]);
        let ph = Placeholders::new(Some(&names), Some(&values));
        let expr = Update::compile("SET #a = :n, #b = :s, #l = list_append(if_not_exists(#l, :e), :l) REMOVE #c", &ph).expect("compiles");
        let (mut x, mut y) = (base.clone(), base);
        prop_assert_eq!(p.update.apply(&mut x).is_ok(), expr.apply(&mut y).is_ok());
        prop_assert_eq!(x, y);
    }

    #[test]
    fn no_input_panics(text in "\\PC{0,60}") {
        if let Ok(stmt) = parse(&text) {
            let _ = plan(&stmt, &schema(), &[]);
        }
    }

    #[test]
    fn no_statement_like_input_panics(
        parts in proptest::collection::vec(prop_oneof![
            Just("SELECT"), Just("*"), Just("FROM"), Just("t"), Just("\"t\""), Just("WHERE"),
            Just("pk"), Just("="), Just("'a'"), Just("AND"), Just("OR"), Just("NOT"), Just("("),
            Just(")"), Just("["), Just("]"), Just("{"), Just("}"), Just("<<"), Just(">>"),
            Just(","), Just("."), Just("?"), Just("1e5"), Just("IS"), Just("MISSING"),
            Just("UPDATE"), Just("SET"), Just("REMOVE"), Just("DELETE"), Just("INSERT"),
            Just("INTO"), Just("VALUE"), Just("RETURNING"), Just("ALL"), Just("OLD"),
            Just("EXISTS"), Just("BETWEEN"), Just("IN"), Just("size"), Just(":"), Just("-"),
        ], 0..20)
    ) {
        let text = parts.join(" ");
        if let Ok(stmt) = parse(&text) {
            let _ = plan(&stmt, &schema(), &[AttributeValue::S("p".into())]);
        }
    }
}
