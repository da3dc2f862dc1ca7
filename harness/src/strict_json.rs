//! JSON read into `Value`s: strictly, where a repeated key at any depth is reported, never
//! silently last-wins ([`parse`]); or as serde_json reads it, the last of a repeated key
//! winning ([`value`], for case files and the bodies the mock is sent).
//!
//! serde_json keeps the last of repeated keys without a word, and no maintained crate reports
//! them for an untyped `Value`; so this is a small `DeserializeSeed` on serde_json's own parser
//! (which keeps its grammar, number handling and recursion limit). It also builds each object's
//! map once, at its size: serde_json's own `Value` grows the map as members come, and its
//! ordered map (`preserve_order`) then moves its members and rehashes its index at each
//! doubling: about a tenth of the cost of reading a body.

use std::cell::RefCell;

use serde::de::{DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use crate::pointer::At;

/// A parsed document and the JSON pointers of keys it repeats.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    /// The value, later repeats winning as in serde_json.
    pub value: Value,
    /// Pointers of every repeated key, in document order.
    pub repeated: Vec<String>,
}

/// Parses JSON text, noting repeated keys.
pub fn parse(bytes: &[u8]) -> Result<Parsed, serde_json::Error> {
    // Checked as UTF-8 in one pass, the text is read without serde_json checking every string
    // again (a tenth of the cost of reading a body); the byte reader is kept for text that is
    // not UTF-8, as its error names the line and column of the bad byte.
    match std::str::from_utf8(bytes) {
        Ok(text) => read(serde_json::Deserializer::from_str(text)),
        Err(_) => read(serde_json::Deserializer::from_slice(bytes)),
    }
}

/// Reads one document to its end.
fn read<'de, R: serde_json::de::Read<'de>>(
    mut de: serde_json::Deserializer<R>,
) -> Result<Parsed, serde_json::Error> {
    let (value, repeated) = with_members(|members| {
        let mut repeated = Some(Vec::new());
        let value = Seed {
            members,
            repeated: &mut repeated,
            at: &At::ROOT,
        }
        .deserialize(&mut de)?;
        Ok::<_, serde_json::Error>((value, repeated.unwrap_or_default()))
    })?;
    de.end()?;
    Ok(Parsed {
        value,
        repeated: in_order(repeated),
    })
}

/// Reads one JSON value as serde_json's `Value` would (the last of a repeated key wins), each
/// object's map built at its size.
pub fn value<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Value, D::Error> {
    with_members(|members| {
        Seed {
            members,
            repeated: &mut None,
            at: &At::ROOT,
        }
        .deserialize(d)
    })
}

/// Parses a JSON document as serde_json's `from_slice` does (the last of a repeated key wins).
pub fn from_slice(bytes: &[u8]) -> Result<Value, serde_json::Error> {
    document(serde_json::Deserializer::from_slice(bytes))
}

/// Parses JSON text as serde_json's `from_str` does (the last of a repeated key wins).
pub fn from_str(text: &str) -> Result<Value, serde_json::Error> {
    document(serde_json::Deserializer::from_str(text))
}

/// Reads one document to its end as [`value`] reads a value.
fn document<'de, R: serde_json::de::Read<'de>>(
    mut de: serde_json::Deserializer<R>,
) -> Result<Value, serde_json::Error> {
    let v = value(&mut de)?;
    de.end()?;
    Ok(v)
}

/// A `Value` read as [`value`] reads it, for `#[derive(Deserialize)]` types that hold one.
#[derive(Debug, Clone, PartialEq)]
pub struct Built(pub Value);

impl<'de> serde::Deserialize<'de> for Built {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Built, D::Error> {
        value(d).map(Built)
    }
}

/// One member of an object being read, with when it was read (its place among every member of
/// the document, so that repeats found object by object are listed in document order).
struct Member {
    order: usize,
    key: String,
    value: Value,
}

