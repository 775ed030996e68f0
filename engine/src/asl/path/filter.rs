//! Filter expressions `[?(...)]`: their form, printing and evaluation.

use std::cmp::Ordering;
use std::fmt;

use serde_json::Value;

use super::eval::select_relative;
use super::json_path::{is_plain_name, write_quoted, Segment, Selector};

/// A comparison operator in a filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterOp {
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

/// One side of a filter comparison.
#[derive(Debug, Clone, PartialEq)]
pub enum FilterOperand {
    /// `@` followed by names/indices: a value of the current node.
    Relative(Vec<Segment>),
    /// A JSON literal (number, string, boolean, null).
    Literal(Value),
}

/// A filter predicate over the current node `@`.
#[derive(Debug, Clone, PartialEq)]
pub enum FilterExpr {
    /// `@.x`: true when the relative path exists.
    Exists(Vec<Segment>),
    /// `a op b`; false when either side is missing or types are not comparable.
    Compare(FilterOperand, FilterOp, FilterOperand),
    /// `a && b`
    And(Box<FilterExpr>, Box<FilterExpr>),
    /// `a || b`
    Or(Box<FilterExpr>, Box<FilterExpr>),
    /// `!a`
    Not(Box<FilterExpr>),
}

impl FilterExpr {
    /// Whether the predicate holds for `node`.
    pub fn matches(&self, node: &Value) -> bool {
        match self {
            FilterExpr::Exists(path) => select_relative(path, node).is_some(),
            FilterExpr::Compare(l, op, r) => {
                let (Some(l), Some(r)) = (operand(l, node), operand(r, node)) else {
                    return false;
                };
                compare(l, *op, r)
            }
            FilterExpr::And(a, b) => a.matches(node) && b.matches(node),
            FilterExpr::Or(a, b) => a.matches(node) || b.matches(node),
            FilterExpr::Not(a) => !a.matches(node),
        }
    }
}

fn operand<'v>(op: &'v FilterOperand, node: &'v Value) -> Option<&'v Value> {
    match op {
        FilterOperand::Relative(path) => select_relative(path, node),
        FilterOperand::Literal(v) => Some(v),
    }
}

fn compare(l: &Value, op: FilterOp, r: &Value) -> bool {
    let ordering = match (l, r) {
        (Value::Number(a), Value::Number(b)) => match (a.as_f64(), b.as_f64()) {
            (Some(a), Some(b)) => a.partial_cmp(&b),
            _ => None,
        },
        (Value::String(a), Value::String(b)) => Some(a.cmp(b)),
        _ => None,
    };
    match op {
        FilterOp::Eq => ordering.map_or(l == r, |o| o == Ordering::Equal),
        FilterOp::Ne => ordering.map_or(l != r, |o| o != Ordering::Equal),
        FilterOp::Lt => ordering == Some(Ordering::Less),
        FilterOp::Le => matches!(ordering, Some(Ordering::Less | Ordering::Equal)),
        FilterOp::Gt => ordering == Some(Ordering::Greater),
        FilterOp::Ge => matches!(ordering, Some(Ordering::Greater | Ordering::Equal)),
    }
}

impl fmt::Display for FilterOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FilterOp::Eq => "==",
            FilterOp::Ne => "!=",
            FilterOp::Lt => "<",
            FilterOp::Le => "<=",
            FilterOp::Gt => ">",
            FilterOp::Ge => ">=",
        })
    }
}

fn write_relative(f: &mut fmt::Formatter<'_>, path: &[Segment]) -> fmt::Result {
    let mut out = String::from("@");
    for seg in path {
        match seg {
            Segment::Child(Selector::Name(n)) if is_plain_name(n) => {
                out.push('.');
                out.push_str(n);
            }
            Segment::Child(Selector::Name(n)) => {
                out.push('[');
                write_quoted(&mut out, n);
                out.push(']');
            }
            Segment::Child(Selector::Index(i)) => out.push_str(&format!("[{i}]")),
            // The parser only builds relative paths of names and indices.
            _ => out.push_str("[?]"),
        }
    }
    f.write_str(&out)
}

impl fmt::Display for FilterOperand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FilterOperand::Relative(path) => write_relative(f, path),
            FilterOperand::Literal(Value::String(s)) => {
                let mut out = String::new();
                write_quoted(&mut out, s);
                f.write_str(&out)
            }
            FilterOperand::Literal(v) => write!(f, "{v}"),
        }
    }
}

/// Prints only the parentheses the grammar needs (`!` binds tightest, then
/// `&&`, then `||`, both left-associative): the text never nests deeper than
/// what was parsed, so a canonical path stays within the parser's nesting
/// bound (found by the `json_path` fuzz target).
impl fmt::Display for FilterExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use FilterExpr::{And, Not, Or};
        match self {
            FilterExpr::Exists(path) => write_relative(f, path),
            FilterExpr::Compare(l, op, r) => write!(f, "{l} {op} {r}"),
            Or(a, b) => {
                write!(f, "{a} || ")?;
                write_grouped(f, b, matches!(**b, Or(..)))
            }
            And(a, b) => {
                write_grouped(f, a, matches!(**a, Or(..)))?;
                f.write_str(" && ")?;
                write_grouped(f, b, matches!(**b, And(..) | Or(..)))
            }
            Not(a) => {
                f.write_str("!")?;
                write_grouped(f, a, matches!(**a, And(..) | Or(..)))
            }
        }
    }
}

fn write_grouped(f: &mut fmt::Formatter<'_>, expr: &FilterExpr, parens: bool) -> fmt::Result {
    match parens {
        true => write!(f, "({expr})"),
        false => write!(f, "{expr}"),
    }
}
