//! Each operation's IAM actions and resource ARNs, as AWS's service
//! authorization reference lists them: `dynamodb:<Operation>` on the table
//! (`table/t/index/i` for Query and Scan on an index, the stream, import,
//! export or backup ARN for the operations on those), `*` for the List
//! operations; transactions and batches are checked action by action and
//! table by table (TransactWriteItems needs `dynamodb:PutItem`,
//! `dynamodb:UpdateItem`, `dynamodb:DeleteItem`, `dynamodb:ConditionCheckItem`;
//! TransactGetItems `dynamodb:GetItem`), PartiQL statements as
//! `dynamodb:PartiQLSelect|Insert|Update|Delete`.
//!
//! Condition keys: `dynamodb:LeadingKeys` (the partition key values an item
//! operation, batch, transaction or Query touches), `dynamodb:Attributes`
//! (PutItem's attribute names, `AttributesToGet`), `dynamodb:Select`,
//! `dynamodb:ReturnValues`.
//!
//! A request missing the member a resource comes from gets no check for it:
//! its handler refuses it (a `ValidationException`) and changes nothing.

use ferry_model::AttributeValue;
use serde_json::Value;

use crate::router::{LogsOperation, Operation, StreamsOperation};
use crate::state::AppState;

/// One authorization a request needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub action: String,
    pub resource: String,
    pub leading_keys: Option<Vec<String>>,
    pub attributes: Option<Vec<String>>,
    /// Other single-valued condition keys (`dynamodb:Select`, …).
    pub extra: Vec<(&'static str, String)>,
}

impl Check {
    pub fn new(action: impl Into<String>, resource: impl Into<String>) -> Check {
        Check {
            action: action.into(),
            resource: resource.into(),
            leading_keys: None,
            attributes: None,
            extra: Vec::new(),
        }
    }

    fn keys(mut self, keys: Vec<String>) -> Check {
        self.leading_keys = Some(keys);
        self
    }

    fn attributes(mut self, attrs: Option<Vec<String>>) -> Check {
        self.attributes = attrs;
        self
    }

    /// Adds `dynamodb:Select` / `dynamodb:ReturnValues` when the request has them.
    fn selects(mut self, v: &Value) -> Check {
        for (member, key) in [
            ("Select", "dynamodb:Select"),
            ("ReturnValues", "dynamodb:ReturnValues"),
        ] {
            if let Some(s) = str_at(v, member) {
                self.extra.push((key, s.to_string()));
            }
        }
        self
    }
}

fn str_at<'a>(v: &'a Value, member: &str) -> Option<&'a str> {
    v.get(member).and_then(Value::as_str)
}

/// A table's ARN from a `TableName` (which may itself be an ARN).
fn table_arn(state: &AppState, name: &str) -> String {
    if name.starts_with("arn:") {
        name.to_string()
    } else {
        state.table_arn(name)
    }
}

/// `table/t/index/i` for a read on an index, else the table.
fn table_or_index(state: &AppState, v: &Value) -> Option<String> {
    let table = table_arn(state, str_at(v, "TableName")?);
    Some(match str_at(v, "IndexName") {
        Some(index) => format!("{table}/index/{index}"),
        None => table,
    })
}

/// The text of a key value as IAM sees it: S and B as sent (B in base64),
/// N as its digits.
fn json_key_text(v: &Value) -> Option<String> {
    let (_, inner) = v.as_object()?.iter().next()?;
    inner.as_str().map(str::to_string)
}

fn model_key_text(v: &AttributeValue) -> Option<String> {
    use base64::Engine as _;
    match v {
        AttributeValue::S(s) => Some(s.clone()),
        AttributeValue::N(n) => Some(n.to_string()),
        AttributeValue::B(b) => Some(base64::engine::general_purpose::STANDARD.encode(b)),
        _ => None,
    }
}

/// The partition key attribute of a table (or of one of its indexes).
fn partition_key(state: &AppState, table: &str, index: Option<&str>) -> Option<String> {
    let name = table.rsplit_once(":table/").map_or(table, |(_, n)| n);
    let def = state.engine.table(name)?.def();
    match index {
        None => Some(def.key.hash.name.clone()),
        Some(i) => def
            .indexes
            .iter()
            .find(|d| d.name == i)
            .map(|d| d.key.hash.name.clone()),
    }
}

/// The partition key values of `items` (keys or whole items) of `table`.
fn leading_keys<'a>(
    state: &AppState,
    table: &str,
    items: impl IntoIterator<Item = &'a Value>,
) -> Vec<String> {
    let Some(pk) = partition_key(state, table, None) else {
        return Vec::new();
    };
    items
        .into_iter()
        .filter_map(|item| item.get(&pk).and_then(json_key_text))
        .collect()
}

fn names_of(v: Option<&Value>) -> Option<Vec<String>> {
    v.and_then(Value::as_object)
        .map(|m| m.keys().cloned().collect())
}

