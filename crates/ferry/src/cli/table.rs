//! The table an import creates: `--table-definition FILE` (the output of
//! `aws dynamodb describe-table`, whole or its `Table` object) or
//! `--table-name` + `--key NAME:TYPE`, turned into ImportTable's
//! `TableCreationParameters` (the server validates it as it validates the
//! API request), and into the `TableDef` `ferry check` validates items with.

use ferry_model::{IndexDef, IndexKind, KeyAttr, KeySchema, Projection, ProjectionType};
use ferry_model::{ScalarType, TableDef, TableStatus};
use serde_json::{Value, json};

use super::{CliError, TableArgs};

/// `TableCreationParameters` for the table.
pub fn creation_parameters(args: &TableArgs, table_name: Option<&str>) -> Result<Value, CliError> {
    match &args.table_definition {
        Some(path) => {
            let text = std::fs::read(path).map_err(|e| {
                CliError::usage(format!(
                    "cannot read --table-definition {}: {e}",
                    path.display()
                ))
            })?;
            let doc: Value = serde_json::from_slice(&text).map_err(|e| {
                CliError::usage(format!(
                    "--table-definition {} is not JSON: {e}",
                    path.display()
                ))
            })?;
            from_describe_table(&doc, table_name)
        }
        None => from_keys(&args.key, table_name),
    }
}

fn parse_type(ty: &str) -> Option<ScalarType> {
    match ty {
        "S" => Some(ScalarType::S),
        "N" => Some(ScalarType::N),
        "B" => Some(ScalarType::B),
        _ => None,
    }
}

/// `--key pk:S [--key sk:N]`, on-demand billing.
fn from_keys(keys: &[String], table_name: Option<&str>) -> Result<Value, CliError> {
    if keys.is_empty() || keys.len() > 2 {
        return Err(CliError::usage(
            "give --table-definition FILE, or one or two --key NAME:TYPE (partition key, then sort key)",
        ));
    }
    let mut defs = Vec::new();
    let mut schema = Vec::new();
    for (i, k) in keys.iter().enumerate() {
        let (name, ty) = k
            .rsplit_once(':')
            .filter(|(n, t)| !n.is_empty() && parse_type(t).is_some())
            .ok_or_else(|| {
                CliError::usage(format!(
                    "--key must be NAME:TYPE with TYPE S, N or B, got {k:?}"
                ))
            })?;
        defs.push(json!({"AttributeName": name, "AttributeType": ty}));
        let kind = if i == 0 { "HASH" } else { "RANGE" };
        schema.push(json!({"AttributeName": name, "KeyType": kind}));
    }
    let mut params = json!({
        "AttributeDefinitions": defs,
        "KeySchema": schema,
        "BillingMode": "PAY_PER_REQUEST",
    });
    if let Some(name) = table_name {
        params["TableName"] = json!(name);
    }
    Ok(params)
}

fn throughput(t: &Value) -> Value {
    json!({
        "ReadCapacityUnits": t.get("ReadCapacityUnits").cloned().unwrap_or(json!(1)),
        "WriteCapacityUnits": t.get("WriteCapacityUnits").cloned().unwrap_or(json!(1)),
    })
}

/// describe-table output → TableCreationParameters (keys, attribute
/// definitions, GSIs with their projections, billing mode and capacity).
pub fn from_describe_table(doc: &Value, table_name: Option<&str>) -> Result<Value, CliError> {
    let table = doc.get("Table").unwrap_or(doc);
    if table.get("KeySchema").is_none() {
        return Err(CliError::usage(
            "--table-definition has no KeySchema: give `aws dynamodb describe-table` output",
        ));
    }
    if table
        .get("LocalSecondaryIndexes")
        .and_then(Value::as_array)
        .is_some_and(|l| !l.is_empty())
    {
        return Err(CliError::usage(
            "--table-definition has local secondary indexes, which an import cannot create (as in DynamoDB); remove LocalSecondaryIndexes",
        ));
    }
    let name = table_name
        .map(str::to_owned)
        .or_else(|| {
            table
                .get("TableName")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .ok_or_else(|| CliError::usage("give --table-name (the definition has no TableName)"))?;
    let billing = table
        .pointer("/BillingModeSummary/BillingMode")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .unwrap_or_else(|| {
            let rcu = table
                .pointer("/ProvisionedThroughput/ReadCapacityUnits")
                .and_then(Value::as_u64)
                .unwrap_or(0);
            if rcu > 0 {
                "PROVISIONED"
            } else {
                "PAY_PER_REQUEST"
            }
            .to_owned()
        });
    let provisioned = billing == "PROVISIONED";
    let mut params = json!({
        "TableName": name,
        "AttributeDefinitions": table.get("AttributeDefinitions").cloned().unwrap_or(json!([])),
        "KeySchema": table["KeySchema"].clone(),
        "BillingMode": billing,
    });
    if provisioned && let Some(t) = table.get("ProvisionedThroughput") {
        params["ProvisionedThroughput"] = throughput(t);
    }
    if let Some(gsis) = table
        .get("GlobalSecondaryIndexes")
        .and_then(Value::as_array)
    {
        let gsis: Vec<Value> = gsis
            .iter()
            .map(|g| {
                let mut out = json!({
                    "IndexName": g.get("IndexName").cloned().unwrap_or(Value::Null),
                    "KeySchema": g.get("KeySchema").cloned().unwrap_or(json!([])),
                    "Projection": g.get("Projection").cloned().unwrap_or(json!({"ProjectionType": "ALL"})),
                });
                if provisioned && let Some(t) = g.get("ProvisionedThroughput") {
                    out["ProvisionedThroughput"] = throughput(t);
                }
                out
            })
            .collect();
        if !gsis.is_empty() {
            params["GlobalSecondaryIndexes"] = json!(gsis);
        }
    }
    Ok(params)
}

fn key_schema(schema: &Value, types: &[(String, ScalarType)]) -> Result<KeySchema, CliError> {
    let attr = |kind: &str| -> Result<Option<KeyAttr>, CliError> {
        let Some(name) = schema.as_array().and_then(|a| {
            a.iter()
                .find(|e| e.get("KeyType").and_then(Value::as_str) == Some(kind))
                .and_then(|e| e.get("AttributeName").and_then(Value::as_str))
        }) else {
            return Ok(None);
        };
        let ty = types
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, t)| *t)
            .ok_or_else(|| {
                CliError::usage(format!(
                    "the key attribute {name} has no AttributeDefinition"
                ))
            })?;
        Ok(Some(KeyAttr {
            name: name.to_owned(),
            ty,
        }))
    };
    let hash = attr("HASH")?.ok_or_else(|| CliError::usage("the KeySchema has no HASH key"))?;
    Ok(KeySchema {
        hash,
        range: attr("RANGE")?,
    })
}

