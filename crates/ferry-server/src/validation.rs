//! Parameter validation with DynamoDB's own messages: the "N validation
//! errors detected" collector, table-name rules, number messages, and the
//! table/index definition rules of CreateTable and UpdateTable.

use std::collections::HashSet;

use ferry_model::{
    IndexDef, IndexKind, KeyAttr, KeySchema, Projection, ProjectionType, ScalarType,
};

use crate::errors::ApiError;
use crate::wire::tables::{AttributeDefinitionW, KeySchemaElementW, ProjectionW};

pub const NAME_PATTERN: &str = "[a-zA-Z0-9_.-]+";
pub const INVALID: &str = "One or more parameter values were invalid: ";
/// Longest key attribute name (table and index keys), in bytes.
pub const MAX_KEY_NAME_SIZE: usize = 255;

/// Collects constraint violations into DynamoDB's "N validation errors
/// detected: …; …" message (at most 10 are reported, like DynamoDB).
#[derive(Default)]
pub struct Checks {
    errors: Vec<String>,
}

fn value_str(v: Option<&str>) -> String {
    match v {
        Some(v) => format!("'{v}'"),
        None => "null".to_string(),
    }
}

impl Checks {
    pub fn new() -> Checks {
        Checks::default()
    }

    /// Record `Value <v> at '<path>' failed to satisfy constraint: <msg>`.
    pub fn fail(&mut self, value: Option<&str>, path: &str, msg: &str) {
        if self.errors.len() < 10 {
            self.errors.push(format!(
                "Value {} at '{path}' failed to satisfy constraint: {msg}",
                value_str(value)
            ));
        }
    }

    /// Record `Value at '<path>' failed to satisfy constraint: <msg>` (the
    /// newer validation framework's form, which does not echo the value).
    pub fn fail_unvalued(&mut self, path: &str, msg: &str) {
        if self.errors.len() < 10 {
            self.errors.push(format!(
                "Value at '{path}' failed to satisfy constraint: {msg}"
            ));
        }
    }

    pub fn not_null<T>(&mut self, v: Option<&T>, path: &str) {
        if v.is_none() {
            self.fail(None, path, "Member must not be null");
        }
    }

    /// A table or index name: pattern and length 3..=255 (when present).
    pub fn name(&mut self, v: Option<&str>, path: &str) {
        let Some(v) = v else { return };
        if !is_valid_name_chars(v) {
            self.fail(
                Some(v),
                path,
                &format!("Member must satisfy regular expression pattern: {NAME_PATTERN}"),
            );
        }
        if v.chars().count() < 3 {
            self.fail(
                Some(v),
                path,
                "Member must have length greater than or equal to 3",
            );
        }
        if v.chars().count() > 255 {
            self.fail(
                Some(v),
                path,
                "Member must have length less than or equal to 255",
            );
        }
    }

    /// A key attribute name (KeySchemaElement.AttributeName): 1..=255 bytes
    /// (DynamoDB's API model constraint).
    pub fn key_attribute_name(&mut self, v: Option<&str>, path: &str) {
        let Some(v) = v else { return };
        if v.is_empty() {
            self.fail(
                Some(v),
                path,
                "Member must have length greater than or equal to 1",
            );
        }
        if v.len() > MAX_KEY_NAME_SIZE {
            self.fail(
                Some(v),
                path,
                "Member must have length less than or equal to 255",
            );
        }
    }

    /// A required table name of a data-plane operation.
    pub fn table_name(&mut self, v: Option<&str>) {
        self.not_null(v.as_ref(), "tableName");
        self.name(v, "tableName");
    }

    pub fn one_of(&mut self, v: Option<&str>, path: &str, allowed: &[&str]) {
        if let Some(v) = v
            && !allowed.contains(&v)
        {
            self.fail(
                Some(v),
                path,
                &format!(
                    "Member must satisfy enum value set: [{}]",
                    allowed.join(", ")
                ),
            );
        }
    }

    pub fn at_least(&mut self, v: Option<i64>, path: &str, min: i64) {
        if let Some(v) = v
            && v < min
        {
            self.fail(
                Some(&v.to_string()),
                path,
                &format!("Member must have value greater than or equal to {min}"),
            );
        }
    }

    pub fn at_most(&mut self, v: Option<i64>, path: &str, max: i64) {
        if let Some(v) = v
            && v > max
        {
            self.fail(
                Some(&v.to_string()),
                path,
                &format!("Member must have value less than or equal to {max}"),
            );
        }
    }

