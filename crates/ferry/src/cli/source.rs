//! What SOURCE and DEST name, and how an import source is read.
//!
//! A local path is served by `LocalDirClient` (a folder is the bucket, a file
//! is the one key under its folder); `s3://bucket/prefix` by the external S3
//! client configured from the usual `AWS_*` environment variables
//! (`AWS_ENDPOINT_URL`, `AWS_REGION`, `AWS_ACCESS_KEY_ID`, ...).
//!
//! An AWS export folder (one holding `manifest-summary.json`, or its `data/`
//! folder) is read as its manifest says (format, GZIP), after checking every
//! data file's MD5 against `manifest-files.json`. Otherwise the format and
//! compression are guessed from the file names.

use std::path::Path;
use std::sync::Arc;

use ferry_formats::manifest::{ExportFormat, ExportType, ManifestSummary, parse_manifest_files};
use ferry_jobs::import::{Compression, InputFormat, MAX_OBJECTS};
use ferry_objects::{ExternalClient, ExternalS3Config, LocalDirClient, ObjectClient, ObjectError};
use futures::StreamExt as _;
use md5::Digest as _;

use super::{CliError, FormatArgs};

/// The bucket name a local folder is mounted under in this process.
pub const LOCAL_BUCKET: &str = "ferry-cli-local";

/// A bucket and prefix, and the client that reaches them.
#[derive(Debug, Clone)]
pub struct Location {
    pub client: Arc<dyn ObjectClient>,
    pub bucket: String,
    /// A raw key prefix (empty = everything).
    pub prefix: String,
}

/// An external S3 endpoint configured from the environment.
pub fn external_config() -> ExternalS3Config {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    ExternalS3Config {
        endpoint: env("AWS_ENDPOINT_URL_S3").or_else(|| env("AWS_ENDPOINT_URL")),
        region: env("AWS_REGION").or_else(|| env("AWS_DEFAULT_REGION")),
        access_key: env("AWS_ACCESS_KEY_ID"),
        secret_key: env("AWS_SECRET_ACCESS_KEY"),
        session_token: env("AWS_SESSION_TOKEN"),
        virtual_hosted: false,
    }
}

/// `s3://bucket/prefix` → (bucket, prefix).
pub fn parse_s3_url(spec: &str) -> Option<(String, String)> {
    let rest = spec.strip_prefix("s3://")?;
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    (!bucket.is_empty()).then(|| (bucket.to_owned(), prefix.to_owned()))
}

fn local(root: &Path, prefix: String) -> Location {
    Location {
        client: Arc::new(LocalDirClient::new(root)),
        bucket: LOCAL_BUCKET.to_owned(),
        prefix,
    }
}

/// Where an import reads from.
pub fn locate_source(spec: &str) -> Result<Location, CliError> {
    if let Some((bucket, prefix)) = parse_s3_url(spec) {
        return Ok(Location {
            client: Arc::new(ExternalClient::new(external_config())),
            bucket,
            prefix,
        });
    }
    let path = Path::new(spec);
    let meta = std::fs::metadata(path)
        .map_err(|e| CliError::usage(format!("cannot read SOURCE {spec}: {e}")))?;
    if meta.is_file() {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
        return Ok(local(
            parent.unwrap_or(Path::new(".")),
            name.unwrap_or_default(),
        ));
    }
    // The `data/` folder of an AWS export: serve the export folder.
    if path.file_name().is_some_and(|n| n == "data")
        && let Some(parent) = path.parent()
        && parent.join("manifest-summary.json").is_file()
    {
        return Ok(local(parent, "data/".into()));
    }
    Ok(local(path, String::new()))
}

/// Where an export writes to: a local folder (created if missing) or an S3 URL.
pub fn locate_dest(spec: &str) -> Result<Location, CliError> {
    if parse_s3_url(spec).is_some() {
        return locate_source(spec);
    }
    let path = Path::new(spec);
    std::fs::create_dir_all(path)
        .map_err(|e| CliError::usage(format!("cannot create DEST {spec}: {e}")))?;
    Ok(local(path, String::new()))
}

