//! Coverage: which documented operations, pages and response properties a set of cases can
//! test, and which of them a run exercised and passed.
//!
//! - An operation is a method and a path template, compared as [`ResourcePath::shape`] compares
//!   templates (`/Users/{user-id}` and `/users/{id}` are one operation).
//! - A page is a case's `source.file`.
//! - A response property is a property path of an operation's documented response body (nested
//!   objects and the objects inside arrays included, annotations such as `@odata.type` left
//!   out): `/vendorInformation/provider` of `PATCH security/hostsecurityprofiles/{}`.
//!
//! A thing is exercised when a case documenting it got an answer (for a response property: an
//! answer of the documented status class with a body), and passed when it was exercised and
//! every case that exercised it passed (a waived case did not pass).

use std::collections::{BTreeMap, HashMap};

use indexmap::IndexSet;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::http::ResourcePath;
use crate::model::case::{Body, Case, Method};
use crate::model::result::{CaseResult, Outcome};

/// How many things the docs document, how many a run exercised, how many passed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    /// Documented by at least one case.
    pub documented: usize,
    /// Exercised by at least one case that got an answer.
    pub exercised: usize,
    /// Exercised, and every case that exercised it passed.
    pub passed: usize,
}

/// The coverage of one page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageCoverage {
    /// The page, as the cases' `source.file` names it.
    pub page: String,
    /// The operations the page's cases document.
    pub operations: Tally,
    /// The response properties the page's cases document.
    pub properties: Tally,
}

/// What the cases cover: totals, then each page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coverage {
    /// Operations (method and path template), each counted once however many pages show it.
    pub operations: Tally,
    /// Pages with at least one case.
    pub pages: Tally,
    /// Response properties, per operation.
    pub properties: Tally,
    /// Each page, in name order.
    pub per_page: Vec<PageCoverage>,
}

/// An operation: a method and a path template's shape.
type Operation = (Method, String);

/// What happened to the cases that document one thing.
#[derive(Debug, Clone, Copy, Default)]
struct Seen {
    exercised: bool,
    failed: bool,
}

impl Seen {
    /// Adds one case that documents the thing: `exercised` whether it reached the thing,
    /// `passed` whether the case passed.
    fn add(&mut self, exercised: bool, passed: bool) {
        if exercised {
            self.exercised = true;
            self.failed |= !passed;
        }
    }
}

/// The things of one kind, by key.
#[derive(Debug, Clone)]
struct Things<K: Ord>(BTreeMap<K, Seen>);

impl<K: Ord> Default for Things<K> {
    fn default() -> Self {
        Things(BTreeMap::new())
    }
}

impl<K: Ord> Things<K> {
    fn add(&mut self, key: K, exercised: bool, passed: bool) {
        self.0.entry(key).or_default().add(exercised, passed);
    }

    /// Adds what a group of cases did to the thing: as adding each case of the group.
    fn merge(&mut self, key: K, group: Seen) {
        let seen = self.0.entry(key).or_default();
        seen.exercised |= group.exercised;
        seen.failed |= group.failed;
    }

    fn tally(&self) -> Tally {
        let mut t = Tally {
            documented: self.0.len(),
            ..Tally::default()
        };
        for seen in self.0.values().filter(|s| s.exercised) {
            t.exercised += 1;
            t.passed += usize::from(!seen.failed);
        }
        t
    }
}

/// The things of one page, or of all pages.
#[derive(Debug, Default)]
struct Scope<'a> {
    operations: Things<&'a Operation>,
    properties: Things<(&'a Operation, &'a str)>,
}

impl Coverage {
    /// What the cases document, with nothing run (exercised and passed are 0).
    pub fn documented(cases: &[Case]) -> Coverage {
        Coverage::of(cases, &[])
    }

    /// What the cases document, and what the results (matched to the cases by id) exercised
    /// and passed; a case with no result was not run.
    pub fn of(cases: &[Case], results: &[CaseResult]) -> Coverage {
        Documented::of(cases).coverage(results)
    }
}

