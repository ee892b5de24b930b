//! ImportTable's synchronous validation, with DynamoDB's messages: the
//! model's constraints ("N validation errors detected: Value … at '…'
//! failed to satisfy constraint: …"), then the rules CreateTable applies to
//! the table (key schema, attribute definitions, GSIs, billing mode),
//! through the same helpers `tables.rs` uses (`validation.rs`), with the
//! member paths under `tableCreationParameters`.

use ferry_jobs::import::{
    Compression, CsvOptions, FormatOptions, ImportRequest, InputFormat, S3Source,
};
use ferry_model::{BillingMode, IndexDef, IndexKind, TableDef, TableSettings, TableStatus};

use super::wire::{ImportTableInput, TableCreationParametersW};
use crate::describe::{definitions_of, on_demand_of, sse_of, throughput_of};
use crate::errors::ApiError;
use crate::state::AppState;
use crate::validation::{
    Checks, INVALID, IndexRequest, check_definitions_used, check_key_schema_shape,
    check_unique_index_names, resolve_index, resolve_key_schema,
};
use crate::wire::tables::ThroughputW;

const BUCKET_PATTERN: &str = r"^[a-z0-9A-Z]+[\.\-\w]*[a-z0-9A-Z]+$";
const OWNER_PATTERN: &str = "[0-9]{12}";
const TOKEN_PATTERN: &str = r"^[^\$]+$";
const DELIMITER_PATTERN: &str = r"[,;:|\t ]";
const HEADER_PATTERN: &str = r"[\x20-\x21\x23-\x2B\x2D-\x7E]*";
const MAX_CAPACITY: i64 = 1_000_000_000_000;

/// The InputFormatOptions-without-CSV message (no AWS text is documented;
/// real DynamoDB refuses the combination with a ValidationException that
/// names InputFormatOptions).
pub const FORMAT_OPTIONS_NOT_CSV: &str = "One or more parameter values were invalid: InputFormatOptions can only be specified when InputFormat is CSV";

fn is_bucket_name(b: &str) -> bool {
    let bytes = b.as_bytes();
    let edge = |c: &u8| c.is_ascii_alphanumeric();
    bytes.len() >= 2
        && bytes.first().is_some_and(edge)
        && bytes.last().is_some_and(edge)
        && bytes
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'_'))
}

fn is_owner(o: &str) -> bool {
    // The model's pattern is unanchored: twelve digits somewhere.
    o.as_bytes()
        .windows(12)
        .any(|w| w.iter().all(u8::is_ascii_digit))
}

fn is_header(h: &str) -> bool {
    h.bytes()
        .all(|b| matches!(b, 0x20..=0x21 | 0x23..=0x2B | 0x2D..=0x7E))
}

fn length_at_most(checks: &mut Checks, v: &str, path: &str, max: usize) {
    if v.chars().count() > max {
        checks.fail(
            Some(v),
            path,
            &format!("Member must have length less than or equal to {max}"),
        );
    }
}

fn length_at_least(checks: &mut Checks, v: &str, path: &str, min: usize) {
    if v.chars().count() < min {
        checks.fail(
            Some(v),
            path,
            &format!("Member must have length greater than or equal to {min}"),
        );
    }
}

fn pattern(checks: &mut Checks, v: &str, path: &str, ok: bool, pattern: &str) {
    if !ok {
        checks.fail(
            Some(v),
            path,
            &format!("Member must satisfy regular expression pattern: {pattern}"),
        );
    }
}

fn check_throughput_shape(t: Option<&ThroughputW>, path: &str, checks: &mut Checks) {
    let Some(t) = t else { return };
    checks.not_null(
        t.write_capacity_units.as_ref(),
        &format!("{path}.writeCapacityUnits"),
    );
    checks.at_least(
        t.write_capacity_units,
        &format!("{path}.writeCapacityUnits"),
        1,
    );
    checks.not_null(
        t.read_capacity_units.as_ref(),
        &format!("{path}.readCapacityUnits"),
    );
    checks.at_least(
        t.read_capacity_units,
        &format!("{path}.readCapacityUnits"),
        1,
    );
}

