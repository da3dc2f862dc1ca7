//! The pages under the DOCS arguments: files found, read, or reported unreadable.

use std::path::PathBuf;

use crate::doc::{Code, Diagnostic, Severity};

use super::*;

/// A page found under a DOCS argument.
pub(super) struct PageFile {
    pub(super) path: PathBuf,
    pub(super) rel: String,
}

/// Lists the files named by the DOCS arguments, each with its path relative to the argument.
/// A folder inside them that cannot be read is a diagnostic, so the pages beside it are still
/// read; only a DOCS argument that does not exist stops the listing.
pub(super) fn page_files(
    docs: &[PathBuf],
) -> Result<(Vec<PageFile>, Vec<Diagnostic>), ExtractError> {
    let mut files = Vec::new();
    let mut unreadable = Vec::new();
    for root in docs {
        let meta = std::fs::metadata(root).map_err(|source| ExtractError::Io {
            path: root.clone(),
            source,
        })?;
        if meta.is_file() {
            let rel = root
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            files.push(PageFile {
                path: root.clone(),
                rel,
            });
            continue;
        }
        let walker = walkdir::WalkDir::new(root).sort_by_file_name();
        for entry in walker {
            let entry = match entry {
                Ok(entry) => entry,
                Err(e) => {
                    let path = e.path().unwrap_or(root).display().to_string();
                    let why = e
                        .io_error()
                        .map_or_else(|| e.to_string(), ToString::to_string);
                    unreadable.push(Diagnostic::new(
                        &path,
                        1,
                        Severity::Error,
                        Code::Unreadable,
                        format!("cannot be read ({why}); skipped"),
                    ));
                    continue;
                }
            };
            if !entry.file_type().is_file() {
                continue;
            }
            let rel = entry
                .path()
                .strip_prefix(root)
                .unwrap_or(entry.path())
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            files.push(PageFile {
                path: entry.path().to_path_buf(),
                rel,
            });
        }
    }
    Ok((files, unreadable))
}
