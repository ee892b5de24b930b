//! Applying a compiled UpdateExpression to an item.
//!
//! Semantics (AWS "Update expressions", checked against dynalite's tests run
//! on real DynamoDB):
//! - every SET value is computed from the item as it was before the update;
//! - actions are merged into a tree by path; list positions refer to the
//!   original list: `REMOVE l[0], l[1]` removes the first two elements, a
//!   `SET`/`ADD` at or past the end appends, in ascending index order;
//! - a nested path needs its parent to exist with the right type, else "The
//!   document path provided in the update expression is invalid for update";
//! - ADD adds to a number or unions a set (creating it when absent); DELETE
//!   subtracts from a set and removes the attribute when it becomes empty;
//! - on any error the item is left unchanged.

use std::collections::BTreeMap;

use ferry_model::{AttributeValue, Item, Number, NumberError};

use crate::ast::{UAction, UVal};
use crate::error::{ExprError, msg};
use crate::eval::get;
use crate::{Path, PathElem};

/// The update's actions merged into a tree by path.
#[derive(Clone, Debug, Default)]
pub(crate) struct Plan {
    top: BTreeMap<String, Node<UAction>>,
}

#[derive(Clone, Debug)]
enum Node<A> {
    Action(A),
    Map(BTreeMap<String, Node<A>>),
    List(BTreeMap<usize, Node<A>>),
}

/// An action with its SET value already computed.
#[derive(Clone, Debug)]
enum Concrete {
    Set(AttributeValue),
    Remove,
    Add(AttributeValue),
    Delete(AttributeValue),
}

impl Plan {
    /// Merge the (overlap- and conflict-free) actions into a tree.
    pub fn new(actions: &[(Path, UAction)]) -> Plan {
        let mut plan = Plan::default();
        for (path, action) in actions {
            let Some((PathElem::Attr(first), rest)) = path.0.split_first() else {
                continue;
            };
            let node = plan
                .top
                .entry(first.clone())
                .or_insert_with(|| Node::for_rest(rest));
            node.insert(rest, action.clone());
        }
        plan
    }

    /// Top-level attribute names the update writes or removes.
    pub fn top_level_targets(&self) -> Vec<String> {
        self.top.keys().cloned().collect()
    }

    /// Apply to `item`, atomically.
    pub fn apply(&self, item: &mut Item) -> Result<(), ExprError> {
        let original: &Item = item;
        let concrete = concretize_map(&self.top, original)?;
        let mut updated = item.clone();
        apply_map(&mut updated, &concrete)?;
        *item = updated;
        Ok(())
    }
}

impl<A> Node<A> {
    fn for_rest(rest: &[PathElem]) -> Self {
        match rest.first() {
            Some(PathElem::Index(_)) => Node::List(BTreeMap::new()),
            _ => Node::Map(BTreeMap::new()),
        }
    }

    fn insert(&mut self, rest: &[PathElem], action: A) {
        let Some((head, tail)) = rest.split_first() else {
            *self = Node::Action(action);
            return;
        };
        match (self, head) {
            (Node::Map(m), PathElem::Attr(a)) => m
                .entry(a.clone())
                .or_insert_with(|| Node::for_rest(tail))
                .insert(tail, action),
            (Node::List(l), PathElem::Index(i)) => l
                .entry(*i)
                .or_insert_with(|| Node::for_rest(tail))
                .insert(tail, action),
            // Overlapping or conflicting paths were rejected at compile time.
            _ => {}
        }
    }
}

// ------------------------------------------------- computing SET values

fn concretize_map(
    nodes: &BTreeMap<String, Node<UAction>>,
    original: &Item,
) -> Result<BTreeMap<String, Node<Concrete>>, ExprError> {
    nodes
        .iter()
        .map(|(k, n)| Ok((k.clone(), concretize(n, original)?)))
        .collect()
}

fn concretize(node: &Node<UAction>, original: &Item) -> Result<Node<Concrete>, ExprError> {
    Ok(match node {
        Node::Action(a) => Node::Action(match a {
            UAction::Set(v) => Concrete::Set(value(v, original)?),
            UAction::Remove => Concrete::Remove,
            UAction::Add(v) => Concrete::Add(v.clone()),
            UAction::Delete(v) => Concrete::Delete(v.clone()),
        }),
        Node::Map(m) => Node::Map(concretize_map(m, original)?),
        Node::List(l) => Node::List(
            l.iter()
                .map(|(i, n)| Ok((*i, concretize(n, original)?)))
                .collect::<Result<_, ExprError>>()?,
        ),
    })
}