    pub fn finish(self) -> Result<(), ApiError> {
        match self.errors.len() {
            0 => Ok(()),
            1 => Err(ApiError::validation(format!(
                "1 validation error detected: {}",
                self.errors[0]
            ))),
            n => Err(ApiError::validation(format!(
                "{n} validation errors detected: {}",
                self.errors.join("; ")
            ))),
        }
    }
}

pub fn is_valid_name_chars(v: &str) -> bool {
    !v.is_empty()
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

/// Control-plane table name rules (CreateTable, DescribeTable, DeleteTable,
/// UpdateTable): presence and length are checked first, with their own
/// messages; the pattern goes through [`Checks`].
pub fn control_table_name(v: Option<&str>, checks: &mut Checks) -> Result<String, ApiError> {
    let Some(v) = v else {
        return Err(ApiError::validation(
            "The parameter 'TableName' is required but was not present in the request",
        ));
    };
    let len = v.chars().count();
    if !(3..=255).contains(&len) {
        return Err(ApiError::validation(
            "TableName must be at least 3 characters long and at most 255 characters long",
        ));
    }
    if !is_valid_name_chars(v) {
        checks.fail(
            Some(v),
            "tableName",
            &format!("Member must satisfy regular expression pattern: {NAME_PATTERN}"),
        );
    }
    Ok(v.to_string())
}

/// CreateTable's table name: presence first (its own message), then pattern
/// and length through [`Checks`] (`Member must have length greater than or
/// equal to 3`), unlike the other control-plane operations' single sentence
/// (see [`control_table_name`]).
pub fn create_table_name(v: Option<&str>, checks: &mut Checks) -> Result<String, ApiError> {
    let Some(v) = v else {
        return Err(ApiError::validation(
            "The parameter 'TableName' is required but was not present in the request",
        ));
    };
    checks.name(Some(v), "tableName");
    Ok(v.to_string())
}

/// An attribute defined twice in AttributeDefinitions, with the same type
/// or another: DynamoDB's text (recorded by ScyllaDB's Alternator issue
/// 13870; DynamoDB Local says "Cannot have two attributes with the same
/// name" instead).
pub fn check_unique_definitions(defs: &[AttributeDefinitionW]) -> Result<(), ApiError> {
    let mut seen = HashSet::new();
    for name in defs.iter().filter_map(|d| d.attribute_name.as_deref()) {
        if !seen.insert(name) {
            return Err(ApiError::validation(format!(
                "Attribute Name is duplicated: {name}"
            )));
        }
    }
    Ok(())
}

/// UpdateTable giving an attribute that some key of the table already uses a
/// different type. DynamoDB's text, as ScyllaDB's Alternator tests record it
/// for one-element keys (`Schema:[SchemaElement: key{xyz:S:HASH}]`); the
/// rendering of a two-element key (comma-separated) is Ferry's guess.
/// `existing`: the table's key, then its indexes' keys; `new_keys`: the key
/// schemas of the indexes the request creates.
pub fn check_no_redefinition<'a>(
    existing: impl IntoIterator<Item = &'a KeySchema> + Clone,
    given: &[AttributeDefinitionW],
    new_keys: &[&[KeySchemaElementW]],
) -> Result<(), ApiError> {
    for d in given {
        let (Some(name), Some(ty)) = (d.attribute_name.as_deref(), d.attribute_type.as_deref())
        else {
            continue;
        };
        let Some(old) = existing
            .clone()
            .into_iter()
            .find(|k| key_attrs(k).any(|(a, _)| a.name == name && a.ty.as_str() != ty))
        else {
            continue;
        };
        let existing_text =
            schema_text(key_attrs(old).map(|(a, role)| (a.name.as_str(), a.ty.as_str(), role)));
        let new_text = match new_keys
            .iter()
            .find(|k| k.iter().any(|e| e.attribute_name.as_deref() == Some(name)))
        {
            Some(k) => schema_text(k.iter().map(|e| {
                let attr = e.attribute_name.as_deref().unwrap_or_default();
                (
                    attr,
                    given_type(given, attr),
                    e.key_type.as_deref().unwrap_or_default(),
                )
            })),
            None => schema_text(key_attrs(old).map(|(a, role)| {
                let t = if a.name == name { ty } else { a.ty.as_str() };
                (a.name.as_str(), t, role)
            })),
        };
        return Err(ApiError::validation(format!(
            "{INVALID}Attributes cannot be redefined. Please check that your attribute has the same type as previously defined. Existing schema: {existing_text} New schema: {new_text}"
        )));
    }
    Ok(())
}

