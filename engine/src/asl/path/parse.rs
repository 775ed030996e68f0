//! The JSONPath parser (a hand-written recursive descent over characters).

use super::filter::{FilterExpr, FilterOp, FilterOperand};
use super::json_path::{PathRoot, Segment, Selector};

/// A path that does not parse: what is wrong and at which character.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason} at character {position}")]
pub struct PathSyntaxError {
    /// 0-based character offset of the problem.
    pub position: usize,
    /// What was expected or found.
    pub reason: String,
}

pub(super) struct Cursor {
    chars: Vec<char>,
    pos: usize,
    /// Current nesting of filters, parentheses and `!`.
    depth: usize,
}

/// Deepest nesting of filter expressions: a bound so a hostile definition
/// cannot exhaust the stack of the recursive parser.
const MAX_FILTER_DEPTH: usize = 32;

impl Cursor {
    pub(super) fn new(text: &str) -> Self {
        Self {
            chars: text.chars().collect(),
            pos: 0,
            depth: 0,
        }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn peek_at(&self, offset: usize) -> Option<char> {
        self.chars.get(self.pos + offset).copied()
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn eat_str(&mut self, s: &str) -> bool {
        let n = s.chars().count();
        if s.chars()
            .enumerate()
            .all(|(i, c)| self.peek_at(i) == Some(c))
        {
            self.pos += n;
            true
        } else {
            false
        }
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    fn err<T>(&self, reason: impl Into<String>) -> Result<T, PathSyntaxError> {
        Err(PathSyntaxError {
            position: self.pos,
            reason: reason.into(),
        })
    }

    fn expect(&mut self, c: char) -> Result<(), PathSyntaxError> {
        if self.eat(c) {
            Ok(())
        } else {
            self.err(format!("expected '{c}'"))
        }
    }

    /// Enters one level of nesting; errors past [`MAX_FILTER_DEPTH`].
    fn enter(&mut self) -> Result<(), PathSyntaxError> {
        self.depth += 1;
        if self.depth > MAX_FILTER_DEPTH {
            return self.err(format!(
                "filters nest deeper than {MAX_FILTER_DEPTH} levels"
            ));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    pub(super) fn at_end(&self) -> bool {
        self.pos >= self.chars.len()
    }
}

/// Parses a whole path: root then segments, nothing left over.
pub(super) fn parse_path(text: &str) -> Result<(PathRoot, Vec<Segment>), PathSyntaxError> {
    let mut cur = Cursor::new(text);
    let root = if cur.eat_str("$$") {
        PathRoot::Context
    } else if cur.eat('$') {
        PathRoot::Data
    } else {
        return cur.err("a path must start with '$' or '$$'");
    };
    let segments = parse_segments(&mut cur, false)?;
    if !cur.at_end() {
        return cur.err("unexpected character");
    }
    Ok((root, segments))
}

/// Segments until the end, or (in a filter) until a character that cannot
/// continue a path.
fn parse_segments(cur: &mut Cursor, in_filter: bool) -> Result<Vec<Segment>, PathSyntaxError> {
    let mut segments = Vec::new();
    loop {
        match cur.peek() {
            Some('.') if cur.peek_at(1) == Some('.') => {
                cur.pos += 2;
                let sel = if cur.peek() == Some('[') {
                    parse_bracket(cur)?
                } else {
                    parse_dot_selector(cur, in_filter)?
                };
                segments.push(Segment::Descendant(sel));
            }
            Some('.') => {
                cur.pos += 1;
                // `$.a.['b c']` (a dot before a bracket) is accepted, as the
                // Step Functions guide writes it.
                let sel = if cur.peek() == Some('[') {
                    parse_bracket(cur)?
                } else {
                    parse_dot_selector(cur, in_filter)?
                };
                segments.push(Segment::Child(sel));
            }
            Some('[') => segments.push(Segment::Child(parse_bracket(cur)?)),
            None => return Ok(segments),
            Some(_) if in_filter => return Ok(segments),
            Some(_) => return cur.err("expected '.', '..' or '['"),
        }
    }
}

/// Characters that end a dot-notation name. Outside filters only what can
/// continue a path ends a name (so `$.a-b`, `$.&Ж中` work); inside filters
/// the operators do too.
fn ends_name(c: char, in_filter: bool) -> bool {
    c == '.' || c == '[' || c.is_whitespace() || (in_filter && "]()'\",*?@=!<>&|".contains(c))
}

/// A name after `.`: `*`, or characters up to the next `.`/`[`, where a
/// backslash makes the next character literal (`$.store\.book` is the single
/// name `store.book`, as in the ASL specification's examples).
fn parse_dot_selector(cur: &mut Cursor, in_filter: bool) -> Result<Selector, PathSyntaxError> {
    if cur.peek() == Some('*') && cur.peek_at(1).is_none_or(|c| ends_name(c, in_filter)) {
        cur.pos += 1;
        return Ok(Selector::Wildcard);
    }
    let mut name = String::new();
    while let Some(c) = cur.peek() {
        if c == '\\' {
            match cur.peek_at(1) {
                Some(next) => {
                    name.push(next);
                    cur.pos += 2;
                    continue;
                }
                None => return cur.err("a backslash must be followed by a character"),
            }
        }
        if ends_name(c, in_filter) {
            break;
        }
        name.push(c);
        cur.pos += 1;
    }
    if name.is_empty() {
        return cur.err("expected a field name");
    }
    Ok(Selector::Name(name))
}

fn parse_bracket(cur: &mut Cursor) -> Result<Selector, PathSyntaxError> {
    cur.expect('[')?;
    cur.skip_ws();
    let sel = match cur.peek() {
        Some('*') => {
            cur.pos += 1;
            Selector::Wildcard
        }
        Some('?') => {
            cur.pos += 1;
            cur.skip_ws();
            cur.expect('(')?;
            cur.enter()?;
            let expr = parse_or(cur)?;
            cur.leave();
            cur.skip_ws();
            cur.expect(')')?;
            Selector::Filter(expr)
        }
        Some('\'') | Some('"') => parse_name_list(cur)?,
        Some(c) if c == '-' || c == ':' || c.is_ascii_digit() => parse_index_or_slice(cur)?,
        _ => return cur.err("expected a name, index, '*', slice or filter"),
    };
    cur.skip_ws();
    cur.expect(']')?;
    Ok(sel)
}

fn parse_name_list(cur: &mut Cursor) -> Result<Selector, PathSyntaxError> {
    let mut names = vec![parse_quoted(cur)?];
    loop {
        cur.skip_ws();
        if !cur.eat(',') {
            break;
        }
        cur.skip_ws();
        names.push(parse_quoted(cur)?);
    }
    Ok(match names.len() {
        1 => Selector::Name(names.remove(0)),
        _ => Selector::Names(names),
    })
}

/// A quoted string with `\\`, `\'`, `\"` escapes.
pub(super) fn parse_quoted(cur: &mut Cursor) -> Result<String, PathSyntaxError> {
    let quote = match cur.peek() {
        Some(q @ ('\'' | '"')) => q,
        _ => return cur.err("expected a quoted string"),
    };
    cur.pos += 1;
    let mut out = String::new();
    loop {
        match cur.peek() {
            None => return cur.err("unterminated string"),
            Some('\\') => {
                cur.pos += 1;
                match cur.peek() {
                    Some(c @ ('\\' | '\'' | '"')) => out.push(c),
                    _ => return cur.err("invalid escape in string"),
                }
            }
            Some(c) if c == quote => {
                cur.pos += 1;
                return Ok(out);
            }
            Some(c) => out.push(c),
        }
        cur.pos += 1;
    }
}

fn parse_int(cur: &mut Cursor) -> Result<Option<i64>, PathSyntaxError> {
    cur.skip_ws();
    let start = cur.pos;
    cur.eat('-');
    while cur.peek().is_some_and(|c| c.is_ascii_digit()) {
        cur.pos += 1;
    }
    let text: String = cur.chars[start..cur.pos].iter().collect();
    if text.is_empty() {
        return Ok(None);
    }
    match text.parse::<i64>() {
        Ok(v) => Ok(Some(v)),
        Err(_) => {
            cur.pos = start;
            cur.err("invalid integer")
        }
    }
}

fn parse_index_or_slice(cur: &mut Cursor) -> Result<Selector, PathSyntaxError> {
    let first = parse_int(cur)?;
    cur.skip_ws();
    if cur.eat(':') {
        let end = parse_int(cur)?;
        return Ok(Selector::Slice { start: first, end });
    }
    let Some(first) = first else {
        return cur.err("expected an index");
    };
    let mut list = vec![first];
    while cur.eat(',') {
        match parse_int(cur)? {
            Some(v) => list.push(v),
            None => return cur.err("expected an index"),
        }
        cur.skip_ws();
    }
    Ok(match list.len() {
        1 => Selector::Index(first),
        _ => Selector::Indices(list),
    })
}

fn parse_or(cur: &mut Cursor) -> Result<FilterExpr, PathSyntaxError> {
    let mut left = parse_and(cur)?;
    loop {
        cur.skip_ws();
        if !cur.eat_str("||") {
            return Ok(left);
        }
        let right = parse_and(cur)?;
        left = FilterExpr::Or(Box::new(left), Box::new(right));
    }
}

fn parse_and(cur: &mut Cursor) -> Result<FilterExpr, PathSyntaxError> {
    let mut left = parse_unary(cur)?;
    loop {
        cur.skip_ws();
        if !cur.eat_str("&&") {
            return Ok(left);
        }
        let right = parse_unary(cur)?;
        left = FilterExpr::And(Box::new(left), Box::new(right));
    }
}

fn parse_unary(cur: &mut Cursor) -> Result<FilterExpr, PathSyntaxError> {
    cur.skip_ws();
    if cur.peek() == Some('!') && cur.peek_at(1) != Some('=') {
        cur.pos += 1;
        cur.enter()?;
        let inner = parse_unary(cur)?;
        cur.leave();
        return Ok(FilterExpr::Not(Box::new(inner)));
    }
    if cur.eat('(') {
        cur.enter()?;
        let inner = parse_or(cur)?;
        cur.leave();
        cur.skip_ws();
        cur.expect(')')?;
        return Ok(inner);
    }
    let left = parse_operand(cur)?;
    cur.skip_ws();
    let op = if cur.eat_str("==") {
        FilterOp::Eq
    } else if cur.eat_str("!=") {
        FilterOp::Ne
    } else if cur.eat_str("<=") {
        FilterOp::Le
    } else if cur.eat_str(">=") {
        FilterOp::Ge
    } else if cur.eat('<') {
        FilterOp::Lt
    } else if cur.eat('>') {
        FilterOp::Gt
    } else {
        return match left {
            FilterOperand::Relative(path) => Ok(FilterExpr::Exists(path)),
            FilterOperand::Literal(_) => cur.err("a literal alone is not a filter"),
        };
    };
    let right = parse_operand(cur)?;
    Ok(FilterExpr::Compare(left, op, right))
}

fn parse_operand(cur: &mut Cursor) -> Result<FilterOperand, PathSyntaxError> {
    cur.skip_ws();
    match cur.peek() {
        Some('@') => {
            cur.pos += 1;
            let segments = parse_segments(cur, true)?;
            let definite = segments.iter().all(|s| {
                matches!(
                    s,
                    Segment::Child(Selector::Name(_)) | Segment::Child(Selector::Index(_))
                )
            });
            if !definite {
                return cur.err("a filter path must select a single value");
            }
            Ok(FilterOperand::Relative(segments))
        }
        Some('\'') | Some('"') => Ok(FilterOperand::Literal(parse_quoted(cur)?.into())),
        Some(c) if c == '-' || c.is_ascii_digit() => parse_number(cur),
        _ if cur.eat_str("true") => Ok(FilterOperand::Literal(true.into())),
        _ if cur.eat_str("false") => Ok(FilterOperand::Literal(false.into())),
        _ if cur.eat_str("null") => Ok(FilterOperand::Literal(serde_json::Value::Null)),
        _ => cur.err("expected '@', a string, a number, true, false or null"),
    }
}

fn parse_number(cur: &mut Cursor) -> Result<FilterOperand, PathSyntaxError> {
    let start = cur.pos;
    cur.eat('-');
    while cur
        .peek()
        .is_some_and(|c| c.is_ascii_digit() || "eE.+-".contains(c))
    {
        cur.pos += 1;
    }
    let text: String = cur.chars[start..cur.pos].iter().collect();
    match crate::asl::intrinsic::parse_json_number(&text) {
        Some(n) => Ok(FilterOperand::Literal(serde_json::Value::Number(n))),
        None => {
            cur.pos = start;
            cur.err("invalid number")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_common_forms() {
        let (root, segs) = parse_path("$.a['b c'][0][-1][*]..d[1:3]").expect("valid path");
        assert_eq!(root, PathRoot::Data);
        assert_eq!(segs.len(), 7);
        assert!(matches!(&segs[5], Segment::Descendant(Selector::Name(n)) if n == "d"));
        let (root, segs) = parse_path("$$.Execution.Id").expect("valid path");
        assert_eq!(root, PathRoot::Context);
        assert_eq!(segs.len(), 2);
    }

    #[test]
    fn parses_filters() {
        let (_, segs) = parse_path("$.items[?(@.price < 10 && @.tag)]").expect("valid path");
        assert!(matches!(
            &segs[1],
            Segment::Child(Selector::Filter(FilterExpr::And(_, _)))
        ));
    }

    /// Found by the `json_path` fuzz target: twenty `!` parsed, but the
    /// canonical text wrote each as `!( )` (and each `&&` of a chain in its
    /// own parentheses), nesting past the parser's bound.
    #[test]
    fn canonical_text_of_deep_filters_parses_back() {
        let chain = vec!["@.a"; 40].join(" && ");
        for text in [
            format!("$[?({}@.a)]", "!".repeat(20)),
            format!("$[?({chain})]"),
            "$[?(!@.a > 1 && (@.b || !(@.c && @.d)) || @.e == 'x')]".to_string(),
        ] {
            let path = crate::asl::path::JsonPath::parse(&text).expect("the filter parses");
            assert_eq!(path.canonical(), text);
            let again = crate::asl::path::JsonPath::parse(&path.canonical()).expect("re-parses");
            assert_eq!(again.segments(), path.segments());
        }
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let deep = format!("$[?({}@.a{})]", "(".repeat(100_000), ")".repeat(100_000));
        assert!(parse_path(&deep).is_err());
        let nots = format!("$[?({}@.a)]", "!".repeat(100_000));
        assert!(parse_path(&nots).is_err());
        let nested = format!("${}", "[?(@".repeat(10_000));
        assert!(parse_path(&nested).is_err());
        assert!(parse_path("$[?(((@.a)))]").is_ok());
    }

    #[test]
    fn rejects_bad_paths() {
        for bad in [
            "",
            "a.b",
            "$.",
            "$[",
            "$['a",
            "$.a b",
            "$[?(@.a <)]",
            "$[1,]",
            "$.a\\",
        ] {
            assert!(parse_path(bad).is_err(), "{bad} should not parse");
        }
    }
}
