//! The file set of a JSONL log: `path.1`, `path.2`, … (rotated, oldest
//! first) and then `path`, the one being written.

use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// One line of a log file, as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LogLine {
    pub file: String,
    pub number: usize,
    pub text: String,
    /// Whether the line ended with a newline (a crash can leave the last one cut).
    pub complete: bool,
}

impl LogLine {
    pub fn location(&self) -> String {
        format!("{}:{}", self.file, self.number)
    }
}

/// The rotated files of `path`, oldest first, each with its index.
pub(crate) fn rotated(path: &Path) -> io::Result<Vec<(u64, PathBuf)>> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return Ok(Vec::new());
    };
    let prefix = format!("{name}.");
    let mut found = Vec::new();
    let entries = match std::fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        let file_name = entry.file_name();
        let Some(file_name) = file_name.to_str() else {
            continue;
        };
        if let Some(index) = file_name.strip_prefix(&prefix)
            && !index.is_empty()
            && index.bytes().all(|b| b.is_ascii_digit())
            && let Ok(n) = index.parse::<u64>()
        {
            found.push((n, dir.join(file_name)));
        }
    }
    found.sort();
    Ok(found)
}

/// Every file of the set, oldest first; the active file last if it exists.
pub(crate) fn log_set(path: &Path) -> io::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = rotated(path)?.into_iter().map(|(_, p)| p).collect();
    if path.exists() {
        files.push(path.to_path_buf());
    }
    Ok(files)
}

/// Splits `bytes` into lines, marking a last line without newline incomplete.
pub(crate) fn split_lines(file: &str, bytes: &[u8]) -> Vec<LogLine> {
    let mut lines = Vec::new();
    let mut start = 0;
    let mut number = 0;
    while start < bytes.len() {
        number += 1;
        let (end, complete) = match bytes[start..].iter().position(|&b| b == b'\n') {
            Some(i) => (start + i, true),
            None => (bytes.len(), false),
        };
        lines.push(LogLine {
            file: file.to_owned(),
            number,
            text: String::from_utf8_lossy(&bytes[start..end]).into_owned(),
            complete,
        });
        start = end + 1;
    }
    lines
}

/// Reads every line of the set, in order. A missing set reads as empty.
pub(crate) fn read_log_set(path: &Path) -> io::Result<Vec<LogLine>> {
    let mut lines = Vec::new();
    for file in log_set(path)? {
        let mut bytes = Vec::new();
        std::fs::File::open(&file)?.read_to_end(&mut bytes)?;
        lines.extend(split_lines(&file.display().to_string(), &bytes));
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_a_cut_last_line() {
        let lines = split_lines("f", b"a\nbb\nc");
        assert_eq!(lines.len(), 3);
        assert!(lines[0].complete && lines[1].complete && !lines[2].complete);
        assert_eq!(lines[2].location(), "f:3");
        assert!(split_lines("f", b"").is_empty());
        assert_eq!(split_lines("f", b"a\n").len(), 1);
    }
}