fn check_capacity_bounds(t: &ThroughputW, suffix: &str) -> Result<(), ApiError> {
    for (v, name) in [
        (t.read_capacity_units, "ReadCapacityUnits"),
        (t.write_capacity_units, "WriteCapacityUnits"),
    ] {
        if let Some(v) = v
            && v > MAX_CAPACITY
        {
            return Err(ApiError::validation(format!(
                "Given value {v} for {name} is out of bounds{suffix}"
            )));
        }
    }
    Ok(())
}

fn check_table_shape(p: Option<&TableCreationParametersW>, checks: &mut Checks) {
    let path = "tableCreationParameters";
    let Some(p) = p else {
        checks.not_null(None::<&()>, path);
        return;
    };
    checks.not_null(p.table_name.as_ref(), &format!("{path}.tableName"));
    checks.name(p.table_name.as_deref(), &format!("{path}.tableName"));
    checks.not_null(
        p.attribute_definitions.as_ref(),
        &format!("{path}.attributeDefinitions"),
    );
    for (i, d) in p.attribute_definitions.iter().flatten().enumerate() {
        let m = format!("{path}.attributeDefinitions.{}.member", i + 1);
        checks.not_null(d.attribute_name.as_ref(), &format!("{m}.attributeName"));
        checks.not_null(d.attribute_type.as_ref(), &format!("{m}.attributeType"));
        checks.one_of(
            d.attribute_type.as_deref(),
            &format!("{m}.attributeType"),
            &["B", "N", "S"],
        );
    }
    check_key_schema_shape(p.key_schema.as_ref(), &format!("{path}.keySchema"), checks);
    checks.one_of(
        p.billing_mode.as_deref(),
        &format!("{path}.billingMode"),
        BillingMode::NAMES,
    );
    check_throughput_shape(
        p.provisioned_throughput.as_ref(),
        &format!("{path}.provisionedThroughput"),
        checks,
    );
    for (i, g) in p.global_secondary_indexes.iter().flatten().enumerate() {
        let m = format!("{path}.globalSecondaryIndexes.{}.member", i + 1);
        checks.not_null(g.index_name.as_ref(), &format!("{m}.indexName"));
        checks.name(g.index_name.as_deref(), &format!("{m}.indexName"));
        check_key_schema_shape(g.key_schema.as_ref(), &format!("{m}.keySchema"), checks);
        match &g.projection {
            None => checks.not_null(None::<&()>, &format!("{m}.projection")),
            Some(pr) => checks.one_of(
                pr.projection_type.as_deref(),
                &format!("{m}.projection.projectionType"),
                &["ALL", "INCLUDE", "KEYS_ONLY"],
            ),
        }
        check_throughput_shape(
            g.provisioned_throughput.as_ref(),
            &format!("{m}.provisionedThroughput"),
            checks,
        );
    }
}

