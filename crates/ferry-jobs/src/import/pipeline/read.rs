//! The pipeline's reader threads: open an object (pinned ETag), decompress,
//! cut DYNAMODB_JSON into line chunks or parse CSV / ION records, and send
//! them as tasks. Every object read to its end is closed by a
//! [`Payload::End`] task carrying how many records the reader skipped (only
//! counted, never parsed) after it saw the object abandoned, so that the
//! abandoning error's log event can say how much of the object was lost.

use std::io::{self, Read};
use std::sync::atomic::Ordering;

use crossbeam_channel::Sender;

use super::{Compression, InputFormat, Payload, Shared, Task, is_blank_byte};

pub(super) fn reader_loop(shared: &Shared<'_>, tx: Sender<Task>) {
    loop {
        if shared.stopped() {
            return;
        }
        let i = shared.next_object.fetch_add(1, Ordering::SeqCst);
        if i >= shared.plan.objects.len() {
            return;
        }
        read_object(shared, i, &tx);
    }
}

/// Counts decompressed bytes into `ProcessedSizeBytes` as they are read.
struct Counting<'a, R> {
    inner: R,
    live: &'a super::Live,
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.live
            .processed_bytes
            .fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

fn broken_message(compression: Compression, e: &io::Error) -> String {
    match compression {
        Compression::None => format!("Unable to read the object: {e}"),
        c => format!("Unable to decompress the object as {}: {e}", c.as_str()),
    }
}

