//! [`CommandRequest`]: what a `shoal:command` task's input asks for.

use serde_json::Value;
use shoal_engine::task::builtin::INVALID_INPUT;
use shoal_engine::task::TaskError;

use super::COMMAND;

/// A validated request: the argv and the JSON for stdin.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CommandRequest {
    argv: Vec<String>,
    stdin: Value,
}

impl CommandRequest {
    /// Reads `Command` (non-empty array of strings) and `Input` (optional;
    /// otherwise the input object without `Command`). Fails with
    /// `shoal.InvalidInput` naming the field.
    pub(crate) fn from_input(input: Value) -> Result<CommandRequest, TaskError> {
        let Value::Object(mut fields) = input else {
            return Err(invalid(
                "the task input",
                "a JSON object with a \"Command\" field",
            ));
        };
        let argv = match fields.remove("Command") {
            Some(Value::Array(items)) if !items.is_empty() => items
                .into_iter()
                .map(|item| match item {
                    Value::String(text) => Ok(text),
                    _ => Err(invalid("Command", "an array of strings")),
                })
                .collect::<Result<Vec<_>, _>>()?,
            Some(_) => return Err(invalid("Command", "a non-empty array of strings")),
            None => return Err(invalid("Command", "present (the argv to run)")),
        };
        let stdin = match fields.remove("Input") {
            Some(value) => value,
            None => Value::Object(fields),
        };
        Ok(CommandRequest { argv, stdin })
    }

    /// `argv[0]`.
    pub(crate) fn program(&self) -> &str {
        // from_input refuses an empty argv.
        self.argv.first().map(String::as_str).unwrap_or_default()
    }

    /// `argv[1..]`.
    pub(crate) fn args(&self) -> &[String] {
        self.argv.get(1..).unwrap_or_default()
    }

    /// The stdin document, newline-terminated.
    pub(crate) fn stdin_bytes(&self) -> Vec<u8> {
        let mut bytes = self.stdin.to_string().into_bytes();
        bytes.push(b'\n');
        bytes
    }

    /// The program as errors name it: `command ["sh", "-c", "…"]`.
    pub(crate) fn describe(&self) -> String {
        const SHOWN_BYTES_MAX: usize = 200;
        let mut text = serde_json::to_string(&self.argv).unwrap_or_default();
        if text.len() > SHOWN_BYTES_MAX {
            let mut cut = SHOWN_BYTES_MAX;
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            text.truncate(cut);
            text.push('…');
        }
        format!("command {text}")
    }
}

fn invalid(field: &str, expected: &str) -> TaskError {
    TaskError::new(
        INVALID_INPUT,
        format!("{COMMAND}: {field} must be {expected}"),
    )
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn input_without_command_goes_to_stdin_unless_input_is_given() {
        let request =
            CommandRequest::from_input(json!({"Command": ["cat", "-"], "a": 1})).expect("valid");
        assert_eq!(request.program(), "cat");
        assert_eq!(request.args(), ["-".to_string()]);
        assert_eq!(request.stdin_bytes(), b"{\"a\":1}\n".to_vec());
        let request = CommandRequest::from_input(json!({"Command": ["cat"], "Input": [1], "a": 1}))
            .expect("valid");
        assert_eq!(request.stdin_bytes(), b"[1]\n".to_vec());
    }

    #[test]
    fn bad_commands_name_the_field() {
        for input in [
            json!({"Command": []}),
            json!({"Command": "ls"}),
            json!({"Command": [1]}),
            json!({}),
            json!(3),
        ] {
            let error = CommandRequest::from_input(input.clone()).expect_err("invalid");
            assert_eq!(error.error, INVALID_INPUT, "{input}");
            assert!(
                error.cause.contains("Command") || error.cause.contains("task input"),
                "{error}"
            );
        }
    }
}
