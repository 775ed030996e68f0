//! The compiled JSONPath type and its canonical printing.

use std::fmt;
use std::str::FromStr;

use super::filter::FilterExpr;
use super::parse::{parse_path, PathSyntaxError};

/// What a path is evaluated against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PathRoot {
    /// `$`: the state's data (input, or effective input, per field).
    Data,
    /// `$$`: the context object.
    Context,
}

/// One step of a path.
#[derive(Debug, Clone, PartialEq)]
pub enum Segment {
    /// Apply the selector to the current node's children (`.x`, `[..]`).
    Child(Selector),
    /// Apply the selector to the node and all its descendants (`..x`).
    Descendant(Selector),
}

/// What a segment selects.
#[derive(Debug, Clone, PartialEq)]
pub enum Selector {
    /// An object member by name.
    Name(String),
    /// Several object members (`['a','b']`), in the order written.
    Names(Vec<String>),
    /// An array element; negative counts from the end.
    Index(i64),
    /// Several array elements (`[0,2]`).
    Indices(Vec<i64>),
    /// Every member or element (`*`).
    Wildcard,
    /// `[start:end]`: elements from `start` (inclusive) to `end` (exclusive).
    Slice {
        /// Start, default 0; negative counts from the end.
        start: Option<i64>,
        /// End, default the length; negative counts from the end.
        end: Option<i64>,
    },
    /// `[?(expr)]`: the children for which `expr` holds.
    Filter(FilterExpr),
}

/// A parsed JSONPath. Construct with [`JsonPath::parse`] (or `str::parse`).
#[derive(Debug, Clone, PartialEq)]
pub struct JsonPath {
    pub(super) root: PathRoot,
    pub(super) segments: Vec<Segment>,
    pub(super) text: String,
}

impl JsonPath {
    /// Parses `text`; it must start with `$` (data) or `$$` (context).
    pub fn parse(text: &str) -> Result<Self, PathSyntaxError> {
        let (root, segments) = parse_path(text)?;
        Ok(Self {
            root,
            segments,
            text: text.to_string(),
        })
    }

    /// The path `$`: the whole data.
    pub fn data_root() -> Self {
        Self {
            root: PathRoot::Data,
            segments: Vec::new(),
            text: "$".to_string(),
        }
    }

    /// The root `$` (data) or `$$` (context).
    pub fn root(&self) -> PathRoot {
        self.root
    }

    /// The segments after the root.
    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// The path as written in the definition.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// True when the path is only names and indices: it selects at most one value.
    pub fn is_definite(&self) -> bool {
        self.segments.iter().all(|s| {
            matches!(
                s,
                Segment::Child(Selector::Name(_)) | Segment::Child(Selector::Index(_))
            )
        })
    }

    /// The canonical spelling: bracket notation for names that are not plain
    /// identifiers. Parsing it gives an equal path (up to `as_str`).
    pub fn canonical(&self) -> String {
        let mut out = String::from(match self.root {
            PathRoot::Data => "$",
            PathRoot::Context => "$$",
        });
        for segment in &self.segments {
            match segment {
                Segment::Child(sel) => write_selector(&mut out, sel, false),
                Segment::Descendant(sel) => {
                    out.push_str("..");
                    write_selector(&mut out, sel, true);
                }
            }
        }
        out
    }
}

impl FromStr for JsonPath {
    type Err = PathSyntaxError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for JsonPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// True for names that can be written after a dot.
pub(super) fn is_plain_name(name: &str) -> bool {
    let mut chars = name.chars();
    match chars.next() {
        Some(c) if c.is_alphabetic() || c == '_' => {}
        _ => return false,
    }
    chars.all(|c| c.is_alphanumeric() || c == '_' || c == '-')
}

/// Writes `name` as a single-quoted bracket string with escapes.
pub(super) fn write_quoted(out: &mut String, name: &str) {
    out.push('\'');
    for c in name.chars() {
        if c == '\'' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('\'');
}

fn write_selector(out: &mut String, sel: &Selector, after_dots: bool) {
    use std::fmt::Write as _;
    match sel {
        Selector::Name(n) if is_plain_name(n) => {
            if !after_dots {
                out.push('.');
            }
            out.push_str(n);
        }
        Selector::Name(n) => {
            out.push('[');
            write_quoted(out, n);
            out.push(']');
        }
        Selector::Names(names) => {
            out.push('[');
            for (i, n) in names.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_quoted(out, n);
            }
            out.push(']');
        }
        Selector::Index(i) => {
            let _ = write!(out, "[{i}]");
        }
        Selector::Indices(list) => {
            let parts: Vec<String> = list.iter().map(|i| i.to_string()).collect();
            let _ = write!(out, "[{}]", parts.join(","));
        }
        Selector::Wildcard => out.push_str("[*]"),
        Selector::Slice { start, end } => {
            let s = start.map(|v| v.to_string()).unwrap_or_default();
            let e = end.map(|v| v.to_string()).unwrap_or_default();
            let _ = write!(out, "[{s}:{e}]");
        }
        Selector::Filter(expr) => {
            let _ = write!(out, "[?({expr})]");
        }
    }
}
