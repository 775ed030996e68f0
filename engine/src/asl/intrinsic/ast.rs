//! The parsed form of an intrinsic function call and its printing.

use std::fmt;

use crate::asl::path::JsonPath;

/// The intrinsic functions of the ASL (`States.<Name>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IntrinsicFunction {
    /// `States.Format(template, args...)`
    Format,
    /// `States.StringToJson(string)`
    StringToJson,
    /// `States.JsonToString(value)`
    JsonToString,
    /// `States.Array(values...)`
    Array,
    /// `States.ArrayPartition(array, size)`
    ArrayPartition,
    /// `States.ArrayContains(array, value)`
    ArrayContains,
    /// `States.ArrayRange(start, end, step)`
    ArrayRange,
    /// `States.ArrayGetItem(array, index)`
    ArrayGetItem,
    /// `States.ArrayLength(array)`
    ArrayLength,
    /// `States.ArrayUnique(array)`
    ArrayUnique,
    /// `States.Base64Encode(string)`
    Base64Encode,
    /// `States.Base64Decode(string)`
    Base64Decode,
    /// `States.Hash(data, algorithm)`
    Hash,
    /// `States.JsonMerge(object, object, deep)`
    JsonMerge,
    /// `States.MathRandom(start, end[, seed])`
    MathRandom,
    /// `States.MathAdd(a, b)`
    MathAdd,
    /// `States.StringSplit(string, delimiters)`
    StringSplit,
    /// `States.UUID()`
    Uuid,
}

const ALL: &[(IntrinsicFunction, &str, usize, usize)] = &[
    (IntrinsicFunction::Format, "States.Format", 1, usize::MAX),
    (IntrinsicFunction::StringToJson, "States.StringToJson", 1, 1),
    (IntrinsicFunction::JsonToString, "States.JsonToString", 1, 1),
    (IntrinsicFunction::Array, "States.Array", 0, usize::MAX),
    (
        IntrinsicFunction::ArrayPartition,
        "States.ArrayPartition",
        2,
        2,
    ),
    (
        IntrinsicFunction::ArrayContains,
        "States.ArrayContains",
        2,
        2,
    ),
    (IntrinsicFunction::ArrayRange, "States.ArrayRange", 3, 3),
    (IntrinsicFunction::ArrayGetItem, "States.ArrayGetItem", 2, 2),
    (IntrinsicFunction::ArrayLength, "States.ArrayLength", 1, 1),
    (IntrinsicFunction::ArrayUnique, "States.ArrayUnique", 1, 1),
    (IntrinsicFunction::Base64Encode, "States.Base64Encode", 1, 1),
    (IntrinsicFunction::Base64Decode, "States.Base64Decode", 1, 1),
    (IntrinsicFunction::Hash, "States.Hash", 2, 2),
    (IntrinsicFunction::JsonMerge, "States.JsonMerge", 3, 3),
    (IntrinsicFunction::MathRandom, "States.MathRandom", 2, 3),
    (IntrinsicFunction::MathAdd, "States.MathAdd", 2, 2),
    (IntrinsicFunction::StringSplit, "States.StringSplit", 2, 2),
    (IntrinsicFunction::Uuid, "States.UUID", 0, 0),
];

impl IntrinsicFunction {
    /// Looks a function up by its full name, e.g. `States.Format`.
    pub fn from_name(name: &str) -> Option<Self> {
        ALL.iter().find(|(_, n, _, _)| *n == name).map(|(f, ..)| *f)
    }

    /// The full name, e.g. `States.Format`.
    pub fn name(self) -> &'static str {
        ALL.iter()
            .find(|(f, ..)| *f == self)
            .map_or("States.Unknown", |(_, n, _, _)| n)
    }

    /// The allowed number of arguments, inclusive.
    pub fn arity(self) -> (usize, usize) {
        ALL.iter()
            .find(|(f, ..)| *f == self)
            .map_or((0, 0), |(_, _, min, max)| (*min, *max))
    }

    /// Every function, for documentation and tests.
    pub fn all() -> impl Iterator<Item = IntrinsicFunction> {
        ALL.iter().map(|(f, ..)| *f)
    }
}

/// A string literal argument. `raw` keeps the text between the quotes with
/// its escapes, because `States.Format` must tell `\{` from `{`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StringLiteral {
    /// The text between the quotes, escapes intact.
    pub raw: String,
}

impl StringLiteral {
    /// The literal's value: `\'`, `\{`, `\}`, `\\` unescaped.
    pub fn value(&self) -> String {
        let mut out = String::with_capacity(self.raw.len());
        let mut chars = self.raw.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            } else {
                out.push(c);
            }
        }
        out
    }

    /// A literal whose value is `value` (escaping what must be escaped).
    pub fn from_value(value: &str) -> Self {
        let mut raw = String::with_capacity(value.len());
        for c in value.chars() {
            if matches!(c, '\'' | '{' | '}' | '\\') {
                raw.push('\\');
            }
            raw.push(c);
        }
        Self { raw }
    }
}

/// One argument of an intrinsic call.
#[derive(Debug, Clone, PartialEq)]
pub enum IntrinsicArg {
    /// `'text'`
    String(StringLiteral),
    /// A JSON number.
    Number(serde_json::Number),
    /// `true` / `false`
    Bool(bool),
    /// `null`
    Null,
    /// `$...` or `$$...`
    Path(JsonPath),
    /// A nested call.
    Call(IntrinsicCall),
}

/// A parsed call `States.Name(args...)`.
#[derive(Debug, Clone, PartialEq)]
pub struct IntrinsicCall {
    /// Which function.
    pub function: IntrinsicFunction,
    /// Its arguments, in order.
    pub args: Vec<IntrinsicArg>,
}

impl fmt::Display for IntrinsicArg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IntrinsicArg::String(s) => write!(f, "'{}'", s.raw),
            IntrinsicArg::Number(n) => write!(f, "{n}"),
            IntrinsicArg::Bool(b) => write!(f, "{b}"),
            IntrinsicArg::Null => f.write_str("null"),
            IntrinsicArg::Path(p) => f.write_str(&p.canonical()),
            IntrinsicArg::Call(c) => write!(f, "{c}"),
        }
    }
}

impl fmt::Display for IntrinsicCall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}(", self.function.name())?;
        for (i, arg) in self.args.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{arg}")?;
        }
        f.write_str(")")
    }
}
