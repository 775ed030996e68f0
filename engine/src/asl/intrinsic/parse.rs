//! The intrinsic function parser: `States.Name(arg, ...)` where an argument
//! is a `'string'` (escapes `\'` `\{` `\}` `\\`), a number, `true`, `false`,
//! `null`, a path `$...`/`$$...`, or a nested call.

use super::ast::{IntrinsicArg, IntrinsicCall, IntrinsicFunction, StringLiteral};
use crate::asl::path::JsonPath;

/// An intrinsic call that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason} at character {position}")]
pub struct IntrinsicSyntaxError {
    /// 0-based character offset.
    pub position: usize,
    /// What is wrong.
    pub reason: String,
}

/// Parses JSON number text exactly: integers as integers, others with the
/// standard library's correctly rounded float parser (serde_json's default
/// parser may be off by one unit in the last place). `None` when it is not
/// JSON number syntax or not finite.
pub(crate) fn parse_json_number(text: &str) -> Option<serde_json::Number> {
    // Validate the JSON grammar first (no "+1", "01", ".5", "1.").
    serde_json::from_str::<serde_json::Number>(text).ok()?;
    if let Ok(i) = text.parse::<i64>() {
        return Some(i.into());
    }
    if let Ok(u) = text.parse::<u64>() {
        return Some(u.into());
    }
    text.parse::<f64>()
        .ok()
        .and_then(serde_json::Number::from_f64)
}

/// The deepest nesting of calls Step Functions allows in one field.
pub const MAX_NESTING: usize = 10;

/// True when `text` looks like an intrinsic call (starts with `States.`);
/// used to tell an intrinsic from a path in `.$` values.
pub fn looks_like_intrinsic(text: &str) -> bool {
    text.trim_start().starts_with("States.")
}

impl IntrinsicCall {
    /// Parses a whole call; nothing may follow the closing parenthesis.
    pub fn parse(text: &str) -> Result<Self, IntrinsicSyntaxError> {
        let mut p = Parser {
            chars: text.chars().collect(),
            pos: 0,
        };
        p.skip_ws();
        let call = p.call(1)?;
        p.skip_ws();
        if p.pos < p.chars.len() {
            return p.err("unexpected text after the call");
        }
        Ok(call)
    }
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    fn err<T>(&self, reason: impl Into<String>) -> Result<T, IntrinsicSyntaxError> {
        Err(IntrinsicSyntaxError {
            position: self.pos,
            reason: reason.into(),
        })
    }

