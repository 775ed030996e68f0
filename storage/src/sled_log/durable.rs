//! Making sled's files durable after `Db::flush`.
//!
//! On Linux sled 0.34's `flush` writes its log file with `pwrite` and then
//! `sync_file_range`, which neither flushes the drive's cache nor persists
//! the file's size or other metadata. So after every flush the committer
//! `fsync`s (`File::sync_all`) sled's log file `<dir>/db`, any file that
//! appeared in `<dir>/blobs/` (sled writes blobs without any sync), and the
//! directories whose entries changed.

use std::collections::HashSet;
use std::ffi::OsString;
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

/// The open handles and bookkeeping needed to `fsync` sled's files.
#[derive(Debug)]
pub(crate) struct DurableFiles {
    dir: PathBuf,
    log_file: File,
    blobs_synced: HashSet<OsString>,
}

impl DurableFiles {
    /// Opens `<dir>/db` and makes the directory itself durable (sled just
    /// created or reopened its files in it).
    pub(crate) fn open(dir: &Path) -> io::Result<DurableFiles> {
        let log_file = File::open(dir.join("db"))?;
        let mut files = DurableFiles {
            dir: dir.to_path_buf(),
            log_file,
            blobs_synced: HashSet::new(),
        };
        for name in ["conf", "db"] {
            let path = dir.join(name);
            if path.exists() {
                File::open(&path)?.sync_all()?;
            }
        }
        files.sync_new_blobs()?;
        sync_dir(dir)?;
        Ok(files)
    }

    /// `fsync`s the log file and every blob file not synced before.
    pub(crate) fn sync(&mut self) -> io::Result<()> {
        self.log_file.sync_all()?;
        self.sync_new_blobs()
    }

    fn sync_new_blobs(&mut self) -> io::Result<()> {
        let blobs = self.dir.join("blobs");
        let entries = match std::fs::read_dir(&blobs) {
            Ok(entries) => entries,
            Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(err) => return Err(err),
        };
        let mut present = HashSet::new();
        let mut created = false;
        for entry in entries {
            let entry = entry?;
            let name = entry.file_name();
            if !self.blobs_synced.contains(&name) {
                match File::open(entry.path()) {
                    Ok(file) => file.sync_all()?,
                    // sled removed a blob it no longer needs: nothing to keep.
                    Err(err) if err.kind() == io::ErrorKind::NotFound => continue,
                    Err(err) => return Err(err),
                }
                created = true;
            }
            present.insert(name);
        }
        if created {
            sync_dir(&blobs)?;
            sync_dir(&self.dir)?;
        }
        self.blobs_synced = present;
        Ok(())
    }
}

/// `fsync`s a directory so the names of files created in it are durable.
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Total size of the files in `dir` and one level below, for metrics.
pub(crate) fn disk_bytes(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut total = 0;
    for entry in entries.flatten() {
        let Ok(meta) = entry.metadata() else { continue };
        if meta.is_dir() {
            total += disk_bytes(&entry.path());
        } else {
            total += meta.len();
        }
    }
    total
}
