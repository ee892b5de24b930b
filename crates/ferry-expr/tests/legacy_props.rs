//! Property tests: the legacy parameters (`QueryFilter`/`ScanFilter`,
//! `Expected`, `AttributeUpdates`, `KeyConditions`) and their expression
//! equivalents give identical results on random items.

mod common;

use std::collections::{BTreeMap, HashMap};

use common::*;
use ferry_expr::{
    AttributeUpdate, ComparisonOperator, Condition, ExpectedCondition, KeyCondition,
    LegacyCondition, Placeholders, Update, UpdateAction, check_key_conditions, compare,
};
use ferry_model::{AttributeValue, Item, KeyAttr, KeySchema, ScalarType};
use proptest::prelude::*;

const ATTRS: &[&str] = &["a", "b", "c"];

fn scalar() -> impl Strategy<Value = AttributeValue> {
    prop_oneof![
        prop::sample::select(vec!["a", "ab", "b", "ba", "abc"]).prop_map(s),
        prop::sample::select(vec!["-1", "0", "1", "2", "10"]).prop_map(n),
        prop::sample::select(vec![vec![1u8], vec![1, 2], vec![2]]).prop_map(|x| b(&x)),
    ]
}

fn set() -> impl Strategy<Value = AttributeValue> {
    prop_oneof![
        prop::sample::subsequence(vec!["a", "ab", "b"], 1..=3).prop_map(|x| ss(&x)),
        prop::sample::subsequence(vec!["1", "2", "10"], 1..=3).prop_map(|x| ns(&x)),
        Just(bs(&[&[1u8], &[2u8]])),
    ]
}

/// Any stored value: scalars, sets, documents, booleans, null.
fn stored() -> impl Strategy<Value = AttributeValue> {
    prop_oneof![
        4 => scalar(),
        3 => set(),
        1 => Just(l(vec![s("a"), n("1")])),
        1 => Just(m(&[("x", n("1"))])),
        1 => any::<bool>().prop_map(AttributeValue::Bool),
        1 => Just(AttributeValue::Null),
    ]
}

fn random_item() -> impl Strategy<Value = Item> {
    prop::collection::vec(prop::option::of(stored()), ATTRS.len()).prop_map(|vals| {
        ATTRS
            .iter()
            .zip(vals)
            .filter_map(|(k, v)| Some((k.to_string(), v?)))
            .collect()
    })
}

/// A legacy condition with the arity and value types DynamoDB accepts.
fn legacy_condition() -> impl Strategy<Value = LegacyCondition> {
    use ComparisonOperator as O;
    prop::sample::select(ComparisonOperator::ALL.to_vec()).prop_flat_map(|op| {
        let values: BoxedStrategy<Vec<AttributeValue>> = match op {
            O::Null | O::NotNull => Just(Vec::new()).boxed(),
            O::Eq | O::Ne => prop_oneof![scalar(), set()].prop_map(|v| vec![v]).boxed(),
            O::BeginsWith => prop_oneof![
                prop::sample::select(vec!["a", "ab", "b"]).prop_map(s),
                Just(b(&[1u8])),
            ]
            .prop_map(|v| vec![v])
            .boxed(),
            O::In => prop::collection::vec(scalar(), 1..4)
                .prop_map(|mut v| {
                    let first = v[0].type_name();
                    v.retain(|x| x.type_name() == first);
                    v
                })
                .boxed(),
            O::Between => (scalar(), scalar())
                .prop_filter_map("bounds of one type", |(x, y)| match compare(&x, &y)? {
                    std::cmp::Ordering::Greater => Some(vec![y, x]),
                    _ => Some(vec![x, y]),
                })
                .boxed(),
            _ => scalar().prop_map(|v| vec![v]).boxed(),
        };
        values.prop_map(move |values| LegacyCondition { op, values })
    })
}

/// Placeholders built while writing an equivalent expression.
#[derive(Default)]
struct Text {
    names: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
}

impl Text {
    fn name(&mut self, attr: &str) -> String {
        let key = format!("#{attr}");
        self.names.insert(key.clone(), attr.to_string());
        key
    }

    fn value(&mut self, v: &AttributeValue) -> String {
        let key = format!(":v{}", self.values.len());
        self.values.insert(key.clone(), v.clone());
        key
    }

