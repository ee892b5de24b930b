//! The SigV4 verifier for JSON-protocol requests (DynamoDB, CloudWatch Logs):
//! header auth (`Authorization` + `X-Amz-Date`) and presigned query auth, with
//! the checks in the order DynamoDB makes them and its error messages.

use std::time::SystemTime;

use chrono::{DateTime, NaiveDateTime, TimeDelta, Utc};
use subtle::ConstantTimeEq;

use crate::canonical::{
    ALGORITHM, cached_signing_key, canonical_path, canonical_query, parse_query, sha256_hex,
    signature, string_to_sign, trim_header_value,
};
use crate::{AuthError, Credentials, Principal, SIGNATURE_MISMATCH_MESSAGE};

/// AWS's allowed clock skew.
pub const MAX_SKEW: TimeDelta = TimeDelta::minutes(15);

/// The longest validity a presigned request may claim (`X-Amz-Expires`):
/// seven days, as every AWS service allows.
pub const MAX_EXPIRES_SECS: i64 = 7 * 24 * 60 * 60;

const BASIC_FORMAT: &str = "%Y%m%dT%H%M%SZ";

/// What the request says about its signature, from the header or the query.
struct Claim {
    algorithm: String,
    credential: String,
    signed_headers: String,
    signature: String,
    /// The request time as sent (basic ISO-8601 after parsing).
    date: DateTime<Utc>,
    /// `X-Amz-Expires` for presigned requests.
    expires: Option<i64>,
}

/// The scope name of DynamoDB Streams requests: the SDKs sign them for
/// `dynamodb` (the name AWS's messages give), other clients for the
/// endpoint's name, `streams.dynamodb`; both are accepted.
const STREAMS_SERVICE: &str = "streams.dynamodb";

/// The expected service (credential scope) for a JSON-protocol request, from
/// its `X-Amz-Target` prefix.
pub fn service_for_target(parts: &http::request::Parts) -> &'static str {
    match parts
        .headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
    {
        Some(t) if t.starts_with("Logs_") => "logs",
        Some(t) if t.starts_with("DynamoDBStreams_") => STREAMS_SERVICE,
        _ => "dynamodb",
    }
}

/// The region of the credential scope (`Credential=AKID/DATE/REGION/...`), from
/// the `Authorization` header or the `X-Amz-Credential` query parameter.
/// Works whether or not credentials are configured, and never verifies.
pub fn request_region(parts: &http::request::Parts) -> Option<String> {
    let credential = credential_of(parts)?;
    let region = credential.split('/').nth(2)?;
    (!region.is_empty()).then(|| region.to_owned())
}

fn credential_of(parts: &http::request::Parts) -> Option<String> {
    if let Some(auth) = header_str(parts, "authorization") {
        return auth_params(auth)
            .into_iter()
            .find(|(k, _)| k == "Credential")
            .map(|(_, v)| v);
    }
    let query = parts.uri.query()?;
    parse_query(query)
        .into_iter()
        .find(|(k, _)| k == "X-Amz-Credential")
        .map(|(_, v)| v)
}

fn header_str<'a>(parts: &'a http::request::Parts, name: &str) -> Option<&'a str> {
    parts.headers.get(name).and_then(|v| v.to_str().ok())
}

/// `Credential=a/b, SignedHeaders=x;y, Signature=z` into pairs, the way
/// DynamoDB reads it (spaces ignored, split on commas, then on `=`).
fn auth_params(auth: &str) -> Vec<(String, String)> {
    let rest: String = auth.trim().split(' ').skip(1).collect();
    rest.split(',')
        .filter_map(|p| {
            let p = p.trim();
            let (k, v) = p.split_once('=')?;
            Some((k.to_owned(), v.to_owned()))
        })
        .collect()
}