    fn call(&mut self, depth: usize) -> Result<IntrinsicCall, IntrinsicSyntaxError> {
        if depth > MAX_NESTING {
            return self.err(format!(
                "more than {MAX_NESTING} nested intrinsic functions"
            ));
        }
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '.')
        {
            self.pos += 1;
        }
        let name: String = self.chars[start..self.pos].iter().collect();
        let Some(function) = IntrinsicFunction::from_name(&name) else {
            self.pos = start;
            return self.err(format!("unknown intrinsic function \"{name}\""));
        };
        self.skip_ws();
        if self.peek() != Some('(') {
            return self.err("expected '('");
        }
        self.pos += 1;
        let mut args = Vec::new();
        self.skip_ws();
        if self.peek() == Some(')') {
            self.pos += 1;
        } else {
            loop {
                self.skip_ws();
                args.push(self.arg(depth)?);
                self.skip_ws();
                match self.peek() {
                    Some(',') => self.pos += 1,
                    Some(')') => {
                        self.pos += 1;
                        break;
                    }
                    _ => return self.err("expected ',' or ')'"),
                }
            }
        }
        let (min, max) = function.arity();
        if args.len() < min || args.len() > max {
            let expected = match (min, max) {
                (min, usize::MAX) => format!("at least {min}"),
                (min, max) if min == max => format!("{min}"),
                (min, max) => format!("{min} to {max}"),
            };
            return self.err(format!(
                "{} takes {expected} argument(s), got {}",
                function.name(),
                args.len()
            ));
        }
        Ok(IntrinsicCall { function, args })
    }

    fn arg(&mut self, depth: usize) -> Result<IntrinsicArg, IntrinsicSyntaxError> {
        match self.peek() {
            Some('\'') => self.string(),
            Some('$') => self.path(),
            Some(c) if c == '-' || c.is_ascii_digit() => self.number(),
            Some('S') => Ok(IntrinsicArg::Call(self.call(depth + 1)?)),
            Some(_) => {
                for (word, arg) in [
                    ("true", IntrinsicArg::Bool(true)),
                    ("false", IntrinsicArg::Bool(false)),
                    ("null", IntrinsicArg::Null),
                ] {
                    if self.word(word) {
                        return Ok(arg);
                    }
                }
                self.err("expected an argument")
            }
            None => self.err("unexpected end of input"),
        }
    }

    fn word(&mut self, word: &str) -> bool {
        let n = word.chars().count();
        let matches = word
            .chars()
            .enumerate()
            .all(|(i, c)| self.chars.get(self.pos + i) == Some(&c));
        let boundary = !self
            .chars
            .get(self.pos + n)
            .is_some_and(|c| c.is_alphanumeric() || *c == '_');
        if matches && boundary {
            self.pos += n;
        }
        matches && boundary
    }

    fn string(&mut self) -> Result<IntrinsicArg, IntrinsicSyntaxError> {
        self.pos += 1;
        let mut raw = String::new();
        loop {
            match self.peek() {
                None => return self.err("unterminated string literal"),
                Some('\\') => {
                    let Some(next) = self.chars.get(self.pos + 1).copied() else {
                        return self.err("unterminated escape");
                    };
                    if !matches!(next, '\'' | '{' | '}' | '\\') {
                        return self.err(format!(
                            "invalid escape \"\\{next}\" (only \\' \\{{ \\}} \\\\ are allowed)"
                        ));
                    }
                    raw.push('\\');
                    raw.push(next);
                    self.pos += 2;
                }
                Some('\'') => {
                    self.pos += 1;
                    return Ok(IntrinsicArg::String(StringLiteral { raw }));
                }
                Some(c) => {
                    raw.push(c);
                    self.pos += 1;
                }
            }
        }
    }

    fn number(&mut self) -> Result<IntrinsicArg, IntrinsicSyntaxError> {
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_digit() || "-+.eE".contains(c))
        {
            self.pos += 1;
        }
        let text: String = self.chars[start..self.pos].iter().collect();
        match parse_json_number(&text) {
            Some(n) => Ok(IntrinsicArg::Number(n)),
            None => {
                self.pos = start;
                self.err(format!("invalid number \"{text}\""))
            }
        }
    }

    /// A path runs until a top-level ',' or ')' (brackets, parentheses and
    /// quotes inside it are skipped over).
    fn path(&mut self) -> Result<IntrinsicArg, IntrinsicSyntaxError> {
        let start = self.pos;
        let mut depth = 0usize;
        let mut quote: Option<char> = None;
        while let Some(c) = self.peek() {
            match (quote, c) {
                (Some(_), '\\') => self.pos += 1,
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, '\'' | '"') => quote = Some(c),
                (None, '[' | '(') => depth += 1,
                (None, ']') => depth = depth.saturating_sub(1),
                (None, ')') if depth == 0 => break,
                (None, ')') => depth -= 1,
                (None, ',') if depth == 0 => break,
                (None, c) if c.is_whitespace() && depth == 0 => break,
                _ => {}
            }
            self.pos += 1;
        }
        let text: String = self.chars[start..self.pos.min(self.chars.len())]
            .iter()
            .collect();
        match JsonPath::parse(&text) {
            Ok(p) => Ok(IntrinsicArg::Path(p)),
            Err(e) => {
                self.pos = start + e.position;
                self.err(format!("invalid path \"{text}\": {}", e.reason))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_nested_calls_and_literals() {
        let call = IntrinsicCall::parse(
            "States.Format('Hello \\'{}\\' {}', $.name, States.MathAdd(1, -2.5))",
        )
        .expect("valid call");
        assert_eq!(call.function, IntrinsicFunction::Format);
        assert_eq!(call.args.len(), 3);
        assert!(
            matches!(&call.args[2], IntrinsicArg::Call(c) if c.function == IntrinsicFunction::MathAdd)
        );
        let again = IntrinsicCall::parse(&call.to_string()).expect("printed call parses");
        assert_eq!(again, call);
    }

    #[test]
    fn paths_with_brackets_and_commas() {
        let call = IntrinsicCall::parse("States.Array($['a,b'], $$.Map.Item.Value, $.x[0])")
            .expect("valid call");
        assert_eq!(call.args.len(), 3);
    }

    #[test]
    fn rejects_bad_calls() {
        for bad in [
            "States.Nope()",
            "States.UUID(1)",
            "States.Format()",
            "States.Array(1,",
            "States.Array('x)",
            "States.Array(1) extra",
            "States.Array(tru)",
            "States.Array($.a b)",
            "States.Array('\\n')",
        ] {
            assert!(IntrinsicCall::parse(bad).is_err(), "{bad} should not parse");
        }
    }
}