/// The members of the objects being read, innermost last: each object takes its own off the
/// end when it closes. Kept per thread between documents, so that a run of many bodies does
/// not grow a fresh list for each; a list grown past [`KEPT_MEMBERS`] is not kept.
struct Members {
    list: Vec<Member>,
    /// Members read so far in this document.
    read: usize,
}

/// The most members a thread keeps room for between documents (about 100 KiB).
const KEPT_MEMBERS: usize = 1024;

thread_local! {
    static MEMBERS: RefCell<Vec<Member>> = const { RefCell::new(Vec::new()) };
}

/// Runs `f` with the thread's member list (an empty one while another read holds it).
fn with_members<T>(f: impl FnOnce(&mut Members) -> T) -> T {
    let list = MEMBERS.with(|m| std::mem::take(&mut *m.borrow_mut()));
    let mut members = Members { list, read: 0 };
    let out = f(&mut members);
    let mut list = members.list;
    // An error leaves the members of the objects it was inside.
    list.clear();
    if list.capacity() <= KEPT_MEMBERS {
        MEMBERS.with(|m| *m.borrow_mut() = list);
    }
    out
}

/// The pointers of repeated keys in the order their members were read.
fn in_order(mut repeated: Vec<(usize, String)>) -> Vec<String> {
    repeated.sort_by_key(|(order, _)| *order);
    repeated.into_iter().map(|(_, pointer)| pointer).collect()
}

/// Reads the value at `at`; with `repeated`, notes the pointers of repeated keys there. The
/// pointer is a chain on the stack, written out only for a repeat.
struct Seed<'s, 'a> {
    members: &'s mut Members,
    repeated: &'s mut Option<Vec<(usize, String)>>,
    at: &'s At<'a>,
}

