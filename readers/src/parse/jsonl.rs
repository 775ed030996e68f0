//! JSON Lines: one JSON value per `\n`-terminated line; blank lines are skipped.

use std::collections::VecDeque;

use super::{Record, RecordParser};
use crate::checkpoint::FilePosition;
use crate::error::ReaderError;

/// Splits lines and parses each with serde_json.
pub(crate) struct JsonlParser {
    object: String,
    /// Bytes of the current, unterminated line.
    partial: Vec<u8>,
    /// Position of the current line's first byte.
    at: FilePosition,
    cap_bytes: usize,
}

impl JsonlParser {
    /// A parser starting at `at` (a line start).
    pub(crate) fn new(object: String, at: FilePosition, cap_bytes: usize) -> Self {
        let mut at = at;
        at.line = at.line.max(1);
        Self {
            object,
            partial: Vec::new(),
            at,
            cap_bytes,
        }
    }

    fn emit(
        &mut self,
        line: &[u8],
        consumed: usize,
        out: &mut VecDeque<Record>,
    ) -> Result<(), ReaderError> {
        if line.len() > self.cap_bytes {
            return Err(self.too_large());
        }
        let start = self.at;
        self.at.offset += consumed as u64;
        self.at.line += 1;
        // A record starts with a non-space byte almost always, so this rarely scans far.
        if line.iter().all(u8::is_ascii_whitespace) {
            return Ok(());
        }
        let value = serde_json::from_slice(line).map_err(|e| ReaderError::Json {
            object: self.object.clone(),
            line: start.line,
            offset: start.offset,
            message: e.to_string(),
        })?;
        self.at.records += 1;
        out.push_back(Record {
            value,
            end: self.at,
        });
        Ok(())
    }

    fn too_large(&self) -> ReaderError {
        ReaderError::RecordTooLarge {
            object: self.object.clone(),
            unit: "line",
            line: self.at.line,
            offset: self.at.offset,
            cap_bytes: self.cap_bytes,
        }
    }
}

impl RecordParser for JsonlParser {
    fn feed(&mut self, data: &[u8], out: &mut VecDeque<Record>) -> Result<(), ReaderError> {
        let mut rest = data;
        while let Some(newline) = memchr::memchr(b'\n', rest) {
            let (line, tail) = rest.split_at(newline);
            if self.partial.is_empty() {
                self.emit(line, newline + 1, out)?;
            } else {
                let mut whole = std::mem::take(&mut self.partial);
                whole.extend_from_slice(line);
                self.emit(&whole, whole.len() + 1, out)?;
            }
            rest = &tail[1..];
        }
        if self.partial.len() + rest.len() > self.cap_bytes {
            return Err(self.too_large());
        }
        self.partial.extend_from_slice(rest);
        Ok(())
    }

    fn finish(&mut self, out: &mut VecDeque<Record>) -> Result<(), ReaderError> {
        let last = std::mem::take(&mut self.partial);
        if last.is_empty() {
            return Ok(());
        }
        self.emit(&last, last.len(), out)?;
        Ok(())
    }
}
