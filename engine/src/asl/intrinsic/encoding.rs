//! Encoding and string intrinsics: Base64Encode, Base64Decode, Hash,
//! StringSplit.

use base64::Engine as _;
use serde_json::Value;

use super::ast::IntrinsicFunction as F;
use super::eval::{arg, string_arg, Arg};
use crate::asl::error::StatesError;

/// Longest input (in characters) of Base64Encode/Decode and Hash.
pub const MAX_INPUT_CHARS: usize = 10_000;

fn check_len(f: F, text: &str) -> Result<(), StatesError> {
    if text.chars().count() > MAX_INPUT_CHARS {
        return Err(StatesError::intrinsic(format!(
            "{}: the input is longer than {MAX_INPUT_CHARS} characters",
            f.name()
        )));
    }
    Ok(())
}

pub(crate) fn base64_encode(args: &[Arg]) -> Result<Value, StatesError> {
    let text = string_arg(F::Base64Encode, args, 0)?;
    check_len(F::Base64Encode, text)?;
    Ok(Value::String(
        base64::engine::general_purpose::STANDARD.encode(text.as_bytes()),
    ))
}

pub(crate) fn base64_decode(args: &[Arg]) -> Result<Value, StatesError> {
    let text = string_arg(F::Base64Decode, args, 0)?;
    check_len(F::Base64Decode, text)?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text.as_bytes())
        .map_err(|e| StatesError::intrinsic(format!("States.Base64Decode: invalid base64: {e}")))?;
    String::from_utf8(bytes)
        .map(Value::String)
        .map_err(|_| StatesError::intrinsic("States.Base64Decode: the decoded bytes are not UTF-8"))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `States.Hash(data, algorithm)`: lowercase hex digest of the UTF-8 data
/// (a non-string value is hashed as its JSON text).
pub(crate) fn hash(args: &[Arg]) -> Result<Value, StatesError> {
    use sha1::Digest as _;
    let data = arg(F::Hash, args, 0)?;
    let text = match data {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    check_len(F::Hash, &text)?;
    let bytes = text.as_bytes();
    let digest = match string_arg(F::Hash, args, 1)? {
        "MD5" => hex(&md5::Md5::digest(bytes)),
        "SHA-1" => hex(&sha1::Sha1::digest(bytes)),
        "SHA-256" => hex(&sha2::Sha256::digest(bytes)),
        "SHA-384" => hex(&sha2::Sha384::digest(bytes)),
        "SHA-512" => hex(&sha2::Sha512::digest(bytes)),
        other => {
            return Err(StatesError::intrinsic(format!(
                "States.Hash: unsupported algorithm \"{other}\" (use MD5, SHA-1, SHA-256, SHA-384 or SHA-512)"
            )))
        }
    };
    Ok(Value::String(digest))
}

/// `States.StringSplit(string, delimiters)`: splits on every character of
/// `delimiters`; empty pieces are dropped (as a tokenizer does).
pub(crate) fn string_split(args: &[Arg]) -> Result<Value, StatesError> {
    let text = string_arg(F::StringSplit, args, 0)?;
    let delimiters: Vec<char> = string_arg(F::StringSplit, args, 1)?.chars().collect();
    if delimiters.is_empty() {
        return Ok(Value::Array(vec![Value::String(text.to_string())]));
    }
    Ok(Value::Array(
        text.split(|c| delimiters.contains(&c))
            .filter(|s| !s.is_empty())
            .map(|s| Value::String(s.to_string()))
            .collect(),
    ))
}
