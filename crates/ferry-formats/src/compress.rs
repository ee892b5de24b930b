//! Compression of import sources and export data files: gzip (multi-member,
//! zlib-rs backend) and zstd (multi-frame) decoding, and the gzip encoder the
//! exports write with.

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