/// The model's constraints on every member.
fn check_shapes(input: &ImportTableInput) -> Result<(), ApiError> {
    let mut checks = Checks::new();
    match input.client_token.as_deref() {
        None => checks.not_null(None::<&()>, "clientToken"),
        Some(t) => pattern(
            &mut checks,
            t,
            "clientToken",
            !t.is_empty() && !t.contains('$'),
            TOKEN_PATTERN,
        ),
    }
    match &input.s3_bucket_source {
        None => checks.not_null(None::<&()>, "s3BucketSource"),
        Some(s) => {
            match s.s3_bucket.as_deref() {
                None => checks.not_null(None::<&()>, "s3BucketSource.s3Bucket"),
                Some(b) => {
                    length_at_most(&mut checks, b, "s3BucketSource.s3Bucket", 255);
                    pattern(
                        &mut checks,
                        b,
                        "s3BucketSource.s3Bucket",
                        is_bucket_name(b),
                        BUCKET_PATTERN,
                    );
                }
            }
            if let Some(p) = s.s3_key_prefix.as_deref() {
                length_at_most(&mut checks, p, "s3BucketSource.s3KeyPrefix", 1024);
            }
            if let Some(o) = s.s3_bucket_owner.as_deref() {
                pattern(
                    &mut checks,
                    o,
                    "s3BucketSource.s3BucketOwner",
                    is_owner(o),
                    OWNER_PATTERN,
                );
            }
        }
    }
    checks.not_null(input.input_format.as_ref(), "inputFormat");
    checks.one_of(
        input.input_format.as_deref(),
        "inputFormat",
        InputFormat::NAMES,
    );
    checks.one_of(
        input.input_compression_type.as_deref(),
        "inputCompressionType",
        &["GZIP", "ZSTD", "NONE"],
    );
    if let Some(csv) = input
        .input_format_options
        .as_ref()
        .and_then(|o| o.csv.as_ref())
    {
        if let Some(d) = csv.delimiter.as_deref() {
            let path = "inputFormatOptions.csv.delimiter";
            length_at_least(&mut checks, d, path, 1);
            length_at_most(&mut checks, d, path, 1);
            let ok = d.chars().count() == 1 && d.chars().all(|c| ",;:|\t ".contains(c));
            pattern(&mut checks, d, path, ok, DELIMITER_PATTERN);
        }
        if let Some(h) = &csv.header_list {
            let path = "inputFormatOptions.csv.headerList";
            let shown = format!("[{}]", h.join(", "));
            if h.is_empty() {
                checks.fail(
                    Some(&shown),
                    path,
                    "Member must have length greater than or equal to 1",
                );
            }
            if h.len() > 255 {
                checks.fail(
                    Some(&shown),
                    path,
                    "Member must have length less than or equal to 255",
                );
            }
            for (i, name) in h.iter().enumerate() {
                let m = format!("{path}.{}.member", i + 1);
                length_at_least(&mut checks, name, &m, 1);
                length_at_most(&mut checks, name, &m, 65536);
                pattern(&mut checks, name, &m, is_header(name), HEADER_PATTERN);
            }
        }
    }
    check_table_shape(input.table_creation_parameters.as_ref(), &mut checks);
    checks.finish()
}

/// The table an import creates, validated as CreateTable validates it.
fn table_def(state: &AppState, p: &TableCreationParametersW) -> Result<TableDef, ApiError> {
    let name = p.table_name.clone().unwrap_or_default();
    let defs = p.attribute_definitions.clone().unwrap_or_default();
    let key_schema = p.key_schema.clone().unwrap_or_default();
    let ppr = p.billing_mode.as_deref() == Some("PAY_PER_REQUEST");
    if ppr {
        if p.provisioned_throughput.is_some() {
            return Err(ApiError::validation(format!(
                "{INVALID}Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST"
            )));
        }
    } else {
        match &p.provisioned_throughput {
            None => {
                return Err(ApiError::validation(format!(
                    "{INVALID}ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED"
                )));
            }
            Some(t) => check_capacity_bounds(t, "")?,
        }
    }
    if key_schema.len() > defs.len() {
        return Err(ApiError::validation(
            "Invalid KeySchema: Some index key attribute have no definition",
        ));
    }
    let table_key = resolve_key_schema(&key_schema, &defs)?;
    let mut indexes: Vec<IndexDef> = Vec::new();
    let mut index_throughput = std::collections::BTreeMap::new();
    if let Some(gsis) = &p.global_secondary_indexes {
        if gsis.is_empty() {
            return Err(ApiError::validation(format!(
                "{INVALID}List of GlobalSecondaryIndexes is empty"
            )));
        }
        for g in gsis {
            let index_name = g.index_name.as_deref().unwrap_or_default();
            let req = IndexRequest {
                name: index_name,
                key_schema: g.key_schema.as_deref().unwrap_or_default(),
                projection: g
                    .projection
                    .as_ref()
                    .ok_or_else(|| ApiError::validation("missing projection"))?,
            };
            indexes.push(resolve_index(IndexKind::Global, &req, &table_key, &defs)?);
            match (&g.provisioned_throughput, ppr) {
                (Some(_), true) => {
                    return Err(ApiError::validation(format!(
                        "{INVALID}ProvisionedThroughput should not be specified for index: {index_name} when BillingMode is PAY_PER_REQUEST"
                    )));
                }
                (None, false) => {
                    return Err(ApiError::validation(format!(
                        "{INVALID}ProvisionedThroughput must be specified for index: {index_name}"
                    )));
                }
                (Some(t), false) => {
                    check_capacity_bounds(t, &format!(" for index {index_name}"))?;
                    index_throughput.insert(index_name.to_string(), throughput_of(Some(t)));
                }
                (None, true) => {}
            }
        }
        if gsis.len() > 20 {
            return Err(ApiError::validation(format!(
                "{INVALID}GlobalSecondaryIndex count exceeds the per-table limit of 20"
            )));
        }
    }
    check_unique_index_names(indexes.iter().map(|i| i.name.as_str()))?;
    check_definitions_used(&defs, &table_key, &indexes)?;
    let now = state.engine.clock().now();
    // The billing mode's name was checked above.
    let settings = TableSettings {
        attribute_definitions: definitions_of(&defs),
        billing_mode: p.billing_mode.as_deref().and_then(BillingMode::parse),
        throughput: throughput_of(p.provisioned_throughput.as_ref()),
        pay_per_request_since_micros: ppr.then_some(now),
        index_throughput,
        sse: p.sse_specification.as_ref().map(sse_of),
        on_demand_throughput: p.on_demand_throughput.as_ref().map(on_demand_of),
        ..TableSettings::default()
    };
    Ok(TableDef {
        name,
        id: String::new(),
        key: table_key,
        indexes,
        created_micros: now,
        status: TableStatus::Creating,
        pitr: None,
        settings,
    })
}