/// `t` as `YYYYMMDDTHHMMSSZ`: written directly for four-digit years (every
/// request signs one; chrono's `strftime` parses its pattern each time),
/// by chrono otherwise (its signed form of other years).
fn format_basic(t: DateTime<Utc>) -> String {
    use chrono::{Datelike as _, Timelike as _};
    if !(0..=9999).contains(&t.year()) {
        return t.format(BASIC_FORMAT).to_string();
    }
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

fn parse_date(raw: &str, is_amz_date: bool) -> Result<DateTime<Utc>, AuthError> {
    if let Ok(t) = NaiveDateTime::parse_from_str(raw, BASIC_FORMAT) {
        return Ok(t.and_utc());
    }
    if !is_amz_date && let Ok(t) = DateTime::parse_from_rfc2822(raw) {
        return Ok(t.with_timezone(&Utc));
    }
    Err(AuthError::IncompleteSignature(format!(
        "Date must be in ISO-8601 'basic format'. Got '{raw}'. See http://en.wikipedia.org/wiki/ISO_8601"
    )))
}

fn header_claim(parts: &http::request::Parts, auth: &str) -> Result<Claim, AuthError> {
    let algorithm = auth.trim().split(' ').next().unwrap_or_default().to_owned();
    let params = auth_params(auth);
    let get = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .filter(|v| !v.is_empty() || name == "SignedHeaders")
    };
    let amz_date = header_str(parts, "x-amz-date").map(|d| (d, true));
    let date = amz_date.or_else(|| header_str(parts, "date").map(|d| (d, false)));

    let mut msg = String::new();
    for name in ["Credential", "Signature", "SignedHeaders"] {
        if get(name).is_none() {
            msg.push_str(&format!(
                "Authorization header requires '{name}' parameter. "
            ));
        }
    }
    if date.is_none() {
        msg.push_str(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ",
        );
    }
    let (Some(credential), Some(signature), Some(signed_headers), Some((raw_date, is_amz))) = (
        get("Credential"),
        get("Signature"),
        get("SignedHeaders"),
        date,
    ) else {
        return Err(AuthError::IncompleteSignature(format!(
            "{msg}Authorization={auth}"
        )));
    };
    Ok(Claim {
        algorithm,
        credential,
        signed_headers,
        signature,
        date: parse_date(raw_date, is_amz)?,
        expires: None,
    })
}

fn query_claim(pairs: &[(String, String)]) -> Result<Claim, AuthError> {
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let mut msg = String::new();
    for name in [
        "X-Amz-Algorithm",
        "X-Amz-Credential",
        "X-Amz-Signature",
        "X-Amz-SignedHeaders",
        "X-Amz-Date",
    ] {
        if get(name).is_none() {
            msg.push_str(&format!(
                "AWS query-string parameters must include '{name}'. "
            ));
        }
    }
    let (Some(algorithm), Some(credential), Some(signature), Some(signed_headers), Some(date)) = (
        get("X-Amz-Algorithm"),
        get("X-Amz-Credential"),
        get("X-Amz-Signature"),
        get("X-Amz-SignedHeaders"),
        get("X-Amz-Date"),
    ) else {
        return Err(AuthError::IncompleteSignature(format!(
            "{msg}Re-examine the query-string parameters."
        )));
    };
    let expires = match get("X-Amz-Expires") {
        None => None,
        Some(e) => Some(parse_expires(&e)?),
    };
    Ok(Claim {
        algorithm,
        credential,
        signed_headers,
        signature,
        date: parse_date(&date, true)?,
        expires,
    })
}

/// `X-Amz-Expires`: whole seconds from 0 to [`MAX_EXPIRES_SECS`]. A number too
/// large for any integer type is "more than a week" too, never an overflow.
fn parse_expires(raw: &str) -> Result<i64, AuthError> {
    let all_digits = !raw.is_empty() && raw.bytes().all(|b| b.is_ascii_digit());
    if !all_digits {
        return Err(AuthError::IncompleteSignature(format!(
            "X-Amz-Expires must be a non-negative integer, got '{raw}'. Re-examine the query-string parameters."
        )));
    }
    match raw.parse::<i64>() {
        Ok(secs) if secs <= MAX_EXPIRES_SECS => Ok(secs),
        _ => Err(AuthError::IncompleteSignature(
            crate::EXPIRES_TOO_LONG_MESSAGE.to_owned(),
        )),
    }
}

fn check_time(claim: &Claim, now: DateTime<Utc>) -> Result<(), AuthError> {
    let date = || format_basic(claim.date);
    // Every bound is computed with checked arithmetic: a date at the edge of
    // chrono's range must be refused, never overflow.
    let earliest = now.checked_sub_signed(MAX_SKEW).unwrap_or(now);
    let latest = now.checked_add_signed(MAX_SKEW).unwrap_or(now);
    let expired = match claim.expires {
        Some(secs) => TimeDelta::try_seconds(secs)
            .and_then(|d| claim.date.checked_add_signed(d))
            .is_none_or(|end| end < now),
        None => claim.date < earliest,
    };
    if expired {
        return Err(AuthError::InvalidSignature(format!(
            "Signature expired: {} is now earlier than {} ({} - 15 min.)",
            date(),
            format_basic(earliest),
            format_basic(now)
        )));
    }
    if claim.date > latest {
        return Err(AuthError::InvalidSignature(format!(
            "Signature not yet current: {} is still later than {} ({} + 15 min.)",
            date(),
            format_basic(latest),
            format_basic(now)
        )));
    }
    Ok(())
}

