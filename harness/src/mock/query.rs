//! OData query options the mock honours where the answer depends on them: `$select`, `$filter`
//! with `eq` and `isof('type')`, `$top`, `$skip`, `$count`, and `$expand` of a navigation the store holds (on a
//! read). Anything else (`$orderby`, `$search`, other filter functions, options nested in an
//! expansion) is ignored: the documented answer stands, never a 400.

use serde_json::{Map, Value};

/// The query options of a request, as far as the mock reads them.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Query {
    /// `$select`: the properties to answer (the key and annotations always come too).
    pub(super) select: Option<Vec<String>>,
    /// `$filter` clauses joined by `and`; empty when the filter is not understood.
    pub(super) filter: Vec<Clause>,
    /// `$top`.
    pub(super) top: Option<usize>,
    /// `$skip`.
    pub(super) skip: Option<usize>,
    /// `$count=true`.
    pub(super) count: bool,
    /// `$expand`: the navigation properties named (options in parentheses dropped).
    pub(super) expand: Vec<String>,
}

/// One clause of a `$filter` the mock evaluates.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Clause {
    /// `prop eq literal`.
    Eq(String, Value),
    /// `isof('namespace.type')`: members whose `@odata.type` names that type.
    IsOf(String),
}

/// The value of a filter literal: `'text'`, a number, `true`, `false`, `null`.
fn literal(text: &str) -> Option<Value> {
    let text = text.trim();
    if let Some(inner) = text.strip_prefix('\'').and_then(|t| t.strip_suffix('\'')) {
        return Some(Value::String(inner.replace("''", "'")));
    }
    match text {
        "true" => Some(Value::Bool(true)),
        "false" => Some(Value::Bool(false)),
        "null" => Some(Value::Null),
        _ => serde_json::from_str::<serde_json::Number>(text)
            .ok()
            .map(Value::Number),
    }
}

/// Reads `prop eq literal` and `isof('type')` clauses joined by `and`; anything else is not
/// understood (`None`).
fn clauses(filter: &str) -> Option<Vec<Clause>> {
    let mut out = Vec::new();
    for clause in filter.split(" and ") {
        let clause = clause.trim();
        if let Some(arg) = clause
            .strip_prefix("isof(")
            .and_then(|rest| rest.strip_suffix(')'))
        {
            match literal(arg)? {
                Value::String(t) => out.push(Clause::IsOf(t)),
                _ => return None,
            }
            continue;
        }
        let clause = clause.trim_start_matches('(').trim_end_matches(')');
        let (prop, value) = clause.split_once(" eq ")?;
        let prop = prop.trim();
        if prop.is_empty() || !prop.chars().all(|c| c.is_alphanumeric() || c == '_') {
            return None;
        }
        out.push(Clause::Eq(prop.to_string(), literal(value)?));
    }
    Some(out)
}

/// The navigation names of an `$expand` value: `a,b($select=x),c/$ref` gives a, b, c; `*`
/// names none the mock can find.
fn expansions(value: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut current = String::new();
    for c in value.chars().chain(std::iter::once(',')) {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                let name = current
                    .trim()
                    .split('/')
                    .next()
                    .unwrap_or_default()
                    .to_string();
                if !name.is_empty() && name != "*" {
                    out.push(name);
                }
                current.clear();
            }
            _ if depth == 0 => current.push(c),
            _ => {}
        }
    }
    out
}

impl Query {
    /// Reads the query string of a request (after `?`).
    pub(super) fn parse(query: Option<&str>) -> Query {
        let mut q = Query::default();
        let Some(query) = query else {
            return q;
        };
        for option in query.split('&') {
            let decoded = percent_encoding::percent_decode_str(&option.replace('+', " "))
                .decode_utf8_lossy()
                .into_owned();
            let Some((name, value)) = decoded.split_once('=') else {
                continue;
            };
            match name.trim().to_ascii_lowercase().trim_start_matches('$') {
                "select" => {
                    q.select = Some(
                        value
                            .split(',')
                            .map(|p| p.trim().to_string())
                            .filter(|p| !p.is_empty())
                            .collect(),
                    )
                }
                "filter" => q.filter = clauses(value).unwrap_or_default(),
                "top" => q.top = value.trim().parse().ok(),
                "skip" => q.skip = value.trim().parse().ok(),
                "count" => q.count = value.trim().eq_ignore_ascii_case("true"),
                "expand" => q.expand = expansions(value),
                _ => {}
            }
        }
        q
    }

