//! How targets cut their input into parts.

/// Splits `data` at its first `\n`: (the line, the rest). Without a newline
/// the whole input is the line and the rest is empty.
pub fn split_line(data: &[u8]) -> (&[u8], &[u8]) {
    match data.iter().position(|b| *b == b'\n') {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (data, &[]),
    }
}
