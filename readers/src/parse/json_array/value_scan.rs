//! [`ValueScan`]: finds where one JSON value ends, over any chunking, without parsing it.

/// Boundary tracker for one value. Scalars (numbers, `true`, ...) end before the first
/// delimiter (`,` `]` `}` or whitespace), which is not part of them; strings, objects and
/// arrays end with their closing byte.
pub(super) struct ValueScan {
    started: bool,
    scalar: bool,
    depth: u32,
    in_string: bool,
    escaped: bool,
}

impl ValueScan {
    pub(super) fn new() -> Self {
        Self {
            started: false,
            scalar: false,
            depth: 0,
            in_string: false,
            escaped: false,
        }
    }

    /// Whether the value's first byte was seen.
    pub(super) fn started(&self) -> bool {
        self.started
    }

    /// Scans `data`; returns the bytes that belong to the value and whether it is complete.
    pub(super) fn run(&mut self, data: &[u8]) -> (usize, bool) {
        let mut i = 0;
        while i < data.len() {
            let byte = data[i];
            i += 1;
            if !self.started {
                self.started = true;
                match byte {
                    b'"' => self.in_string = true,
                    b'{' | b'[' => self.depth = 1,
                    _ => self.scalar = true,
                }
                continue;
            }
            if self.scalar {
                if matches!(byte, b',' | b']' | b'}') || byte.is_ascii_whitespace() {
                    return (i - 1, true);
                }
                continue;
            }
            if self.in_string {
                if self.escaped {
                    self.escaped = false;
                } else if byte == b'\\' {
                    self.escaped = true;
                } else if byte == b'"' {
                    self.in_string = false;
                    if self.depth == 0 {
                        return (i, true);
                    }
                } else {
                    // Plain string bytes are most of a typical element: jump to the next byte
                    // that can change the state instead of stepping through them one by one.
                    match memchr::memchr2(b'"', b'\\', &data[i..]) {
                        Some(next) => i += next,
                        None => return (data.len(), false),
                    }
                }
                continue;
            }
            match byte {
                b'"' => self.in_string = true,
                b'{' | b'[' => self.depth += 1,
                b'}' | b']' => {
                    self.depth = self.depth.saturating_sub(1);
                    if self.depth == 0 {
                        return (i, true);
                    }
                }
                _ => {}
            }
        }
        (data.len(), false)
    }
}
