//! Member lookup in JSON objects without hashing the key.
//!
//! serde_json's ordered map (the `preserve_order` feature, which keeps a doc's member order in
//! cases, bodies and diffs) hashes every key it is asked for with SipHash, and has no option
//! for another hasher. The objects a run looks into are small: a schema's keywords, the
//! members of one resource. For those, comparing the keys in place (length first) costs a
//! fraction of one hash; larger objects still use the map's index.

use serde_json::{Map, Value};

/// Objects with at most this many members are scanned; larger ones use the map's index.
const SCAN_UP_TO: usize = 40;

/// The member `key` of `value`, if `value` is an object that has one.
#[inline]
pub fn member<'a>(value: &'a Value, key: &str) -> Option<&'a Value> {
    match value {
        Value::Object(map) => lookup(map, key),
        _ => None,
    }
}

/// The member `key` of an object.
#[inline]
pub fn lookup<'a>(map: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    if map.len() > SCAN_UP_TO {
        return map.get(key);
    }
    map.iter()
        .find_map(|(k, v)| (k.as_str() == key).then_some(v))
}

/// Whether an object has the member `key`.
#[inline]
pub fn has(map: &Map<String, Value>, key: &str) -> bool {
    lookup(map, key).is_some()
}

/// The string member `key` of `value`.
#[inline]
pub fn str_member<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    member(value, key).and_then(Value::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn small_and_large_objects_give_the_same_answers() {
        let small = json!({"a": 1, "bb": 2, "@odata.type": "#x"});
        assert_eq!(member(&small, "bb"), Some(&json!(2)));
        assert_eq!(str_member(&small, "@odata.type"), Some("#x"));
        assert_eq!(member(&small, "b"), None);
        assert_eq!(member(&json!([1]), "a"), None);
        let large: Map<String, Value> = (0..100).map(|i| (format!("k{i}"), json!(i))).collect();
        for i in [0, SCAN_UP_TO - 1, SCAN_UP_TO, SCAN_UP_TO + 1, 99] {
            assert_eq!(lookup(&large, &format!("k{i}")), Some(&json!(i)));
        }
        assert!(!has(&large, "k100"));
        let scanned: Map<String, Value> = large.into_iter().take(SCAN_UP_TO).collect();
        let (last, next) = (SCAN_UP_TO - 1, SCAN_UP_TO);
        assert!(has(&scanned, &format!("k{last}")) && !has(&scanned, &format!("k{next}")));
    }
}
