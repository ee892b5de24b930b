//! One `BulkLoader::write` call, encoded: the item prefixes (version keys
//! without their timestamp), the stored values, the DynamoDB sizes and every
//! index entry, all in one byte arena (no allocation per item). Encoding
//! takes no lock, so the callers of a loader encode in parallel.

use ferry_model::{IndexDef, Item, KeySchema, ProjectionType};

use crate::StorageError;
use crate::catalog::IndexEntry;
use crate::codec::{FORMAT, append_projection, append_put};
use crate::keys::{encode_scalar, has_type, hash_of, index_head};
use crate::table::{HEAD_LEN, TableState};

/// A byte range of a batch's arena.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Span {
    pub start: usize,
    pub end: usize,
}

/// One item: its prefix, stored value and DynamoDB size.
pub(crate) struct ItemRec {
    pub key: Span,
    pub val: Span,
    pub size: u64,
}

/// One index entry of the item `owner` (its position in the batch).
pub(crate) struct EntryRec {
    pub key: Span,
    pub val: Span,
    pub size: u64,
    pub owner: u32,
}

/// The encoded items of one write call, in call order.
pub(crate) struct Batch {
    pub arena: Vec<u8>,
    pub items: Vec<ItemRec>,
    pub entries: Vec<EntryRec>,
    /// The index ids the entries were computed for.
    pub iids: Vec<u32>,
}

/// Bytes a batch holds in memory (arena plus records).
const ITEM_REC_BYTES: usize = std::mem::size_of::<ItemRec>();
const ENTRY_REC_BYTES: usize = std::mem::size_of::<EntryRec>();

fn missing_key() -> StorageError {
    StorageError::InvalidRequest("an item lacks a key attribute of the table".to_string())
}

/// Appends `tid | hash | enc(pk) | enc(sk)` of `item`.
pub(crate) fn append_prefix(
    tid: u32,
    schema: &KeySchema,
    item: &Item,
    out: &mut Vec<u8>,
) -> Result<(), StorageError> {
    let start = out.len();
    out.extend_from_slice(&tid.to_be_bytes());
    out.extend_from_slice(&[0; 8]);
    let hash = item
        .get(&schema.hash.name)
        .filter(|v| has_type(schema.hash.ty, v))
        .ok_or_else(missing_key)?;
    encode_scalar(&schema.hash, hash, out)?;
    let h = hash_of(out.get(start + HEAD_LEN..).unwrap_or_default());
    out[start + 4..start + HEAD_LEN].copy_from_slice(&h.to_be_bytes());
    if let Some(attr) = &schema.range {
        let v = item
            .get(&attr.name)
            .filter(|v| has_type(attr.ty, v))
            .ok_or_else(missing_key)?;
        encode_scalar(attr, v, out)?;
    }
    Ok(())
}

/// Appends the entry key of `item` in `index` (whose table key is at
/// `table_key` in `out`), or nothing if the item is not in the index.
fn append_entry_key(
    tid: u32,
    index: &IndexEntry,
    item: &Item,
    table_key: Span,
    out: &mut Vec<u8>,
) -> Result<bool, StorageError> {
    let schema = &index.def.key;
    if !ferry_model::fits_index(item, &index.def) {
        return Ok(false);
    }
    let Some(hash) = item
        .get(&schema.hash.name)
        .filter(|v| has_type(schema.hash.ty, v))
    else {
        return Ok(false);
    };
    let range = match &schema.range {
        Some(attr) => match item.get(&attr.name).filter(|v| has_type(attr.ty, v)) {
            Some(v) => Some((attr, v)),
            None => return Ok(false),
        },
        None => None,
    };
    let start = out.len();
    out.extend_from_slice(&index_head(tid, index.iid));
    out.extend_from_slice(&[0; 8]);
    encode_scalar(&schema.hash, hash, out)?;
    let h = hash_of(out.get(start + 16..).unwrap_or_default());
    out[start + 8..start + 16].copy_from_slice(&h.to_be_bytes());
    if let Some((attr, v)) = range {
        encode_scalar(attr, v, out)?;
    }
    out.extend_from_within(table_key.start..table_key.end);
    Ok(true)
}

/// The attributes a KEYS_ONLY or INCLUDE projection keeps, sorted.
fn kept_names(table: &KeySchema, def: &IndexDef) -> Vec<String> {
    let mut names = vec![table.hash.name.clone(), def.key.hash.name.clone()];
    names.extend(table.range.iter().map(|r| r.name.clone()));
    names.extend(def.key.range.iter().map(|r| r.name.clone()));
    if def.projection.ty == ProjectionType::Include {
        names.extend(def.projection.non_key_attributes.iter().cloned());
    }
    names.sort_unstable();
    names.dedup();
    names
}

impl Batch {
    /// Encodes `items` for the table `tid` as defined by `state`.
    pub fn encode(tid: u32, state: &TableState, items: Vec<Item>) -> Result<Batch, StorageError> {
        let table = &state.def.key;
        let indexes = &state.record.indexes;
        let keep: Vec<Vec<String>> = indexes.iter().map(|i| kept_names(table, &i.def)).collect();
        let mut b = Batch {
            arena: Vec::with_capacity(items.len() * 400),
            items: Vec::with_capacity(items.len()),
            entries: Vec::with_capacity(items.len() * indexes.len()),
            iids: indexes.iter().map(|i| i.iid).collect(),
        };
        for (owner, item) in items.iter().enumerate() {
            let arena = &mut b.arena;
            let k0 = arena.len();
            append_prefix(tid, table, item, arena)?;
            let key = Span {
                start: k0,
                end: arena.len(),
            };
            append_put(item, arena)?;
            let val = Span {
                start: key.end,
                end: arena.len(),
            };
            b.items.push(ItemRec {
                key,
                val,
                size: ferry_model::item_size(item) as u64,
            });
            let table_key = Span {
                start: key.start + HEAD_LEN,
                end: key.end,
            };
            for (n, index) in indexes.iter().enumerate() {
                let e0 = arena.len();
                if !append_entry_key(tid, index, item, table_key, arena)? {
                    continue;
                }
                let ekey = Span {
                    start: e0,
                    end: arena.len(),
                };
                let size = match index.def.projection.ty {
                    ProjectionType::All => {
                        arena.push(FORMAT);
                        arena.extend_from_within(val.start + 2..val.end);
                        b.items.last().map_or(0, |r| r.size)
                    }
                    _ => append_projection(item, keep.get(n).map_or(&[], Vec::as_slice), arena),
                };
                b.entries.push(EntryRec {
                    key: ekey,
                    val: Span {
                        start: ekey.end,
                        end: arena.len(),
                    },
                    size,
                    owner: owner as u32,
                });
            }
        }
        drop(items);
        Ok(b)
    }

    /// The bytes this batch occupies in memory.
    pub fn footprint(&self) -> usize {
        self.arena.capacity()
            + self.items.capacity() * ITEM_REC_BYTES
            + self.entries.capacity() * ENTRY_REC_BYTES
    }

    pub fn bytes(&self, s: Span) -> &[u8] {
        self.arena.get(s.start..s.end).unwrap_or_default()
    }
}
