//! Compression of import sources and export data files: gzip (multi-member,
//! zlib-rs backend) and zstd (multi-frame) decoding, the block gzip encoder
//! export data files are written with (libdeflate), and a streaming gzip
//! encoder for everything else.

use std::io::{self, Read, Write};

ferry_model::named_enum!(
    /// An import's `InputCompressionType` (absent means `NONE`).
    Compression {
        None = "NONE",
        Gzip = "GZIP",
        Zstd = "ZSTD",
    }
);

/// A reader of the decompressed bytes of `r`.
///
/// Gzip uses `MultiGzDecoder`, so files made of several gzip members (as
/// `cat a.gz b.gz` or parallel compressors produce) decode completely; zstd
/// decodes every frame of a multi-frame file. Corrupt input surfaces as an
/// `io::Error` from `read`.
pub fn decoder<'a, R: Read + Send + 'a>(
    compression: Compression,
    r: R,
) -> io::Result<Box<dyn Read + Send + 'a>> {
    Ok(match compression {
        Compression::None => Box::new(r),
        Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(r)),
        Compression::Zstd => Box::new(zstd::Decoder::new(r)?),
    })
}

/// The gzip level exports write with. Measured with `examples/parse_bench.rs`
/// (item → JSON line → gzip, per CPU-second, zlib-rs): level 1 ~155 MB/s to
/// 21% of the input, level 2 ~150 MB/s to 16%, level 3 ~130 MB/s to 15%,
/// level 6 (default) ~80 MB/s to 12%. Level 2 keeps nearly all of level 1's
/// speed for files a quarter smaller; exports must sustain ~150 MB/s on two
/// cores while also reading the table.
pub const EXPORT_GZIP_LEVEL: u32 = 2;

/// A gzip encoder writing into `w` at [`EXPORT_GZIP_LEVEL`]. Call `finish()`
/// to write the trailer and get `w` back.
pub fn gzip_writer<W: Write>(w: W) -> flate2::write::GzEncoder<W> {
    gzip_writer_with_level(w, EXPORT_GZIP_LEVEL)
}

/// A gzip encoder with an explicit level (0–9).
pub fn gzip_writer_with_level<W: Write>(w: W, level: u32) -> flate2::write::GzEncoder<W> {
    flate2::write::GzEncoder::new(w, flate2::Compression::new(level.min(9)))
}

/// Input bytes per gzip member of an export data file. Large enough that
/// the member overhead (18 bytes, and a cold 32 KB window at each start)
/// costs under 0.1% of ratio; small enough to keep a writer's memory small.
pub const GZIP_BLOCK: usize = 1 << 20;

/// The libdeflate level export data files are compressed at: the lowest
/// whose files are no larger than zlib's level 2 ([`EXPORT_GZIP_LEVEL`])
/// on the generated export data, measured with `examples/parse_bench.rs`
/// (libdeflate 1: 15.4% of DynamoDB JSON and 18.6% of Ion, against zlib-rs
/// level 2's 15.7% and 18.8%, in less CPU; see docs/benchmarks.md).
pub const EXPORT_DEFLATE_LEVEL: u32 = 1;

/// The gzip encoder of export data files: each block of input (at most
/// about [`GZIP_BLOCK`] bytes) becomes one complete gzip member, compressed
/// in one call by libdeflate, appended to the output. A file of
/// concatenated members is one valid gzip file (RFC 1952 §2.2): `gzip -d`,
/// Python's `gzip`, `MultiGzDecoder` and DynamoDB's own importers read every
/// member. Whole-buffer compression is what makes libdeflate about twice as
/// fast as streaming zlib at the same ratio.
pub struct GzipBlocks {
    compressor: libdeflater::Compressor,
    /// libdeflate writes a member here (sized for the largest block seen,
    /// zeroed once), then it is copied to the output: the output grows by
    /// the compressed size only, and no page is zeroed per member.
    scratch: Vec<u8>,
}

impl GzipBlocks {
    /// An encoder at libdeflate `level` (clamped to 0–12).
    pub fn new(level: u32) -> GzipBlocks {
        let level = libdeflater::CompressionLvl::new(level.min(12) as i32).unwrap_or_default();
        GzipBlocks {
            compressor: libdeflater::Compressor::new(level),
            scratch: Vec::new(),
        }
    }

