//! The read path: stream reads merge the journal index with compacted
//! chunks; row reads go to sled behind the visibility gate.
//!
//! Read order matters. A stream read first copies what the journal index
//! holds for the stream and only then scans the chunks. The compactor
//! writes chunks *before* it drops their records from the index, so a
//! record that moves during the read is seen at least once (duplicates are
//! merged by sequence number) and never missed.

use std::collections::BTreeMap;
use std::ops::Bound;

use super::guard::{guarded, sled_error};
use super::keys::{chunk_key, chunk_prefix, describe_key, parse_chunk_key, row_key};
use super::Shared;
use crate::codec::{decode_chunk, decode_row_value};
use crate::error::LogError;
use crate::log::Row;
use crate::types::{Keyspace, Record, Seq, StreamId};

impl Shared {
    pub(crate) fn read_stream(
        &self,
        stream: StreamId,
        from: Seq,
        limit: usize,
    ) -> Result<Vec<Record>, LogError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let journal = self.pending.read().read(stream, from, limit);
        let chunks = self.chunk_records(stream, from, limit)?;
        if chunks.is_empty() {
            return Ok(journal);
        }
        let mut merged: BTreeMap<Seq, Record> = chunks.into_iter().map(|r| (r.seq, r)).collect();
        merged.extend(journal.into_iter().map(|r| (r.seq, r)));
        Ok(merged.into_values().take(limit).collect())
    }

    pub(crate) fn last_seq(&self, stream: StreamId) -> Result<Option<Seq>, LogError> {
        if let Some(seq) = self.pending.read().last_seq(stream) {
            return Ok(Some(seq));
        }
        let prefix = chunk_prefix(stream);
        let last = guarded(
            || format!("last chunk of {stream}"),
            || {
                let item = self.db.scan_prefix(prefix).next_back();
                item.transpose().map_err(|e| {
                    sled_error(e, "reading the last chunk", || {
                        format!("chunks of {stream}")
                    })
                })
            },
        )?;
        let Some((key, value)) = last else {
            return Ok(None);
        };
        let records = self.decode_chunk_at(&key, &value)?;
        Ok(records.last().map(|record| record.seq))
    }

    /// Records of `stream` with `seq >= from` stored in chunks, at least
    /// `limit` of them when there are that many.
    fn chunk_records(
        &self,
        stream: StreamId,
        from: Seq,
        limit: usize,
    ) -> Result<Vec<Record>, LogError> {
        let prefix = chunk_prefix(stream);
        let start = chunk_key(stream, from);
        guarded(
            || format!("chunks of {stream} from {from}"),
            || {
                let location = || format!("chunks of {stream}");
                // The chunk holding `from` may start before it.
                let begin = match self.db.range(&prefix[..]..=&start[..]).next_back() {
                    Some(item) => item
                        .map_err(|e| sled_error(e, "reading chunks", location))?
                        .0
                        .to_vec(),
                    None => start.to_vec(),
                };
                let mut out = Vec::new();
                for item in self.db.range(begin..) {
                    let (key, value) =
                        item.map_err(|e| sled_error(e, "reading chunks", location))?;
                    if !key.starts_with(&prefix) {
                        break;
                    }
                    let records = self.decode_chunk_at(&key, &value)?;
                    out.extend(records.into_iter().filter(|record| record.seq >= from));
                    if out.len() >= limit {
                        break;
                    }
                }
                Ok(out)
            },
        )
    }

    fn decode_chunk_at(&self, key: &[u8], value: &[u8]) -> Result<Vec<Record>, LogError> {
        let (stream, first) = parse_chunk_key(key).ok_or_else(|| LogError::Corrupt {
            location: describe_key(key),
            detail: "not a chunk key".to_owned(),
        })?;
        decode_chunk(stream, first, value).map_err(|err| LogError::Corrupt {
            location: describe_key(key),
            detail: err.to_string(),
        })
    }

    pub(crate) fn get_row(&self, space: Keyspace, key: &[u8]) -> Result<Option<Vec<u8>>, LogError> {
        let stored_key = row_key(space, key);
        let _visible = self.gate.read();
        self.poison.check_rows()?;
        let stored = guarded(
            || describe_key(&stored_key),
            || {
                self.db
                    .get(&stored_key)
                    .map_err(|e| sled_error(e, "reading a row", || describe_key(&stored_key)))
            },
        )?;
        match stored {
            None => Ok(None),
            Some(stored) => decode_row_value(space, key, &stored)
                .map(Some)
                .map_err(|err| LogError::Corrupt {
                    location: describe_key(&stored_key),
                    detail: err.to_string(),
                }),
        }
    }

    pub(crate) fn scan_rows(
        &self,
        space: Keyspace,
        prefix: &[u8],
        start_after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<Row>, LogError> {
        let full_prefix = row_key(space, prefix);
        let lower = match start_after {
            Some(after) if after >= prefix => Bound::Excluded(row_key(space, after)),
            _ => Bound::Included(full_prefix.clone()),
        };
        let _visible = self.gate.read();
        self.poison.check_rows()?;
        guarded(
            || format!("rows of {space}"),
            || {
                let mut out = Vec::new();
                for item in self.db.range((lower, Bound::Unbounded)) {
                    if out.len() >= limit {
                        break;
                    }
                    let (stored_key, stored) = item.map_err(|e| {
                        sled_error(e, "scanning rows", || format!("rows of {space}"))
                    })?;
                    if !stored_key.starts_with(&full_prefix) {
                        break;
                    }
                    let key = stored_key[2..].to_vec();
                    let value = decode_row_value(space, &key, &stored).map_err(|err| {
                        LogError::Corrupt {
                            location: describe_key(&stored_key),
                            detail: err.to_string(),
                        }
                    })?;
                    out.push((key, value));
                }
                Ok(out)
            },
        )
    }
}
