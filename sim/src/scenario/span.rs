//! From byte spans to `file:line:column` errors, and "did you mean" hints.

use super::ScenarioError;
use std::ops::Range;

/// What every validation step needs to report an error: the text (to turn
/// byte offsets into lines and columns) and the file name.
pub(super) struct Ctx<'a> {
    pub text: &'a str,
    pub file: &'a str,
}

impl Ctx<'_> {
    /// An error at the start of `span`.
    pub fn err(&self, span: Range<usize>, message: String) -> ScenarioError {
        self.err_hint(span, message, None)
    }

    /// An error at the start of `span`, with a hint.
    pub fn err_hint(
        &self,
        span: Range<usize>,
        message: String,
        hint: Option<String>,
    ) -> ScenarioError {
        let (line, column) = line_column(self.text, span.start);
        let source_line = self
            .text
            .lines()
            .nth(line - 1)
            .map(|l| printable(l).into_boxed_str());
        ScenarioError {
            file: self.file.to_owned(),
            line: Some(line),
            column: Some(column),
            message,
            hint,
            source_line,
        }
    }

    /// An error with no place in the file (e.g. a required key that is missing).
    pub fn err_nowhere(&self, message: String, hint: Option<String>) -> ScenarioError {
        ScenarioError {
            file: self.file.to_owned(),
            line: None,
            column: None,
            message,
            hint,
            source_line: None,
        }
    }

    /// A syntax, type or unknown-field error from the TOML parser, at its own
    /// span, with serde's type names made readable and a nearest-name hint
    /// for unknown fields.
    pub fn toml_error(&self, e: &toml::de::Error) -> ScenarioError {
        let message = readable(e.message().trim());
        let hint = unknown_field_hint(&message).or_else(|| self.binary_hint());
        match e.span() {
            Some(span) => self.err_hint(span, message, hint),
            None => self.err_nowhere(message, hint),
        }
    }
}

impl Ctx<'_> {
    /// For text with control characters (a binary file picked by mistake),
    /// a hint that says so: the parser's own message ("invalid key") does not.
    fn binary_hint(&self) -> Option<String> {
        let binary = self
            .text
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'));
        binary.then(|| "the file contains control characters: is it a binary file rather than a TOML scenario?".to_owned())
    }
}

/// 1-based line and column (in characters) of byte `offset` in `text`.
/// Offsets past the end or inside a character are clamped, never a panic.
/// A source line fit for a terminal: control characters shown as `?` (a
/// binary file picked by mistake) and at most 200 characters.
fn printable(line: &str) -> String {
    let shown = |c: char| if c.is_control() && c != '\t' { '?' } else { c };
    line.trim_end().chars().take(200).map(shown).collect()
}

pub(super) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

/// On one line, with serde's Rust type names (`i64`, `f64`, `struct
/// ClusterSpec`) replaced by what a TOML author writes.
fn readable(message: &str) -> String {
    let message = message
        .replace('\n', "; ")
        .replace("expected i64", "expected an integer")
        .replace("expected f64", "expected a number")
        .replace(
            "expected struct LatencySpec",
            "expected a table such as { dist = \"fixed\", value = \"1ms\" }",
        )
        .replace(
            "expected struct MixSpec",
            "expected a table such as { get = 0.5, put = 0.5 }",
        );
    // Any other spec type: the whole name goes (`struct NemesisSpec`).
    let mut out = String::with_capacity(message.len());
    let mut rest = message.as_str();
    while let Some(at) = rest.find("expected struct ") {
        let after = &rest[at + "expected struct ".len()..];
        let name_end = after
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(after.len());
        out += &rest[..at];
        out += "expected a table";
        rest = &after[name_end..];
    }
    out + rest
}

/// For serde's "unknown field `x`, expected one of `a`, `b`" (or "expected `a`"):
/// the nearest accepted name, if one is close.
fn unknown_field_hint(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown field ")?;
    let mut quoted = rest.split('`').skip(1).step_by(2);
    let unknown = quoted.next()?;
    let accepted: Vec<&str> = quoted.collect();
    match nearest(unknown, &accepted) {
        Some(name) => Some(format!("did you mean `{name}`?")),
        None if accepted.is_empty() => None,
        None => Some(format!("accepted here: {}", accepted.join(", "))),
    }
}

/// The candidate closest to `word`, if close enough to be a likely slip: at
/// most 3 edits and no more than half the word's length, or one name a prefix
/// of the other (`thinktime` → `think`, `rep` → `replicas`).
pub(super) fn nearest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let limit = (word.chars().count() / 2).clamp(1, 3);
    candidates
        .iter()
        .map(|c| (distance(word, c), *c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Edit distance, except that a prefix of at least 3 characters counts as one edit.
fn distance(word: &str, candidate: &str) -> usize {
    let prefix = |a: &str, b: &str| a.len() >= 3 && b.starts_with(a);
    if prefix(word, candidate) || prefix(candidate, word) {
        1
    } else {
        edit_distance(word, candidate)
    }
}

/// Levenshtein distance in characters.
pub(super) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitute = diagonal + usize::from(ca != *cb);
            diagonal = row[j + 1];
            row[j + 1] = substitute.min(row[j] + 1).min(diagonal + 1);
        }
    }
    row[b.len()]
}

/// `"a", "b" or "c"` for messages listing what is accepted.
pub(super) fn quoted_list(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
    match quoted.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}
