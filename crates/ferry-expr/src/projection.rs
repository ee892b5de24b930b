//! Applying a set of document paths to an item (ProjectionExpression, and the
//! UPDATED_OLD / UPDATED_NEW views of an update).
//!
//! Paths are merged into a tree; nested paths keep their structure: `a.b,
//! a.c` gives `{a: {b, c}}`, and list elements keep their order but not their
//! positions (`l[3], l[1]` of a long list gives `[l1, l3]`). A path whose
//! attribute is missing contributes nothing, and a map or list left with no
//! projected children is left out.

use std::collections::BTreeMap;

use ferry_model::{AttributeValue, Item};

use crate::{Path, PathElem};

/// A merged projection tree.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Tree {
    top: BTreeMap<String, Node>,
}

#[derive(Clone, Debug, PartialEq)]
enum Node {
    /// Take the whole value.
    Leaf,
    Map(BTreeMap<String, Node>),
    List(BTreeMap<usize, Node>),
}

impl Tree {
    /// Merge `paths`. Paths that overlap or conflict were rejected at
    /// compile time; should one slip through, the shorter path wins.
    pub fn new<'a>(paths: impl IntoIterator<Item = &'a Path>) -> Tree {
        let mut tree = Tree::default();
        for path in paths {
            let Some((PathElem::Attr(first), rest)) = path.0.split_first() else {
                continue;
            };
            let node = tree
                .top
                .entry(first.clone())
                .or_insert_with(|| Node::for_rest(rest));
            node.insert(rest);
        }
        tree
    }

    /// Top-level attribute names the tree touches.
    pub fn top_level_names(&self) -> Vec<String> {
        self.top.keys().cloned().collect()
    }

    /// The projected copy of `item`.
    pub fn apply(&self, item: &Item) -> Item {
        let mut out = Item::new();
        for (name, node) in &self.top {
            if let Some(v) = item.get(name).and_then(|v| node.apply(v)) {
                out.insert(name.clone(), v);
            }
        }
        out
    }
}

impl Node {
    /// A fresh node for the path remainder `rest`.
    fn for_rest(rest: &[PathElem]) -> Node {
        match rest.first() {
            None => Node::Leaf,
            Some(PathElem::Attr(_)) => Node::Map(BTreeMap::new()),
            Some(PathElem::Index(_)) => Node::List(BTreeMap::new()),
        }
    }

    fn insert(&mut self, rest: &[PathElem]) {
        let Some((head, tail)) = rest.split_first() else {
            *self = Node::Leaf;
            return;
        };
        match (self, head) {
            (Node::Map(m), PathElem::Attr(a)) => m
                .entry(a.clone())
                .or_insert_with(|| Node::for_rest(tail))
                .insert(tail),
            (Node::List(l), PathElem::Index(i)) => l
                .entry(*i)
                .or_insert_with(|| Node::for_rest(tail))
                .insert(tail),
            // A leaf already takes the whole value; a kind mismatch is a
            // conflict rejected at compile time.
            _ => {}
        }
    }

    fn apply(&self, v: &AttributeValue) -> Option<AttributeValue> {
        match (self, v) {
            (Node::Leaf, v) => Some(v.clone()),
            (Node::Map(children), AttributeValue::M(m)) => {
                let out: Item = children
                    .iter()
                    .filter_map(|(k, n)| Some((k.clone(), n.apply(m.get(k)?)?)))
                    .collect();
                (!out.is_empty()).then_some(AttributeValue::M(out))
            }
            (Node::List(children), AttributeValue::L(l)) => {
                let out: Vec<AttributeValue> = children
                    .iter()
                    .filter_map(|(i, n)| n.apply(l.get(*i)?))
                    .collect();
                (!out.is_empty()).then_some(AttributeValue::L(out))
            }
            _ => None,
        }
    }
}