    /// Append one gzip member holding `data` (which may be empty) to `out`.
    /// An empty member is the 20 bytes zlib writes (as AWS's empty export
    /// files are); libdeflate would spend a stored block on it.
    pub fn member(&mut self, data: &[u8], out: &mut Vec<u8>) -> io::Result<()> {
        if data.is_empty() {
            gzip_writer(&mut *out).finish()?;
            return Ok(());
        }
        let bound = self.compressor.gzip_compress_bound(data.len());
        if self.scratch.len() < bound {
            self.scratch.resize(bound, 0);
        }
        let written = self
            .compressor
            .gzip_compress(data, &mut self.scratch)
            .map_err(io::Error::other)?;
        out.extend_from_slice(&self.scratch[..written]);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut enc = gzip_writer(Vec::new());
        enc.write_all(data).unwrap();
        enc.finish().unwrap()
    }

    fn read_all(c: Compression, data: &[u8]) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        decoder(c, data)?.read_to_end(&mut out)?;
        Ok(out)
    }

    #[test]
    fn none_passes_bytes_through() {
        assert_eq!(read_all(Compression::None, b"abc\n").unwrap(), b"abc\n");
    }

    #[test]
    fn gzip_round_trip() {
        let data = b"{\"Item\":{}}\n".repeat(1000);
        assert_eq!(read_all(Compression::Gzip, &gzip(&data)).unwrap(), data);
    }

    #[test]
    fn gzip_multi_member_decodes_every_member() {
        let mut both = gzip(b"first line\n");
        both.extend(gzip(b"second line\n"));
        assert_eq!(
            read_all(Compression::Gzip, &both).unwrap(),
            b"first line\nsecond line\n"
        );
    }

    /// The members of `data` cut at `block` bytes, concatenated.
    fn gzip_blocks(data: &[u8], block: usize, level: u32) -> Vec<u8> {
        let mut enc = GzipBlocks::new(level);
        let mut out = Vec::new();
        for chunk in data.chunks(block) {
            enc.member(chunk, &mut out).unwrap();
        }
        out
    }

    #[test]
    fn gzip_blocks_decode_to_their_input_with_the_streaming_decoder() {
        let data = crate::generator::json_lines(0..3000);
        for block in [1, 1000, 64 * 1024, GZIP_BLOCK] {
            let packed = gzip_blocks(&data, block, EXPORT_DEFLATE_LEVEL);
            assert_eq!(read_all(Compression::Gzip, &packed).unwrap(), data);
        }
    }

    #[test]
    fn an_empty_gzip_member_is_a_valid_empty_file() {
        let mut out = Vec::new();
        GzipBlocks::new(EXPORT_DEFLATE_LEVEL)
            .member(b"", &mut out)
            .unwrap();
        assert_eq!(out.len(), 20);
        assert_eq!(read_all(Compression::Gzip, &out).unwrap(), b"");
    }

    #[test]
    fn export_blocks_are_no_larger_than_zlib_level_2() {
        let data = crate::generator::json_lines(0..20_000);
        let blocks = gzip_blocks(&data, GZIP_BLOCK, EXPORT_DEFLATE_LEVEL);
        let zlib = gzip(&data);
        assert!(
            blocks.len() <= zlib.len(),
            "libdeflate {} bytes, zlib level 2 {} bytes",
            blocks.len(),
            zlib.len()
        );
    }

    #[test]
    fn zstd_multi_frame_decodes_every_frame() {
        let mut both = zstd::encode_all(&b"one\n"[..], 3).unwrap();
        both.extend(zstd::encode_all(&b"two\n"[..], 3).unwrap());
        assert_eq!(read_all(Compression::Zstd, &both).unwrap(), b"one\ntwo\n");
    }

    #[test]
    fn corrupt_gzip_is_an_io_error() {
        let err = read_all(Compression::Gzip, b"this is not gzip").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    }

    #[test]
    fn corrupt_zstd_is_an_io_error() {
        let err = read_all(Compression::Zstd, b"this is not zstd at all").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::Other);
    }
}
