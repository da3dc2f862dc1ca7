//! Diagnostics about doc pages: what is wrong, where, and how bad.

use std::fmt;

use serde::Serialize;

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The page is inconsistent but a case could still be made.
    Warning,
    /// Something could not be read; no case, or a degraded one.
    Error,
}

macro_rules! codes {
    ($($variant:ident = $name:literal: $doc:literal,)*) => {
        /// The kinds of diagnostic, each with a stable code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        pub enum Code {
            $(#[doc = $doc] #[serde(rename = $name)] $variant,)*
        }

        impl Code {
            /// Every code, in documentation order.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// The stable code string shown in brackets.
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $name,)* }
            }

            /// One line saying what the code means.
            pub fn describe(self) -> &'static str {
                match self { $(Code::$variant => $doc,)* }
            }
        }
    };
}

codes! {
    BadAnnotation = "bad-annotation": "An `<!-- { … } -->` annotation is not JSON, even read leniently.",
    LenientJson = "lenient-json": "An annotation or body is not strict JSON (trailing comma, comment, single quotes) but was read leniently.",
    UnterminatedComment = "unterminated-comment": "An HTML comment is never closed, so the rest of the page is hidden.",
    UnterminatedFence = "unterminated-fence": "A code fence is never closed: it swallows the rest of the page (error), or ends with its blockquote or list item (warning).",
    MultipleRequests = "multiple-requests": "A request block holds more than one request line; only the first is replayed.",
    OrphanAnnotation = "orphan-annotation": "An annotation is not followed by a code block before the next annotation.",
    OrphanRequest = "orphan-request": "A request example has no response example after it.",
    OrphanResponse = "orphan-response": "A response example has no request example before it.",
    BadRequestLine = "bad-request-line": "A request block does not start with `METHOD URL [HTTP/x]`.",
    BadStatusLine = "bad-status-line": "A response block does not start with `HTTP/x CODE [reason]`.",
    BadHeader = "bad-header": "A header line is not `Name: value`.",
    InvalidJson = "invalid-json": "A body that should be JSON does not parse (line and column given).",
    BrokenUrl = "broken-url": "An example URL is malformed (such as `docs\\api` in place of the version); the path was repaired.",
    ForeignHost = "foreign-host": "An example request goes to a host other than the service (an upload or download URL); it is skipped at replay.",
    MissingVersion = "missing-version": "An absolute example URL names no API version segment.",
    SyntaxMismatch = "syntax-mismatch": "An example's method or path matches no line of the page's HTTP request section.",
    ContentLength = "content-length": "A documented Content-Length differs from the length of the body it labels.",
    PlaceholderStyle = "placeholder-style": "One path parameter is written two ways on one page (`{x}` and `<x>`, or different spellings).",
    DuplicateName = "duplicate-name": "Two examples share a name (on one page, or across pages).",
    MissingName = "missing-name": "A request example has no `name` in its annotation.",
    ConflictingDocs = "conflicting-docs": "Two pages document the same operation and disagree about the response.",
    UnknownProperty = "unknown-property": "An example body uses a property its type does not declare in the metadata (legal on an open type, but a sign of drift).",
    EnumValue = "enum-value": "An example body puts a value that is no member of the enumeration in an enum-typed property.",
    ExampleInvalid = "example-invalid": "An example body breaks its type's schema in another way (wrong type, bad date-time, null where not nullable).",
    MissingBody = "missing-body": "A write example (PATCH, PUT, or a POST answered 201 with the created resource) sends no body.",
    RepeatedDelete = "repeated-delete": "Two examples delete the same literal resource: against one service the later finds it gone (404).",
    RejectedWrite = "rejected-write": "A request example writes what a service enforcing the metadata refuses (a read-only property, an @odata.type unrelated to the resource's); the embedded mock answers it 400.",
    NoSchema = "no-schema": "An example names a type that has no schema, so its body was not validated.",
    CollectionShape = "collection-shape": "A response example has a collection's shape (a `value` array) but its annotation does not say `isCollection`; it is read as a collection.",
    MissingContentType = "missing-content-type": "A response example shows a body but no `Content-Type` header.",
    NoContentBody = "no-content-body": "A response example documents a status that has no body (204, 304, 1xx) and shows one.",
    EchoMismatch = "echo-mismatch": "A write example's answer shows a property the request sets with another value.",
    AmbiguousRequest = "ambiguous-request": "Two examples on one page send the same request and document different answers (status, or a body and none).",
    MissingKey = "missing-key": "A response example of a single entity (not answering a `$select`) omits its type's key property.",
    TableMismatch = "table-mismatch": "A property table disagrees with the metadata (a property it lacks, or another type).",
    MissingHeader = "missing-header": "The request-header table marks a header required that a request example with a body does not send.",
    EmptyTable = "empty-table": "A property table has a header and no rows.",
    Todo = "todo": "A page still contains TODO text.",
    NotMarkdown = "not-markdown": "A file could not be read as UTF-8 text.",
    Unreadable = "unreadable": "A file or folder under DOCS could not be read at all; it was skipped and the command exits 2.",
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One problem found in the docs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// The page, as the user named it (DOCS argument joined with the relative path).
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// How bad it is.
    pub severity: Severity,
    /// What kind of problem it is.
    pub code: Code,
    /// What is wrong, in words.
    pub message: String,
}

impl Diagnostic {
    /// A diagnostic about a page, named as the user gave it.
    pub fn new(file: &str, line: usize, severity: Severity, code: Code, message: String) -> Self {
        Diagnostic {
            file: file.to_string(),
            line,
            severity,
            code,
            message,
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Warning => "warning",
            Severity::Error => "error",
        };
        write!(
            f,
            "{}:{}: {}[{}]: {}",
            self.file,
            self.line,
            sev,
            self.code,
            // One diagnostic, one line: names taken from pages may hold line breaks.
            self.message.replace('\r', "\\r").replace('\n', "\\n")
        )
    }
}