/// Checks the credential scope; returns `[key, date, region, service, term]`.
fn check_scope<'a>(
    claim: &'a Claim,
    service: &str,
    presigned: bool,
) -> Result<[&'a str; 5], AuthError> {
    let signed: Vec<&str> = claim.signed_headers.split(';').collect();
    if !signed.iter().any(|h| h.eq_ignore_ascii_case("host")) {
        let place = if presigned {
            "AWS query-string parameters"
        } else {
            "AWS Authorization"
        };
        return Err(AuthError::InvalidSignature(format!(
            "'Host' must be a 'SignedHeader' in the {place}."
        )));
    }
    if claim.algorithm != ALGORITHM {
        return Err(AuthError::IncompleteSignature(format!(
            "Unsupported AWS 'algorithm': '{}' (only AWS4-HMAC-SHA256 for now). ",
            claim.algorithm
        )));
    }
    let pieces: Vec<&str> = claim.credential.trim_end_matches('/').split('/').collect();
    let [key, date, region, svc, term] = pieces[..] else {
        return Err(AuthError::IncompleteSignature(format!(
            "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '{}'",
            claim.credential
        )));
    };
    let mut problems = Vec::new();
    if region.is_empty() {
        problems.push(format!(
            "Credential should be scoped to a valid region, not '{region}'."
        ));
    }
    let (accepted, named) = match service {
        STREAMS_SERVICE => (svc == service || svc == "dynamodb", "dynamodb"),
        _ => (svc == service, service),
    };
    if !accepted {
        problems.push(format!(
            "Credential should be scoped to correct service: '{named}'."
        ));
    }
    if term != "aws4_request" {
        problems.push(format!(
            "Credential should be scoped with a valid terminator: 'aws4_request', not '{term}'."
        ));
    }
    let basic = format_basic(claim.date);
    let day = basic
        .get(..basic.len().saturating_sub(8))
        .unwrap_or_default();
    if date != day {
        problems.push(format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{date}' != '{day}', from '{basic}'."
        ));
    }
    if !problems.is_empty() {
        return Err(AuthError::InvalidSignature(problems.join(" ")));
    }
    Ok([key, date, region, svc, term])
}

fn canonical_request(
    parts: &http::request::Parts,
    query: &[(String, String)],
    signed_headers: &str,
    payload_hash: &str,
) -> String {
    let mut out = String::with_capacity(256);
    out.push_str(parts.method.as_str());
    out.push('\n');
    out.push_str(&canonical_path(parts.uri.path()));
    out.push('\n');
    out.push_str(&canonical_query(query));
    out.push('\n');
    for name in signed_headers.split(';') {
        let name = name.to_ascii_lowercase();
        let mut values: Vec<String> = parts
            .headers
            .get_all(name.as_str())
            .iter()
            .map(|v| trim_header_value(&String::from_utf8_lossy(v.as_bytes())))
            .collect();
        if values.is_empty()
            && name == "host"
            && let Some(authority) = parts.uri.authority()
        {
            values.push(authority.as_str().to_owned());
        }
        out.push_str(&name);
        out.push(':');
        out.push_str(&values.join(","));
        out.push('\n');
    }
    out.push('\n');
    out.push_str(&signed_headers.to_ascii_lowercase());
    out.push('\n');
    out.push_str(payload_hash);
    out
}

/// The payload hash of a JSON-protocol request: always the SHA-256 of the
/// body received. `x-amz-content-sha256` is S3's header; a hex digest sent
/// anyway must be the body's, and any other value (`UNSIGNED-PAYLOAD`,
/// `STREAMING-…`) is not honoured: the signature then covers the real body,
/// so a signed request cannot be replayed with another body.
fn payload_hash(parts: &http::request::Parts, body: &[u8]) -> Result<String, AuthError> {
    let actual = sha256_hex(body);
    match header_str(parts, "x-amz-content-sha256") {
        Some(claimed)
            if claimed.len() == 64
                && claimed.bytes().all(|b| b.is_ascii_hexdigit())
                && !claimed.eq_ignore_ascii_case(&actual) =>
        {
            Err(AuthError::InvalidSignature(
                "The provided 'x-amz-content-sha256' header does not match what was computed."
                    .to_owned(),
            ))
        }
        _ => Ok(actual),
    }
}