/// An import source, resolved.
#[derive(Debug)]
pub struct Resolved {
    pub location: Location,
    pub format: InputFormat,
    pub compression: Compression,
    /// Sum of the objects' sizes (as stored, maybe compressed).
    pub total_bytes: u64,
}

fn object_error(what: &str, e: &ObjectError) -> CliError {
    CliError::failed(format!("{what}: {}: {}", e.code(), e.s3_message()))
}

/// The folder of the AWS export at or above `prefix`, with its summary.
async fn find_export(loc: &Location) -> Result<Option<(String, ManifestSummary)>, CliError> {
    let dir = if loc.prefix.is_empty() || loc.prefix.ends_with('/') {
        loc.prefix.clone()
    } else {
        format!("{}/", loc.prefix)
    };
    let mut candidates = vec![dir.clone()];
    if let Some(parent) = dir.strip_suffix("data/") {
        candidates.push(parent.to_owned());
    }
    for dir in candidates {
        let key = format!("{dir}manifest-summary.json");
        match loc.client.get_bytes(&loc.bucket, &key).await {
            Ok(bytes) => {
                let summary: ManifestSummary = serde_json::from_slice(&bytes).map_err(|e| {
                    CliError::failed(format!("{key} is not an export manifest: {e}"))
                })?;
                return Ok(Some((dir, summary)));
            }
            Err(ObjectError::NoSuchKey { .. }) => {}
            Err(e) => return Err(object_error(&format!("reading {key}"), &e)),
        }
    }
    Ok(None)
}

/// Base64 MD5 of an object, streamed.
async fn object_md5(loc: &Location, key: &str) -> Result<String, ObjectError> {
    use base64::Engine as _;
    let mut got = loc.client.get(&loc.bucket, key, None).await?;
    let mut md5 = md5::Md5::new();
    while let Some(chunk) = got.body.next().await {
        md5.update(chunk?);
    }
    Ok(base64::engine::general_purpose::STANDARD.encode(md5.finalize()))
}

/// Check every data file of the export in `dir` against `manifest-files.json`.
async fn verify_export(loc: &Location, dir: &str, quiet: bool) -> Result<(), CliError> {
    let key = format!("{dir}manifest-files.json");
    let text = loc
        .client
        .get_bytes(&loc.bucket, &key)
        .await
        .map_err(|e| object_error(&format!("reading {key}"), &e))?;
    let entries = parse_manifest_files(&text)
        .map_err(|e| CliError::failed(format!("{key} is not an export file manifest: {e}")))?;
    if !quiet {
        eprintln!("verifying {} data files against {key}", entries.len());
    }
    for entry in entries {
        let name = entry
            .data_file_s3_key
            .rsplit('/')
            .next()
            .unwrap_or_default();
        let data_key = format!("{dir}data/{name}");
        let actual = match object_md5(loc, &data_key).await {
            Ok(m) => m,
            Err(ObjectError::NoSuchKey { .. }) => {
                return Err(CliError::failed(format!(
                    "the data file {data_key} listed in {key} is missing"
                )));
            }
            Err(e) => return Err(object_error(&format!("reading {data_key}"), &e)),
        };
        if actual != entry.md5_checksum {
            return Err(CliError::failed(format!(
                "the data file {data_key} does not match {key}: its MD5 is {actual}, the manifest says {}; the export is damaged or incomplete",
                entry.md5_checksum
            )));
        }
    }
    Ok(())
}

/// The format and compression a file name suggests.
fn guess(key: &str) -> Option<(InputFormat, Compression)> {
    let name = key.rsplit('/').next().unwrap_or(key).to_ascii_lowercase();
    let (stem, compression) = if let Some(s) = name.strip_suffix(".gz") {
        (s, Compression::Gzip)
    } else if let Some(s) = name.strip_suffix(".zst").or(name.strip_suffix(".zstd")) {
        (s, Compression::Zstd)
    } else {
        (name.as_str(), Compression::None)
    };
    let format = if stem.ends_with(".json") || stem.ends_with(".jsonl") {
        InputFormat::DynamoDbJson
    } else if stem.ends_with(".ion") {
        InputFormat::Ion
    } else if stem.ends_with(".csv") {
        InputFormat::Csv
    } else {
        return None;
    };
    Some((format, compression))
}

