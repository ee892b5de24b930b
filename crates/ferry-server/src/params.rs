//! Expression parameters shared by the item, query, scan and batch
//! operations: which expression and legacy parameters a request uses (never
//! both: DynamoDB's "Can not use both expression and non-expression
//! parameters" rule) and the `ExpressionAttributeNames`/`Values` rules.

use std::collections::HashMap;

use ferry_expr::Placeholders;
use ferry_model::validate_value;

use crate::errors::ApiError;
use crate::wire::value::WireValues;

/// The expression-related parameters of one request.
pub struct ExprInputs<'s, 'a> {
    /// Expression parameters in DynamoDB's order, and whether each is set.
    pub exprs: &'s [(&'static str, bool)],
    /// Legacy (non-expression) parameters, and whether each is set.
    pub legacy: &'s [(&'static str, bool)],
    pub names: Option<&'a HashMap<String, String>>,
    pub values: Option<&'a WireValues>,
}

fn present(list: &[(&'static str, bool)]) -> Vec<&'static str> {
    list.iter()
        .filter(|(_, set)| *set)
        .map(|(n, _)| *n)
        .collect()
}

/// Check the parameter combination and the values; the returned
/// placeholders are then used to compile the request's expressions.
pub fn placeholders<'a>(inputs: &ExprInputs<'_, 'a>) -> Result<Placeholders<'a>, ApiError> {
    let exprs = present(inputs.exprs);
    let legacy = present(inputs.legacy);
    if !exprs.is_empty() && !legacy.is_empty() {
        return Err(ApiError::validation(format!(
            "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {{{}}} Expression parameters: {{{}}}",
            legacy.join(", "),
            exprs.join(", ")
        )));
    }
    if inputs.names.is_some() && exprs.is_empty() {
        return Err(ApiError::validation(
            "ExpressionAttributeNames can only be specified when using expressions",
        ));
    }
    let value_exprs: Vec<&'static str> = inputs
        .exprs
        .iter()
        .map(|(n, _)| *n)
        .filter(|n| *n != "ProjectionExpression")
        .collect();
    if inputs.values.is_some()
        && !value_exprs.is_empty()
        && !exprs.iter().any(|e| value_exprs.contains(e))
    {
        return Err(ApiError::validation(format!(
            "ExpressionAttributeValues can only be specified when using expressions: {} {} null",
            value_exprs.join(" and "),
            if value_exprs.len() > 1 { "are" } else { "is" }
        )));
    }
    if let Some(values) = inputs.values {
        if let Some((key, msg)) = &values.problem {
            return Err(ApiError::validation(format!(
                "ExpressionAttributeValues contains invalid value: {msg} for key {key}"
            )));
        }
        for (key, value) in &values.values {
            if let Err(e) = validate_value(value) {
                return Err(ApiError::validation(format!(
                    "ExpressionAttributeValues contains invalid value: {} for key {key}",
                    e.message
                )));
            }
        }
    }
    Ok(Placeholders::new(
        inputs.names,
        inputs.values.map(|v| &v.values),
    ))
}