/// What a set of cases documents, kept small: each case's id, page, operation, documented
/// status and response property paths, with each distinct page, operation and list of paths
/// held once. A run of many cases keeps this instead of every documented response body.
#[derive(Debug, Clone, Default)]
pub struct Documented {
    cases: Vec<DocumentedCase>,
    pages: Interned<String>,
    operations: Interned<Operation>,
    properties: Interned<Vec<String>>,
}

/// Distinct values in the order first seen. Hashed with foldhash, not SipHash: every case
/// loaded adds its page, operation and property list (dozens of paths) on the one thread
/// that collects what the loading threads read, and the values are the user's own files.
type Interned<T> = IndexSet<T, foldhash::fast::RandomState>;

/// What [`Documented`] needs of one case, read from the case.
#[derive(Debug, Clone)]
pub struct CaseFacts {
    id: String,
    status: u16,
    page: String,
    operation: Operation,
    properties: Vec<String>,
}

/// One case, as [`Documented`] keeps it (indices into its tables).
#[derive(Debug, Clone)]
struct DocumentedCase {
    id: String,
    status: u16,
    page: usize,
    operation: usize,
    properties: usize,
}

impl Documented {
    /// What these cases document.
    pub fn of(cases: &[Case]) -> Documented {
        let mut d = Documented::default();
        cases.iter().for_each(|c| d.add(c));
        d
    }

    /// Adds what one case documents (read from its response body, which the case may drop
    /// afterwards).
    pub fn add(&mut self, case: &Case) {
        self.add_facts(Documented::facts(case));
    }

    /// What [`Documented::add`] reads of a case, read apart from adding it (on the thread that
    /// loaded the case, say).
    pub fn facts(case: &Case) -> CaseFacts {
        let properties = match &case.response.body {
            Some(Body::Json(body)) => ResponseProperties::of(body),
            _ => ResponseProperties::default(),
        };
        Documented::facts_with(case, properties)
    }

    /// What [`Documented::add`] reads of a case whose response body was read only for its
    /// properties (see [`ResponseProperties`]).
    pub fn facts_with(case: &Case, properties: ResponseProperties) -> CaseFacts {
        CaseFacts {
            id: case.id.clone(),
            status: case.response.status,
            page: case.source.file.clone(),
            operation: operation(case),
            properties: properties.0,
        }
    }

    /// Adds what [`Documented::facts`] read of a case.
    pub fn add_facts(&mut self, facts: CaseFacts) {
        let (page, _) = self.pages.insert_full(facts.page);
        let (operation, _) = self.operations.insert_full(facts.operation);
        let (properties, _) = self.properties.insert_full(facts.properties);
        self.cases.push(DocumentedCase {
            id: facts.id,
            status: facts.status,
            page,
            operation,
            properties,
        });
    }

