//! [`Checkpoint`]: where a reader stands after a batch, as a small serde value.
//!
//! A checkpoint holds positions, never item data, so it stays a few hundred bytes whatever the
//! source. The engine stores the checkpoint returned with a batch in the same atomic commit as
//! the children for that batch; a reader rebuilt from it yields exactly the items after that
//! batch. Positions per source:
//!
//! | source | position |
//! |---|---|
//! | inline array | `items_read` is the next index |
//! | ListObjectsV2 | the request of the current page (opaque continuation token or start-after key), its page size, and the index within that page |
//! | JSON / JSONL / CSV file | decompressed byte offset of the next record, the line (JSONL, JSON) or record (CSV) number there, whether the object is gzip |
//! | S3 Inventory | MD5 of manifest.json, index of the data file, and the file position within it |
//!
//! Plain files resume with a ranged GET at the offset. **Gzip cannot seek**: a gzip file is
//! re-streamed from its start and decompressed up to the offset, which costs time proportional
//! to the skipped data but no memory. Inventory data files (always gzip) resume the same way, and
//! re-read the whole file so that its MD5 can still be verified.

use serde::{Deserialize, Serialize};

use crate::store::PageRequest;

/// Position of a reader after a batch. Serialize it with serde (JSON is fine).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// Items yielded so far (after `MaxItems` is applied): the next item's index.
    pub items_read: u64,
    /// The source-specific position.
    pub position: Position,
}

impl Checkpoint {
    /// The checkpoint of a reader that has read nothing.
    pub fn start() -> Self {
        Self {
            items_read: 0,
            position: Position::Start,
        }
    }
}

/// The source-specific part of a [`Checkpoint`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind")]
#[non_exhaustive]
pub enum Position {
    /// Nothing read yet.
    Start,
    /// The source is exhausted (or `MaxItems` was reached): a rebuilt reader yields nothing.
    Done,
    /// Inline array: the next index is [`Checkpoint::items_read`].
    Inline,
    /// ListObjectsV2: page `request` (of `max_keys` keys), of which `index` items are consumed.
    Listing {
        /// The request that returns the current page.
        request: PageRequest,
        /// The page size the request was made with (a different size gives other pages).
        max_keys: usize,
        /// Objects of the page already yielded.
        index: usize,
    },
    /// A JSON, JSONL or CSV object.
    File(FilePosition),
    /// An S3 Inventory manifest.
    Inventory {
        /// Hex MD5 of manifest.json when the checkpoint was taken (a changed manifest is refused).
        manifest_md5: String,
        /// Index into the manifest's `files`.
        file_index: usize,
        /// Position inside that data file.
        file: FilePosition,
    },
}

/// Position inside one (possibly gzip) object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FilePosition {
    /// Decompressed byte offset of the next record.
    pub offset: u64,
    /// 1-based line (JSON, JSONL) or record (CSV) number at `offset`.
    pub line: u64,
    /// Records (lines, elements or CSV rows, the header included) consumed before `offset`.
    pub records: u64,
    /// Whether the object is gzip-compressed (so resuming must re-stream from byte 0).
    pub gzip: bool,
}
