//! The `ferry` binary: `ferry serve` runs the DynamoDB-compatible server
//! (DynamoDB JSON API, CloudWatch Logs subset and S3 on one port);
//! `ferry import`, `ferry check`, `ferry export` and `ferry completions`
//! are the data commands of [`cli`].
//!
//! Every flag has a `FERRY_*` environment equivalent. Logging is quiet by
//! default (warnings and errors on stderr); `--log` or `RUST_LOG` take a
//! tracing filter such as `info` or `ferry_server=debug`. Once the port is
//! bound, one line `ferry listening on http://<addr>` goes to stdout (tests
//! and scripts read the address from it, e.g. with `--listen 127.0.0.1:0`).
//!
//! Exit status: 0 after a graceful shutdown (Ctrl-C, SIGTERM); 1 when the
//! server cannot start; [`EXIT_STORAGE_FAILED`] when the table engine stops
//! accepting writes (a full disk, "too many open files"): the process exits
//! at once, as a `kill -9` would, so that a supervisor restarts it and the
//! engine recovers on open.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Args, CommandFactory as _, Parser, Subcommand};

mod cli;

/// The exit status when the table engine refuses every further write
/// (`EX_IOERR` of sysexits.h).
const EXIT_STORAGE_FAILED: i32 = 74;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser, Debug)]
#[command(
    name = "ferry",
    version,
    about = "A DynamoDB-compatible database with S3 import and export"
)]
struct Cli {
    /// Log filter (tracing syntax: `info`, `ferry_server=debug`, ...); default `warn`.
    #[arg(long, env = "FERRY_LOG", global = true)]
    log: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the server: DynamoDB API, CloudWatch Logs subset and S3 on one port.
    Serve(ServeArgs),
    /// Import a local folder or file, an AWS export or s3://bucket/prefix into a new table.
    Import(cli::import::ImportArgs),
    /// Dry-run an import: read and validate SOURCE as an import would, create nothing.
    Check(cli::check::CheckArgs),
    /// Export a table to a local folder or s3://bucket/prefix in AWS's export layout.
    Export(cli::export::ExportArgs),
    /// Print a shell completion script (bash, zsh, fish, ...).
    Completions(cli::CompletionsArgs),
}

#[derive(Args, Debug)]
struct ServeArgs {
    /// Address to listen on (`127.0.0.1:0` picks a free port).
    #[arg(long, env = "FERRY_LISTEN", default_value = "127.0.0.1:8000")]
    listen: SocketAddr,
    /// Data directory (tables, history, jobs, the embedded S3 store).
    #[arg(long, env = "FERRY_DATA_DIR", default_value = "./ferry-data")]
    data_dir: PathBuf,
    /// Region used in ARNs when a request carries no SigV4 credential scope.
    #[arg(long, env = "FERRY_REGION", default_value = "us-east-1")]
    region: String,
    /// Account id used in ARNs.
    #[arg(long, env = "FERRY_ACCOUNT_ID", default_value = "000000000000")]
    account_id: String,
    /// Keep everything in a temporary directory removed at exit.
    #[arg(long, env = "FERRY_IN_MEMORY")]
    in_memory: bool,
    /// fsync every commit (survives power loss, not only a killed process).
    #[arg(long, env = "FERRY_SYNC")]
    sync: bool,
    /// Accepted credentials as `ACCESS_KEY_ID:SECRET` (repeat or comma-separate;
    /// a comma starts a new entry only before `ACCESS_KEY_ID:`, so a secret may
    /// hold commas); none = accept every request, signed or not.
    #[arg(
        long = "credentials",
        env = "FERRY_CREDENTIALS",
        hide_env_values = true
    )]
    credentials: Vec<String>,
    /// A file of accepted credentials: `ACCESS_KEY_ID:SECRET` lines or the AWS
    /// shared-credentials format (`aws_access_key_id = ...`).
    #[arg(long, env = "FERRY_CREDENTIALS_FILE")]
    credentials_file: Option<PathBuf>,
    /// An IAM file of accounts, users, access keys and identity policies
    /// (docs/iam.md): requests are signed with its users' keys and
    /// authorized with AWS's policy logic. Excludes `--credentials`.
    #[arg(long, env = "FERRY_IAM", conflicts_with_all = ["credentials", "credentials_file"])]
    iam: Option<PathBuf>,
    /// An external S3-compatible endpoint (AWS S3, MinIO, Ceph RGW, ...) that
    /// import and export read and write instead of the embedded store.
    #[arg(long, env = "FERRY_S3_ENDPOINT")]
    s3_endpoint: Option<String>,
    /// Region of the external endpoint (default: `AWS_REGION` or us-east-1).
    #[arg(long, env = "FERRY_S3_REGION")]
    s3_region: Option<String>,
    /// Access key for the external endpoint (default: `AWS_ACCESS_KEY_ID`).
    #[arg(long, env = "FERRY_S3_ACCESS_KEY")]
    s3_access_key: Option<String>,
    /// Secret key for the external endpoint (default: `AWS_SECRET_ACCESS_KEY`).
    #[arg(long, env = "FERRY_S3_SECRET_KEY", hide_env_values = true)]
    s3_secret_key: Option<String>,
    /// Use virtual-hosted-style requests on the external endpoint (default: path-style).
    #[arg(long, env = "FERRY_S3_VIRTUAL_HOSTED")]
    s3_virtual_hosted: bool,
    /// Only these buckets go to the external endpoint (repeat or comma-separate;
    /// default: all import/export buckets).
    #[arg(
        long = "s3-external-bucket",
        env = "FERRY_S3_EXTERNAL_BUCKETS",
        value_delimiter = ','
    )]
    s3_external_buckets: Vec<String>,
    /// Enable the test-only clock endpoint (`X-Amz-Target: FerryTest.AdvanceClock`).
    #[arg(long, env = "FERRY_TEST_CLOCK", hide = true)]
    test_clock: bool,
    /// Seconds a client may take to send a request's head (line and headers);
    /// an idle HTTP/1 keep-alive connection is closed after it too.
    #[arg(long, env = "FERRY_HEADER_TIMEOUT", default_value_t = 30)]
    header_timeout: u64,
    /// Seconds after which a connection with nothing in service and no traffic is closed.
    #[arg(long, env = "FERRY_IDLE_TIMEOUT", default_value_t = 60)]
    idle_timeout: u64,
    /// Seconds a JSON request body may take to arrive (an S3 body: the longest pause).
    #[arg(long, env = "FERRY_BODY_TIMEOUT", default_value_t = 60)]
    body_timeout: u64,
    /// Connections served at once; one more is answered 503 and closed.
    #[arg(long, env = "FERRY_MAX_CONNECTIONS", default_value_t = 4096)]
    max_connections: usize,
    /// MiB of JSON request bodies held in memory at once (requests wait for their share).
    #[arg(long, env = "FERRY_BODY_MEMORY_MB", default_value_t = 256)]
    body_memory_mb: usize,
}

