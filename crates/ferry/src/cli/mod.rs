//! The data subcommands: `ferry import`, `ferry check`, `ferry export` and
//! `ferry completions`. They drive the same job code as ImportTable and
//! ExportTableToPointInTime (`ferry-jobs`), with local folders served by
//! `ferry_objects::LocalDirClient`:
//!
//! - [`source`]: what SOURCE / DEST name (a local path or `s3://bucket/prefix`),
//!   AWS export folders (manifest, MD5 check) and the format guess;
//! - [`table`]: `--table-definition` / `--key` → `TableCreationParameters`;
//! - [`offline`]: a data directory opened in this process (refused while a
//!   server holds it); [`online`]: a running server through its APIs;
//! - [`import`], [`check`], [`export`]: the subcommands;
//! - [`progress`]: the progress bar, plain lines, `--quiet` and `--json`.
//!
//! Exit codes: 0 when the job COMPLETED, 1 when it FAILED (or the source
//! was refused), 2 for usage errors.

pub mod check;
pub mod export;
pub mod import;
pub mod offline;
pub mod online;
pub mod progress;
pub mod source;
pub mod table;

use std::path::PathBuf;

use clap::{Args, ValueEnum};

/// A subcommand's outcome when it did not complete.
#[derive(Debug)]
pub enum CliError {
    /// Bad flags or arguments (exit code 2).
    Usage(String),
    /// The job or the source failed (exit code 1).
    Failed(String),
}

impl CliError {
    pub fn usage(m: impl Into<String>) -> Self {
        CliError::Usage(m.into())
    }

    pub fn failed(m: impl Into<String>) -> Self {
        CliError::Failed(m.into())
    }
}

/// Exit code 1: the job FAILED.
pub const EXIT_FAILED: u8 = 1;
/// Exit code 2: a usage error.
pub const EXIT_USAGE: u8 = 2;

/// Print a subcommand's error and turn its outcome into an exit code.
pub fn exit_code(result: Result<u8, CliError>) -> std::process::ExitCode {
    let code = match result {
        Ok(code) => code,
        Err(CliError::Usage(m)) => {
            eprintln!("error: {m}");
            EXIT_USAGE
        }
        Err(CliError::Failed(m)) => {
            eprintln!("error: {m}");
            EXIT_FAILED
        }
    };
    std::process::ExitCode::from(code)
}

/// `--input-format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FormatArg {
    DynamodbJson,
    Ion,
    Csv,
}

impl FormatArg {
    pub fn format(self) -> ferry_jobs::import::InputFormat {
        use ferry_jobs::import::InputFormat;
        match self {
            FormatArg::DynamodbJson => InputFormat::DynamoDbJson,
            FormatArg::Ion => InputFormat::Ion,
            FormatArg::Csv => InputFormat::Csv,
        }
    }
}

/// `--input-compression`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CompressionArg {
    Gzip,
    Zstd,
    None,
}

impl CompressionArg {
    pub fn compression(self) -> ferry_jobs::import::Compression {
        use ferry_jobs::import::Compression;
        match self {
            CompressionArg::Gzip => Compression::Gzip,
            CompressionArg::Zstd => Compression::Zstd,
            CompressionArg::None => Compression::None,
        }
    }
}

/// How the source is read (ImportTable's InputFormat, InputCompressionType
/// and InputFormatOptions). Guessed when absent.
#[derive(Args, Debug, Clone)]
pub struct FormatArgs {
    /// DYNAMODB_JSON, ION or CSV (default: the AWS export's manifest, else
    /// guessed from the file names).
    #[arg(long, value_enum)]
    pub input_format: Option<FormatArg>,
    /// GZIP, ZSTD or NONE (default: from the manifest or the file names).
    #[arg(long, value_enum)]
    pub input_compression: Option<CompressionArg>,
    /// CSV delimiter: one of `,` `;` `:` `|` tab or space.
    #[arg(long)]
    pub csv_delimiter: Option<char>,
    /// CSV column names (comma-separated); default: the first line of each file.
    #[arg(long, value_delimiter = ',')]
    pub csv_header: Option<Vec<String>>,
}

/// The table to create (or to check items against).
#[derive(Args, Debug, Clone)]
pub struct TableArgs {
    /// `aws dynamodb describe-table` output (the whole response or its
    /// `Table` object): keys, attribute definitions, GSIs, billing.
    #[arg(long, conflicts_with = "key")]
    pub table_definition: Option<PathBuf>,
    /// A key attribute as NAME:TYPE (S, N or B); the first is the partition
    /// key, a second one the sort key.
    #[arg(long, value_name = "NAME:TYPE")]
    pub key: Vec<String>,
}

/// Where the data lives: a data directory opened here, or a running server.
#[derive(Args, Debug, Clone)]
#[group(required = true, multiple = false)]
pub struct TargetArgs {
    /// Work offline on this data directory (no server may hold it).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Work through a running Ferry server (e.g. http://127.0.0.1:8000).
    #[arg(long)]
    pub endpoint_url: Option<String>,
}

/// Output options.
#[derive(Args, Debug, Clone, Copy)]
pub struct OutputArgs {
    /// Print one JSON object with the final status and counters (as
    /// DescribeImport / DescribeExport name them) on stdout.
    #[arg(long)]
    pub json: bool,
    /// No progress output.
    #[arg(long, short)]
    pub quiet: bool,
}

/// `ferry completions SHELL`.
#[derive(Args, Debug)]
pub struct CompletionsArgs {
    /// The shell to print a completion script for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Print the completion script of `cmd` for a shell.
pub fn completions(args: &CompletionsArgs, mut cmd: clap::Command) -> std::process::ExitCode {
    let name = cmd.get_name().to_string();
    clap_complete::generate(args.shell, &mut cmd, name, &mut std::io::stdout());
    std::process::ExitCode::SUCCESS
}
