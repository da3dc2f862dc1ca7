//! Delete lint: examples that delete the very same resource, named by a literal path.

use std::collections::BTreeMap;
use std::collections::HashMap;

use crate::doc::{Code, Diagnostic, Severity};
use crate::http::ResourcePath;
use crate::model::case::{Case, Method};

use super::scope;

/// Two examples of one version that DELETE the same literal path (no parameter in it): against
/// one service, whichever runs second finds the resource gone and gets 404, so the docs cannot
/// both hold in one run. Each is reported, citing another.
pub(crate) fn repeated_deletes(
    cases: &[Case],
    displays: &HashMap<String, String>,
) -> Vec<Diagnostic> {
    let display = |c: &Case| {
        displays
            .get(&c.source.file)
            .cloned()
            .unwrap_or_else(|| c.source.file.clone())
    };
    let mut by_target: BTreeMap<(Option<String>, String), Vec<&Case>> = BTreeMap::new();
    for c in cases {
        if c.request.method != Method::Delete || !c.request.params.is_empty() {
            continue;
        }
        let key = ResourcePath::parse(&c.request.path).key();
        by_target.entry((scope(c), key)).or_default().push(c);
    }
    let mut diags = Vec::new();
    for group in by_target.values_mut() {
        group.sort_by(|a, b| (&a.source.file, a.source.line).cmp(&(&b.source.file, b.source.line)));
        if group.len() < 2 {
            continue;
        }
        // Which of them a run sends last depends on the run, so each is reported.
        for (i, c) in group.iter().enumerate() {
            let other = if i == 0 { group[1] } else { group[0] };
            diags.push(Diagnostic::new(
                &display(c),
                c.request.line,
                Severity::Warning,
                Code::RepeatedDelete,
                format!(
                    "DELETE {} deletes the resource {}:{} deletes too: against one service \
                     whichever runs later finds it gone (404)",
                    c.request.path,
                    display(other),
                    other.source.line
                ),
            ));
        }
    }
    diags
}

#[cfg(test)]
mod tests {
    use crate::doc::Code;
    use crate::extract::extract_texts;

    fn delete(name: &str, path: &str) -> String {
        format!(
            "<!-- {{ \"blockType\": \"request\", \"name\": \"{name}\" }} -->\n```http\nDELETE https://graph.microsoft.com/v1.0{path}\n```\n<!-- {{ \"blockType\": \"response\" }} -->\n```http\nHTTP/1.1 204 No Content\n```\n"
        )
    }

    #[test]
    fn both_deletes_of_one_literal_resource_are_reported() {
        let a = delete("delete_a", "/widgets/w1");
        let b = [
            delete("delete_b", "/Widgets/w1"),
            delete("delete_c", "/widgets/w2"),
            delete("delete_d", "/widgets/{id}"),
            delete("delete_e", "/widgets/{id}"),
        ]
        .concat();
        let ex = extract_texts(&[("a.md", "a.md", a.as_str()), ("b.md", "b.md", b.as_str())]);
        let found: Vec<(String, usize)> = ex
            .diagnostics
            .iter()
            .filter(|d| d.code == Code::RepeatedDelete)
            .map(|d| (d.file.clone(), d.line))
            .collect();
        assert_eq!(
            found,
            vec![("a.md".to_string(), 2), ("b.md".to_string(), 2)],
            "{:#?}",
            ex.diagnostics
        );
    }
}