    /// The expression text of one legacy condition.
    fn condition(&mut self, attr: &str, c: &LegacyCondition) -> String {
        use ComparisonOperator as O;
        let a = self.name(attr);
        let mut v = c.values.iter().map(|x| self.value(x)).collect::<Vec<_>>();
        let first = v.first().cloned().unwrap_or_default();
        match c.op {
            O::Eq => format!("{a} = {first}"),
            O::Ne => format!("{a} <> {first}"),
            O::Le => format!("{a} <= {first}"),
            O::Lt => format!("{a} < {first}"),
            O::Ge => format!("{a} >= {first}"),
            O::Gt => format!("{a} > {first}"),
            O::NotNull => format!("attribute_exists({a})"),
            O::Null => format!("attribute_not_exists({a})"),
            O::Contains => format!("contains({a}, {first})"),
            O::NotContains => format!("NOT contains({a}, {first})"),
            O::BeginsWith => format!("begins_with({a}, {first})"),
            O::In => format!("{a} IN ({})", v.join(", ")),
            O::Between => {
                let hi = v.pop().unwrap_or_default();
                format!("{a} BETWEEN {first} AND {hi}")
            }
        }
    }

    fn placeholders(&self) -> Placeholders<'_> {
        Placeholders::new(
            Some(&self.names),
            (!self.values.is_empty()).then_some(&self.values),
        )
    }
}

fn filter_map() -> impl Strategy<Value = BTreeMap<String, LegacyCondition>> {
    prop::collection::btree_map(
        prop::sample::select(ATTRS.to_vec()).prop_map(str::to_string),
        legacy_condition(),
        1..=3,
    )
}

fn expected_entry() -> impl Strategy<Value = ExpectedCondition> {
    prop_oneof![
        stored().prop_map(|v| ExpectedCondition {
            value: Some(v),
            ..Default::default()
        }),
        stored().prop_map(|v| ExpectedCondition {
            exists: Some(true),
            value: Some(v),
            ..Default::default()
        }),
        Just(ExpectedCondition {
            exists: Some(false),
            ..Default::default()
        }),
        legacy_condition().prop_map(|c| ExpectedCondition {
            op: Some(c.op),
            values: Some(c.values),
            ..Default::default()
        }),
    ]
}

fn attribute_update() -> impl Strategy<Value = AttributeUpdate> {
    prop_oneof![
        stored().prop_map(|v| AttributeUpdate {
            action: UpdateAction::Put,
            value: Some(v),
        }),
        Just(AttributeUpdate {
            action: UpdateAction::Delete,
            value: None,
        }),
        set().prop_map(|v| AttributeUpdate {
            action: UpdateAction::Delete,
            value: Some(v),
        }),
        prop_oneof![
            prop::sample::select(vec!["-1", "1", "2.5"]).prop_map(n),
            set(),
            Just(l(vec![s("z")])),
        ]
        .prop_map(|v| AttributeUpdate {
            action: UpdateAction::Add,
            value: Some(v),
        }),
    ]
}

