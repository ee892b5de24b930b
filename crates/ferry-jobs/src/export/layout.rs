//! Where an export's objects go, exactly as AWS lays them out:
//!
//! ```text
//! <S3Prefix>/AWSDynamoDB/<exportId>/_started                 (written first)
//! <S3Prefix>/AWSDynamoDB/<exportId>/data/<26 chars>.json.gz  (full export data)
//! <S3Prefix>/AWSDynamoDB/data/<26 chars>.json.gz             (incremental export data, shared)
//! <S3Prefix>/AWSDynamoDB/<exportId>/manifest-files.json
//! <S3Prefix>/AWSDynamoDB/<exportId>/manifest-files.md5
//! <S3Prefix>/AWSDynamoDB/<exportId>/manifest-summary.json
//! <S3Prefix>/AWSDynamoDB/<exportId>/manifest-summary.md5
//! ```
//!
//! The prefix is used verbatim and joined with `/` unless it already ends
//! with one (`foo/` gives `foo/AWSDynamoDB/...`, as AWS does); no prefix
//! gives keys starting at `AWSDynamoDB/`.

use rand::Rng;

use super::spec::{ExportFormat, ExportType};

/// The object keys of one export.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    /// `<prefix>/AWSDynamoDB`
    root: String,
    /// `<root>/<exportId>`
    dir: String,
    kind: ExportType,
    format: ExportFormat,
}

impl Layout {
    pub fn new(
        prefix: Option<&str>,
        export_id: &str,
        kind: ExportType,
        format: ExportFormat,
    ) -> Layout {
        let root = match prefix {
            None | Some("") => "AWSDynamoDB".to_string(),
            Some(p) if p.ends_with('/') => format!("{p}AWSDynamoDB"),
            Some(p) => format!("{p}/AWSDynamoDB"),
        };
        let dir = format!("{root}/{export_id}");
        Layout {
            root,
            dir,
            kind,
            format,
        }
    }

    pub fn started(&self) -> String {
        format!("{}/_started", self.dir)
    }

    pub fn manifest_files(&self) -> String {
        format!("{}/manifest-files.json", self.dir)
    }

    pub fn manifest_files_md5(&self) -> String {
        format!("{}/manifest-files.md5", self.dir)
    }

    pub fn manifest_summary(&self) -> String {
        format!("{}/manifest-summary.json", self.dir)
    }

    pub fn manifest_summary_md5(&self) -> String {
        format!("{}/manifest-summary.md5", self.dir)
    }

    /// The key of a data file named `name` (without extension).
    pub fn data_file(&self, name: &str) -> String {
        let ext = self.format.extension();
        match self.kind {
            ExportType::Full => format!("{}/data/{name}{ext}", self.dir),
            ExportType::Incremental => format!("{}/data/{name}{ext}", self.root),
        }
    }

    /// A key for a new data file with a fresh random name.
    pub fn new_data_file(&self) -> String {
        self.data_file(&data_file_name())
    }
}

/// A data file name as AWS makes them: 26 random characters from
/// `[a-z0-9]` (AWS's examples, e.g. `sgad6417s6vss4p7owp0471bcq`).
pub fn data_file_name() -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..26)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "01693685827463-2d8752fd";

    #[test]
    fn full_export_keys() {
        let l = Layout::new(
            Some("2020-Nov"),
            ID,
            ExportType::Full,
            ExportFormat::DynamoDbJson,
        );
        assert_eq!(
            l.started(),
            "2020-Nov/AWSDynamoDB/01693685827463-2d8752fd/_started"
        );
        assert_eq!(
            l.manifest_files(),
            "2020-Nov/AWSDynamoDB/01693685827463-2d8752fd/manifest-files.json"
        );
        assert_eq!(
            l.manifest_files_md5(),
            "2020-Nov/AWSDynamoDB/01693685827463-2d8752fd/manifest-files.md5"
        );
        assert_eq!(
            l.manifest_summary(),
            "2020-Nov/AWSDynamoDB/01693685827463-2d8752fd/manifest-summary.json"
        );
        assert_eq!(
            l.manifest_summary_md5(),
            "2020-Nov/AWSDynamoDB/01693685827463-2d8752fd/manifest-summary.md5"
        );
        assert_eq!(
            l.data_file("abc"),
            "2020-Nov/AWSDynamoDB/01693685827463-2d8752fd/data/abc.json.gz"
        );
    }

    #[test]
    fn incremental_data_goes_to_the_shared_folder() {
        let l = Layout::new(Some("p/q/"), ID, ExportType::Incremental, ExportFormat::Ion);
        assert_eq!(l.data_file("abc"), "p/q/AWSDynamoDB/data/abc.ion.gz");
        assert_eq!(
            l.started(),
            "p/q/AWSDynamoDB/01693685827463-2d8752fd/_started"
        );
    }

    #[test]
    fn no_prefix() {
        let l = Layout::new(None, ID, ExportType::Full, ExportFormat::Ion);
        assert_eq!(
            l.data_file("x"),
            "AWSDynamoDB/01693685827463-2d8752fd/data/x.ion.gz"
        );
    }

    #[test]
    fn names_have_aws_shape() {
        let n = data_file_name();
        assert_eq!(n.len(), 26);
        assert!(
            n.bytes()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()),
            "{n}"
        );
        assert_ne!(data_file_name(), n);
    }
}
