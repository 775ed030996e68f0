//! How many bytes sled 0.34 keeps on disk per byte of live data when keys
//! are appended in order, as the journal's blocks are: the measurement
//! behind "Disk bytes per record" in docs/bench-log.md.
//!
//! ```text
//! cargo run --release -p shoal-storage --example sled_write_amplification -- \
//!     [value_bytes=4096] [values_per_flush=30] [segment_bytes=524288] [total_bytes=115000000]
//! ```
//!
//! It writes `total_bytes` of values under increasing 9-byte keys, one
//! `apply_batch` + `flush` per `values_per_flush` values, closes the
//! database and prints the size of every file against the bytes written.

use std::path::Path;

fn dir_bytes(dir: &Path) -> std::io::Result<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let meta = entry.metadata()?;
        total += if meta.is_dir() {
            dir_bytes(&entry.path())?
        } else {
            meta.len()
        };
    }
    Ok(total)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let defaults = [4096, 30, 512 * 1024, 115_000_000];
    let mut args = [0usize; 4];
    let given: Vec<String> = std::env::args().skip(1).collect();
    for (index, slot) in args.iter_mut().enumerate() {
        *slot = match given.get(index) {
            Some(text) => text.parse()?,
            None => defaults[index],
        };
    }
    let [value_bytes, per_flush, segment_bytes, total_bytes] = args;
    let dir = tempfile::tempdir()?;
    let db = sled::Config::new()
        .path(dir.path())
        .segment_size(segment_bytes)
        .flush_every_ms(None)
        .open()?;
    let value: Vec<u8> = (0..value_bytes).map(|i| (i * 7919 % 251) as u8).collect();
    let (mut key, mut written) = (0u64, 0usize);
    while written < total_bytes {
        let mut batch = sled::Batch::default();
        for _ in 0..per_flush.max(1) {
            let mut name = [b'J'; 9];
            name[1..].copy_from_slice(&key.to_be_bytes());
            batch.insert(&name[..], value.clone());
            key += 1;
            written += value_bytes;
        }
        db.apply_batch(batch)?;
        db.flush()?;
    }
    drop(db);
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir.path())? {
        let entry = entry?;
        let bytes = if entry.metadata()?.is_dir() {
            dir_bytes(&entry.path())?
        } else {
            entry.metadata()?.len()
        };
        files.push(format!("{}={bytes}", entry.file_name().to_string_lossy()));
    }
    files.sort();
    let disk = dir_bytes(dir.path())?;
    println!(
        "values of {value_bytes} B, {per_flush} per flush, segments of {segment_bytes} B: \
         {written} B written, {disk} B on disk, {:.2}x ({})",
        disk as f64 / written as f64,
        files.join(", ")
    );
    Ok(())
}
