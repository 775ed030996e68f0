//! CSV with Step Functions' rules, on csv-core's push parser.
//!
//! - Every field is a string; a missing field is `""`; fields beyond the header are dropped.
//! - Quotes allow embedded delimiters and line breaks; `""` is an escaped quote.
//! - Headers come from the first row or are given; duplicates fail with
//!   "CSV headers cannot contain duplicates.".
//! - One record may not exceed the per-record cap: the output buffer has exactly that size, so an
//!   unclosed quote (which swallows the rest of the file into one field) fails as soon as the
//!   cap is crossed, without growing memory.
//! - Blank lines are skipped (csv-core's behaviour).
//! - In raw mode a row becomes its compact JSON text directly (each header's `"key":` rendered
//!   once), the text `Value::to_string` would give for the row's object.

use std::borrow::Cow;
use std::collections::{HashSet, VecDeque};

use csv_core::ReadRecordResult;
use serde_json::{Map, Value};

use super::json_text::push_string;
use super::{Record, RecordParser};
use crate::checkpoint::FilePosition;
use crate::error::ReaderError;
use crate::item::{Item, RawItem};

/// Field-count bound for one record (beyond it the record is "too large").
const MAX_FIELDS: usize = 65_536;

/// Push CSV parser producing one JSON object per data row.
pub(crate) struct CsvParser {
    object: String,
    core: csv_core::Reader,
    headers: Option<Vec<String>>,
    output: Vec<u8>,
    output_len: usize,
    ends: Vec<usize>,
    ends_len: usize,
    /// Position of the current record's first byte.
    at: FilePosition,
    /// Bytes of the current record consumed so far.
    consumed: u64,
    decode_keys: bool,
    /// Emit rows as JSON text ([`Item::Raw`]).
    raw: bool,
    /// `"header":` for each header, rendered once (raw mode).
    key_prefixes: Vec<String>,
}

impl CsvParser {
    /// A parser at `at`. `headers`: the given (or previously read) header, or None to take it
    /// from the first record. `decode_keys`: form-URL-decode the `Key` column (S3 Inventory).
    pub(crate) fn new(
        object: String,
        delimiter: u8,
        headers: Option<Vec<String>>,
        at: FilePosition,
        cap_bytes: usize,
        decode_keys: bool,
    ) -> Result<Self, ReaderError> {
        if let Some(headers) = &headers {
            check_unique(&object, headers)?;
        }
        let core = csv_core::ReaderBuilder::new().delimiter(delimiter).build();
        Ok(Self {
            object,
            core,
            output: vec![0; cap_bytes],
            output_len: 0,
            ends: vec![0; 64],
            ends_len: 0,
            at,
            consumed: 0,
            decode_keys,
            raw: false,
            key_prefixes: headers.as_deref().map(key_prefixes).unwrap_or_default(),
            headers,
        })
    }

    /// The header, once known.
    pub(crate) fn headers(&self) -> Option<&[String]> {
        self.headers.as_deref()
    }

    /// Runs csv-core over `input` (empty input means end of data).
    fn run(&mut self, mut input: &[u8], out: &mut VecDeque<Record>) -> Result<(), ReaderError> {
        let at_end = input.is_empty();
        loop {
            let (result, read, written, ends) = self.core.read_record(
                input,
                &mut self.output[self.output_len..],
                &mut self.ends[self.ends_len..],
            );
            input = &input[read..];
            self.consumed += read as u64;
            self.output_len += written;
            self.ends_len += ends;
            match result {
                ReadRecordResult::InputEmpty => return Ok(()),
                ReadRecordResult::End => return Ok(()),
                ReadRecordResult::OutputFull => return Err(self.too_large()),
                ReadRecordResult::OutputEndsFull => {
                    if self.ends.len() >= MAX_FIELDS {
                        return Err(self.too_large());
                    }
                    self.ends.resize(self.ends.len() * 2, 0);
                }
                ReadRecordResult::Record => {
                    self.record(out)?;
                    if input.is_empty() && !at_end {
                        return Ok(());
                    }
                }
            }
        }
    }

    fn record(&mut self, out: &mut VecDeque<Record>) -> Result<(), ReaderError> {
        let start = self.at;
        self.at.offset += self.consumed;
        self.at.records += 1;
        self.at.line = self.at.records + 1;
        self.consumed = 0;
        let fields = self.fields(&start)?;
        let item = match &self.headers {
            None => {
                let headers: Vec<String> = fields.iter().map(|f| (*f).to_owned()).collect();
                check_unique(&self.object, &headers)?;
                self.key_prefixes = key_prefixes(&headers);
                self.headers = Some(headers);
                None
            }
            Some(headers) if self.raw => Some(Item::Raw(self.raw_item(headers, &fields, &start)?)),
            Some(headers) => Some(Item::Value(self.item(headers, &fields, &start)?)),
        };
        self.output_len = 0;
        self.ends_len = 0;
        if let Some(item) = item {
            out.push_back(Record { item, end: self.at });
        }
        Ok(())
    }