    /// An entity with only the selected properties (its key and annotations kept).
    pub(super) fn project(&self, entity: &Map<String, Value>) -> Map<String, Value> {
        match &self.select {
            None => entity.clone(),
            Some(props) => entity
                .iter()
                .filter(|(k, _)| {
                    k.as_str() == "id"
                        || k.starts_with('@')
                        || props.iter().any(|p| p.eq_ignore_ascii_case(k))
                })
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        }
    }

    /// Whether an entity passes the filter.
    pub(super) fn keeps(&self, entity: &Map<String, Value>) -> bool {
        self.filter.iter().all(|clause| match clause {
            Clause::Eq(prop, want) => {
                let got = entity
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(prop))
                    .map(|(_, v)| v);
                match (got, want) {
                    (Some(Value::String(a)), Value::String(b)) => a.eq_ignore_ascii_case(b),
                    (Some(a), b) => a == b,
                    (None, Value::Null) => true,
                    (None, _) => false,
                }
            }
            // An entity that names no type is of the listing's type, which the mock cannot
            // compare here; it stays, as an unevaluated filter keeps everything.
            Clause::IsOf(want) => match entity.get("@odata.type").and_then(Value::as_str) {
                Some(t) => crate::schema::type_name(t).eq_ignore_ascii_case(want),
                None => true,
            },
        })
    }

    /// A listing's members filtered, skipped, cut and projected.
    pub(super) fn list<'a>(
        &self,
        members: impl Iterator<Item = &'a Map<String, Value>>,
    ) -> (Vec<Value>, usize) {
        let kept: Vec<&Map<String, Value>> = members.filter(|m| self.keeps(m)).collect();
        let total = kept.len();
        let items = kept
            .into_iter()
            .skip(self.skip.unwrap_or(0))
            .take(self.top.unwrap_or(usize::MAX))
            .map(|m| Value::Object(self.project(m)))
            .collect();
        (items, total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    #[test]
    fn expansions_name_navigations_without_their_options() {
        assert_eq!(
            expansions("members($select=id,displayName),owner/$ref, manager"),
            vec!["members", "owner", "manager"]
        );
        assert!(expansions("*").is_empty());
    }

    #[test]
    fn reads_and_applies_the_common_options() {
        let q = Query::parse(Some(
            "$select=displayName,mail&$filter=displayName%20eq%20'Adele'%20and%20age+eq+3&$top=1&$count=true",
        ));
        assert_eq!(q.select.as_ref().map(Vec::len), Some(2));
        assert_eq!(q.top, Some(1));
        assert!(q.count);
        let a = obj(
            json!({"id": "1", "displayName": "adele", "mail": "a@x", "age": 3, "@odata.type": "#x"}),
        );
        let b = obj(json!({"id": "2", "displayName": "Bob", "age": 3}));
        assert!(q.keeps(&a) && !q.keeps(&b));
        let (items, total) = q.list([&a, &b].into_iter());
        assert_eq!(total, 1);
        assert_eq!(
            items,
            vec![json!({"id": "1", "displayName": "adele", "mail": "a@x", "@odata.type": "#x"})]
        );
        // A filter the mock does not understand keeps everything.
        let any = Query::parse(Some("$filter=startswith(displayName,'A')"));
        assert!(any.keeps(&b));
        assert_eq!(
            Query::parse(Some("$filter=isActive eq true")).filter,
            vec![Clause::Eq("isActive".to_string(), json!(true))]
        );
    }

    #[test]
    fn isof_keeps_the_members_of_the_named_type() {
        let q = Query::parse(Some("$filter=isof('microsoft.graph.group')"));
        assert_eq!(q.filter, vec![Clause::IsOf("microsoft.graph.group".into())]);
        let group = obj(json!({"id": "1", "@odata.type": "#microsoft.graph.group"}));
        let user = obj(json!({"id": "2", "@odata.type": "#microsoft.graph.user"}));
        let (items, _) = q.list([&group, &user].into_iter());
        assert_eq!(items, vec![Value::Object(group.clone())]);
    }
}
