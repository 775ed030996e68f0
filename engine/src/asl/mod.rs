//! The Amazon States Language: everything about a definition that needs no I/O.