/// Unverified principal of a request (open mode): whatever the scope says.
fn unverified_principal(parts: &http::request::Parts) -> Option<Principal> {
    let credential = credential_of(parts)?;
    let mut it = credential.split('/');
    let access_key = it.next()?.to_owned();
    let region = it.nth(1).unwrap_or_default().to_owned();
    Some(Principal { access_key, region })
}

/// What the checks before the body established: the claim, its scope and
/// the signer's secret.
struct Head<'c> {
    claim: Claim,
    query: Vec<(String, String)>,
    /// `[access key, date, region, service, terminator]`.
    scope: [String; 5],
    secret: &'c str,
}

/// Every check that needs no body, in DynamoDB's order: the signature's
/// presence and shape, its time, its scope, a known access key.
fn head<'c>(
    creds: &'c Credentials,
    parts: &http::request::Parts,
    now: DateTime<Utc>,
    service: &str,
) -> Result<Head<'c>, AuthError> {
    let query = parts.uri.query().map(parse_query).unwrap_or_default();
    let (claim, presigned) = match header_str(parts, "authorization") {
        Some(auth) if auth.trim_start().starts_with("AWS4-") => (header_claim(parts, auth)?, false),
        Some(_) => return Err(AuthError::MissingAuthenticationToken),
        None if query.iter().any(|(k, _)| k == "X-Amz-Signature") => (query_claim(&query)?, true),
        None => return Err(AuthError::MissingAuthenticationToken),
    };
    check_time(&claim, now)?;
    let scope = check_scope(&claim, service, presigned)?.map(str::to_owned);
    let Some(secret) = creds.secret(&scope[0]) else {
        return Err(AuthError::UnrecognizedClient);
    };
    Ok(Head {
        claim,
        query,
        scope,
        secret,
    })
}

/// The checks of [`head`] alone, made before a body is read.
pub(crate) fn precheck(
    creds: &Credentials,
    parts: &http::request::Parts,
    now: SystemTime,
    service: &str,
) -> Result<(), AuthError> {
    if creds.is_open() {
        return Ok(());
    }
    head(creds, parts, now.into(), service).map(|_| ())
}

pub(crate) fn verify(
    creds: &Credentials,
    parts: &http::request::Parts,
    body: &[u8],
    now: SystemTime,
    service: &str,
) -> Result<Option<Principal>, AuthError> {
    if creds.is_open() {
        return Ok(unverified_principal(parts));
    }
    let Head {
        claim,
        query,
        scope,
        secret,
    } = head(creds, parts, now.into(), service)?;
    let [access_key, date, region, svc, term] = &scope;
    let hash = payload_hash(parts, body)?;
    let creq = canonical_request(parts, &query, &claim.signed_headers, &hash);
    let sts = string_to_sign(
        &format_basic(claim.date),
        &format!("{date}/{region}/{svc}/{term}"),
        &creq,
    );
    let expected = signature(&cached_signing_key(secret, date, region, svc), &sts);
    let given = claim.signature.to_ascii_lowercase();
    if !bool::from(expected.as_bytes().ct_eq(given.as_bytes())) {
        return Err(AuthError::InvalidSignature(
            SIGNATURE_MISMATCH_MESSAGE.to_owned(),
        ));
    }
    Ok(Some(Principal {
        access_key: access_key.clone(),
        region: region.clone(),
    }))
}

#[cfg(test)]
mod format_tests {
    use super::*;

    #[test]
    fn the_basic_date_is_what_strftime_writes() {
        let mut t = 0i64;
        // From 1970 to past 9999 and back before year 0, in uneven steps.
        while t < 10_000_000_000_000 {
            for secs in [t, -t] {
                let Some(d) = DateTime::<Utc>::from_timestamp(secs, 0) else {
                    continue;
                };
                assert_eq!(
                    format_basic(d),
                    d.format(BASIC_FORMAT).to_string(),
                    "{secs}"
                );
            }
            t = t * 21 / 20 + 86_399;
        }
    }
}
