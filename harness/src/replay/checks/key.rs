//! The key check: the entity answered is the entity asked for.

use serde_json::Value;

use crate::http::ResourcePath;
use crate::model::result::{CheckKind, CheckResult};
use crate::replay::request::Prepared;
use crate::schema::SchemaSet;

use super::{Documented, answer_type};

/// The parameter a path template ends in when that parameter is the entity's key: a whole last
/// segment (`/users/{id}`) or a key in parentheses (`/users('{id}')`, `/users({id})`), with the
/// literal text around it. A segment after `:` is a drive path, not a key.
fn key_param(template: &str) -> Option<(String, String, String)> {
    let path = ResourcePath::parse(template);
    let segs = path.segments();
    let last = segs.last()?;
    if segs.len() >= 2 && segs[segs.len() - 2].ends_with(':') {
        return None;
    }
    let open = last.find('{')?;
    let close = last.rfind('}')?;
    if close < open {
        return None;
    }
    let (prefix, suffix) = (&last[..open], &last[close + 1..]);
    let keyed = (prefix.is_empty() && suffix.is_empty())
        || ((prefix.ends_with('(') || prefix.ends_with("('")) && (suffix == ")" || suffix == "')"));
    keyed.then(|| {
        (
            prefix.to_string(),
            last[open + 1..close].to_string(),
            suffix.to_string(),
        )
    })
}

/// The property each spelling of a key parameter names: an `…id` spelling (`id`, `user-id`,
/// `userSecurityProfile_Id`) is the key `id`; another (`userPrincipalName`) is an alternate
/// key, the property of that name.
fn key_properties(param: &str) -> Vec<String> {
    param
        .split('|')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            if p.to_ascii_lowercase().ends_with("id") {
                "id".to_string()
            } else {
                p.to_string()
            }
        })
        .collect()
}

/// Whether a key value equals the one asked for (GUIDs compare case-insensitively).
fn same_key(asked: &str, got: &Value) -> bool {
    let got = match got {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => return false,
    };
    if asked == got {
        return true;
    }
    match (uuid::Uuid::parse_str(asked), uuid::Uuid::parse_str(&got)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// An entity carries its key `id`; when the path ends in a key, the entity answered is the one
/// with that key (an alternate key such as `{id | userPrincipalName}` may match either).
pub(super) fn check_key(
    doc: &Documented<'_>,
    sent: &Prepared,
    body: &Value,
    schemas: &SchemaSet,
) -> Option<CheckResult> {
    let case = doc.case;
    if case.response.is_collection {
        return None;
    }
    let object = body.as_object()?;
    let type_name = answer_type(case)?;
    let is_entity = schemas.key_property(&type_name).is_some();
    // Where the doc's own example leaves the key out (a `$select`, a shortened example), the
    // doc allows an answer without it; lint reports the example. Asked only of an answer
    // without the key, as the example may have to be built to answer.
    let doc_shows_key = || match doc.json() {
        Some(Value::Object(example)) => crate::json::has(example, "id"),
        _ => true,
    };
    if is_entity && !object.contains_key("id") && doc_shows_key() {
        return Some(CheckResult::fail(
            CheckKind::Key,
            "the entity's key `id` is missing",
        ));
    }
    // A POST answers a created entity or an action's result, and DELETE no entity: neither
    // is the entity the path names.
    if !matches!(sent.method.as_str(), "GET" | "PATCH" | "PUT") {
        return None;
    }
    let (prefix, param, suffix) = key_param(&case.request.path)?;
    // A name the path uses twice (`/groups/{id}/threads/{id}`) gets one value in both places:
    // which entity the path asks for is the doc's ambiguity, not the answer's fault.
    if case.request.path.matches(&format!("{{{param}}}")).count() > 1 {
        return None;
    }
    let concrete = ResourcePath::parse(&sent.path);
    let last = concrete.last()?;
    let asked = last.get(prefix.len()..last.len().checked_sub(suffix.len())?)?;
    let props = key_properties(&param);
    let shown: Vec<(&String, &Value)> = props
        .iter()
        .filter_map(|p| object.get(p.as_str()).map(|v| (p, v)))
        .collect();
    if shown.is_empty() {
        // The body shows none of the properties the key could be (an alternate key not
        // selected): nothing to compare.
        return None;
    }
    if shown.iter().any(|(_, v)| same_key(asked, v)) {
        return Some(CheckResult::pass(
            CheckKind::Key,
            format!("the entity answered has the key asked for (`{asked}`)"),
        ));
    }
    // With an alternate key, an `id` that differs proves nothing unless every spelling shows.
    if shown.len() < props.len() {
        return None;
    }
    let found: Vec<String> = shown.iter().map(|(p, v)| format!("`{p}` is {v}")).collect();
    Some(CheckResult::fail(
        CheckKind::Key,
        format!(
            "the path asks for the entity with key `{asked}`, but the answer is another entity: {}",
            found.join(", ")
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_key_a_path_ends_in() {
        let k = |t: &str| key_param(t).map(|(p, n, s)| format!("{p}|{n}|{s}"));
        assert_eq!(k("/users/{id}"), Some("|id|".into()));
        assert_eq!(k("/users/{id}/"), Some("|id|".into()));
        assert_eq!(k("/users('{id}')"), Some("users('|id|')".into()));
        assert_eq!(k("/users({id})?$select=x"), Some("users(|id|)".into()));
        assert_eq!(k("/users/{id}/manager"), None);
        assert_eq!(k("/drives/{d}/root:/{path}"), None);
        assert_eq!(k("/reports/get(period='{p}')"), None);
        assert_eq!(
            key_properties("id | userPrincipalName"),
            vec!["id", "userPrincipalName"]
        );
        assert_eq!(key_properties("userSecurityProfile_Id"), vec!["id"]);
        assert!(same_key(
            "E9107A0B-7A0B-E910-0B7A-10E90B7A10E9",
            &Value::from("e9107a0b-7a0b-e910-0b7a-10e90b7a10e9")
        ));
        assert!(!same_key("a", &Value::from("b")));
    }
}