/// A valid sort-key condition on an S range key.
fn sort_condition() -> impl Strategy<Value = LegacyCondition> {
    use ComparisonOperator as O;
    let word = || prop::sample::select(vec!["a", "ab", "b", "ba"]).prop_map(s);
    prop_oneof![
        (
            prop::sample::select(vec![O::Eq, O::Lt, O::Le, O::Gt, O::Ge, O::BeginsWith]),
            word()
        )
            .prop_map(|(op, v)| LegacyCondition {
                op,
                values: vec![v]
            }),
        (word(), word()).prop_map(|(x, y)| {
            let mut values = vec![x, y];
            values.sort_by(|p, q| compare(p, q).unwrap_or(std::cmp::Ordering::Equal));
            LegacyCondition {
                op: O::Between,
                values,
            }
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn key_conditions_match_their_expression(
        hash in prop::sample::select(vec!["x", "y"]).prop_map(s),
        sort in prop::option::of(sort_condition()),
    ) {
        let schema = KeySchema {
            hash: KeyAttr { name: "h".into(), ty: ScalarType::S },
            range: Some(KeyAttr { name: "r".into(), ty: ScalarType::S }),
        };
        let mut conds = BTreeMap::from([(
            "h".to_string(),
            LegacyCondition { op: ComparisonOperator::Eq, values: vec![hash] },
        )]);
        if let Some(c) = sort {
            conds.insert("r".to_string(), c);
        }
        check_key_conditions(&conds).unwrap();
        let legacy = KeyCondition::from_key_conditions(&conds, &schema).unwrap();
        let mut t = Text::default();
        let parts: Vec<String> = conds.iter().map(|(a, c)| t.condition(a, c)).collect();
        let text = parts.join(" AND ");
        let p = t.placeholders();
        let expr = KeyCondition::compile(&text, &schema, &p)
            .unwrap_or_else(|e| panic!("{text}: {e}"));
        prop_assert_eq!(legacy, expr, "{}", text);
    }

    #[test]
    fn filters_match_their_expressions(
        conds in filter_map(),
        or in any::<bool>(),
        items in prop::collection::vec(random_item(), 8),
    ) {
        let legacy = Condition::from_filter(&conds, or).unwrap().unwrap();
        let mut t = Text::default();
        let parts: Vec<String> = conds.iter().map(|(a, c)| t.condition(a, c)).collect();
        let text = parts.join(if or { " OR " } else { " AND " });
        let p = t.placeholders();
        let expr = Condition::compile(&text, "FilterExpression", &p)
            .unwrap_or_else(|e| panic!("{text}: {e}"));
        for it in &items {
            prop_assert_eq!(
                legacy.eval(Some(it)).unwrap(),
                expr.eval(Some(it)).unwrap(),
                "{} on {:?}", text, it
            );
        }
    }

    #[test]
    fn expected_matches_its_expression(
        conds in prop::collection::btree_map(
            prop::sample::select(ATTRS.to_vec()).prop_map(str::to_string),
            expected_entry(),
            1..=3,
        ),
        or in any::<bool>(),
        items in prop::collection::vec(random_item(), 8),
    ) {
        let legacy = Condition::from_expected(&conds, or).unwrap().unwrap();
        let mut t = Text::default();
        let parts: Vec<String> = conds
            .iter()
            .map(|(a, c)| match (c.exists, &c.value, c.op) {
                (Some(false), _, _) => {
                    let a = t.name(a);
                    format!("attribute_not_exists({a})")
                }
                (_, Some(v), None) => {
                    let a = t.name(a);
                    let v = t.value(v);
                    format!("{a} = {v}")
                }
                (_, _, Some(op)) => t.condition(a, &LegacyCondition {
                    op,
                    values: c.values.clone().unwrap_or_default(),
                }),
                (_, None, None) => unreachable!("generated entries are complete"),
            })
            .collect();
        let text = parts.join(if or { " OR " } else { " AND " });
        let p = t.placeholders();
        let expr = Condition::compile(&text, "ConditionExpression", &p)
            .unwrap_or_else(|e| panic!("{text}: {e}"));
        for it in &items {
            prop_assert_eq!(
                legacy.eval(Some(it)).unwrap(),
                expr.eval(Some(it)).unwrap(),
                "{} on {:?}", text, it
            );
        }
    }

    #[test]
    fn attribute_updates_match_their_expression(
        updates in prop::collection::btree_map(
            prop::sample::select(ATTRS.to_vec()).prop_map(str::to_string),
            attribute_update(),
            1..=3,
        ),
        it in random_item(),
    ) {
        let legacy = Update::from_attribute_updates(&updates).unwrap();
        let mut t = Text::default();
        let (mut set, mut remove, mut add, mut delete) = (vec![], vec![], vec![], vec![]);
        for (a, u) in &updates {
            let a = t.name(a);
            match (u.action, &u.value) {
                (UpdateAction::Put, Some(v)) => set.push(format!("{a} = {}", t.value(v))),
                (UpdateAction::Add, Some(v @ AttributeValue::L(_))) => {
                    let empty = t.value(&l(vec![]));
                    let v = t.value(v);
                    set.push(format!("{a} = list_append(if_not_exists({a}, {empty}), {v})"));
                }
                (UpdateAction::Add, Some(v)) => add.push(format!("{a} {}", t.value(v))),
                (UpdateAction::Delete, Some(v)) => delete.push(format!("{a} {}", t.value(v))),
                (_, None) => remove.push(a),
            }
        }
        let mut text = String::new();
        for (kw, list) in [("SET", set), ("REMOVE", remove), ("ADD", add), ("DELETE", delete)] {
            if !list.is_empty() {
                text.push_str(&format!("{kw} {} ", list.join(", ")));
            }
        }
        let p = t.placeholders();
        let expr = Update::compile(text.trim_end(), &p)
            .unwrap_or_else(|e| panic!("{text}: {e}"));
        let (mut x, mut y) = (it.clone(), it.clone());
        let (rx, ry) = (legacy.apply(&mut x), expr.apply(&mut y));
        prop_assert_eq!(rx.is_ok(), ry.is_ok(), "{} on {:?}: {:?} {:?}", text, it, rx, ry);
        if let Err(e) = rx {
            prop_assert_eq!(e.message, "Type mismatch for attribute to update");
        }
        prop_assert_eq!(x, y, "{} on {:?}", text, it);
        prop_assert_eq!(legacy.only_removes(), expr.only_removes());
    }
}
