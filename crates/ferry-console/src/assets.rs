//! The embedded files: one table from a path under `/_console/` to the bytes
//! of `assets/<path>`, its content type and a content hash for the ETag.
//!
//! Adding a file to the console means adding its line to [`ASSETS`]; the unit
//! tests check that every file under `assets/` is listed.

/// One embedded file.
pub struct Asset {
    /// Its path under `/_console/` (and under `assets/`).
    pub path: &'static str,
    /// The file's bytes.
    pub bytes: &'static [u8],
    /// Its `Content-Type`.
    pub content_type: &'static str,
    hash: u64,
}

impl Asset {
    /// A strong ETag from the content hash (computed at compile time).
    pub fn etag(&self) -> String {
        format!("\"{:016x}\"", self.hash)
    }
}

/// 64-bit FNV-1a, usable in a `const` so each hash is computed by the compiler.
const fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        h ^= bytes[i] as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
        i += 1;
    }
    h
}

const HTML: &str = "text/html; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const SVG: &str = "image/svg+xml";

macro_rules! assets {
    ($($path:literal => $ct:expr),* $(,)?) => {
        &[$(Asset {
            path: $path,
            bytes: include_bytes!(concat!("../assets/", $path)),
            content_type: $ct,
            hash: fnv1a(include_bytes!(concat!("../assets/", $path))),
        }),*]
    };
}

/// Every file of the console.
pub(crate) static ASSETS: &[Asset] = assets![
    "index.html" => HTML,
    "favicon.svg" => SVG,
    "css/app.css" => CSS,
    "js/app.js" => JS,
    "js/api.js" => JS,
    "js/sigv4.js" => JS,
    "js/ddbjson.js" => JS,
    "js/ui.js" => JS,
    "js/pages/tables.js" => JS,
    "js/pages/table.js" => JS,
    "js/pages/items.js" => JS,
    "js/pages/s3picker.js" => JS,
    "js/pages/import.js" => JS,
    "js/pages/imports.js" => JS,
    "js/pages/export.js" => JS,
    "js/pages/exports.js" => JS,
];

/// The embedded file at `path` (relative to `/_console/`), if any.
pub fn asset(path: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|a| a.path == path)
}