fn strings_at(v: &Value, member: &str) -> Option<Vec<String>> {
    v.get(member).and_then(Value::as_array).map(|list| {
        list.iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect()
    })
}

/// One item operation (`Put`/`Get`/`Update`/`Delete`/`ConditionCheck` of a
/// transaction, or the single-item operations), its key in `key_member`.
fn item_check(state: &AppState, action: &str, v: &Value, key_member: &str) -> Option<Check> {
    let name = str_at(v, "TableName")?;
    let keys = leading_keys(state, name, v.get(key_member));
    let attributes = if key_member == "Item" {
        names_of(v.get("Item"))
    } else {
        strings_at(v, "AttributesToGet")
    };
    Some(
        Check::new(format!("dynamodb:{action}"), table_arn(state, name))
            .keys(keys)
            .attributes(attributes)
            .selects(v),
    )
}

/// Query: the partition key value comes from the key condition (compiled as
/// the handler compiles it) or the legacy `KeyConditions`.
fn query_check(state: &AppState, v: &Value, body: &[u8]) -> Option<Check> {
    let resource = table_or_index(state, v)?;
    let table = str_at(v, "TableName")?;
    let index = str_at(v, "IndexName");
    let mut keys = Vec::new();
    if let Some(pk) = partition_key(state, table, index) {
        if let Some(cond) = v
            .get("KeyConditions")
            .and_then(|c| c.get(&pk))
            .and_then(|c| c.get("AttributeValueList"))
            .and_then(|l| l.get(0))
            .and_then(json_key_text)
        {
            keys.push(cond);
        } else if let Ok(input) = crate::wire::parse::<crate::wire::query::QueryInput>(body)
            && let Some(kce) = input.key_condition_expression.as_deref()
            && let Some(def) = state
                .engine
                .table(table.rsplit_once(":table/").map_or(table, |(_, n)| n))
                .map(|t| t.def())
        {
            let schema = match index {
                Some(i) => def
                    .indexes
                    .iter()
                    .find(|d| d.name == i)
                    .map(|d| d.key.clone()),
                None => Some(def.key.clone()),
            };
            let p = ferry_expr::Placeholders::new(
                input.expression_attribute_names.as_ref(),
                input
                    .expression_attribute_values
                    .as_ref()
                    .map(|w| &w.values),
            );
            if let Some(schema) = schema
                && let Ok(kc) = ferry_expr::KeyCondition::compile(kce, &schema, &p)
                && let Some(text) = model_key_text(&kc.hash)
            {
                keys.push(text);
            }
        }
    }
    Some(
        Check::new("dynamodb:Query", resource)
            .keys(keys)
            .attributes(strings_at(v, "AttributesToGet"))
            .selects(v),
    )
}

/// A PartiQL statement: `dynamodb:PartiQL<Kind>` on its table or index.
fn partiql_check(state: &AppState, statement: &str) -> Option<Check> {
    use ferry_partiql::Statement;
    let parsed = ferry_partiql::parse(statement).ok()?;
    let (kind, index) = match &parsed {
        Statement::Select(s) | Statement::Exists(s) => ("Select", s.source.index.as_deref()),
        Statement::Insert(_) => ("Insert", None),
        Statement::Update(_) => ("Update", None),
        Statement::Delete(_) => ("Delete", None),
    };
    let table = table_arn(state, parsed.table());
    let resource = match index {
        Some(i) => format!("{table}/index/{i}"),
        None => table,
    };
    Some(Check::new(format!("dynamodb:PartiQL{kind}"), resource))
}

fn list<'a>(v: &'a Value, member: &str) -> impl Iterator<Item = &'a Value> {
    v.get(member)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

