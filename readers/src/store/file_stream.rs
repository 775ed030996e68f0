//! Streaming a local file in large chunks.
//!
//! object_store's `GetResult::into_stream` reads a local file 8 KiB at a time, each read a
//! `spawn_blocking` round trip to tokio's blocking pool: 4,096 thread hand-offs per 32 MiB,
//! which cost more wall-clock time than parsing the bytes (and much more on a loaded
//! machine, where every hand-off waits for a core). Reading [`LOCAL_CHUNK_BYTES`] per hop
//! keeps the same blocking-pool discipline with 32 times fewer hops; memory grows by one
//! chunk.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::ops::Range;
use std::path::PathBuf;

use bytes::Bytes;
use futures::stream::{BoxStream, StreamExt};

/// Bytes read from a local file per blocking call.
pub(crate) const LOCAL_CHUNK_BYTES: u64 = 256 * 1024;

/// The bytes of `range` of `file` (at `path`, for errors), in chunks of at most
/// [`LOCAL_CHUNK_BYTES`], each read on tokio's blocking pool.
pub(crate) fn local_file_stream(
    file: File,
    path: PathBuf,
    range: Range<u64>,
) -> BoxStream<'static, object_store::Result<Bytes>> {
    let state = Some((file, path, range));
    futures::stream::try_unfold(state, |state| async move {
        let Some((file, path, range)) = state else {
            return Ok(None);
        };
        if range.is_empty() {
            return Ok(None);
        }
        let want = (range.end - range.start).min(LOCAL_CHUNK_BYTES);
        let start = range.start;
        let read = move || {
            let mut file = file;
            let mut chunk = Vec::with_capacity(want as usize);
            let read = file
                .seek(SeekFrom::Start(start))
                .and_then(|_| (&mut file).take(want).read_to_end(&mut chunk));
            (file, path, read.map(|_| chunk))
        };
        // Outside a tokio runtime (nothing to hand off to) the read runs here, as object_store
        // does.
        let (file, path, chunk) = match tokio::runtime::Handle::try_current() {
            Ok(runtime) => runtime
                .spawn_blocking(read)
                .await
                .map_err(|e| generic(format!("reading a local file was cancelled: {e}")))?,
            Err(_) => read(),
        };
        let chunk = chunk.map_err(|e| generic(format!("{}: {e}", path.display())))?;
        if chunk.is_empty() {
            return Err(generic(format!(
                "{}: the file ended at byte {start}, before the {} bytes expected",
                path.display(),
                range.end
            )));
        }
        let next = start + chunk.len() as u64;
        Ok(Some((
            Bytes::from(chunk),
            Some((file, path, next..range.end)),
        )))
    })
    .boxed()
}

fn generic(message: String) -> object_store::Error {
    object_store::Error::Generic {
        store: "LocalFileSystem",
        source: message.into(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use futures::TryStreamExt;

    use super::*;

    #[tokio::test]
    async fn reads_the_range_in_bounded_chunks() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let body: Vec<u8> = (0..700_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &body).unwrap();
        let chunks: Vec<Bytes> =
            local_file_stream(File::open(&path).unwrap(), path.clone(), 5..700_000)
                .try_collect()
                .await
                .unwrap();
        assert!(chunks.iter().all(|c| c.len() as u64 <= LOCAL_CHUNK_BYTES));
        assert_eq!(chunks.concat(), body[5..]);
        let short = local_file_stream(File::open(&path).unwrap(), path, 0..800_000)
            .try_collect::<Vec<Bytes>>()
            .await
            .unwrap_err();
        assert!(
            short.to_string().contains("ended at byte 700000"),
            "{short}"
        );
    }
}
