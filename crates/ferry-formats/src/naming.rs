//! Names and object keys of an export's files.
//!
//! Layout (real AWS):
//! ```text
//! <prefix>/AWSDynamoDB/<export-id>/_started
//! <prefix>/AWSDynamoDB/<export-id>/manifest-summary.json   (+ .md5)
//! <prefix>/AWSDynamoDB/<export-id>/manifest-files.json     (+ .md5)
//! <prefix>/AWSDynamoDB/<export-id>/data/<name>.json.gz      full exports
//! <prefix>/AWSDynamoDB/data/<name>.json.gz                  incremental exports (shared folder)
//! ```
//! Data file names are 26 random characters. aws-facts says "26 base32
//! characters", but AWS's own example (`sgad6417s6vss4p7owp0471bcq`) holds
//! `0`, `1`, `6` and `4`, which RFC 4648 base32 lacks: we draw from lowercase
//! `a-z0-9`, which covers both.

use rand::Rng;
use serde::{Deserialize, Serialize};

/// Length of a data file's random name.
pub const DATA_FILE_NAME_LEN: usize = 26;

const NAME_ALPHABET: &[u8; 36] = b"abcdefghijklmnopqrstuvwxyz0123456789";

/// An export's `ExportFormat` (`outputFormat` in the summary manifest).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ExportFormat {
    #[serde(rename = "DYNAMODB_JSON")]
    DynamoDbJson,
    #[serde(rename = "ION")]
    Ion,
}

impl ExportFormat {
    /// The API / manifest spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ExportFormat::DynamoDbJson => "DYNAMODB_JSON",
            ExportFormat::Ion => "ION",
        }
    }

    /// The data file suffix: `.json.gz` or `.ion.gz`.
    pub fn data_file_suffix(self) -> &'static str {
        match self {
            ExportFormat::DynamoDbJson => ".json.gz",
            ExportFormat::Ion => ".ion.gz",
        }
    }
}

/// A fresh data file name: 26 random `[a-z0-9]` characters and the suffix.
pub fn data_file_name(format: ExportFormat) -> String {
    let mut rng = rand::rng();
    let mut name = String::with_capacity(DATA_FILE_NAME_LEN + 8);
    for _ in 0..DATA_FILE_NAME_LEN {
        name.push(NAME_ALPHABET[rng.random_range(0..NAME_ALPHABET.len())] as char);
    }
    name.push_str(format.data_file_suffix());
    name
}

/// The object keys of one export under a bucket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportKeys {
    /// `<prefix>/AWSDynamoDB` (or `AWSDynamoDB` without a prefix).
    root: String,
    export_id: String,
}

impl ExportKeys {
    /// `prefix` is the request's `S3Prefix` (a trailing `/` is not doubled;
    /// `None` or empty means the bucket root).
    pub fn new(prefix: Option<&str>, export_id: &str) -> Self {
        let root = match prefix {
            None | Some("") => "AWSDynamoDB".to_owned(),
            Some(p) if p.ends_with('/') => format!("{p}AWSDynamoDB"),
            Some(p) => format!("{p}/AWSDynamoDB"),
        };
        ExportKeys {
            root,
            export_id: export_id.to_owned(),
        }
    }

    /// `<root>/<export-id>`: the folder of the manifests.
    pub fn export_dir(&self) -> String {
        format!("{}/{}", self.root, self.export_id)
    }

    pub fn started(&self) -> String {
        format!("{}/_started", self.export_dir())
    }

    pub fn manifest_summary(&self) -> String {
        format!("{}/manifest-summary.json", self.export_dir())
    }

    pub fn manifest_summary_md5(&self) -> String {
        format!("{}/manifest-summary.md5", self.export_dir())
    }

    pub fn manifest_files(&self) -> String {
        format!("{}/manifest-files.json", self.export_dir())
    }

    pub fn manifest_files_md5(&self) -> String {
        format!("{}/manifest-files.md5", self.export_dir())
    }

    /// A full export's data file: `<root>/<export-id>/data/<name>`.
    pub fn full_data_file(&self, name: &str) -> String {
        format!("{}/data/{name}", self.export_dir())
    }

    /// An incremental export's data file, in the shared `<root>/data/` folder.
    pub fn incremental_data_file(&self, name: &str) -> String {
        format!("{}/data/{name}", self.root)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_file_names_are_26_lowercase_alphanumerics_and_the_suffix() {
        let json = data_file_name(ExportFormat::DynamoDbJson);
        let ion = data_file_name(ExportFormat::Ion);
        for (name, suffix) in [(&json, ".json.gz"), (&ion, ".ion.gz")] {
            let stem = name.strip_suffix(suffix).unwrap();
            assert_eq!(stem.len(), 26, "{name}");
            assert!(
                stem.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()),
                "{name}"
            );
        }
        assert_ne!(json, data_file_name(ExportFormat::DynamoDbJson));
    }

    #[test]
    fn keys_with_and_without_prefix() {
        let k = ExportKeys::new(None, "01693685827463-2d8752fd");
        assert_eq!(
            k.manifest_files(),
            "AWSDynamoDB/01693685827463-2d8752fd/manifest-files.json"
        );
        assert_eq!(k.started(), "AWSDynamoDB/01693685827463-2d8752fd/_started");
        assert_eq!(
            k.full_data_file("asdl123dasas.json.gz"),
            "AWSDynamoDB/01693685827463-2d8752fd/data/asdl123dasas.json.gz"
        );
        assert_eq!(
            k.incremental_data_file("sgad6417s6vss4p7owp0471bcq.json.gz"),
            "AWSDynamoDB/data/sgad6417s6vss4p7owp0471bcq.json.gz"
        );
        let p = ExportKeys::new(Some("dira/dirb/dirc"), "X");
        assert_eq!(
            p.manifest_summary(),
            "dira/dirb/dirc/AWSDynamoDB/X/manifest-summary.json"
        );
        assert_eq!(
            p.manifest_summary_md5(),
            "dira/dirb/dirc/AWSDynamoDB/X/manifest-summary.md5"
        );
        assert_eq!(
            p.manifest_files_md5(),
            "dira/dirb/dirc/AWSDynamoDB/X/manifest-files.md5"
        );
        let slash = ExportKeys::new(Some("2020-Nov/"), "X");
        assert_eq!(slash.export_dir(), "2020-Nov/AWSDynamoDB/X");
        assert_eq!(ExportKeys::new(Some(""), "X").export_dir(), "AWSDynamoDB/X");
    }

    #[test]
    fn format_spellings() {
        assert_eq!(ExportFormat::DynamoDbJson.as_str(), "DYNAMODB_JSON");
        assert_eq!(ExportFormat::Ion.as_str(), "ION");
        assert_eq!(
            serde_json::to_string(&ExportFormat::Ion).unwrap(),
            "\"ION\""
        );
    }
}