/// The non-blank lines of `head` followed by the rest of `reader` (a read
/// error ends the count: what cannot be read cannot be counted).
fn count_lines(head: &[u8], reader: &mut impl Read) -> u64 {
    let mut lines = 0;
    let mut content = false;
    let mut feed = |bytes: &[u8]| {
        for &b in bytes {
            if b == b'\n' {
                lines += u64::from(content);
                content = false;
            } else if !is_blank_byte(b) {
                content = true;
            }
        }
    };
    feed(head);
    let mut buf = vec![0; 64 * 1024];
    loop {
        match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => feed(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    lines + u64::from(content)
}

fn read_object(shared: &Shared<'_>, i: usize, tx: &Sender<Task>) {
    let plan = shared.plan;
    let object = &plan.objects[i];
    if object.size == 0 {
        // An S3 console folder placeholder (`prefix/`) or an empty
        // partition file: no items, whatever the compression (an empty
        // stream is not a valid GZIP or ZSTD one, and need not be).
        return;
    }
    let raw = match shared.source.open(plan.bucket, object) {
        Ok(r) => r,
        Err(e) => return shared.fail(e.failure()),
    };
    let slot = super::ErrorSlot::default();
    let guarded = super::GuardedReader::new(raw, slot.clone());
    let mut seq = 0u64;
    let mut send = |payload: Payload| -> bool {
        let task = Task {
            obj: i,
            seq,
            payload,
        };
        seq += 1;
        tx.send(task).is_ok()
    };
    // A read error: the source failed (the import fails) or the data is
    // corrupt (an error for this object; the others go on).
    let on_error = |e: &io::Error, send: &mut dyn FnMut(Payload) -> bool| {
        if let Some(source_error) = slot.take() {
            shared.fail(source_error.failure());
        } else {
            send(Payload::Broken(broken_message(plan.compression, e)));
            send(Payload::End(0));
        }
    };
    let abandoned = || shared.abandoned[i].load(Ordering::Relaxed);
    match plan.format {
        InputFormat::DynamoDbJson => {
            let decoder = match ferry_formats::compress::decoder(plan.compression, guarded) {
                Ok(d) => d,
                Err(e) => return on_error(&e, &mut send),
            };
            let mut reader = Counting {
                inner: decoder,
                live: shared.live,
            };
            let chunk = shared.settings.chunk_bytes.max(4096);
            let mut buf: Vec<u8> = vec![0; chunk];
            let mut filled = 0;
            loop {
                if shared.stopped() {
                    return;
                }
                if abandoned() {
                    // Count what is skipped (its bytes are read, so counted).
                    send(Payload::End(count_lines(&buf[..filled], &mut reader)));
                    return;
                }
                // Fill the buffer.
                let mut eof = false;
                let mut failed = None;
                while filled < buf.len() {
                    match reader.read(&mut buf[filled..]) {
                        Ok(0) => {
                            eof = true;
                            break;
                        }
                        Ok(n) => filled += n,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => {
                            failed = Some(e);
                            break;
                        }
                    }
                }
                if let Some(e) = failed {
                    // Send the complete lines read before the failure.
                    if let Some(p) = memrchr_newline(&buf[..filled]) {
                        buf.truncate(p + 1);
                        if !send(Payload::Lines(std::mem::take(&mut buf))) {
                            return;
                        }
                    }
                    return on_error(&e, &mut send);
                }
                if eof {
                    if filled > 0 {
                        buf.truncate(filled);
                        send(Payload::Lines(buf));
                    }
                    send(Payload::End(0));
                    return;
                }
                match memrchr_newline(&buf[..filled]) {
                    Some(p) => {
                        // Complete lines go; the partial last line starts the next chunk.
                        let rest = filled - (p + 1);
                        let mut next = vec![0; chunk.max(rest + 4096)];
                        next[..rest].copy_from_slice(&buf[p + 1..filled]);
                        let mut full = std::mem::replace(&mut buf, next);
                        full.truncate(p + 1);
                        filled = rest;
                        if !send(Payload::Lines(full)) {
                            return;
                        }
                    }
                    None if filled > ferry_formats::errors::MAX_RECORD_BYTES => {
                        send(Payload::Broken(
                            ferry_formats::errors::msg::record_too_long(),
                        ));
                        send(Payload::End(0));
                        return;
                    }
                    // One line longer than the buffer: grow it.
                    None => buf.resize(buf.len() * 2, 0),
                }
            }
        }
        InputFormat::Csv | InputFormat::Ion => {
            let format = match plan.format {
                InputFormat::Csv => ferry_formats::ReaderFormat::Csv {
                    options: plan.csv.clone().unwrap_or_default(),
                    types: plan.key_types.clone(),
                },
                _ => ferry_formats::ReaderFormat::Ion,
            };
            let mut reader =
                match ferry_formats::open_reader(&format, plan.compression, Box::new(guarded)) {
                    Ok(r) => r,
                    Err(e) => return on_error(&e, &mut send),
                };
            let mut counted = 0u64;
            let add_bytes = |now: u64, counted: &mut u64| {
                shared
                    .live
                    .processed_bytes
                    .fetch_add(now.saturating_sub(*counted), Ordering::Relaxed);
                *counted = now;
            };
            let mut batch = Vec::with_capacity(shared.settings.batch_records);
            loop {
                if shared.stopped() {
                    return;
                }
                if abandoned() {
                    // Count what is skipped: the unsent batch and the rest.
                    let rest = reader.by_ref().take_while(Result::is_ok).count();
                    add_bytes(reader.bytes_read(), &mut counted);
                    send(Payload::End((batch.len() + rest) as u64));
                    return;
                }
                match reader.next() {
                    None => break,
                    Some(Ok(record)) => {
                        batch.push(record);
                        if batch.len() >= shared.settings.batch_records {
                            add_bytes(reader.bytes_read(), &mut counted);
                            if !send(Payload::Records(std::mem::take(&mut batch))) {
                                return;
                            }
                        }
                    }
                    Some(Err(ferry_formats::FormatError::Io(e))) => {
                        add_bytes(reader.bytes_read(), &mut counted);
                        if !batch.is_empty() && !send(Payload::Records(std::mem::take(&mut batch)))
                        {
                            return;
                        }
                        return on_error(&e, &mut send);
                    }
                }
            }
            add_bytes(reader.bytes_read(), &mut counted);
            if !batch.is_empty() {
                send(Payload::Records(batch));
            }
            send(Payload::End(0));
        }
    }
}

fn memrchr_newline(buf: &[u8]) -> Option<usize> {
    buf.iter().rposition(|&b| b == b'\n')
}