fn given_type<'g>(given: &'g [AttributeDefinitionW], attr: &str) -> &'g str {
    given
        .iter()
        .find(|g| g.attribute_name.as_deref() == Some(attr))
        .and_then(|g| g.attribute_type.as_deref())
        .unwrap_or_default()
}

fn key_attrs(k: &KeySchema) -> impl Iterator<Item = (&KeyAttr, &'static str)> {
    std::iter::once((&k.hash, "HASH")).chain(k.range.as_ref().map(|r| (r, "RANGE")))
}

fn schema_text<'s>(elems: impl Iterator<Item = (&'s str, &'s str, &'s str)>) -> String {
    let parts: Vec<String> = elems
        .map(|(name, ty, role)| format!("SchemaElement: key{{{name}:{ty}:{role}}}"))
        .collect();
    format!("Schema:[{}]", parts.join(", "))
}

pub fn scalar_type(s: &str) -> Option<ScalarType> {
    match s {
        "S" => Some(ScalarType::S),
        "N" => Some(ScalarType::N),
        "B" => Some(ScalarType::B),
        _ => None,
    }
}

pub fn scalar_name(t: ScalarType) -> &'static str {
    match t {
        ScalarType::S => "S",
        ScalarType::N => "N",
        ScalarType::B => "B",
    }
}

/// Shape checks of a KeySchema list (length 1..=2, members not null, key
/// types in the enum) recorded into `checks` under `path`.
pub fn check_key_schema_shape(
    ks: Option<&Vec<KeySchemaElementW>>,
    path: &str,
    checks: &mut Checks,
) {
    let Some(ks) = ks else {
        checks.not_null(None::<&()>, path);
        return;
    };
    if ks.is_empty() {
        checks.fail(
            Some("[]"),
            path,
            "Member must have length greater than or equal to 1",
        );
    }
    if ks.len() > 2 {
        checks.fail(
            Some(&render_key_schema(ks)),
            path,
            "Member must have length less than or equal to 2",
        );
    }
    for (i, k) in ks.iter().enumerate() {
        let p = format!("{path}.{}.member", i + 1);
        checks.not_null(k.attribute_name.as_ref(), &format!("{p}.attributeName"));
        checks.key_attribute_name(k.attribute_name.as_deref(), &format!("{p}.attributeName"));
        checks.not_null(k.key_type.as_ref(), &format!("{p}.keyType"));
        checks.one_of(
            k.key_type.as_deref(),
            &format!("{p}.keyType"),
            &["HASH", "RANGE"],
        );
    }
}

fn render_key_schema(ks: &[KeySchemaElementW]) -> String {
    let parts: Vec<String> = ks
        .iter()
        .map(|k| {
            format!(
                "KeySchemaElement(attributeName={}, keyType={})",
                k.attribute_name.as_deref().unwrap_or("null"),
                k.key_type.as_deref().unwrap_or("null")
            )
        })
        .collect();
    format!("[{}]", parts.join(", "))
}

/// The attribute definitions as a name list, in the order given.
pub fn definition_names(defs: &[AttributeDefinitionW]) -> Vec<String> {
    defs.iter()
        .map(|d| d.attribute_name.clone().unwrap_or_default())
        .collect()
}

/// Resolve a (shape-checked) key schema against the definitions with
/// DynamoDB's messages.
pub fn resolve_key_schema(
    ks: &[KeySchemaElementW],
    defs: &[AttributeDefinitionW],
) -> Result<KeySchema, ApiError> {
    let names: Vec<String> = ks
        .iter()
        .map(|k| k.attribute_name.clone().unwrap_or_default())
        .collect();
    let def_names = definition_names(defs);
    if names.iter().any(|n| !def_names.contains(n)) {
        return Err(ApiError::validation(format!(
            "{INVALID}Some index key attributes are not defined in AttributeDefinitions. Keys: [{}], AttributeDefinitions: [{}]",
            names.join(", "),
            def_names.join(", ")
        )));
    }
    if names.len() == 2 && names[0] == names[1] {
        return Err(ApiError::validation(
            "Both the Hash Key and the Range Key element in the KeySchema have the same name",
        ));
    }
    if ks[0].key_type.as_deref() != Some("HASH") {
        return Err(ApiError::validation(
            "Invalid KeySchema: The first KeySchemaElement is not a HASH key type",
        ));
    }
    if ks.len() == 2 && ks[1].key_type.as_deref() != Some("RANGE") {
        return Err(ApiError::validation(
            "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type",
        ));
    }
    let attr = |name: &str| -> Result<KeyAttr, ApiError> {
        let def = defs
            .iter()
            .find(|d| d.attribute_name.as_deref() == Some(name))
            .and_then(|d| d.attribute_type.as_deref().and_then(scalar_type));
        match def {
            Some(ty) => Ok(KeyAttr {
                name: name.to_string(),
                ty,
            }),
            None => Err(ApiError::validation(format!(
                "{INVALID}Some index key attributes are not defined in AttributeDefinitions. Keys: [{}], AttributeDefinitions: [{}]",
                names.join(", "),
                def_names.join(", ")
            ))),
        }
    };
    Ok(KeySchema {
        hash: attr(&names[0])?,
        range: if names.len() == 2 {
            Some(attr(&names[1])?)
        } else {
            None
        },
    })
}