    /// The current record's fields. The record is validated as UTF-8 once; every field is then
    /// a slice of it, and a field boundary that is not a character boundary means that field
    /// is not UTF-8 on its own (the slow path then names it).
    fn fields(&self, start: &FilePosition) -> Result<Vec<&str>, ReaderError> {
        let ends = &self.ends[..self.ends_len];
        let whole = &self.output[..ends.last().copied().unwrap_or(0)];
        let mut fields = Vec::with_capacity(ends.len());
        if let Ok(text) = std::str::from_utf8(whole) {
            let mut from = 0;
            for &end in ends {
                match text.get(from..end) {
                    Some(field) => fields.push(field),
                    None => break,
                }
                from = end;
            }
            if fields.len() == ends.len() {
                return Ok(fields);
            }
            fields.clear();
        }
        let mut from = 0;
        for &end in ends {
            let text =
                std::str::from_utf8(&self.output[from..end]).map_err(|e| ReaderError::Csv {
                    object: self.object.clone(),
                    record: start.records + 1,
                    offset: start.offset,
                    message: format!("field {} is not UTF-8: {e}", fields.len() + 1),
                })?;
            fields.push(text);
            from = end;
        }
        Ok(fields)
    }

    fn item(
        &self,
        headers: &[String],
        fields: &[&str],
        start: &FilePosition,
    ) -> Result<Value, ReaderError> {
        let mut map = Map::with_capacity(headers.len());
        for (i, header) in headers.iter().enumerate() {
            let value = self.field(header, fields.get(i).copied(), start)?;
            map.insert(header.clone(), Value::String(value.into_owned()));
        }
        Ok(Value::Object(map))
    }

    /// The row as compact JSON text, without building a `Value`.
    fn raw_item(
        &self,
        headers: &[String],
        fields: &[&str],
        start: &FilePosition,
    ) -> Result<RawItem, ReaderError> {
        let size: usize = self.key_prefixes.iter().map(String::len).sum::<usize>()
            + fields.iter().map(|f| f.len() + 3).sum::<usize>();
        let mut text = String::with_capacity(size + 2);
        text.push('{');
        for (i, (header, prefix)) in headers.iter().zip(&self.key_prefixes).enumerate() {
            if i > 0 {
                text.push(',');
            }
            text.push_str(prefix);
            push_string(
                &mut text,
                &self.field(header, fields.get(i).copied(), start)?,
            );
        }
        text.push('}');
        Ok(RawItem::from_rendered(text))
    }

    /// Field `field` (None: missing, so "") under `header`, form-decoded when it is an
    /// inventory's `Key`.
    fn field<'a>(
        &self,
        header: &str,
        field: Option<&'a str>,
        start: &FilePosition,
    ) -> Result<Cow<'a, str>, ReaderError> {
        let field = field.unwrap_or("");
        if !(self.decode_keys && header == "Key") {
            return Ok(Cow::Borrowed(field));
        }
        form_decode(field)
            .map(Cow::Owned)
            .ok_or_else(|| ReaderError::Csv {
                object: self.object.clone(),
                record: start.records + 1,
                offset: start.offset,
                message: format!("Key {field:?} is not valid form-URL-encoded UTF-8"),
            })
    }

    fn too_large(&self) -> ReaderError {
        ReaderError::RecordTooLarge {
            object: self.object.clone(),
            unit: "record",
            line: self.at.records + 1,
            offset: self.at.offset,
            cap_bytes: self.output.len(),
        }
    }
}

impl RecordParser for CsvParser {
    fn set_raw(&mut self, raw: bool) {
        self.raw = raw;
    }

    fn feed(&mut self, data: &[u8], out: &mut VecDeque<Record>) -> Result<(), ReaderError> {
        if data.is_empty() {
            return Ok(());
        }
        self.run(data, out)
    }

    fn finish(&mut self, out: &mut VecDeque<Record>) -> Result<(), ReaderError> {
        self.run(&[], out)
    }
}

/// `"header":` for each header, for raw rows.
fn key_prefixes(headers: &[String]) -> Vec<String> {
    headers
        .iter()
        .map(|header| {
            let mut prefix = String::with_capacity(header.len() + 3);
            push_string(&mut prefix, header);
            prefix.push(':');
            prefix
        })
        .collect()
}

fn check_unique(object: &str, headers: &[String]) -> Result<(), ReaderError> {
    let mut seen = HashSet::new();
    for header in headers {
        if !seen.insert(header.as_str()) {
            return Err(ReaderError::DuplicateHeaders {
                object: object.to_owned(),
                header: header.clone(),
            });
        }
    }
    Ok(())
}

