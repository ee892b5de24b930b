//! What Query and Scan share: `Select` resolution with DynamoDB's messages,
//! and filling one page from a storage iterator — `Limit` and the 1 MB
//! read limit count items *read* (before the filter), `LastEvaluatedKey` is
//! the key of the last item read, `ScannedCount` counts reads and `Count`
//! matches.

use std::sync::Arc;

use ferry_expr::{Condition, Projection};
use ferry_model::{IndexDef, IndexKind, Item, PrimaryKey, ProjectionType, TableDef, item_size};
use ferry_storage::{StorageError, Table};

use crate::capacity::{Usage, read_units};
use crate::errors::ApiError;
use crate::keys::{page_key, page_key_names};
use crate::wire::query::PageOutput;

/// DynamoDB reads at most this much per Query/Scan page.
pub const PAGE_BYTES: usize = 1024 * 1024;

pub const SELECT_VALUES: &[&str] = &[
    "SPECIFIC_ATTRIBUTES",
    "COUNT",
    "ALL_ATTRIBUTES",
    "ALL_PROJECTED_ATTRIBUTES",
];

/// What a page returns for each matching item.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SelectMode {
    All,
    AllProjected,
    Specific,
    Count,
}

/// Resolve `Select` against the projection (`projection` names the
/// parameter that gave it: `ProjectionExpression` or `AttributesToGet`) and
/// the index (Query prefixes some messages with "1 validation error
/// detected: ", Scan does not).
pub fn resolve_select(
    select: Option<&str>,
    projection: Option<&str>,
    index: Option<&IndexDef>,
    is_query: bool,
) -> Result<SelectMode, ApiError> {
    let has_projection = projection.is_some();
    let prefix = if is_query {
        "1 validation error detected: "
    } else {
        ""
    };
    let mode = match select {
        None if has_projection => return Ok(SelectMode::Specific),
        None if index.is_some() => return Ok(SelectMode::AllProjected),
        None => return Ok(SelectMode::All),
        Some("SPECIFIC_ATTRIBUTES") => {
            if !has_projection {
                return Err(ApiError::validation(format!(
                    "{prefix}Must specify the AttributesToGet or ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES"
                )));
            }
            return Ok(SelectMode::Specific);
        }
        Some("COUNT") => SelectMode::Count,
        Some("ALL_PROJECTED_ATTRIBUTES") => SelectMode::AllProjected,
        Some(_) => SelectMode::All,
    };
    if let Some(param) = projection {
        let what = match mode {
            SelectMode::Count => "only the Count",
            SelectMode::AllProjected => "ALL_PROJECTED_ATTRIBUTES",
            SelectMode::All | SelectMode::Specific => "ALL_ATTRIBUTES",
        };
        return Err(ApiError::validation(format!(
            "{prefix}Cannot specify the {param} when choosing to get {what}"
        )));
    }
    if mode == SelectMode::AllProjected && index.is_none() {
        return Err(ApiError::validation(format!(
            "{prefix}ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName"
        )));
    }
    if mode == SelectMode::All
        && let Some(ix) = index
        && ix.kind == IndexKind::Global
        && ix.projection.ty != ProjectionType::All
    {
        return Err(ApiError::validation(format!(
            "One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for global secondary index {} because its projection type is not ALL",
            ix.name
        )));
    }
    Ok(mode)
}

/// Whether items read from `index` must be completed from the base table:
/// a local index asked for attributes it does not project.
pub fn needs_table_fetch(
    def: &TableDef,
    index: Option<&IndexDef>,
    mode: SelectMode,
    projection: Option<&Projection>,
) -> bool {
    let Some(ix) = index else { return false };
    if ix.kind != IndexKind::Local || ix.projection.ty == ProjectionType::All {
        return false;
    }
    match mode {
        SelectMode::All => true,
        SelectMode::Specific => {
            let held = page_key_names(def, Some(ix));
            projection.is_some_and(|p| {
                p.top_level_names()
                    .iter()
                    .any(|n| !held.contains(n) && !ix.projection.non_key_attributes.contains(n))
            })
        }
        SelectMode::AllProjected | SelectMode::Count => false,
    }
}