/// Resolve an index projection with DynamoDB's messages.
pub fn resolve_projection(p: &ProjectionW) -> Result<Projection, ApiError> {
    let ty = match p.projection_type.as_deref() {
        Some("ALL") => ProjectionType::All,
        Some("KEYS_ONLY") => ProjectionType::KeysOnly,
        Some("INCLUDE") => ProjectionType::Include,
        Some(other) => {
            return Err(ApiError::validation(format!(
                "{INVALID}Unknown ProjectionType: {other}"
            )));
        }
        None => {
            return Err(ApiError::validation(format!(
                "{INVALID}Unknown ProjectionType: null"
            )));
        }
    };
    let non_key = p.non_key_attributes.clone();
    match (ty, &non_key) {
        (ProjectionType::Include, None) => {
            return Err(ApiError::validation(format!(
                "{INVALID}ProjectionType is INCLUDE, but NonKeyAttributes is not specified"
            )));
        }
        (ProjectionType::All, Some(_)) => {
            return Err(ApiError::validation(format!(
                "{INVALID}ProjectionType is ALL, but NonKeyAttributes is specified"
            )));
        }
        (ProjectionType::KeysOnly, Some(_)) => {
            return Err(ApiError::validation(format!(
                "{INVALID}ProjectionType is KEYS_ONLY, but NonKeyAttributes is specified"
            )));
        }
        _ => {}
    }
    // A name listed twice: the text a user reported from DynamoDB
    // (guregu/dynamo issue 88), without the usual "invalid" prefix.
    let mut seen = HashSet::new();
    if non_key.iter().flatten().any(|n| !seen.insert(n.as_str())) {
        return Err(ApiError::validation(
            "Cannot have two attributes with the same name",
        ));
    }
    Ok(Projection {
        ty,
        non_key_attributes: non_key.unwrap_or_default(),
    })
}

/// One secondary index as requested (LSI or GSI), before resolution.
pub struct IndexRequest<'a> {
    pub name: &'a str,
    pub key_schema: &'a [KeySchemaElementW],
    pub projection: &'a ProjectionW,
}

/// Resolve one index definition against the attribute definitions.
pub fn resolve_index(
    kind: IndexKind,
    req: &IndexRequest<'_>,
    table_key: &KeySchema,
    defs: &[AttributeDefinitionW],
) -> Result<IndexDef, ApiError> {
    let key = resolve_key_schema(req.key_schema, defs)?;
    if kind == IndexKind::Local {
        if key.range.is_none() {
            return Err(ApiError::validation(format!(
                "{INVALID}Index KeySchema does not have a range key for index: {}",
                req.name
            )));
        }
        if key.hash.name != table_key.hash.name {
            return Err(ApiError::validation(format!(
                "{INVALID}Index KeySchema does not have the same leading hash key as table KeySchema for index: {}. index hash key: {}, table hash key: {}",
                req.name, key.hash.name, table_key.hash.name
            )));
        }
    }
    let projection = resolve_projection(req.projection)?;
    Ok(IndexDef {
        name: req.name.to_string(),
        kind,
        key,
        projection,
    })
}

