//! Reading a program's stdout (bounded) and stderr (a bounded tail, with
//! heartbeat lines), and turning what was read into a task result.

use std::os::unix::process::ExitStatusExt;
use std::process::ExitStatus;

use serde_json::Value;
use shoal_engine::task::{TaskContext, TaskError, TaskResult};
use tokio::io::{AsyncRead, AsyncReadExt};

use super::{HEARTBEAT_LINE, INVALID_COMMAND_OUTPUT};

const CHUNK_BYTES: usize = 8 * 1024;

/// What was read from stdout: at most `limit` bytes, and whether more came.
pub(crate) struct Stdout {
    bytes: Vec<u8>,
    overflowed: bool,
}

/// Reads `pipe` to its end, keeping the first `limit` bytes; the rest is
/// drained (so the program never blocks on a full pipe) and flagged.
pub(crate) async fn read_bounded<R: AsyncRead + Unpin>(pipe: Option<R>, limit: usize) -> Stdout {
    let mut out = Stdout {
        bytes: Vec::new(),
        overflowed: false,
    };
    let Some(mut pipe) = pipe else { return out };
    let mut chunk = vec![0_u8; CHUNK_BYTES];
    loop {
        match pipe.read(&mut chunk).await {
            Ok(0) | Err(_) => return out,
            Ok(read) => {
                let room = limit.saturating_sub(out.bytes.len());
                out.bytes.extend_from_slice(&chunk[..read.min(room)]);
                out.overflowed |= read > room;
            }
        }
    }
}

/// Reads stderr to its end: each line that is exactly [`HEARTBEAT_LINE`]
/// heartbeats `context`; everything else is kept as a tail of at most
/// `tail_bytes` bytes.
pub(crate) async fn read_stderr<R: AsyncRead + Unpin>(
    pipe: Option<R>,
    tail_bytes: usize,
    context: &TaskContext,
) -> String {
    let Some(mut pipe) = pipe else {
        return String::new();
    };
    let mut tail = Vec::new();
    let mut line = Vec::new();
    let mut chunk = vec![0_u8; CHUNK_BYTES];
    loop {
        let read = match pipe.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(read) => read,
        };
        for &byte in &chunk[..read] {
            line.push(byte);
            if byte == b'\n' {
                take_line(&mut line, &mut tail, context);
            }
            // A line longer than the tail cannot be a heartbeat.
            if line.len() > tail_bytes.max(HEARTBEAT_LINE.len() + 2) {
                tail.append(&mut line);
            }
        }
        trim_front(&mut tail, tail_bytes);
    }
    take_line(&mut line, &mut tail, context);
    trim_front(&mut tail, tail_bytes);
    String::from_utf8_lossy(&tail).trim_end().to_string()
}

fn take_line(line: &mut Vec<u8>, tail: &mut Vec<u8>, context: &TaskContext) {
    let text = line.strip_suffix(b"\n").unwrap_or(line);
    let text = text.strip_suffix(b"\r").unwrap_or(text);
    if text == HEARTBEAT_LINE.as_bytes() {
        context.heartbeat();
        line.clear();
    } else {
        tail.append(line);
    }
}

fn trim_front(tail: &mut Vec<u8>, keep: usize) {
    if tail.len() > keep {
        tail.drain(..tail.len() - keep);
    }
}

/// "exited with status 3" / "was killed by signal 9".
pub(crate) fn describe_status(status: ExitStatus) -> String {
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exited with status {code}"),
        (None, Some(signal)) => format!("was killed by signal {signal}"),
        (None, None) => format!("ended with {status}"),
    }
}

/// The stderr tail as the end of a cause: `"; stderr: …"`, or nothing.
pub(crate) fn cause_suffix(stderr_tail: &str) -> String {
    if stderr_tail.is_empty() {
        String::new()
    } else {
        format!("; stderr: {stderr_tail}")
    }
}

/// The task result from a successful program's stdout.
pub(crate) fn parse_stdout(stdout: Stdout, limit: usize, program: &str) -> TaskResult {
    if stdout.overflowed {
        return Err(TaskError::new(
            INVALID_COMMAND_OUTPUT,
            format!("{program} wrote more than {limit} bytes to stdout"),
        ));
    }
    if stdout.bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Null);
    }
    serde_json::from_slice(&stdout.bytes).map_err(|error| {
        let shown = String::from_utf8_lossy(&stdout.bytes[..stdout.bytes.len().min(120)]).to_string();
        TaskError::new(
            INVALID_COMMAND_OUTPUT,
            format!("{program} did not print one JSON document on stdout ({error}); it began: {shown:?}"),
        )
    })
}

#[cfg(test)]
mod tests {
    use shoal_engine::task::{CancellationToken, TaskInvocation};

    use super::*;

    fn context() -> TaskContext {
        TaskContext::from_invocation(
            &TaskInvocation::new("shoal:command", Value::Null),
            CancellationToken::new(),
        )
    }

    #[tokio::test]
    async fn stderr_keeps_a_tail_without_heartbeats() {
        let text = b"first\nHEARTBEAT\nsecond line\nHEARTBEAT\r\nlast".to_vec();
        let tail = read_stderr(Some(&text[..]), 1024, &context()).await;
        assert_eq!(tail, "first\nsecond line\nlast");
        let tail = read_stderr(Some(&text[..]), 8, &context()).await;
        assert_eq!(tail, "ine\nlast");
    }

    #[tokio::test]
    async fn stdout_over_the_limit_is_drained_and_refused() {
        let text = [b'1'; 100];
        let stdout = read_bounded(Some(&text[..]), 10).await;
        let error = parse_stdout(stdout, 10, "command [\"x\"]").expect_err("too large");
        assert_eq!(error.error, INVALID_COMMAND_OUTPUT);
        let stdout = read_bounded(Some(&b" {\"a\": 1}\n"[..]), 10).await;
        assert_eq!(
            parse_stdout(stdout, 10, "x"),
            Ok(serde_json::json!({"a": 1}))
        );
        let stdout = read_bounded(Some(&b"\n"[..]), 10).await;
        assert_eq!(parse_stdout(stdout, 10, "x"), Ok(Value::Null));
    }
}