/// The table definition `ferry check` validates items against (keys and
/// GSI keys; the rest does not affect validation).
pub fn table_def(params: &Value) -> Result<TableDef, CliError> {
    let types: Vec<(String, ScalarType)> = params["AttributeDefinitions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|d| {
            let name = d.get("AttributeName")?.as_str()?;
            let ty = parse_type(d.get("AttributeType")?.as_str()?)?;
            Some((name.to_owned(), ty))
        })
        .collect();
    let key = key_schema(&params["KeySchema"], &types)?;
    let mut indexes = Vec::new();
    for g in params["GlobalSecondaryIndexes"]
        .as_array()
        .into_iter()
        .flatten()
    {
        indexes.push(IndexDef {
            name: g["IndexName"].as_str().unwrap_or_default().to_owned(),
            kind: IndexKind::Global,
            key: key_schema(&g["KeySchema"], &types)?,
            projection: Projection {
                ty: ProjectionType::All,
                non_key_attributes: Vec::new(),
            },
        });
    }
    Ok(TableDef {
        name: params["TableName"].as_str().unwrap_or("check").to_owned(),
        id: String::new(),
        key,
        indexes,
        created_micros: 0,
        status: TableStatus::Active,
        pitr: None,
        settings: Default::default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describe_table_output_becomes_creation_parameters() {
        let doc = json!({"Table": {
            "TableName": "Music",
            "AttributeDefinitions": [
                {"AttributeName": "Artist", "AttributeType": "S"},
                {"AttributeName": "Year", "AttributeType": "N"}],
            "KeySchema": [{"AttributeName": "Artist", "KeyType": "HASH"}],
            "ProvisionedThroughput": {"NumberOfDecreasesToday": 0, "ReadCapacityUnits": 0, "WriteCapacityUnits": 0},
            "BillingModeSummary": {"BillingMode": "PAY_PER_REQUEST"},
            "GlobalSecondaryIndexes": [{"IndexName": "ByYear", "IndexStatus": "ACTIVE",
                "KeySchema": [{"AttributeName": "Year", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
                "ProvisionedThroughput": {"ReadCapacityUnits": 0, "WriteCapacityUnits": 0}}],
            "TableStatus": "ACTIVE", "ItemCount": 3
        }});
        let p = from_describe_table(&doc, None).unwrap();
        assert_eq!(p["TableName"], "Music");
        assert_eq!(p["BillingMode"], "PAY_PER_REQUEST");
        assert!(p.get("ProvisionedThroughput").is_none());
        assert_eq!(
            p["GlobalSecondaryIndexes"][0],
            json!({"IndexName": "ByYear",
                "KeySchema": [{"AttributeName": "Year", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "KEYS_ONLY"}})
        );
        let def = table_def(&p).unwrap();
        assert_eq!(def.key.hash.name, "Artist");
        assert_eq!(def.indexes[0].key.hash.ty, ScalarType::N);
    }

    #[test]
    fn keys_flags() {
        let p = from_keys(&["pk:S".into(), "sk:N".into()], Some("T1")).unwrap();
        assert_eq!(
            p["KeySchema"][1],
            json!({"AttributeName": "sk", "KeyType": "RANGE"})
        );
        assert!(matches!(
            from_keys(&["pk:X".into()], None),
            Err(CliError::Usage(_))
        ));
        assert!(matches!(from_keys(&[], None), Err(CliError::Usage(_))));
    }
}