/// After every key schema is resolved: definitions that no key uses.
pub fn check_definitions_used(
    defs: &[AttributeDefinitionW],
    table_key: &KeySchema,
    indexes: &[IndexDef],
) -> Result<(), ApiError> {
    let mut used: Vec<String> = Vec::new();
    let mut push = |n: &str| {
        if !used.iter().any(|u| u == n) {
            used.push(n.to_string());
        }
    };
    for k in std::iter::once(table_key).chain(indexes.iter().map(|i| &i.key)) {
        push(&k.hash.name);
        if let Some(r) = &k.range {
            push(&r.name);
        }
    }
    let def_names = definition_names(defs);
    if indexes.is_empty() && def_names.len() != used.len() {
        return Err(ApiError::validation(format!(
            "{INVALID}Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions"
        )));
    }
    if def_names.iter().any(|d| !used.contains(d)) {
        return Err(ApiError::validation(format!(
            "{INVALID}Some AttributeDefinitions are not used. AttributeDefinitions: [{}], keys used: [{}]",
            def_names.join(", "),
            used.join(", ")
        )));
    }
    Ok(())
}

/// Duplicate names across the request's LSIs and GSIs.
pub fn check_unique_index_names<'a>(names: impl Iterator<Item = &'a str>) -> Result<(), ApiError> {
    let mut seen = HashSet::new();
    for n in names {
        if !seen.insert(n) {
            return Err(ApiError::validation(format!(
                "{INVALID}Duplicate index name: {n}"
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_format() {
        let mut c = Checks::new();
        c.table_name(Some("a$"));
        let e = c.finish().unwrap_err();
        assert_eq!(
            e.message.as_deref(),
            Some(
                "2 validation errors detected: Value 'a$' at 'tableName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+; Value 'a$' at 'tableName' failed to satisfy constraint: Member must have length greater than or equal to 3"
            )
        );
        let mut c = Checks::new();
        c.table_name(None);
        assert_eq!(
            c.finish().unwrap_err().message.as_deref(),
            Some(
                "1 validation error detected: Value null at 'tableName' failed to satisfy constraint: Member must not be null"
            )
        );
        let mut c = Checks::new();
        c.one_of(Some("X"), "returnValues", &["NONE", "ALL_OLD"]);
        assert_eq!(
            c.finish().unwrap_err().message.as_deref(),
            Some(
                "1 validation error detected: Value 'X' at 'returnValues' failed to satisfy constraint: Member must satisfy enum value set: [NONE, ALL_OLD]"
            )
        );
    }

    fn ks(pairs: &[(&str, &str)]) -> Vec<KeySchemaElementW> {
        pairs
            .iter()
            .map(|(n, t)| KeySchemaElementW {
                attribute_name: Some(n.to_string()),
                key_type: Some(t.to_string()),
            })
            .collect()
    }

    fn defs(pairs: &[(&str, &str)]) -> Vec<AttributeDefinitionW> {
        pairs
            .iter()
            .map(|(n, t)| AttributeDefinitionW {
                attribute_name: Some(n.to_string()),
                attribute_type: Some(t.to_string()),
            })
            .collect()
    }

    #[test]
    fn key_schema_messages() {
        let e = resolve_key_schema(&ks(&[("x", "HASH")]), &defs(&[("y", "S")])).unwrap_err();
        assert_eq!(
            e.message.as_deref(),
            Some(
                "One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [x], AttributeDefinitions: [y]"
            )
        );
        let e = resolve_key_schema(&ks(&[("x", "RANGE")]), &defs(&[("x", "S")])).unwrap_err();
        assert_eq!(
            e.message.as_deref(),
            Some("Invalid KeySchema: The first KeySchemaElement is not a HASH key type")
        );
        let e = resolve_key_schema(&ks(&[("x", "HASH"), ("x", "RANGE")]), &defs(&[("x", "S")]))
            .unwrap_err();
        assert_eq!(
            e.message.as_deref(),
            Some("Both the Hash Key and the Range Key element in the KeySchema have the same name")
        );
        let k = resolve_key_schema(
            &ks(&[("x", "HASH"), ("y", "RANGE")]),
            &defs(&[("x", "S"), ("y", "N")]),
        )
        .unwrap();
        assert_eq!(
            k.hash,
            KeyAttr {
                name: "x".into(),
                ty: ScalarType::S
            }
        );
        assert_eq!(
            k.range,
            Some(KeyAttr {
                name: "y".into(),
                ty: ScalarType::N
            })
        );
    }

    #[test]
    fn unused_definitions() {
        let k =
            resolve_key_schema(&ks(&[("x", "HASH")]), &defs(&[("x", "S"), ("y", "S")])).unwrap();
        let e = check_definitions_used(&defs(&[("x", "S"), ("y", "S")]), &k, &[]).unwrap_err();
        assert_eq!(
            e.message.as_deref(),
            Some(
                "One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions"
            )
        );
    }
}
