//! Feeds arbitrary bytes to every decoder of the log's on-disk format: a
//! decoder may reject them, but must never panic or loop.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shoal_storage::codec::{decode_chunk, decode_journal_block, decode_record_frame};
use shoal_storage::{Seq, StreamId};

fuzz_target!(|data: &[u8]| {
    let _ = decode_record_frame(data, StreamId(7), Seq(1));
    let _ = decode_journal_block(data);
    let _ = decode_chunk(StreamId(7), Seq(1), data);
});
