//! A streaming JSON array splitter: finds the array (the root, or the one `ItemsPointer`
//! selects), then hands each complete element's bytes to serde_json.
//!
//! The splitter tracks only what it needs to find element boundaries over arbitrary chunking:
//! nesting depth, whether it is inside a string, and whether the previous byte was a backslash.
//! An element that lies wholly in one feed is parsed in place; one cut by a feed boundary is
//! buffered up to the per-record cap. Nothing else is kept, so a 10 GB array costs one element
//! of memory. Bytes after the array's closing `]` are not examined.
//!
//! Resuming: a checkpoint offset always lies just after an element, inside the target array,
//! so a parser built with `after_element` continues there without re-reading what came before.

use std::collections::VecDeque;

use super::{count_lines, Record, RecordParser};
use crate::checkpoint::FilePosition;
use crate::error::ReaderError;
use crate::item::{Item, RawItem};

mod seek;
mod value_scan;

use seek::{Seek, SeekStep};
use value_scan::ValueScan;

enum Phase {
    Seek(Box<Seek>),
    BeforeElement { first: bool },
    InElement(ValueScan),
    AfterElement,
    Done,
}

/// Push parser yielding the elements of one array.
pub(crate) struct JsonArrayParser {
    object: String,
    phase: Phase,
    element: Vec<u8>,
    element_start: FilePosition,
    /// Position of the next byte to be fed.
    at: FilePosition,
    cap_bytes: usize,
    /// Emit validated text instead of `Value`s.
    raw: bool,
}

impl JsonArrayParser {
    /// A parser at the start of the object, looking for the array at `pointer` ("" = root).
    pub(crate) fn new(
        object: String,
        pointer: &str,
        cap_bytes: usize,
    ) -> Result<Self, ReaderError> {
        let seek = Seek::new(pointer).map_err(|message| ReaderError::InvalidSpec {
            field: "ReaderConfig.ItemsPointer".into(),
            message,
        })?;
        Ok(Self::with_phase(
            object,
            Phase::Seek(Box::new(seek)),
            FilePosition {
                line: 1,
                ..FilePosition::default()
            },
            cap_bytes,
        ))
    }

    /// A parser resuming at `at`, which lies just after an element of the target array.
    pub(crate) fn after_element(object: String, at: FilePosition, cap_bytes: usize) -> Self {
        Self::with_phase(object, Phase::AfterElement, at, cap_bytes)
    }

    fn with_phase(object: String, phase: Phase, at: FilePosition, cap_bytes: usize) -> Self {
        Self {
            object,
            phase,
            element: Vec::new(),
            element_start: at,
            at,
            cap_bytes,
            raw: false,
        }
    }

    fn error(&self, at: FilePosition, message: impl Into<String>) -> ReaderError {
        ReaderError::Json {
            object: self.object.clone(),
            line: at.line,
            offset: at.offset,
            message: message.into(),
        }
    }

    fn advance(&mut self, bytes: &[u8]) {
        self.at.offset += bytes.len() as u64;
        self.at.line = count_lines(self.at.line, bytes);
    }

    /// Handles structural bytes between elements; returns bytes consumed from `data`.
    fn between(&mut self, data: &[u8]) -> Result<usize, ReaderError> {
        let byte = data[0];
        if byte.is_ascii_whitespace() {
            self.advance(&data[..1]);
            return Ok(1);
        }
        match (&self.phase, byte) {
            (Phase::BeforeElement { first: true }, b']') | (Phase::AfterElement, b']') => {
                self.phase = Phase::Done;
            }
            (Phase::AfterElement, b',') => self.phase = Phase::BeforeElement { first: false },
            (Phase::AfterElement, other) => {
                return Err(self.error(
                    self.at,
                    format!(
                        "expected ',' or ']' after an array element, found {:?}",
                        other as char
                    ),
                ))
            }
            (Phase::BeforeElement { .. }, b']' | b',') => {
                return Err(self.error(
                    self.at,
                    format!("expected an array element, found {:?}", byte as char),
                ))
            }
            _ => {
                self.element_start = self.at;
                self.phase = Phase::InElement(ValueScan::new());
                return Ok(0);
            }
        }
        self.advance(&data[..1]);
        Ok(1)
    }

