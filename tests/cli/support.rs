//! Running the binary and writing definitions.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use serde_json::Value;
use tempfile::TempDir;

/// A temporary directory holding a data directory and definition files.
pub struct Sandbox {
    dir: TempDir,
}

impl Sandbox {
    pub fn new() -> Sandbox {
        Sandbox {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Writes `definition` to `<name>.json` and returns its path.
    pub fn definition(&self, name: &str, definition: &Value) -> PathBuf {
        let path = self.dir.path().join(format!("{name}.json"));
        std::fs::write(&path, definition.to_string()).unwrap();
        path
    }

    /// Writes raw text to `<name>.json`.
    pub fn file(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    /// `shoal --data-dir <data> ARGS`, waited for.
    pub fn shoal(&self, args: &[&str]) -> Run {
        Run(self.command(args).output().unwrap())
    }

    /// `shoal --data-dir <data> ARGS`, spawned with piped output.
    pub fn spawn(&self, args: &[&str]) -> Child {
        self.command(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    }

    /// Spawns `shoal ARGS` (a `run` or `resume`) and returns once it said
    /// on stderr that its execution started durably.
    pub fn spawn_started(&self, args: &[&str]) -> Child {
        let mut child = self.spawn(args);
        let stderr = child.stderr.take().unwrap();
        let (started, seen) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { return };
                if line.starts_with("execution exec-") {
                    let _ = started.send(());
                }
            }
        });
        seen.recv_timeout(Duration::from_secs(60))
            .expect("shoal run reports its execution within 60 s");
        child
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_shoal"));
        command
            .arg("--data-dir")
            .arg(self.data_dir())
            .args(args)
            .env_remove("RUST_LOG")
            .env_remove("SHOAL_DATA_DIR");
        command
    }
}

/// A finished run of the binary.
pub struct Run(pub Output);

impl Run {
    pub fn code(&self) -> i32 {
        self.0.status.code().unwrap_or(-1)
    }

    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.0.stdout).to_string()
    }

    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.0.stderr).to_string()
    }

    /// Stdout parsed as one JSON document.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.0.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}): {}\nstderr: {}",
                self.stdout(),
                self.stderr()
            )
        })
    }

    /// Asserts the exit code, showing the output when it differs.
    pub fn expect_code(self, code: i32) -> Run {
        assert_eq!(
            self.code(),
            code,
            "stdout: {}\nstderr: {}",
            self.stdout(),
            self.stderr()
        );
        self
    }
}

pub fn path_str(path: &Path) -> &str {
    path.to_str().unwrap()
}