/// The checks of one DynamoDB request.
pub fn dynamodb(state: &AppState, op: Operation, body: &[u8]) -> Vec<Check> {
    use Operation as O;
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        // Not JSON: the handler answers SerializationException.
        return Vec::new();
    };
    let action = format!("dynamodb:{op:?}");
    let on = |resource: Option<String>| resource.map(|r| Check::new(action.clone(), r));
    let checks: Vec<Option<Check>> = match op {
        O::CreateTable
        | O::DescribeTable
        | O::DeleteTable
        | O::UpdateTable
        | O::DescribeTimeToLive
        | O::UpdateTimeToLive
        | O::DescribeContinuousBackups
        | O::UpdateContinuousBackups
        | O::CreateBackup => vec![on(str_at(&v, "TableName").map(|t| table_arn(state, t)))],
        O::ListTables
        | O::ListImports
        | O::ListExports
        | O::ListBackups
        | O::DescribeEndpoints
        | O::DescribeLimits => vec![on(Some("*".into()))],
        O::PutItem => vec![item_check(state, "PutItem", &v, "Item")],
        O::GetItem => vec![item_check(state, "GetItem", &v, "Key")],
        O::DeleteItem => vec![item_check(state, "DeleteItem", &v, "Key")],
        O::UpdateItem => vec![item_check(state, "UpdateItem", &v, "Key")],
        O::Query => vec![query_check(state, &v, body)],
        O::Scan => vec![
            on(table_or_index(state, &v))
                .map(|c| c.attributes(strings_at(&v, "AttributesToGet")).selects(&v)),
        ],
        O::BatchGetItem => v
            .get("RequestItems")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .map(|(table, req)| {
                Some(
                    Check::new(action.clone(), table_arn(state, table))
                        .keys(leading_keys(state, table, list(req, "Keys")))
                        .attributes(strings_at(req, "AttributesToGet")),
                )
            })
            .collect(),
        O::BatchWriteItem => v
            .get("RequestItems")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .map(|(table, reqs)| {
                let items = reqs.as_array().into_iter().flatten().filter_map(|r| {
                    r.get("PutRequest")
                        .and_then(|p| p.get("Item"))
                        .or_else(|| r.get("DeleteRequest").and_then(|d| d.get("Key")))
                });
                Some(
                    Check::new(action.clone(), table_arn(state, table))
                        .keys(leading_keys(state, table, items)),
                )
            })
            .collect(),
        O::TransactWriteItems => list(&v, "TransactItems")
            .map(|t| {
                if let Some(p) = t.get("Put") {
                    item_check(state, "PutItem", p, "Item")
                } else if let Some(u) = t.get("Update") {
                    item_check(state, "UpdateItem", u, "Key")
                } else if let Some(d) = t.get("Delete") {
                    item_check(state, "DeleteItem", d, "Key")
                } else {
                    t.get("ConditionCheck")
                        .and_then(|c| item_check(state, "ConditionCheckItem", c, "Key"))
                }
            })
            .collect(),
        O::TransactGetItems => list(&v, "TransactItems")
            .map(|t| {
                t.get("Get")
                    .and_then(|g| item_check(state, "GetItem", g, "Key"))
            })
            .collect(),
        O::ImportTable => vec![on(v
            .get("TableCreationParameters")
            .and_then(|p| str_at(p, "TableName"))
            .map(|t| table_arn(state, t)))],
        O::DescribeImport => vec![on(str_at(&v, "ImportArn").map(str::to_string))],
        O::ExportTableToPointInTime => vec![on(str_at(&v, "TableArn").map(str::to_string))],
        O::DescribeExport => vec![on(str_at(&v, "ExportArn").map(str::to_string))],
        O::RestoreTableToPointInTime => vec![on(str_at(&v, "SourceTableArn")
            .map(str::to_string)
            .or_else(|| str_at(&v, "SourceTableName").map(|t| table_arn(state, t))))],
        O::DescribeBackup | O::DeleteBackup | O::RestoreTableFromBackup => {
            vec![on(str_at(&v, "BackupArn").map(str::to_string))]
        }
        O::TagResource | O::UntagResource | O::ListTagsOfResource => {
            vec![on(str_at(&v, "ResourceArn").map(str::to_string))]
        }
        O::ExecuteStatement => vec![str_at(&v, "Statement").and_then(|s| partiql_check(state, s))],
        O::BatchExecuteStatement => list(&v, "Statements")
            .map(|s| str_at(s, "Statement").and_then(|s| partiql_check(state, s)))
            .collect(),
        O::ExecuteTransaction => list(&v, "TransactStatements")
            .map(|s| str_at(s, "Statement").and_then(|s| partiql_check(state, s)))
            .collect(),
    };
    checks.into_iter().flatten().collect()
}

/// The checks of one DynamoDB Streams request.
pub fn streams(state: &AppState, op: StreamsOperation, body: &[u8]) -> Vec<Check> {
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        return Vec::new();
    };
    let action = format!("dynamodb:{op:?}");
    let resource = match op {
        StreamsOperation::ListStreams => Some("*".to_string()),
        StreamsOperation::DescribeStream | StreamsOperation::GetShardIterator => {
            str_at(&v, "StreamArn").map(str::to_string)
        }
        // A shard iterator names its stream; GetRecords is checked on it.
        StreamsOperation::GetRecords => str_at(&v, "ShardIterator")
            .and_then(|it| crate::streams::iterator_stream_arn(state, it)),
    };
    resource
        .map(|r| Check::new(action, r))
        .into_iter()
        .collect()
}

/// The checks of one CloudWatch Logs request (on the log group's ARN).
pub fn logs(state: &AppState, op: LogsOperation, body: &[u8]) -> Vec<Check> {
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        return Vec::new();
    };
    let action = format!("logs:{op:?}");
    let resource = match op {
        LogsOperation::DescribeLogGroups => Some(crate::logs::group_arn(state, "*")),
        LogsOperation::GetLogEvents
        | LogsOperation::FilterLogEvents
        | LogsOperation::DescribeLogStreams => str_at(&v, "logGroupName")
            .or_else(|| str_at(&v, "logGroupIdentifier"))
            .map(|g| {
                if g.starts_with("arn:") {
                    g.to_string()
                } else {
                    crate::logs::group_arn(state, g)
                }
            }),
    };
    resource
        .map(|r| Check::new(action, r))
        .into_iter()
        .collect()
}
