//! One entry point for the import job: decompress and read any input format
//! from a byte stream, as an iterator of [`Record`]s.

use std::collections::HashMap;
use std::io::{self, BufReader, Read};

use ferry_model::ScalarType;

use crate::Record;
use crate::compress::{Compression, decoder};
use crate::csv::{CsvOptions, CsvReader};
use crate::ddb_json::JsonReader;
use crate::errors::FormatError;
use crate::ion::IonReader;

/// Read buffer between the decompressor and the parsers.
const READ_BUFFER: usize = 256 * 1024;

/// How to read an import's objects: its `InputFormat`, with the CSV options
/// and key types CSV needs.
#[derive(Clone, Debug, PartialEq)]
pub enum ReaderFormat {
    DynamoDbJson,
    Ion,
    Csv {
        options: CsvOptions,
        /// Key attributes of the table and its indexes → their types.
        types: HashMap<String, ScalarType>,
    },
}

type Source = BufReader<Box<dyn Read + Send>>;

enum Inner {
    Json(JsonReader<Source>),
    Ion(Box<IonReader<Source>>),
    Csv(CsvReader<Source>),
}

/// Items of one import object, whatever its format.
pub struct ItemReader {
    inner: Inner,
}

/// Opens `r` (the raw object bytes) with `compression` and `format`.
pub fn open_reader(
    format: &ReaderFormat,
    compression: Compression,
    r: Box<dyn Read + Send>,
) -> io::Result<ItemReader> {
    let source = BufReader::with_capacity(READ_BUFFER, decoder(compression, r)?);
    let inner = match format {
        ReaderFormat::DynamoDbJson => Inner::Json(JsonReader::new(source)),
        ReaderFormat::Ion => Inner::Ion(Box::new(IonReader::new(source))),
        ReaderFormat::Csv { options, types } => {
            Inner::Csv(CsvReader::new(source, options, types.clone()))
        }
    };
    Ok(ItemReader { inner })
}

impl ItemReader {
    /// Uncompressed bytes consumed so far (DynamoDB's `ProcessedSizeBytes`
    /// counts uncompressed bytes).
    pub fn bytes_read(&self) -> u64 {
        match &self.inner {
            Inner::Json(r) => r.bytes_read(),
            Inner::Ion(r) => r.bytes_read(),
            Inner::Csv(r) => r.bytes_read(),
        }
    }
}

impl Iterator for ItemReader {
    type Item = Result<Record, FormatError>;

    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.inner {
            Inner::Json(r) => r.next(),
            Inner::Ion(r) => r.next(),
            Inner::Csv(r) => r.next(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Cursor, Write};

    use super::*;
    use crate::generator;

    fn compress(c: Compression, data: &[u8]) -> Vec<u8> {
        match c {
            Compression::None => data.to_vec(),
            Compression::Gzip => {
                let mut enc = crate::compress::gzip_writer(Vec::new());
                enc.write_all(data).unwrap();
                enc.finish().unwrap()
            }
            Compression::Zstd => zstd::encode_all(data, 3).unwrap(),
        }
    }

    #[test]
    fn every_format_with_every_compression() {
        let items: Vec<_> = (0..300).map(generator::item).collect();
        let csv_format = ReaderFormat::Csv {
            options: CsvOptions::default(),
            types: generator::key_types(),
        };
        let cases = [
            (ReaderFormat::DynamoDbJson, generator::json_lines(0..300)),
            (ReaderFormat::Ion, generator::ion_lines(0..300)),
            (csv_format, generator::csv(0..300)),
        ];
        for (format, plain) in &cases {
            for c in [Compression::None, Compression::Gzip, Compression::Zstd] {
                let data = compress(c, plain);
                let mut reader = open_reader(format, c, Box::new(Cursor::new(data))).unwrap();
                let records: Vec<Record> = reader.by_ref().map(|r| r.unwrap()).collect();
                assert_eq!(records.len(), 300, "{format:?} {c:?}");
                assert_eq!(reader.bytes_read(), plain.len() as u64, "{format:?} {c:?}");
                for (i, record) in records.iter().enumerate() {
                    assert_eq!(record.index, i as u64);
                    let item = record.item.as_ref().unwrap();
                    if matches!(format, ReaderFormat::Csv { .. }) {
                        assert_eq!(item.get("pk"), items[i].get("pk"));
                    } else {
                        assert_eq!(item, &items[i], "{format:?} {c:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn corrupt_compressed_data_is_a_format_error() {
        let mut data = compress(Compression::Gzip, &generator::json_lines(0..2000));
        let middle = data.len() / 2;
        data[middle..].iter_mut().for_each(|b| *b = !*b);
        let reader = open_reader(
            &ReaderFormat::DynamoDbJson,
            Compression::Gzip,
            Box::new(Cursor::new(data)),
        )
        .unwrap();
        let results: Vec<_> = reader.collect();
        let last = results.last().unwrap();
        match last {
            Err(FormatError::Io(e)) => assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof),
            other => panic!("{other:?}"),
        }
        assert!(results[..results.len() - 1].iter().all(|r| r.is_ok()));
    }
}
