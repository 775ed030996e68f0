//! JSON Lines: one JSON value per `\n`-terminated line; blank lines are skipped.
//!
//! In raw mode a line is validated (serde_json's parser, nothing built) and kept as text; a
//! bad line fails with the same error either way.

use std::collections::VecDeque;

use super::{Record, RecordParser};
use crate::checkpoint::FilePosition;
use crate::error::ReaderError;
use crate::item::{Item, RawItem};

/// Splits lines and parses each with serde_json.
pub(crate) struct JsonlParser {
    object: String,
    /// Bytes of the current, unterminated line.
    partial: Vec<u8>,
    /// Position of the current line's first byte.
    at: FilePosition,
    cap_bytes: usize,
    raw: bool,
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
            raw: false,
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
        let item = match self.raw {
            true => RawItem::parse(line).map(Item::Raw),
            false => serde_json::from_slice(line).map(Item::Value),
        };
        let item = item.map_err(|e| ReaderError::Json {
            object: self.object.clone(),
            line: start.line,
            offset: start.offset,
            message: e.to_string(),
        })?;
        self.at.records += 1;
        out.push_back(Record { item, end: self.at });
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
    fn set_raw(&mut self, raw: bool) {
        self.raw = raw;
    }

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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn run(text: &[u8], raw: bool) -> Result<Vec<Item>, ReaderError> {
        let mut parser = JsonlParser::new("m:t.jsonl".into(), FilePosition::default(), 64);
        parser.set_raw(raw);
        let mut out = VecDeque::new();
        for chunk in text.chunks(3) {
            parser.feed(chunk, &mut out)?;
        }
        parser.finish(&mut out)?;
        Ok(out.into_iter().map(|r| r.item).collect())
    }

    #[test]
    fn raw_lines_are_trimmed_text_and_parse_to_the_same_values() {
        let text = b" {\"b\": 1, \"a\": [2]}\r\n\n  \n\"\\u00e9\"\n7";
        let raws: Vec<String> = run(text, true)
            .unwrap()
            .into_iter()
            .map(|item| match item {
                Item::Raw(raw) => raw.into_string(),
                Item::Value(value) => panic!("raw mode gave a Value: {value}"),
            })
            .collect();
        assert_eq!(raws, ["{\"b\": 1, \"a\": [2]}", "\"\\u00e9\"", "7"]);
        let values: Vec<serde_json::Value> = run(text, false)
            .unwrap()
            .into_iter()
            .map(|item| item.into_value().unwrap())
            .collect();
        let reparsed: Vec<serde_json::Value> = raws
            .iter()
            .map(|raw| serde_json::from_str(raw).unwrap())
            .collect();
        assert_eq!(values, reparsed);
    }

    #[test]
    fn a_bad_line_fails_the_same_way_in_both_modes() {
        let text = b"{}\n{\"a\":\"\\ud800\"}\n";
        let raw = run(text, true).unwrap_err().to_string();
        let value = run(text, false).unwrap_err().to_string();
        assert_eq!(raw, value);
        assert!(raw.contains("at line 2, byte offset 3"), "{raw}");
    }
}