/// Resolve an import source: AWS export folder or plain files, format and
/// compression (flags win over the manifest and the guess).
pub async fn resolve(
    mut location: Location,
    flags: &FormatArgs,
    quiet: bool,
) -> Result<Resolved, CliError> {
    let mut from_manifest = None;
    if let Some((dir, summary)) = find_export(&location).await? {
        if summary.export_type == ExportType::Incremental {
            return Err(CliError::usage(
                "this is an incremental export: its files hold change records, which an import cannot read; import a full export",
            ));
        }
        verify_export(&location, &dir, quiet).await?;
        let format = match summary.output_format {
            ExportFormat::DynamoDbJson => InputFormat::DynamoDbJson,
            ExportFormat::Ion => InputFormat::Ion,
        };
        from_manifest = Some((format, Compression::Gzip));
        if !quiet {
            eprintln!("reading the AWS export {}", summary.export_arn);
        }
        location.prefix = format!("{dir}data/");
    }
    let objects = location
        .client
        .list_all(&location.bucket, &location.prefix, MAX_OBJECTS)
        .await
        .map_err(|e| object_error("listing SOURCE", &e))?;
    if objects.is_empty() {
        return Err(CliError::usage("SOURCE holds no files"));
    }
    let total_bytes = objects.iter().map(|o| o.size).sum();
    let guessed = match from_manifest {
        Some(g) => Some(g),
        None => {
            let mut kinds: Vec<_> = objects.iter().map(|o| guess(&o.key)).collect();
            kinds.dedup();
            match kinds.as_slice() {
                [Some(g)] => Some(*g),
                _ => None,
            }
        }
    };
    let (format, compression) = match (flags.input_format, flags.input_compression, guessed) {
        (Some(f), Some(c), _) => (f.format(), c.compression()),
        (Some(f), None, g) => (f.format(), g.map_or(Compression::None, |g| g.1)),
        (None, c, Some(g)) => (g.0, c.map_or(g.1, |c| c.compression())),
        (None, _, None) => {
            let names: Vec<_> = objects.iter().take(3).map(|o| o.key.as_str()).collect();
            return Err(CliError::usage(format!(
                "cannot tell the input format from the file names ({}{}); pass --input-format DYNAMODB_JSON|ION|CSV (and --input-compression GZIP|ZSTD|NONE)",
                names.join(", "),
                if objects.len() > 3 { ", ..." } else { "" }
            )));
        }
    };
    Ok(Resolved {
        location,
        format,
        compression,
        total_bytes,
    })
}

/// Copy one object between locations, streaming.
pub async fn copy_object(
    from: &Location,
    from_key: &str,
    to: &Location,
    to_key: &str,
) -> Result<(), CliError> {
    let fail = |e: ObjectError| object_error(&format!("copying {from_key}"), &e);
    let mut got = from
        .client
        .get(&from.bucket, from_key, None)
        .await
        .map_err(fail)?;
    let mut writer = to.client.put(&to.bucket, to_key).await.map_err(fail)?;
    while let Some(chunk) = got.body.next().await {
        match chunk {
            Ok(bytes) => writer.write(bytes).await.map_err(fail)?,
            Err(e) => {
                let _ = writer.abort().await;
                return Err(fail(e));
            }
        }
    }
    writer.finish().await.map_err(fail)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guesses_from_names() {
        use Compression as C;
        use InputFormat as F;
        assert_eq!(guess("a/b.json.gz"), Some((F::DynamoDbJson, C::Gzip)));
        assert_eq!(guess("x.ion.zst"), Some((F::Ion, C::Zstd)));
        assert_eq!(guess("x.CSV"), Some((F::Csv, C::None)));
        assert_eq!(guess("x.parquet"), None);
        assert_eq!(parse_s3_url("s3://b/p/q"), Some(("b".into(), "p/q".into())));
        assert_eq!(parse_s3_url("s3://"), None);
    }
}
