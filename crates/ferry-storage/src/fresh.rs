//! Completing a database directory whose creation never finished.
//!
//! fjall creates a database in this order: the `lock` file, the empty
//! `keyspaces/` folder, the first journal `0.jnl` (preallocated: all zero
//! bytes), and last the `version` marker (`FJL` and the format byte 3),
//! fsynced. Only then can anything be written. If the first start dies in
//! between (a full disk, a kill), the next start finds a directory that
//! fjall can neither create (`0.jnl` already exists) nor recover (no valid
//! marker: `InvalidVersion`).
//!
//! [`complete_unfinished_creation`] recognises exactly that state and removes
//! what fjall's creation left, so that fjall creates the database again. It
//! only acts when the directory provably never held data: the marker is
//! absent or a strict prefix of the valid one, the only journal is `0.jnl`
//! and holds only zero bytes, and `keyspaces/` is empty. Anything else (a
//! marker of another format version, a written journal, a keyspace) is left
//! alone for fjall to report.

use std::io::Read as _;
use std::path::Path;

/// The complete marker of a fjall 3 database.
const MARKER: &[u8] = b"FJL\x03";
const MARKER_FILE: &str = "version";
const FIRST_JOURNAL: &str = "0.jnl";
const KEYSPACES: &str = "keyspaces";

/// If `dir` holds a fjall database whose creation never finished, removes
/// the files that creation left (never the lock file, never anything else).
/// Returns whether it did.
pub(crate) fn complete_unfinished_creation(dir: &Path) -> std::io::Result<bool> {
    let marker = dir.join(MARKER_FILE);
    let journal = dir.join(FIRST_JOURNAL);
    let keyspaces = dir.join(KEYSPACES);
    let marker_bytes = match std::fs::read(&marker) {
        Ok(b) => Some(b),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e),
    };
    if let Some(b) = &marker_bytes
        && (b.len() >= MARKER.len() || !MARKER.starts_with(b))
    {
        return Ok(false);
    }
    let journal_exists = journal.try_exists()?;
    if marker_bytes.is_none() && !journal_exists {
        // Nothing of a creation, or nothing fjall cannot create over.
        return Ok(false);
    }
    for entry in std::fs::read_dir(dir)? {
        let name = entry?.file_name();
        let name = name.to_string_lossy();
        if name.ends_with(".jnl") && name != FIRST_JOURNAL {
            return Ok(false);
        }
    }
    if journal_exists && !all_zero(&journal)? {
        return Ok(false);
    }
    if keyspaces.try_exists()? && std::fs::read_dir(&keyspaces)?.next().is_some() {
        return Ok(false);
    }
    tracing::warn!(
        dir = %dir.display(),
        "the database's creation never finished (no complete version marker, nothing written): creating it again"
    );
    if journal_exists {
        std::fs::remove_file(&journal)?;
    }
    if marker_bytes.is_some() {
        std::fs::remove_file(&marker)?;
    }
    if keyspaces.try_exists()? {
        // Only succeeds on an empty directory.
        std::fs::remove_dir(&keyspaces)?;
    }
    std::fs::File::open(dir)?.sync_all()?;
    Ok(true)
}

fn all_zero(path: &Path) -> std::io::Result<bool> {
    let mut file = std::fs::File::open(path)?;
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            return Ok(true);
        }
        if buf.get(..n).is_some_and(|b| b.iter().any(|&x| x != 0)) {
            return Ok(false);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Engine, EngineConfig};

    fn engine_in(dir: &Path) -> Result<std::sync::Arc<Engine>, crate::StorageError> {
        Engine::open(EngineConfig {
            path: Some(dir.to_path_buf()),
            sync: false,
        })
    }

    /// What fjall leaves when its creation stops after the journal, with a
    /// marker of `marker` bytes (`None`: no marker yet).
    fn half_created(dir: &Path, marker: Option<&[u8]>) {
        std::fs::create_dir_all(dir.join(KEYSPACES)).unwrap();
        std::fs::write(dir.join("lock"), b"").unwrap();
        let journal = std::fs::File::create(dir.join(FIRST_JOURNAL)).unwrap();
        journal.set_len(64 * 1024 * 1024).unwrap();
        if let Some(m) = marker {
            std::fs::write(dir.join(MARKER_FILE), m).unwrap();
        }
    }

    #[test]
    fn a_half_created_directory_opens_and_keeps_what_is_written_next() {
        for marker in [None, Some(&b""[..]), Some(&b"F"[..]), Some(&b"FJL"[..])] {
            let tmp = tempfile::tempdir().unwrap();
            let dir = tmp.path().join("db");
            half_created(&dir, marker);
            let engine = engine_in(&dir).unwrap_or_else(|e| panic!("{marker:?}: {e:?}"));
            engine.meta().put("ns", b"k", b"v").unwrap();
            drop(engine);
            let engine = engine_in(&dir).unwrap();
            assert_eq!(engine.meta().get("ns", b"k").unwrap(), Some(b"v".to_vec()));
            assert_eq!(std::fs::read(dir.join(MARKER_FILE)).unwrap(), MARKER);
        }
    }

    #[test]
    fn a_directory_that_may_hold_data_is_left_alone() {
        // A written journal, another journal, a keyspace, a foreign marker.
        type Case = (&'static str, fn(&Path));
        let cases: [Case; 4] = [
            ("written journal", |d| {
                std::fs::write(d.join(FIRST_JOURNAL), b"\x01data").unwrap();
            }),
            ("second journal", |d| {
                std::fs::write(d.join("1.jnl"), b"").unwrap();
            }),
            ("keyspace", |d| {
                std::fs::create_dir_all(d.join(KEYSPACES).join("0")).unwrap();
            }),
            ("other marker", |d| {
                std::fs::write(d.join(MARKER_FILE), b"FJL\x02").unwrap();
            }),
        ];
        for (what, make) in cases {
            let tmp = tempfile::tempdir().unwrap();
            let dir = tmp.path();
            half_created(dir, Some(b"FJ"));
            make(dir);
            let before = listing(dir);
            assert!(!complete_unfinished_creation(dir).unwrap(), "{what}");
            assert_eq!(listing(dir), before, "{what}");
        }
    }

    #[test]
    fn a_complete_or_empty_directory_is_not_touched() {
        let tmp = tempfile::tempdir().unwrap();
        assert!(!complete_unfinished_creation(tmp.path()).unwrap());
        let engine = engine_in(tmp.path()).unwrap();
        engine.meta().put("ns", b"k", b"v").unwrap();
        drop(engine);
        assert!(!complete_unfinished_creation(tmp.path()).unwrap());
        let engine = engine_in(tmp.path()).unwrap();
        assert_eq!(engine.meta().get("ns", b"k").unwrap(), Some(b"v".to_vec()));
    }

    /// Every path under `dir` with its size.
    fn listing(dir: &Path) -> Vec<(String, u64)> {
        let mut out = Vec::new();
        for entry in walk(dir) {
            let len = std::fs::metadata(&entry).map(|m| m.len()).unwrap_or(0);
            out.push((entry.display().to_string(), len));
        }
        out.sort();
        out
    }

    fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
        let mut out = Vec::new();
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                out.extend(walk(&p));
            }
            out.push(p);
        }
        out
    }
}