/// `--log`, else `RUST_LOG`, else `warn`. s3s logs every refused S3 request
/// (a missing or bad signature) at ERROR, twice: a log flood anyone can
/// cause. Its target is off unless the filter names it; Ferry logs one
/// debug line per refused S3 request instead (`ferry-s3`'s endpoint).
fn init_logging(filter: Option<&str>) {
    let spec = filter
        .map(str::to_owned)
        .or_else(|| std::env::var("RUST_LOG").ok())
        .unwrap_or_else(|| "warn".to_owned());
    let mut filter = tracing_subscriber::EnvFilter::new(&spec);
    if !spec.contains("s3s")
        && let Ok(quiet) = "s3s=off".parse()
    {
        filter = filter.add_directive(quiet);
    }
    // `log_internal_errors(false)`: when stderr cannot be written (a log
    // file on a full disk), drop the line instead of reporting the failure
    // with `eprintln!`, which panics on the same stderr (and aborts when it
    // happens while unwinding).
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .log_internal_errors(false)
        .init();
}

/// `ACCESS_KEY_ID:SECRET` entries, several per value separated by commas. A
/// comma followed by an access key id (letters, digits, `_`, `-`) and `:`
/// starts a new entry; any other comma belongs to the secret. Errors name
/// the entry by position and never echo any part of it (it may be a secret).
fn parse_credentials(list: &[String]) -> anyhow::Result<Vec<(String, String)>> {
    let is_key_id = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    };
    let mut out: Vec<(String, String)> = Vec::new();
    for (n, value) in list.iter().enumerate() {
        let mut current: Option<(String, String)> = None;
        for piece in value.split(',') {
            match piece.split_once(':') {
                Some((id, secret)) if is_key_id(id) => {
                    out.extend(current.take());
                    current = Some((id.to_string(), secret.to_string()));
                }
                _ => match current.as_mut() {
                    Some((_, secret)) => {
                        secret.push(',');
                        secret.push_str(piece);
                    }
                    None if piece.is_empty() => {}
                    None => anyhow::bail!(
                        "credentials value {} must be ACCESS_KEY_ID:SECRET (the access key id made of letters, digits, '_' and '-')",
                        n + 1
                    ),
                },
            }
        }
        out.extend(current);
    }
    Ok(out)
}

