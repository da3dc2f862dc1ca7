//! Case files written to a folder, stale ones removed, one failure never stopping the rest.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::model::case::{self, Case};

use super::*;

/// What [`write_cases`] did.
#[derive(Debug, Default)]
pub struct Written {
    /// Case files written (new or changed), in case order.
    pub written: Vec<PathBuf>,
    /// Case files that already held exactly their case, left untouched.
    pub unchanged: usize,
    /// Stale case files removed.
    pub removed: Vec<PathBuf>,
    /// Files that could not be written or removed, each error naming its file.
    pub failed: Vec<ExtractError>,
}

/// Writes cases to a folder, one file each, and removes case files no longer produced. A file
/// that already holds exactly its case is not rewritten (its modification time stays, so tools
/// watching the folder see only real changes, and re-extracting an unchanged corpus writes
/// nothing). A file that cannot be written or removed is reported in [`Written::failed`] and the others are
/// still written; only a folder that cannot be made or listed stops it.
pub fn write_cases(dir: &Path, cases: &[Case]) -> Result<Written, ExtractError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ExtractError::Io { path, source }
    };
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let mut out = Written::default();
    // Each file name with the case that gets it; a second case with the same name (a hash
    // collision) would silently overwrite the first, so it is reported and not written.
    let mut files: Vec<(PathBuf, &Case)> = Vec::with_capacity(cases.len());
    let mut taken: HashMap<String, &str> = HashMap::with_capacity(cases.len());
    for c in cases {
        let name = c.file_name();
        let path = dir.join(&name);
        match taken.get(&name) {
            Some(other) => out.failed.push(ExtractError::FileNameTaken {
                path,
                id: c.id.clone(),
                other: other.to_string(),
            }),
            None => {
                taken.insert(name, &c.id);
                files.push((path, c));
            }
        }
    }
    for entry in std::fs::read_dir(dir).map_err(io(dir))? {
        let path = match entry {
            Ok(e) => e.path(),
            Err(e) => {
                out.failed.push(io(dir)(e));
                continue;
            }
        };
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        // Only files that are cases are removed, so pointing --out at a folder with other
        // JSON in it loses nothing but stale cases.
        if name.ends_with(".json") && !taken.contains_key(&name) && case::load_file(&path).is_ok() {
            match std::fs::remove_file(&path) {
                Ok(()) => out.removed.push(path),
                Err(e) => out.failed.push(io(&path)(e)),
            }
        }
    }
    for (path, c) in files {
        let json = c.to_json();
        // An unreadable old file is simply rewritten.
        if std::fs::read(&path).is_ok_and(|old| old == json.as_bytes()) {
            out.unchanged += 1;
            continue;
        }
        match std::fs::write(&path, json) {
            Ok(()) => out.written.push(path),
            Err(e) => out.failed.push(io(&path)(e)),
        }
    }
    Ok(out)
}