    /// The coverage these results (matched to the cases by id) give; a case with no result
    /// was not run.
    pub fn coverage(&self, results: &[CaseResult]) -> Coverage {
        let by_id: HashMap<&str, &CaseResult> =
            results.iter().map(|r| (r.id.as_str(), r)).collect();
        let mut total = Scope::default();
        let mut pages: BTreeMap<&str, Scope> = BTreeMap::new();
        let mut page_seen: Things<&str> = Things::default();
        // Cases of one page and operation that document the same properties are one group
        // for the properties: each property is then counted once per group, not per case
        // (10,000 cases of one example are one group).
        let mut groups: HashMap<(usize, usize, usize), Seen> = HashMap::new();
        for case in &self.cases {
            let result = by_id.get(case.id.as_str());
            let answered = result.and_then(|r| r.status);
            let exercised = answered.is_some();
            let judged = answered.is_some_and(|s| s / 100 == case.status / 100)
                && result.is_some_and(|r| r.has_body);
            let passed = result.is_some_and(|r| r.outcome == Outcome::Passed);
            let operation = &self.operations[case.operation];
            let page_name = self.pages[case.page].as_str();
            page_seen.add(page_name, exercised, passed);
            let page = pages.entry(page_name).or_default();
            for scope in [&mut total, page] {
                scope.operations.add(operation, exercised, passed);
            }
            groups
                .entry((case.page, case.operation, case.properties))
                .or_default()
                .add(judged, passed);
        }
        for ((page, operation, properties), seen) in groups {
            let operation = &self.operations[operation];
            let page = pages.entry(self.pages[page].as_str()).or_default();
            for scope in [&mut total, page] {
                for p in &self.properties[properties] {
                    scope.properties.merge((operation, p.as_str()), seen);
                }
            }
        }
        Coverage {
            operations: total.operations.tally(),
            pages: page_seen.tally(),
            properties: total.properties.tally(),
            per_page: pages
                .into_iter()
                .map(|(page, scope)| PageCoverage {
                    page: page.to_string(),
                    operations: scope.operations.tally(),
                    properties: scope.properties.tally(),
                })
                .collect(),
        }
    }
}

/// The operation a case documents: its method and its path template's shape.
fn operation(case: &Case) -> Operation {
    (
        case.request.method,
        ResourcePath::parse(&case.request.path).shape(),
    )
}

/// The property paths of a documented response body: nested objects' properties as `/a/b`,
/// the objects inside arrays as properties of the array's own path; annotations (names with
/// `@`) are not properties. Read from a parsed body ([`ResponseProperties::of`]) or from a
/// case file's body as it is parsed (as `Deserialize`: the body is never built), by the one
/// walk below.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResponseProperties(Vec<String>);

impl ResponseProperties {
    /// The property paths of a parsed JSON body.
    pub fn of(body: &Value) -> ResponseProperties {
        let mut out = Vec::new();
        let mut prefix = String::new();
        // Walking a `Value` calls only the visitor, which never fails.
        let _ = serde::Deserializer::deserialize_any(
            body,
            PathWalk {
                prefix: &mut prefix,
                out: &mut out,
                depth: 0,
            },
        );
        ResponseProperties::sorted(out)
    }

    /// Sorted, each path once (collected in a vector, sorted once: cheaper than a set).
    fn sorted(mut paths: Vec<String>) -> ResponseProperties {
        paths.sort_unstable();
        paths.dedup();
        ResponseProperties(paths)
    }
}

impl<'de> Deserialize<'de> for ResponseProperties {
    /// Reads a JSON body as it is parsed (the `json` of a case file's `{"json": …}`, see
    /// [`crate::model::case::CaseFiles::load_lean`]) for its property paths.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut out = Vec::new();
        let mut prefix = String::new();
        d.deserialize_any(PathWalk {
            prefix: &mut prefix,
            out: &mut out,
            depth: 0,
        })?;
        Ok(ResponseProperties::sorted(out))
    }
}

/// The walk that collects property paths under `prefix` into `out`.
struct PathWalk<'a> {
    prefix: &'a mut String,
    out: &'a mut Vec<String>,
    depth: usize,
}

/// A property name, borrowed from the text when it has no escapes.
struct Name<'de>(std::borrow::Cow<'de, str>);

impl<'de> Deserialize<'de> for Name<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct NameVisitor;
        impl<'de> serde::de::Visitor<'de> for NameVisitor {
            type Value = Name<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a property name")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Name<'de>, E> {
                Ok(Name(std::borrow::Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Name<'de>, E> {
                Ok(Name(std::borrow::Cow::Owned(v.to_string())))
            }
            fn visit_string<E>(self, v: String) -> Result<Name<'de>, E> {
                Ok(Name(std::borrow::Cow::Owned(v)))
            }
        }
        d.deserialize_str(NameVisitor)
    }
}

impl PathWalk<'_> {
    fn below(&mut self) -> PathWalk<'_> {
        PathWalk {
            prefix: self.prefix,
            out: self.out,
            depth: self.depth + 1,
        }
    }
}

