//! Progress of a running job on stderr: an indicatif bar on a terminal
//! (bytes and items with rates and ETA, errors counted live), a plain line
//! every few seconds otherwise (no ANSI codes), nothing with `--quiet`.
//! Final results go to stdout (one JSON object with `--json`).

use std::io::IsTerminal as _;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::OutputArgs;

/// Seconds between plain progress lines.
const LINE_EVERY: Duration = Duration::from_secs(2);

/// Live counters of a job, as the progress display shows them.
#[derive(Clone, Copy, Debug, Default)]
pub struct Snapshot {
    /// Bytes read (imports: uncompressed) or written.
    pub bytes: u64,
    pub items: u64,
    pub errors: u64,
}

enum Mode {
    Bar(ProgressBar),
    Lines { last: Instant },
    Quiet,
}

/// The progress display of one job.
pub struct Progress {
    mode: Mode,
    started: Instant,
    verb: &'static str,
}

fn bar_style(with_total: bool) -> ProgressStyle {
    let template = if with_total {
        "{spinner} {elapsed_precise} [{bar:25}] {bytes}/{total_bytes} {bytes_per_sec} ETA {eta} {msg}"
    } else {
        "{spinner} {elapsed_precise} {bytes} {bytes_per_sec} {msg}"
    };
    ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ")
}

/// Per second over `elapsed`.
fn rate(n: u64, elapsed: Duration) -> u64 {
    let secs = elapsed.as_secs_f64();
    if secs > 0.0 {
        (n as f64 / secs) as u64
    } else {
        0
    }
}

impl Progress {
    /// `total_bytes` is the expected byte count when known (uncompressed
    /// sources), for the bar's length and ETA.
    pub fn new(out: OutputArgs, verb: &'static str, total_bytes: Option<u64>) -> Self {
        let mode = if out.quiet {
            Mode::Quiet
        } else if std::io::stderr().is_terminal() {
            let bar = ProgressBar::with_draw_target(total_bytes, ProgressDrawTarget::stderr());
            bar.set_style(bar_style(total_bytes.is_some()));
            bar.enable_steady_tick(Duration::from_millis(200));
            Mode::Bar(bar)
        } else {
            Mode::Lines {
                last: Instant::now(),
            }
        };
        Progress {
            mode,
            started: Instant::now(),
            verb,
        }
    }

    fn message(&self, s: Snapshot) -> String {
        let elapsed = self.started.elapsed();
        format!(
            "| {} {} items ({}/s), {} errors",
            self.verb,
            s.items,
            rate(s.items, elapsed),
            s.errors
        )
    }

    /// Show the latest counters.
    pub fn update(&mut self, s: Snapshot) {
        let message = self.message(s);
        match &mut self.mode {
            Mode::Bar(bar) => {
                bar.set_position(s.bytes);
                bar.set_message(message);
            }
            Mode::Lines { last } => {
                if last.elapsed() >= LINE_EVERY {
                    *last = Instant::now();
                    eprintln!(
                        "{:.1}s {message}, {} bytes",
                        self.started.elapsed().as_secs_f64(),
                        s.bytes
                    );
                }
            }
            Mode::Quiet => {}
        }
    }

    /// Remove the bar (the final result is printed by the caller).
    pub fn finish(&self) {
        if let Mode::Bar(bar) = &self.mode {
            bar.finish_and_clear();
        }
    }

    /// Time since the job started.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }
}

/// Print `value` as one JSON line on stdout.
pub fn print_json(value: &serde_json::Value) {
    println!("{value}");
}