/// Validate an ImportTable request and turn it into the job's request.
/// `raw_table_parameters` is the `TableCreationParameters` member as sent
/// (echoed by DescribeImport).
pub fn import_request(
    state: &AppState,
    input: ImportTableInput,
    raw_table_parameters: serde_json::Value,
) -> Result<ImportRequest, ApiError> {
    check_shapes(&input)?;
    let into_existing = input.ferry_into_existing_table.unwrap_or(false);
    let format = input
        .input_format
        .as_deref()
        .and_then(InputFormat::parse)
        .unwrap_or(InputFormat::DynamoDbJson);
    let compression = input
        .input_compression_type
        .as_deref()
        .and_then(Compression::parse);
    let csv_given = input
        .input_format_options
        .as_ref()
        .is_some_and(|o| o.csv.is_some());
    if csv_given && format != InputFormat::Csv {
        return Err(ApiError::validation(FORMAT_OPTIONS_NOT_CSV));
    }
    let params = input.table_creation_parameters.unwrap_or_default();
    let table = table_def(state, &params)?;
    let source = input.s3_bucket_source.unwrap_or_default();
    let format_options = input.input_format_options.map(|o| FormatOptions {
        csv: o.csv.map(|c| CsvOptions {
            delimiter: c.delimiter.and_then(|d| d.chars().next()),
            header_list: c.header_list,
        }),
    });
    Ok(ImportRequest {
        region: state.region(),
        account_id: state.account_id(),
        client_token: input.client_token.unwrap_or_default(),
        source: S3Source {
            bucket: source.s3_bucket.unwrap_or_default(),
            key_prefix: source.s3_key_prefix,
            bucket_owner: source.s3_bucket_owner,
        },
        format,
        compression,
        format_options,
        table,
        table_creation_parameters: raw_table_parameters,
        into_existing,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns() {
        assert!(is_bucket_name("my-import-source"));
        assert!(is_bucket_name("a.b_c"));
        assert!(!is_bucket_name("-nope!"));
        assert!(!is_bucket_name("x"));
        assert!(is_owner("123456789012"));
        assert!(!is_owner("12345"));
        assert!(is_header("year_of_release"));
        assert!(!is_header("a,b"));
        assert!(!is_header("a\"b"));
    }
}