/// A SET value computed from the original item.
fn value(v: &UVal, item: &Item) -> Result<AttributeValue, ExprError> {
    Ok(match v {
        UVal::Path(p) => get(item, p)
            .cloned()
            .ok_or_else(|| ExprError::new(msg::ATTRIBUTE_NOT_FOUND))?,
        UVal::Const(c) => c.clone(),
        UVal::IfNotExists(p, default) => match get(item, p) {
            Some(v) => v.clone(),
            None => value(default, item)?,
        },
        UVal::ListAppend(a, b) => match (value(a, item)?, value(b, item)?) {
            (AttributeValue::L(mut a), AttributeValue::L(b)) => {
                a.extend(b);
                AttributeValue::L(a)
            }
            _ => return Err(ExprError::new(msg::UPDATE_TYPE_MISMATCH)),
        },
        UVal::Plus(a, b) | UVal::Minus(a, b) => match (value(a, item)?, value(b, item)?) {
            (AttributeValue::N(x), AttributeValue::N(y)) => {
                let r = if matches!(v, UVal::Plus(..)) {
                    x.checked_add(&y)
                } else {
                    x.checked_sub(&y)
                };
                AttributeValue::N(r.map_err(number_error)?)
            }
            _ => return Err(ExprError::new(msg::UPDATE_TYPE_MISMATCH)),
        },
    })
}

fn number_error(e: NumberError) -> ExprError {
    ExprError::new(e.message())
}

// ------------------------------------------------------ applying actions

fn apply_map(
    map: &mut BTreeMap<String, AttributeValue>,
    nodes: &BTreeMap<String, Node<Concrete>>,
) -> Result<(), ExprError> {
    for (key, node) in nodes {
        match node {
            Node::Action(a) => match apply_leaf(map.get(key), a)? {
                Some(v) => {
                    map.insert(key.clone(), v);
                }
                None => {
                    map.remove(key);
                }
            },
            Node::Map(children) => match map.get_mut(key) {
                Some(AttributeValue::M(m)) => apply_map(m, children)?,
                _ => return Err(ExprError::new(msg::PATH_INVALID_FOR_UPDATE)),
            },
            Node::List(children) => match map.get_mut(key) {
                Some(AttributeValue::L(l)) => apply_list(l, children)?,
                _ => return Err(ExprError::new(msg::PATH_INVALID_FOR_UPDATE)),
            },
        }
    }
    Ok(())
}

fn apply_list(
    list: &mut Vec<AttributeValue>,
    nodes: &BTreeMap<usize, Node<Concrete>>,
) -> Result<(), ExprError> {
    let old = std::mem::take(list);
    let old_len = old.len();
    for (i, mut v) in old.into_iter().enumerate() {
        match nodes.get(&i) {
            None => list.push(v),
            Some(Node::Action(a)) => {
                if let Some(v) = apply_leaf(Some(&v), a)? {
                    list.push(v);
                }
            }
            Some(Node::Map(children)) => match &mut v {
                AttributeValue::M(m) => {
                    apply_map(m, children)?;
                    list.push(v);
                }
                _ => return Err(ExprError::new(msg::PATH_INVALID_FOR_UPDATE)),
            },
            Some(Node::List(children)) => match &mut v {
                AttributeValue::L(l) => {
                    apply_list(l, children)?;
                    list.push(v);
                }
                _ => return Err(ExprError::new(msg::PATH_INVALID_FOR_UPDATE)),
            },
        }
    }
    // Positions past the end append, in ascending order.
    for node in nodes.range(old_len..).map(|(_, n)| n) {
        match node {
            Node::Action(a) => {
                if let Some(v) = apply_leaf(None, a)? {
                    list.push(v);
                }
            }
            Node::Map(_) | Node::List(_) => {
                return Err(ExprError::new(msg::PATH_INVALID_FOR_UPDATE));
            }
        }
    }
    Ok(())
}

/// The new value of one attribute (`None`: absent) after an action.
fn apply_leaf(
    current: Option<&AttributeValue>,
    action: &Concrete,
) -> Result<Option<AttributeValue>, ExprError> {
    use AttributeValue as V;
    let mismatch = || ExprError::new(msg::UPDATE_TYPE_MISMATCH);
    Ok(match action {
        Concrete::Set(v) => Some(v.clone()),
        Concrete::Remove => None,
        Concrete::Add(v) => Some(match (current, v) {
            (None, v) => v.clone(),
            (Some(V::N(x)), V::N(y)) => V::N(x.checked_add(y).map_err(number_error)?),
            (Some(V::SS(x)), V::SS(y)) => V::SS(union(x, y)),
            (Some(V::NS(x)), V::NS(y)) => V::NS(union::<Number>(x, y)),
            (Some(V::BS(x)), V::BS(y)) => V::BS(union(x, y)),
            _ => return Err(mismatch()),
        }),
        Concrete::Delete(v) => match (current, v) {
            (None, _) => None,
            (Some(V::SS(x)), V::SS(y)) => non_empty(difference(x, y)).map(V::SS),
            (Some(V::NS(x)), V::NS(y)) => non_empty(difference(x, y)).map(V::NS),
            (Some(V::BS(x)), V::BS(y)) => non_empty(difference(x, y)).map(V::BS),
            _ => return Err(mismatch()),
        },
    })
}

fn union<T: PartialEq + Clone>(x: &[T], y: &[T]) -> Vec<T> {
    let mut out = x.to_vec();
    for m in y {
        if !out.contains(m) {
            out.push(m.clone());
        }
    }
    out
}

fn difference<T: PartialEq + Clone>(x: &[T], y: &[T]) -> Vec<T> {
    x.iter().filter(|m| !y.contains(m)).cloned().collect()
}

fn non_empty<T>(v: Vec<T>) -> Option<Vec<T>> {
    (!v.is_empty()).then_some(v)
}