impl<'de> DeserializeSeed<'de> for Seed<'_, '_> {
    type Value = Value;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Seed<'_, '_> {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        self.deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(v) = seq.next_element_seed(Seed {
            members: &mut *self.members,
            repeated: &mut *self.repeated,
            at: &self.at.index(items.len()),
        })? {
            items.push(v);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let start = self.members.list.len();
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value_seed(Seed {
                members: &mut *self.members,
                repeated: &mut *self.repeated,
                at: &self.at.key(&key),
            })?;
            // Numbered once its value is read, as the repeats found inside it were.
            let order = self.members.read;
            self.members.read += 1;
            self.members.list.push(Member { order, key, value });
        }
        let mut out = Map::with_capacity(self.members.list.len() - start);
        for Member { order, key, value } in self.members.list.drain(start..) {
            let Some(repeated) = self.repeated.as_mut() else {
                out.insert(key, value);
                continue;
            };
            // One lookup per key: the entry says whether the key was seen before.
            match out.entry(key) {
                serde_json::map::Entry::Occupied(mut seen) => {
                    repeated.push((order, self.at.key(seen.key()).pointer()));
                    seen.insert(value);
                }
                serde_json::map::Entry::Vacant(new) => {
                    new.insert(value);
                }
            }
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn repeated_keys_are_found_at_any_depth() {
        let p = parse(br#"{"id":"a","x":{"y":[{"k":1,"k":2}]},"id":"b"}"#)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.repeated, vec!["/x/y/0/k", "/id"]);
        assert_eq!(p.value["id"], json!("b"));
        let clean =
            parse(br#"{"a/b":[1,2.5,-3,true,null,"s"],"~":{}}"#).unwrap_or_else(|e| panic!("{e}"));
        assert!(clean.repeated.is_empty());
        assert_eq!(clean.value, json!({"a/b":[1,2.5,-3,true,null,"s"],"~":{}}));
        let escaped = parse(br#"{"a/b":{"~":0,"~":1}}"#).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(escaped.repeated, vec!["/a~1b/~0"]);
        assert!(parse(b"{\"a\":1} x").is_err());
        assert!(parse(b"").is_err());
        // Not UTF-8: the error names where the bad byte is.
        let bad = parse(b"{\"a\":\"\xff\"}")
            .err()
            .map(|e| (e.line(), e.column()));
        assert_eq!(bad, Some((1, 7)));
    }

    #[test]
    fn repeats_are_listed_in_the_order_their_members_were_read() {
        // The inner object's repeat is found when it closes, the outer one's when the outer
        // object does: both come out in document order.
        let p = parse(br#"{"a":{"b":1,"b":2},"a":3,"c":{"d":[{"e":1,"e":2}]},"c":0}"#)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.repeated, vec!["/a/b", "/a", "/c/d/0/e", "/c"]);
        assert_eq!(p.value, json!({"a": 3, "c": 0}));
    }

    #[test]
    fn values_are_read_as_serde_json_reads_them() {
        let many = format!(
            "{{{}}}",
            (0..3000)
                .map(|i| format!("\"k{i}\":{{\"v\":[{i},\"{i}\"]}}"))
                .collect::<Vec<_>>()
                .join(",")
        );
        let docs = [
            r#"{"b":1,"a":{"z":[],"y":{}},"b":2,"c":[1,-2,3.5,18446744073709551615]}"#,
            r#"{"out of range":1e400}"#,
            r#"[{"x":"\u00e9\n","x":null},true,false,null,"s",{}]"#,
            r##"{"@odata.type":"#t","id":"1","nested":{"deeper":{"deepest":[{"k":"v"}]}}}"##,
            "\"just a string\"",
            "12",
            many.as_str(),
            r#"{"small":true}"#,
        ];
        for doc in docs {
            let theirs: Result<Value, _> = serde_json::from_str(doc);
            let ours = from_slice(doc.as_bytes());
            assert_eq!(
                from_str(doc)
                    .map(|v| v.to_string())
                    .map_err(|e| e.to_string()),
                ours.as_ref()
                    .map(|v| v.to_string())
                    .map_err(|e| e.to_string())
            );
            match (theirs, ours) {
                (Ok(t), Ok(o)) => {
                    assert_eq!(o, t, "{doc:.80}");
                    // The same order of members, not only the same members.
                    assert_eq!(o.to_string(), t.to_string(), "{doc:.80}");
                    let strict = parse(doc.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
                    assert_eq!(strict.value.to_string(), t.to_string());
                }
                (Err(t), Err(o)) => assert_eq!(o.to_string(), t.to_string()),
                (t, o) => panic!("serde_json: {t:?}, ours: {o:?}, for {doc:.80}"),
            }
        }
    }

    #[test]
    fn an_error_leaves_nothing_behind_for_the_next_document() {
        for bad in [
            r#"{"a":{"b":1,"c":"#,
            r#"{"a":1,"a":2"#,
            r#"{"a":[{"b":1}"#,
            "{} x",
        ] {
            let theirs = serde_json::from_str::<Value>(bad)
                .err()
                .map(|e| e.to_string());
            assert_eq!(
                from_slice(bad.as_bytes()).err().map(|e| e.to_string()),
                theirs
            );
            assert!(parse(bad.as_bytes()).is_err());
            // The members of the objects the error was inside are not read into the next.
            assert_eq!(
                from_slice(br#"{"x":{"y":1}}"#).ok(),
                Some(json!({"x": {"y": 1}}))
            );
            let next = parse(br#"{"q":1,"q":2}"#).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(
                (next.value, next.repeated),
                (json!({"q": 2}), vec!["/q".to_string()])
            );
        }
    }

    #[test]
    fn a_case_body_is_read_with_the_same_builder() {
        #[derive(serde::Deserialize)]
        struct Holder {
            body: Built,
        }
        let h: Holder = serde_json::from_str(r#"{"body":{"b":1,"a":2,"b":3}}"#)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(h.body.0.to_string(), r#"{"b":3,"a":2}"#);
    }
}
