//! [`ObjectBytes`]: an object's decompressed bytes as a stream of chunks, from an offset.
//!
//! Plain objects are read with a ranged GET starting at the offset. Gzip objects (key ending
//! in `.gz`, or starting with the gzip magic bytes) are always streamed from byte 0 and the
//! decompressed bytes before the offset are dropped, because a deflate stream cannot be entered
//! in the middle. Concatenated gzip members are read as one stream, like `gzip -d`.
//!
//! Memory: compressed input is fed to the decoder in slices of [`GZIP_SLICE_BYTES`], so one
//! decompressed chunk is at most about 1,000 times that (deflate's maximum ratio), however the
//! server chunks its body.

use std::io::Write;

use bytes::Bytes;
use flate2::write::MultiGzDecoder;
use futures::stream::BoxStream;
use futures::StreamExt;
use md5::{Digest, Md5};

use crate::error::ReaderError;
use crate::store::Store;

/// Compressed bytes handed to the gzip decoder at once.
const GZIP_SLICE_BYTES: usize = 4 * 1024;
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// A stream of decompressed chunks of one object.
pub(crate) struct ObjectBytes {
    object: String,
    stream: BoxStream<'static, object_store::Result<Bytes>>,
    decoder: Option<MultiGzDecoder<Vec<u8>>>,
    /// Compressed bytes received but not yet given to the decoder.
    pending: Bytes,
    /// Decompressed bytes still to drop (gzip resume).
    skip: u64,
    compressed_read: u64,
    md5: Option<Md5>,
    ended: bool,
    gzip: bool,
}

impl ObjectBytes {
    /// Opens `key` at decompressed `offset`. `gzip` is the checkpoint's knowledge (None: detect
    /// from the key suffix and the first bytes). With `with_md5`, the MD5 of the raw object is
    /// computed, and the object is then always streamed from byte 0 (the offset is skipped).
    pub(crate) async fn open(
        store: &Store,
        key: &str,
        offset: u64,
        gzip: Option<bool>,
        with_md5: bool,
    ) -> Result<Self, ReaderError> {
        let object = store.describe(key);
        let known_gzip = gzip.unwrap_or_else(|| key.ends_with(".gz"));
        let (stream, start) = if offset > 0 && !known_gzip && !with_md5 {
            let size = store.head(key).await?.size;
            if offset >= size {
                (futures::stream::empty().boxed(), offset)
            } else {
                (store.get_stream(key, offset).await?.0, offset)
            }
        } else {
            (store.get_stream(key, 0).await?.0, 0)
        };
        let mut bytes = Self {
            object,
            stream,
            decoder: None,
            pending: Bytes::new(),
            skip: offset - start,
            compressed_read: 0,
            md5: with_md5.then(Md5::new),
            ended: false,
            gzip: known_gzip,
        };
        if start == 0 {
            let first = bytes.fetch().await?;
            if known_gzip && !first.is_empty() && !first.starts_with(&GZIP_MAGIC) {
                return Err(ReaderError::Gzip {
                    object: bytes.object,
                    offset: 0,
                    message:
                        "the object ends in .gz but does not start with the gzip magic bytes 1f 8b"
                            .into(),
                });
            }
            bytes.gzip = known_gzip || first.starts_with(&GZIP_MAGIC);
            bytes.pending = first;
        }
        if bytes.gzip {
            bytes.decoder = Some(MultiGzDecoder::new(Vec::new()));
        }
        Ok(bytes)
    }

    /// Whether the object is gzip-compressed.
    pub(crate) fn is_gzip(&self) -> bool {
        self.gzip
    }

    /// Hex MD5 of the raw bytes read so far (complete once [`ObjectBytes::next_chunk`] gave None).
    pub(crate) fn md5_hex(&self) -> Option<String> {
        self.md5.as_ref().map(|m| hex(&m.clone().finalize()))
    }

    async fn fetch(&mut self) -> Result<Bytes, ReaderError> {
        loop {
            match self.stream.next().await {
                None => {
                    self.ended = true;
                    return Ok(Bytes::new());
                }
                Some(Err(e)) => return Err(ReaderError::store(self.object.clone(), e)),
                Some(Ok(chunk)) if chunk.is_empty() => continue,
                Some(Ok(chunk)) => {
                    if let Some(md5) = &mut self.md5 {
                        md5.update(&chunk);
                    }
                    return Ok(chunk);
                }
            }
        }
    }

    /// The next non-empty decompressed chunk, or None at the end of the object.
    pub(crate) async fn next_chunk(&mut self) -> Result<Option<Bytes>, ReaderError> {
        loop {
            if self.pending.is_empty() {
                if self.ended {
                    match self.finish()? {
                        Some(tail) => {
                            let tail = self.drop_skipped(tail);
                            if tail.is_empty() {
                                continue;
                            }
                            return Ok(Some(tail));
                        }
                        None => return Ok(None),
                    }
                }
                self.pending = self.fetch().await?;
                continue;
            }
            let chunk = match self.decoder.is_some() {
                true => self.inflate_slice()?,
                false => std::mem::take(&mut self.pending),
            };
            let chunk = self.drop_skipped(chunk);
            if !chunk.is_empty() {
                return Ok(Some(chunk));
            }
        }
    }

    fn inflate_slice(&mut self) -> Result<Bytes, ReaderError> {
        let take = self.pending.len().min(GZIP_SLICE_BYTES);
        let slice = self.pending.split_to(take);
        let Some(decoder) = self.decoder.as_mut() else {
            return Ok(slice);
        };
        let written = decoder.write_all(&slice);
        self.compressed_read += take as u64;
        written.map_err(|e| self.gzip_error(&e))?;
        let Some(decoder) = self.decoder.as_mut() else {
            return Ok(Bytes::new());
        };
        Ok(Bytes::from(std::mem::take(decoder.get_mut())))
    }

    /// Ends the gzip stream (checking its trailer) and returns any last decompressed bytes.
    fn finish(&mut self) -> Result<Option<Bytes>, ReaderError> {
        let Some(mut decoder) = self.decoder.take() else {
            return Ok(None);
        };
        if self.compressed_read == 0 {
            return Err(ReaderError::Gzip {
                object: self.object.clone(),
                offset: 0,
                message: "empty object is not a gzip stream".into(),
            });
        }
        decoder.try_finish().map_err(|e| self.gzip_error(&e))?;
        let tail = std::mem::take(decoder.get_mut());
        Ok((!tail.is_empty()).then(|| Bytes::from(tail)))
    }

    fn drop_skipped(&mut self, mut chunk: Bytes) -> Bytes {
        if self.skip > 0 {
            let drop = (self.skip.min(chunk.len() as u64)) as usize;
            self.skip -= drop as u64;
            let _ = chunk.split_to(drop);
        }
        chunk
    }

    fn gzip_error(&self, e: &std::io::Error) -> ReaderError {
        ReaderError::Gzip {
            object: self.object.clone(),
            offset: self.compressed_read,
            message: e.to_string(),
        }
    }
}

/// Lower-case hex of a digest.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
