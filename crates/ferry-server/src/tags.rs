//! Tagging: TagResource, UntagResource, ListTagsOfResource.
//!
//! Tags live in the table's settings (`TableSettings.tags`, so they survive restarts, and
//! CreateTable's `Tags` are listed too), are validated with DynamoDB's
//! messages (AWS's tag character set and lengths, no `aws:` prefix, at
//! most 50 per table), and are addressed by the table ARN only: index ARNs
//! are refused as DynamoDB refuses them.

use std::collections::HashSet;

use ferry_model::{TableDef, Tag};

use crate::describe::{tags_of, tags_wire};
use crate::errors::{ApiError, ErrorCode};
use crate::state::{AppState, blocking};
use crate::validation::Checks;
use crate::wire::control::{
    ListTagsOfResourceInput, ListTagsOfResourceOutput, TagResourceInput, UntagResourceInput,
};
use crate::wire::parse;
use crate::wire::tables::TagW;

/// DynamoDB's limit of tags per table.
pub const MAX_TAGS: usize = 50;
const TOO_MANY: &str = "Number of Tags exceed the current limit for the provided ResourceArn";

/// AWS's tag character set: letters, digits, white space and `_ . : / = + - @`.
fn tag_chars_ok(s: &str) -> bool {
    s.chars().all(|c| {
        c.is_alphanumeric()
            || (c.is_whitespace() && !c.is_control())
            || matches!(c, '_' | '.' | ':' | '/' | '=' | '+' | '-' | '@')
    })
}

fn invalid_key(k: Option<&str>) -> ApiError {
    ApiError::validation(format!(
        "The Tag Key provided is invalid, Key: {}",
        k.unwrap_or("null")
    ))
}

fn check_key(k: Option<&str>) -> Result<&str, ApiError> {
    match k {
        Some(k) if (1..=128).contains(&k.chars().count()) && tag_chars_ok(k) => Ok(k),
        other => Err(invalid_key(other)),
    }
}

/// Validate tags as TagResource and CreateTable receive them.
pub fn check_tags(tags: &[TagW]) -> Result<(), ApiError> {
    let mut seen = HashSet::new();
    for t in tags {
        let key = check_key(t.key.as_deref())?;
        if key.starts_with("aws:") {
            return Err(ApiError::validation(format!(
                "Tag Key cannot be prefixed with aws:, Key: {key}"
            )));
        }
        match t.value.as_deref() {
            Some(v) if v.chars().count() <= 256 && tag_chars_ok(v) => {}
            v => {
                return Err(ApiError::validation(format!(
                    "The Tag Value provided is invalid, Value: {}",
                    v.unwrap_or("null")
                )));
            }
        }
        if !seen.insert(key) {
            return Err(ApiError::validation(format!(
                "Duplicate Tag Keys provided as input: Duplicate Tag Key found {key}"
            )));
        }
    }
    if tags.len() > MAX_TAGS {
        return Err(ApiError::validation(TOO_MANY));
    }
    Ok(())
}

/// The parts of a table ARN Ferry checks.
#[derive(Debug, PartialEq, Eq)]
struct TableArn<'a> {
    region: &'a str,
    account: &'a str,
    name: &'a str,
}

/// The parts of a table ARN, with DynamoDB's message when it is not one.
fn table_of_arn(arn: &str) -> Result<TableArn<'_>, ApiError> {
    let invalid = || {
        ApiError::validation(format!(
            "Invalid TableArn: Invalid ResourceArn provided as input {arn}"
        ))
    };
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [prefix, partition, service, region, account, resource] = parts.as_slice() else {
        return Err(invalid());
    };
    let name = resource.strip_prefix("table/").ok_or_else(invalid)?;
    let ok = *prefix == "arn"
        && *partition == "aws"
        && *service == "dynamodb"
        && !region.is_empty()
        && !account.is_empty()
        && account.bytes().all(|b| b.is_ascii_digit())
        && name.chars().count() >= 3
        && !name.contains('/');
    if ok {
        Ok(TableArn {
            region,
            account,
            name,
        })
    } else {
        Err(invalid())
    }
}

fn not_found(arn: &str) -> ApiError {
    ApiError::new(
        ErrorCode::ResourceNotFoundException,
        format!("Requested resource not found: ResourcArn: {arn} not found"),
    )
}

/// DynamoDB's answer to an ARN of another account or region: the caller
/// (Ferry's account root) is not authorized on it. The format is the one
/// dynalite's tests check against DynamoDB (`User: arn:aws:iam::<account>:…
/// is not authorized to perform: dynamodb:<Op> on resource: <arn>`).
fn access_denied(state: &AppState, operation: &str, arn: &str) -> ApiError {
    ApiError::new(
        ErrorCode::AccessDeniedException,
        format!(
            "User: {} is not authorized to perform: dynamodb:{operation} on resource: {arn}",
            state.caller_arn()
        ),
    )
}

/// The table an ARN names (`operation` names the request in the
/// AccessDeniedException an ARN of another account or region gets).
fn table_for(
    state: &AppState,
    operation: &str,
    arn: &str,
) -> Result<std::sync::Arc<ferry_storage::Table>, ApiError> {
    let parts = table_of_arn(arn)?;
    if parts.region != state.region() || parts.account != state.account_id() {
        return Err(access_denied(state, operation, arn));
    }
    state.engine.table(parts.name).ok_or_else(|| not_found(arn))
}

