//! Errors told in one line: an error and its causes.

/// An error and its causes, joined with `": "`, leaving out a cause whose text an outer one
/// already shows. Library errors often print their source inside their own message (`{path}:
/// {source}`) and name it as their source too, and the HTTP layers wrap and repeat each other;
/// printing every cause would say the operating system's words twice.
pub fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![e.to_string()];
    let mut cur = e.source();
    while let Some(s) = cur {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        cur = s.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An error that prints its source in its own message and names it as its source.
    #[derive(Debug, thiserror::Error)]
    #[error("{path}: {source}")]
    struct Io {
        path: String,
        source: std::io::Error,
    }

    /// An error that names its source without printing it.
    #[derive(Debug, thiserror::Error)]
    #[error("cannot start")]
    struct Start(#[source] Io);

    #[test]
    fn each_cause_is_told_once() {
        let io = || std::io::Error::new(std::io::ErrorKind::NotFound, "No such file (os error 2)");
        let e = Io {
            path: "cases".into(),
            source: io(),
        };
        assert_eq!(chain(&e), "cases: No such file (os error 2)");
        let e = Start(Io {
            path: "cases".into(),
            source: io(),
        });
        assert_eq!(chain(&e), "cannot start: cases: No such file (os error 2)");
    }
}
