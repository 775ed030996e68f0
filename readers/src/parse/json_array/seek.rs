//! [`Seek`]: walks the document to the array an `ItemsPointer` (RFC 6901) selects.
//!
//! Members and elements off the pointer's path are skipped with [`ValueScan`]; object keys on
//! the path are unescaped with serde_json before comparing.

use super::value_scan::ValueScan;

/// What a run of the seeker found.
pub(super) enum SeekStep {
    /// All input consumed; the target is not reached yet.
    NeedMore,
    /// The target array's `[` was consumed.
    Found,
    /// The target exists but is not an array, or the path does not exist (detail says which).
    NotIterable(String),
    /// The document is not valid JSON where the seeker looked.
    Malformed(String),
}

enum State {
    /// Expecting the value at `tokens[..matched]`.
    Value,
    /// Inside an object on the path: a key or `}`.
    Key { first: bool },
    /// Reading a key's raw bytes (without quotes).
    InKey { escaped: bool },
    /// After a key: `:`.
    Colon,
    /// Skipping a member value or element off the path.
    Skip(ValueScan),
    /// After a skipped member or element: `,` or the closing bracket.
    AfterSkipped,
    /// Inside an array on the path: the next element or `]`.
    Element { first: bool },
}

/// The pointer walker.
pub(super) struct Seek {
    pointer: String,
    tokens: Vec<String>,
    matched: usize,
    state: State,
    key: Vec<u8>,
    /// Elements passed in the array on the path.
    index: usize,
    in_array: bool,
    saw_any: bool,
}

impl Seek {
    /// A walker for `pointer` ("" or "/" prefixed tokens with `~0` `~1` escapes).
    pub(super) fn new(pointer: &str) -> Result<Self, String> {
        let tokens = match pointer {
            "" => Vec::new(),
            p if p.starts_with('/') => p[1..]
                .split('/')
                .map(|t| t.replace("~1", "/").replace("~0", "~"))
                .collect(),
            p => {
                return Err(format!(
                    "{p:?} is not a JSON Pointer (it must be empty or start with '/')"
                ))
            }
        };
        Ok(Self {
            pointer: pointer.to_owned(),
            tokens,
            matched: 0,
            state: State::Value,
            key: Vec::new(),
            index: 0,
            in_array: false,
            saw_any: false,
        })
    }

    /// True when only whitespace was seen.
    pub(super) fn saw_nothing(&self) -> bool {
        !self.saw_any
    }

    fn missing(&self) -> SeekStep {
        SeekStep::NotIterable(format!("ItemsPointer {:?} does not exist", self.pointer))
    }

    /// Consumes bytes of `data`; returns how many and what happened.
    pub(super) fn run(&mut self, data: &[u8]) -> (usize, SeekStep) {
        let mut i = 0;
        while i < data.len() {
            let byte = data[i];
            if let State::Skip(scan) = &mut self.state {
                if !scan.started() && byte.is_ascii_whitespace() {
                    i += 1;
                    continue;
                }
                let (used, complete) = scan.run(&data[i..]);
                i += used;
                if complete {
                    self.state = State::AfterSkipped;
                }
                continue;
            }
            if let State::InKey { escaped } = &mut self.state {
                i += 1;
                if *escaped {
                    *escaped = false;
                } else if byte == b'\\' {
                    *escaped = true;
                } else if byte == b'"' {
                    self.state = State::Colon;
                    continue;
                }
                self.key.push(byte);
                continue;
            }
            if byte.is_ascii_whitespace() {
                i += 1;
                continue;
            }
            self.saw_any = true;
            if let State::Element { .. } = self.state {
                if byte != b']' {
                    // The byte starts an element: choose to descend or skip, then see it again.
                    let wanted = self.tokens[self.matched]
                        .parse::<usize>()
                        .unwrap_or(usize::MAX);
                    if self.index == wanted {
                        self.matched += 1;
                        self.state = State::Value;
                    } else {
                        self.state = State::Skip(ValueScan::new());
                    }
                    continue;
                }
            }
            match self.structural(byte) {
                Ok(Some(step)) => return (i + 1, step),
                Ok(None) => {}
                Err(step) => return (i, step),
            }
            i += 1;
        }
        (i, SeekStep::NeedMore)
    }

    /// One non-whitespace byte outside keys and skipped values. `Ok(Some)` ends the seek after
    /// the byte; `Err` ends it before the byte.
    fn structural(&mut self, byte: u8) -> Result<Option<SeekStep>, SeekStep> {
        match (&self.state, byte) {
            (State::Value, b'[') if self.matched == self.tokens.len() => {
                return Ok(Some(SeekStep::Found))
            }
            (State::Value, _) if self.matched == self.tokens.len() => {
                return Err(SeekStep::NotIterable(format!(
                    "the selected value starts with {:?}",
                    byte as char
                )))
            }
            (State::Value, b'{') => {
                self.in_array = false;
                self.state = State::Key { first: true };
            }
            (State::Value, b'[') => match self.tokens[self.matched].parse::<usize>() {
                Ok(_) => {
                    self.in_array = true;
                    self.index = 0;
                    self.state = State::Element { first: true };
                }
                Err(_) => return Err(self.missing()),
            },
            (State::Value, _) => return Err(self.missing()),
            (State::Key { .. }, b'"') => {
                self.key.clear();
                self.state = State::InKey { escaped: false };
            }
            (State::Key { first: true }, b'}') | (State::Element { first: true }, b']') => {
                return Err(self.missing())
            }
            (State::Colon, b':') => {
                let mut quoted = Vec::with_capacity(self.key.len() + 2);
                quoted.push(b'"');
                quoted.extend_from_slice(&self.key);
                quoted.push(b'"');
                let key: String = serde_json::from_slice(&quoted)
                    .map_err(|e| SeekStep::Malformed(e.to_string()))?;
                if key == self.tokens[self.matched] {
                    self.matched += 1;
                    self.state = State::Value;
                } else {
                    self.state = State::Skip(ValueScan::new());
                }
            }
            (State::AfterSkipped, b',') if self.in_array => {
                self.index += 1;
                self.state = State::Element { first: false };
            }
            (State::AfterSkipped, b',') => self.state = State::Key { first: false },
            (State::AfterSkipped, b'}' | b']') => return Err(self.missing()),
            (_, other) => {
                return Err(SeekStep::Malformed(format!(
                    "unexpected {:?} while looking for the array",
                    other as char
                )))
            }
        }
        Ok(None)
    }
}