/// Rewrite the table's tags with `f`.
async fn edit_tags(
    table: std::sync::Arc<ferry_storage::Table>,
    f: impl Fn(&mut Vec<Tag>) -> Result<(), ApiError> + Send + 'static,
) -> Result<(), ApiError> {
    blocking(move || {
        let mut refused = None;
        table.update_def(&mut |d: &mut TableDef| {
            let mut tags = d.settings.tags.clone();
            match f(&mut tags) {
                Ok(()) => d.settings.tags = tags,
                Err(e) => refused = Some(e),
            }
        })?;
        refused.map_or(Ok(()), Err)
    })
    .await
}

/// TagResource: DynamoDB answers an empty body.
pub async fn tag_resource(state: &AppState, body: &[u8]) -> Result<(), ApiError> {
    let input: TagResourceInput = parse(body)?;
    let mut c = Checks::new();
    c.not_null(input.resource_arn.as_ref(), "resourceArn");
    c.not_null(input.tags.as_ref(), "tags");
    c.finish()?;
    let arn = input.resource_arn.unwrap_or_default();
    let tags = input.tags.unwrap_or_default();
    table_of_arn(&arn)?;
    if tags.is_empty() {
        return Err(ApiError::validation(
            "Atleast one Tag needs to be provided as Input.",
        ));
    }
    check_tags(&tags)?;
    let tags = tags_of(&tags);
    let table = table_for(state, "TagResource", &arn)?;
    edit_tags(table, move |current| {
        for t in &tags {
            match current.iter_mut().find(|c| c.key == t.key) {
                Some(c) => c.value = t.value.clone(),
                None => current.push(t.clone()),
            }
        }
        if current.len() > MAX_TAGS {
            return Err(ApiError::validation(TOO_MANY));
        }
        Ok(())
    })
    .await
}

/// UntagResource: DynamoDB answers an empty body.
pub async fn untag_resource(state: &AppState, body: &[u8]) -> Result<(), ApiError> {
    let input: UntagResourceInput = parse(body)?;
    let mut c = Checks::new();
    c.not_null(input.resource_arn.as_ref(), "resourceArn");
    c.not_null(input.tag_keys.as_ref(), "tagKeys");
    c.finish()?;
    let arn = input.resource_arn.unwrap_or_default();
    let keys = input.tag_keys.unwrap_or_default();
    table_of_arn(&arn)?;
    if keys.is_empty() {
        return Err(ApiError::validation(
            "Atleast one Tag Key needs to be provided as Input.",
        ));
    }
    for k in &keys {
        check_key(Some(k))?;
    }
    if keys.len() > MAX_TAGS {
        return Err(ApiError::validation(TOO_MANY));
    }
    let table = table_for(state, "UntagResource", &arn)?;
    edit_tags(table, move |current| {
        current.retain(|t| !keys.contains(&t.key));
        Ok(())
    })
    .await
}

pub async fn list_tags_of_resource(
    state: &AppState,
    body: &[u8],
) -> Result<ListTagsOfResourceOutput, ApiError> {
    let input: ListTagsOfResourceInput = parse(body)?;
    let mut c = Checks::new();
    c.not_null(input.resource_arn.as_ref(), "resourceArn");
    c.finish()?;
    let arn = input.resource_arn.unwrap_or_default();
    let table = table_for(state, "ListTagsOfResource", &arn)?;
    Ok(ListTagsOfResourceOutput {
        tags: tags_wire(&table.def().settings.tags),
        next_token: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(k: &str, v: &str) -> TagW {
        TagW {
            key: Some(k.into()),
            value: Some(v.into()),
        }
    }

    fn msg(r: Result<(), ApiError>) -> String {
        r.unwrap_err().message.unwrap_or_default()
    }

    #[test]
    fn tag_rules() {
        assert!(check_tags(&[tag("env", "prod"), tag("ключ", "a+b-c=d.e_f:g/h@i")]).is_ok());
        assert_eq!(
            msg(check_tags(&[tag(&"k".repeat(129), "v")])),
            format!("The Tag Key provided is invalid, Key: {}", "k".repeat(129))
        );
        assert_eq!(
            msg(check_tags(&[tag("", "v")])),
            "The Tag Key provided is invalid, Key: "
        );
        assert_eq!(
            msg(check_tags(&[tag("a", "100%")])),
            "The Tag Value provided is invalid, Value: 100%"
        );
        assert_eq!(
            msg(check_tags(&[TagW {
                key: Some("a".into()),
                value: None
            }])),
            "The Tag Value provided is invalid, Value: null"
        );
        assert_eq!(
            msg(check_tags(&[tag("ok", "1"), tag("aws:zzz", "v")])),
            "Tag Key cannot be prefixed with aws:, Key: aws:zzz"
        );
        assert_eq!(
            msg(check_tags(&[tag("dup", "1"), tag("dup", "2")])),
            "Duplicate Tag Keys provided as input: Duplicate Tag Key found dup"
        );
    }

    #[test]
    fn arns() {
        assert_eq!(
            table_of_arn("arn:aws:dynamodb:us-east-1:000000000000:table/abc").unwrap(),
            TableArn {
                region: "us-east-1",
                account: "000000000000",
                name: "abc"
            }
        );
        for bad in [
            "a:b:c:d:e:f/g",
            "arn:aws:dynamodb:us-east-1:000000000000:table/ab",
            "arn:aws:dynamodb:us-east-1:000000000000:table/abc/index/gsi",
        ] {
            assert_eq!(
                table_of_arn(bad).unwrap_err().message.unwrap_or_default(),
                format!("Invalid TableArn: Invalid ResourceArn provided as input {bad}")
            );
        }
    }
}
