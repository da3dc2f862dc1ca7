//! JSON read strictly: a repeated key at any depth is reported, never silently last-wins.
//!
//! serde_json keeps the last of repeated keys without a word, and no maintained crate reports
//! them for an untyped `Value`; so this is a small `DeserializeSeed` on serde_json's own parser
//! (which keeps its grammar, number handling and recursion limit).

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
    let mut repeated = Vec::new();
    let value = Seed {
        repeated: &mut repeated,
        at: &At::ROOT,
    }
    .deserialize(&mut de)?;
    de.end()?;
    Ok(Parsed { value, repeated })
}

/// Reads the value at `at`, noting the pointers of repeated keys in `repeated`. The pointer is
/// a chain on the stack, written out only for a repeat.
struct Seed<'s, 'a> {
    repeated: &'s mut Vec<String>,
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
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(v) = seq.next_element_seed(Seed {
            repeated: &mut *self.repeated,
            at: &self.at.index(items.len()),
        })? {
            items.push(v);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value_seed(Seed {
                repeated: &mut *self.repeated,
                at: &self.at.key(&key),
            })?;
            // One lookup per key: the entry says whether the key was seen before.
            match out.entry(key) {
                serde_json::map::Entry::Occupied(mut seen) => {
                    self.repeated.push(self.at.key(seen.key()).pointer());
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
}