/// Resolve when Ctrl-C or SIGTERM arrives.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let mut credentials = parse_credentials(&args.credentials)?;
    if let Some(path) = &args.credentials_file {
        let parsed = ferry_auth::Credentials::from_file(path)
            .with_context(|| format!("loading credentials file {}", path.display()))?;
        credentials.extend(parsed.pairs().map(|(k, v)| (k.to_string(), v.to_string())));
    }
    let iam = match &args.iam {
        Some(path) => Some(std::sync::Arc::new(
            ferry_iam::Iam::from_file(path)
                .with_context(|| format!("loading IAM file {}", path.display()))?,
        )),
        None => None,
    };
    let external_s3 = args
        .s3_endpoint
        .is_some()
        .then(|| ferry_objects::ExternalS3Config {
            endpoint: args.s3_endpoint.clone(),
            region: args.s3_region.clone(),
            access_key: args.s3_access_key.clone(),
            secret_key: args.s3_secret_key.clone(),
            session_token: None,
            virtual_hosted: args.s3_virtual_hosted,
        });
    let data_dir = (!args.in_memory).then_some(args.data_dir);
    let config = ferry_server::Config {
        listen: args.listen,
        data_dir: data_dir.clone(),
        region: args.region,
        account_id: args.account_id,
        credentials,
        iam,
        sync: args.sync,
        test_clock: args.test_clock,
        external_s3,
        external_buckets: args.s3_external_buckets,
        header_read_timeout: std::time::Duration::from_secs(args.header_timeout),
        idle_timeout: std::time::Duration::from_secs(args.idle_timeout),
        body_read_timeout: std::time::Duration::from_secs(args.body_timeout),
        max_connections: args.max_connections,
        body_memory_limit: args.body_memory_mb.saturating_mul(1024 * 1024),
    };
    let handle = ferry_server::start(config).await.map_err(|e| {
        match data_dir
            .as_deref()
            .and_then(|d| cli::offline::in_use_message(d, &e))
        {
            Some(m) => anyhow::anyhow!(m),
            None => e,
        }
    })?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "ferry listening on http://{}", handle.local_addr)?;
        out.flush()?;
    }
    tokio::select! {
        () = shutdown_signal() => {}
        reason = handle.storage_failed() => {
            // A graceful shutdown would flush a database that refuses
            // writes; what was acknowledged is already in the journal.
            tracing::error!(%reason, "exiting: the table engine stopped accepting writes");
            std::process::exit(EXIT_STORAGE_FAILED);
        }
    }
    tracing::info!("shutting down");
    handle.shutdown().await;
    Ok(())
}

/// A panic is a defect (no input should reach one): log it as one ERROR
/// line, message and location, without the default hook's backtrace, so
/// that a panic a client can trigger cannot flood the log. The server
/// answers the request that panicked with a 500 (`ferry-server`'s
/// `http::handle_caught`); a panic in a blocking task is a 500 as well.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let message = info.payload_as_str().unwrap_or("(no message)");
        let location = info
            .location()
            .map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column()))
            .unwrap_or_default();
        tracing::error!(
            message = %message.escape_debug(),
            %location,
            "panicked"
        );
    }));
}

fn main() -> anyhow::Result<std::process::ExitCode> {
    let cli = Cli::parse();
    init_logging(cli.log.as_deref());
    install_panic_hook();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let done = std::process::ExitCode::SUCCESS;
    match cli.command {
        Command::Serve(args) => runtime.block_on(serve(args)).map(|()| done),
        Command::Import(args) => Ok(cli::exit_code(runtime.block_on(cli::import::run(args)))),
        Command::Check(args) => Ok(cli::exit_code(runtime.block_on(cli::check::run(args)))),
        Command::Export(args) => Ok(cli::exit_code(runtime.block_on(cli::export::run(args)))),
        Command::Completions(args) => Ok(cli::completions(&args, Cli::command())),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_credentials;

    fn parse(values: &[&str]) -> Vec<(String, String)> {
        let list: Vec<String> = values.iter().map(|v| (*v).to_string()).collect();
        parse_credentials(&list).unwrap_or_else(|e| panic!("{values:?}: {e}"))
    }

    fn pair(id: &str, secret: &str) -> (String, String) {
        (id.to_string(), secret.to_string())
    }

    #[test]
    fn secrets_may_hold_commas_and_colons() {
        assert_eq!(parse(&["AK:se,cret"]), [pair("AK", "se,cret")]);
        assert_eq!(
            parse(&["AK1:a,b,AK2:c:d,,e", "AK3:f"]),
            [pair("AK1", "a,b"), pair("AK2", "c:d,,e"), pair("AK3", "f")]
        );
        assert_eq!(parse(&["", "AK:x,"]), [pair("AK", "x,")]);
    }

    #[test]
    fn errors_never_echo_the_value() {
        let list = vec!["AK:ok".to_string(), "secret-fragment/no-colon".to_string()];
        let err = parse_credentials(&list).expect_err("no key id").to_string();
        assert!(err.contains("credentials value 2"), "{err}");
        assert!(!err.contains("fragment"), "{err}");
        let list = vec![",x/y:z".to_string()];
        let err = parse_credentials(&list).expect_err("no key id").to_string();
        assert!(!err.contains("x/y") && !err.contains('z'), "{err}");
    }
}
