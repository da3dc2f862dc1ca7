//! JSON pointers (RFC 6901) as the walks over a body build them: a chain of steps kept on the
//! walk's stack and written out only when a finding needs its place.
//!
//! Hand-written because the pointer crates (jsonptr, jsonschema's `Location`) own their
//! segments: a walk that builds one per node allocates at every node, and the walks over the
//! bodies a run sends and receives spent about a tenth of the run formatting pointers that no
//! finding used.

use std::borrow::Cow;
use std::fmt::{self, Write};

/// Where a walk over a JSON document stands: the steps from the root.
#[derive(Debug, Clone, Copy)]
pub enum At<'a> {
    /// The document itself, or a place already written out (a walk that starts below the
    /// root of the document its findings name).
    Root(&'a str),
    /// A member of an object.
    Key(&'a At<'a>, &'a str),
    /// An item of an array.
    Index(&'a At<'a>, usize),
}

impl<'a> At<'a> {
    /// The root of the document.
    pub const ROOT: At<'static> = At::Root("");

    /// The member `key` of the object here.
    pub fn key(&'a self, key: &'a str) -> At<'a> {
        At::Key(self, key)
    }

    /// The item `index` of the array here.
    pub fn index(&'a self, index: usize) -> At<'a> {
        At::Index(self, index)
    }

    /// The pointer, written out (`""` for the root).
    pub fn pointer(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for At<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            At::Root(prefix) => f.write_str(prefix),
            At::Key(parent, key) => {
                parent.fmt(f)?;
                f.write_char('/')?;
                f.write_str(&escape(key))
            }
            At::Index(parent, index) => {
                parent.fmt(f)?;
                write!(f, "/{index}")
            }
        }
    }
}

/// Escapes a key for a JSON pointer (`~` as `~0`, `/` as `~1`); borrowed when it has neither.
pub fn escape(key: &str) -> Cow<'_, str> {
    if key.contains(['~', '/']) {
        Cow::Owned(key.replace('~', "~0").replace('/', "~1"))
    } else {
        Cow::Borrowed(key)
    }
}

/// Shows the root pointer as `/` rather than nothing.
pub fn display(pointer: &str) -> &str {
    if pointer.is_empty() { "/" } else { pointer }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_written_out_escaped_from_the_root_or_a_prefix() {
        let root = At::ROOT;
        let a = root.key("a/b");
        let i = a.index(3);
        let t = i.key("~x");
        assert_eq!(t.pointer(), "/a~1b/3/~0x");
        assert_eq!(root.pointer(), "");
        let below = At::Root("/value/0");
        assert_eq!(below.key("id").pointer(), "/value/0/id");
        assert_eq!(escape("plain"), Cow::Borrowed("plain"));
        assert_eq!(escape("~/"), "~0~1");
        assert_eq!(display(""), "/");
        assert_eq!(display("/id"), "/id");
    }
}