/// Decodes an S3 Inventory key: `+` is a space, then `%XX` escapes (like Python's unquote_plus).
/// None when an escape is malformed or the result is not UTF-8.
pub(crate) fn form_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => decoded.push(b' '),
            b'%' => {
                let hex = bytes.get(i + 1..i + 3)?;
                let hex = std::str::from_utf8(hex).ok()?;
                decoded.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            other => decoded.push(other),
        }
        i += 1;
    }
    String::from_utf8(decoded).ok()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn parse(
        text: &str,
        headers: Option<Vec<String>>,
        delimiter: u8,
    ) -> Result<Vec<Value>, ReaderError> {
        let mut parser = CsvParser::new(
            "m:t.csv".into(),
            delimiter,
            headers,
            FilePosition::default(),
            64,
            false,
        )?;
        let mut out = VecDeque::new();
        // Feed byte by byte: the hardest chunking.
        for b in text.as_bytes() {
            parser.feed(std::slice::from_ref(b), &mut out)?;
        }
        parser.finish(&mut out)?;
        Ok(out
            .into_iter()
            .map(|r| r.item.into_value().unwrap())
            .collect())
    }

    #[test]
    fn step_functions_rules() {
        let items = parse("a,b\n1,\"x,\"\"y\"\"\nz\"\n2\n3,4,5\n\n", None, b',').unwrap();
        assert_eq!(
            items,
            vec![
                serde_json::json!({"a":"1","b":"x,\"y\"\nz"}),
                serde_json::json!({"a":"2","b":""}),
                serde_json::json!({"a":"3","b":"4"}),
            ]
        );
    }

    #[test]
    fn raw_rows_are_the_compact_text_of_the_value_rows() {
        let text =
            "a,\"q\"\"k\",\u{e9}\n1,\"x,\"\"y\"\"\nz\",\"\\\u{7f}\u{1}\"\n2\n\"\t\r\",4,5,6\n";
        let run = |raw: bool| {
            let mut parser =
                CsvParser::new("m:t".into(), b',', None, FilePosition::default(), 64, false)
                    .unwrap();
            parser.set_raw(raw);
            let mut out = VecDeque::new();
            parser.feed(text.as_bytes(), &mut out).unwrap();
            parser.finish(&mut out).unwrap();
            out.into_iter().map(|r| r.item).collect::<Vec<_>>()
        };
        let values: Vec<Value> = run(false)
            .into_iter()
            .map(|item| item.into_value().unwrap())
            .collect();
        let raws: Vec<String> = run(true)
            .into_iter()
            .map(|item| match item {
                Item::Raw(raw) => raw.into_string(),
                Item::Value(value) => panic!("raw mode gave a Value: {value}"),
            })
            .collect();
        assert_eq!(values.len(), 3);
        let rendered: Vec<String> = values.iter().map(Value::to_string).collect();
        assert_eq!(raws, rendered);
    }

    #[test]
    fn given_headers_and_other_delimiters() {
        let items = parse("1|2\n", Some(vec!["H1".into()]), b'|').unwrap();
        assert_eq!(items, vec![serde_json::json!({"H1":"1"})]);
    }

    #[test]
    fn record_positions_allow_resume() {
        let mut parser =
            CsvParser::new("m:t".into(), b',', None, FilePosition::default(), 64, false).unwrap();
        let mut out = VecDeque::new();
        parser.feed(b"h\nab\ncd", &mut out).unwrap();
        parser.finish(&mut out).unwrap();
        let ends: Vec<u64> = out.iter().map(|r| r.end.offset).collect();
        assert_eq!(ends, vec![5, 7]);
    }

    #[test]
    fn a_character_split_across_fields_is_not_utf8() {
        // "é" is C3 A9: the record as a whole is valid UTF-8, but neither field is.
        let mut parser = CsvParser::new(
            "m:t".into(),
            b',',
            Some(vec!["a".into(), "b".into()]),
            FilePosition::default(),
            64,
            false,
        )
        .unwrap();
        let mut out = VecDeque::new();
        let error = parser
            .feed(b"ok,\xc3\xa9\nx\xc3,\xa9y\n", &mut out)
            .unwrap_err();
        assert_eq!(out.len(), 1, "the valid first record is kept");
        assert!(
            matches!(&error, ReaderError::Csv { record: 2, message, .. } if message.starts_with("field 1 is not UTF-8")),
            "{error:?}"
        );
    }

    #[test]
    fn form_decoding() {
        assert_eq!(form_decode("odd/a+b%2Bc.csv").unwrap(), "odd/a b+c.csv");
        assert_eq!(form_decode("%E2%82%AC").unwrap(), "€");
        assert!(form_decode("%zz").is_none());
        assert!(form_decode("%4").is_none());
    }
}