/// How to fill one page.
pub struct PagePlan {
    pub limit: Option<usize>,
    pub filter: Option<Condition>,
    pub projection: Option<Projection>,
    pub mode: SelectMode,
    pub key_names: Vec<String>,
    /// Complete each index item from the base table (see [`needs_table_fetch`]).
    pub fetch_from_table: bool,
}

/// The filled page plus the bytes read (for ConsumedCapacity): from the
/// table or index read, and from the base table to complete index items.
pub struct Page {
    pub output: PageOutput,
    pub bytes_read: u64,
    pub bytes_fetched: u64,
}

impl Page {
    /// The capacity this page consumed on the table or the index read.
    pub fn usage(&self, index: Option<&IndexDef>, consistent: bool) -> Usage {
        let units = read_units(self.bytes_read, consistent);
        match index {
            None => Usage::table(units),
            Some(ix) => {
                let mut u = Usage::index(ix, units);
                if self.bytes_fetched > 0 {
                    u.table = read_units(self.bytes_fetched, consistent);
                }
                u
            }
        }
    }
}

/// Read items until the limit, the 1 MB mark or the end.
pub fn fill_page(
    table: &Arc<Table>,
    def: &TableDef,
    iter: impl Iterator<Item = Result<Item, StorageError>>,
    plan: &PagePlan,
) -> Result<Page, ApiError> {
    let mut items = Vec::new();
    let mut count = 0u64;
    let mut scanned = 0u64;
    let mut bytes = 0usize;
    let mut fetched = 0usize;
    let mut last_key = None;
    for read in iter {
        let mut item = read?;
        scanned += 1;
        bytes += item_size(&item);
        if plan.fetch_from_table
            && let Some(key) = PrimaryKey::from_item(&item, &def.key)
            && let Some(full) = table.get(&key, None)?
        {
            fetched += item_size(&full);
            item = full;
        }
        let matches = match &plan.filter {
            Some(f) => f.eval(Some(&item))?,
            None => true,
        };
        let stop = plan.limit.is_some_and(|l| scanned as usize >= l) || bytes >= PAGE_BYTES;
        if stop {
            last_key = Some(page_key(&item, &plan.key_names));
        }
        if matches {
            count += 1;
            if plan.mode != SelectMode::Count {
                items.push(match &plan.projection {
                    Some(p) => p.apply(&item),
                    None => item,
                });
            }
        }
        if stop {
            break;
        }
    }
    Ok(Page {
        output: PageOutput {
            items: (plan.mode != SelectMode::Count).then_some(items),
            count,
            scanned_count: scanned,
            last_evaluated_key: last_key,
            consumed_capacity: None,
        },
        bytes_read: bytes as u64,
        bytes_fetched: fetched as u64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn select_messages() {
        assert_eq!(
            resolve_select(None, None, None, true).unwrap(),
            SelectMode::All
        );
        assert_eq!(
            resolve_select(None, Some("ProjectionExpression"), None, true).unwrap(),
            SelectMode::Specific
        );
        assert_eq!(
            resolve_select(Some("SPECIFIC_ATTRIBUTES"), None, None, true)
                .unwrap_err()
                .message
                .as_deref(),
            Some(
                "1 validation error detected: Must specify the AttributesToGet or ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES"
            )
        );
        assert_eq!(
            resolve_select(Some("COUNT"), Some("ProjectionExpression"), None, false)
                .unwrap_err()
                .message
                .as_deref(),
            Some("Cannot specify the ProjectionExpression when choosing to get only the Count")
        );
        assert_eq!(
            resolve_select(Some("ALL_PROJECTED_ATTRIBUTES"), None, None, false)
                .unwrap_err()
                .message
                .as_deref(),
            Some("ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName")
        );
    }
}