    fn element_bytes(
        &mut self,
        data: &[u8],
        out: &mut VecDeque<Record>,
    ) -> Result<usize, ReaderError> {
        let Phase::InElement(scan) = &mut self.phase else {
            return Ok(0);
        };
        let (used, complete) = scan.run(data);
        if self.element.len() + used > self.cap_bytes {
            return Err(ReaderError::RecordTooLarge {
                object: self.object.clone(),
                unit: "line",
                line: self.element_start.line,
                offset: self.element_start.offset,
                cap_bytes: self.cap_bytes,
            });
        }
        self.advance(&data[..used]);
        if !complete {
            self.element.extend_from_slice(&data[..used]);
            return Ok(used);
        }
        // An element that lies wholly in this feed is parsed in place, without a copy.
        let parsed = if self.element.is_empty() {
            parse_item(&data[..used], self.raw)
        } else {
            self.element.extend_from_slice(&data[..used]);
            let parsed = parse_item(&self.element, self.raw);
            self.element.clear();
            parsed
        };
        let item = parsed.map_err(|e| self.error(self.element_start, e.to_string()))?;
        self.at.records += 1;
        self.phase = Phase::AfterElement;
        out.push_back(Record { item, end: self.at });
        Ok(used)
    }

    fn seek_bytes(&mut self, data: &[u8]) -> Result<usize, ReaderError> {
        let Phase::Seek(seek) = &mut self.phase else {
            return Ok(0);
        };
        let (used, step) = seek.run(data);
        let consumed = &data[..used];
        let before = self.at;
        self.advance(consumed);
        match step {
            SeekStep::NeedMore => {}
            SeekStep::Found => self.phase = Phase::BeforeElement { first: true },
            SeekStep::NotIterable(detail) => {
                return Err(ReaderError::NonIterable {
                    object: self.object.clone(),
                    detail,
                })
            }
            SeekStep::Malformed(message) => return Err(self.error(before, message)),
        }
        Ok(used)
    }
}

/// One element's bytes as an item: validated text, or a `Value`.
fn parse_item(bytes: &[u8], raw: bool) -> Result<Item, serde_json::Error> {
    match raw {
        true => RawItem::parse(bytes).map(Item::Raw),
        false => serde_json::from_slice(bytes).map(Item::Value),
    }
}

impl RecordParser for JsonArrayParser {
    fn set_raw(&mut self, raw: bool) {
        self.raw = raw;
    }

    fn feed(&mut self, data: &[u8], out: &mut VecDeque<Record>) -> Result<(), ReaderError> {
        let mut rest = data;
        while !rest.is_empty() {
            let used = match self.phase {
                Phase::Done => return Ok(()),
                Phase::Seek(_) => self.seek_bytes(rest)?,
                Phase::InElement(_) => self.element_bytes(rest, out)?,
                Phase::BeforeElement { .. } | Phase::AfterElement => self.between(rest)?,
            };
            rest = &rest[used..];
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut VecDeque<Record>) -> Result<(), ReaderError> {
        // A number at the very end has no delimiter after it; a space completes it.
        if let Phase::InElement(_) = self.phase {
            self.element_bytes(b" ", out)?;
        }
        match &self.phase {
            Phase::Done => Ok(()),
            Phase::Seek(seek) if seek.saw_nothing() => Err(ReaderError::NonIterable {
                object: self.object.clone(),
                detail: "the object is empty".into(),
            }),
            _ => Err(self.error(self.at, "unexpected end of data: the array is not closed")),
        }
    }
}

#[cfg(test)]
mod tests;