impl<'de> serde::de::DeserializeSeed<'de> for PathWalk<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for PathWalk<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_i128<E>(self, _: i128) -> Result<(), E> {
        Ok(())
    }
    fn visit_u128<E>(self, _: u128) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_none<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
        // The items of an array are properties of the array's own path.
        while seq.next_element_seed(self.below())?.is_some() {}
        Ok(())
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
        while let Some(Name(name)) = map.next_key::<Name>()? {
            // Deeper than any document (serde_json stops at 128 levels): skipped.
            if name.contains('@') || self.depth > 128 {
                map.next_value::<serde::de::IgnoredAny>()?;
                continue;
            }
            let len = self.prefix.len();
            self.prefix.push('/');
            self.prefix.push_str(&name);
            map.next_value_seed(self.below())?;
            self.out.push(self.prefix.clone());
            self.prefix.truncate(len);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::result::{CheckKind, CheckResult};
    use serde_json::json;

    fn case(id: &str, page: &str, method: &str, path: &str, status: u16, body: Value) -> Case {
        let text = json!({
            "id": id,
            "name": id,
            "source": {"file": page, "line": 1},
            "version": "beta",
            "request": {"method": method, "path": path, "line": 1},
            "response": {"status": status, "body": {"json": body}, "line": 5}
        });
        serde_json::from_value(text).unwrap()
    }

    fn result(c: &Case, outcome: Outcome, status: Option<u16>) -> CaseResult {
        let mut r = CaseResult::unrun(c);
        r.outcome = outcome;
        r.status = status;
        r.has_body = status.is_some_and(|s| s != 204);
        if outcome == Outcome::Failed {
            r.checks = vec![CheckResult::fail(
                CheckKind::Status,
                "expected 200, got 500",
            )];
        }
        r
    }

    fn tally(documented: usize, exercised: usize, passed: usize) -> Tally {
        Tally {
            documented,
            exercised,
            passed,
        }
    }

    /// Two pages; `/users/{id}` GET on both (one operation), a PATCH, and a DELETE.
    fn cases() -> Vec<Case> {
        vec![
            // Page a: GET users/{} with 3 properties (/id, /address, /address/city).
            case(
                "a.get",
                "a.md",
                "GET",
                "/users/{id}",
                200,
                json!({"@odata.context": "x", "id": "1", "address": {"city": "c", "city@odata.type": "t"}}),
            ),
            // Page a: PATCH users/{} with /id and /tags (whose items are strings).
            case(
                "a.patch",
                "a.md",
                "PATCH",
                "/users/{id}",
                200,
                json!({"id": "1", "tags": ["x"]}),
            ),
            // Page b: the same GET, spelled differently, adding /value-less /mail.
            case(
                "b.get",
                "b.md",
                "GET",
                "/Users/{user-id}",
                200,
                json!({"id": "1", "mail": "m"}),
            ),
            // Page c: a DELETE without a body, and a collection GET (items' properties).
            case(
                "c.delete",
                "c.md",
                "DELETE",
                "/users/{id}",
                204,
                Value::Null,
            ),
            case(
                "c.list",
                "c.md",
                "GET",
                "/users",
                200,
                json!({"value": [{"id": "1"}, {"id": "2", "mail": "m"}]}),
            ),
        ]
    }

    #[test]
    fn response_properties_read_as_a_body_is_parsed_are_those_of_the_parsed_body() {
        let body = json!({
            "@odata.context": "x",
            "id": "1",
            "a": {"b": 1, "c": {"d": null}, "e@odata.type": "t"},
            "items": [{"x": 1}, {"y": [{"z": true}]}, 3],
            "empty": {}
        });
        let parsed = ResponseProperties::of(&body);
        let want: Vec<&str> = vec![
            "/a",
            "/a/b",
            "/a/c",
            "/a/c/d",
            "/empty",
            "/id",
            "/items",
            "/items/x",
            "/items/y",
            "/items/y/z",
        ];
        assert_eq!(
            parsed.0.iter().map(String::as_str).collect::<Vec<_>>(),
            want
        );
        let read: ResponseProperties =
            serde_json::from_str(&body.to_string()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(read, parsed);
        assert!(serde_json::from_str::<ResponseProperties>("[1, {").is_err());
    }

    #[test]
    fn documented_counts_operations_pages_and_properties_once_each() {
        let cov = Coverage::documented(&cases());
        // GET users/{}, PATCH users/{}, DELETE users/{}, GET users.
        assert_eq!(cov.operations.documented, 4);
        assert_eq!(cov.pages.documented, 3);
        // GET users/{}: /id /address /address/city /mail; PATCH: /id /tags;
        // GET users: /value /value/id /value/mail.
        assert_eq!(cov.properties.documented, 9);
        assert_eq!(cov.operations.exercised + cov.operations.passed, 0);
        let pages: Vec<(&str, usize, usize)> = cov
            .per_page
            .iter()
            .map(|p| {
                (
                    p.page.as_str(),
                    p.operations.documented,
                    p.properties.documented,
                )
            })
            .collect();
        assert_eq!(pages, vec![("a.md", 2, 5), ("b.md", 1, 2), ("c.md", 2, 3)]);
    }

    #[test]
    fn a_run_counts_what_was_answered_and_what_passed() {
        let cases = cases();
        let results = vec![
            result(&cases[0], Outcome::Passed, Some(200)),
            // The PATCH fails with a 500: exercised, but its body was not judged.
            result(&cases[1], Outcome::Failed, Some(500)),
            // The other page's GET passes.
            result(&cases[2], Outcome::Passed, Some(200)),
            // The DELETE was skipped: nothing answered.
            result(&cases[3], Outcome::Skipped, None),
            // The collection GET is waived: exercised, not passed.
            result(&cases[4], Outcome::Waived, Some(200)),
        ];
        let cov = Coverage::of(&cases, &results);
        assert_eq!(cov.operations, tally(4, 3, 1));
        assert_eq!(cov.pages, tally(3, 3, 1));
        // Judged: GET users/{} (4 properties, passed) and GET users (3, waived); the PATCH's
        // 2 were not judged (a 500 for a documented 200).
        assert_eq!(cov.properties, tally(9, 7, 4));
        let c = &cov.per_page[2];
        assert_eq!(c.page, "c.md");
        assert_eq!(c.operations, tally(2, 1, 0));
    }

    #[test]
    fn an_answer_without_a_body_exercises_the_operation_not_its_properties() {
        let cases = cases();
        // A 204 for the documented 200 GET (the same class, but nothing to read).
        let results = vec![result(&cases[0], Outcome::Failed, Some(204))];
        let cov = Coverage::of(&cases, &results);
        assert_eq!(cov.operations.exercised, 1);
        assert_eq!(cov.properties.exercised, 0);
        let mut with_body = results;
        with_body[0].has_body = true;
        assert_eq!(Coverage::of(&cases, &with_body).properties.exercised, 3);
    }

    #[test]
    fn one_failing_case_of_an_operation_keeps_it_from_passing() {
        let cases = cases();
        let results = vec![
            result(&cases[0], Outcome::Failed, Some(200)),
            result(&cases[2], Outcome::Passed, Some(200)),
        ];
        let cov = Coverage::of(&cases, &results);
        // GET users/{} was exercised by both pages' cases; one failed.
        assert_eq!(cov.operations.exercised, 1);
        assert_eq!(cov.operations.passed, 0);
        // Page b's own GET passed.
        assert_eq!(cov.per_page[1].operations.passed, 1);
        // /id and /mail of GET users/{} were judged by b.get; /id failed in a.get.
        assert_eq!(cov.properties.exercised, 4);
        assert_eq!(cov.properties.passed, 1);
    }
}
