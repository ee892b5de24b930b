//! `--version`, help with examples, completions, no ANSI codes off a terminal.

use crate::common::{ferry, path, stderr, stdout};

#[test]
fn version_help_and_completions() {
    let out = ferry(&["--version"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        stdout(&out),
        format!("ferry {}\n", env!("CARGO_PKG_VERSION"))
    );
    for cmd in ["import", "check", "export"] {
        let out = ferry(&[cmd, "--help"]);
        assert_eq!(out.status.code(), Some(0));
        assert!(
            stdout(&out).contains(&format!("Examples:\n  ferry {cmd} ")),
            "{cmd}"
        );
    }
    for shell in ["bash", "zsh", "fish"] {
        let out = ferry(&["completions", shell]);
        assert_eq!(out.status.code(), Some(0), "{shell}");
        assert!(stdout(&out).contains("import"), "{shell}");
    }
    let out = ferry(&["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(2));
}

/// Progress off a terminal is plain text: no escape codes anywhere.
#[test]
fn no_ansi_codes_when_not_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("x.json");
    std::fs::write(&src, "{\"Item\":{\"pk\":{\"S\":\"x\"}}}\n").unwrap();
    let data = dir.path().join("data");
    let out = ferry(&[
        "import",
        path(&src),
        "--data-dir",
        path(&data),
        "--table-name",
        "Tbl1",
        "--key",
        "pk:S",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!out.stdout.contains(&0x1b) && !out.stderr.contains(&0x1b));
    assert!(
        stdout(&out).starts_with("COMPLETED: imported 1 of 1 items, 0 errors"),
        "{}",
        stdout(&out)
    );
}
