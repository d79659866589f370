//! Bad input never panics: histories and scenario files mutated at random
//! (characters deleted, inserted, lines duplicated, dropped, swapped, text
//! cut short) give a value or an error that names a line of the input. The
//! same properties the cargo-fuzz targets in `fuzz/` check, here on every
//! test run, starting from real files.

use check::{Budget, CheckName, History, HistoryError};
use proptest::prelude::*;
use sim::{RunOptions, Scenario};
use std::sync::OnceLock;

/// Characters that matter to JSON and TOML, plus a few that do not.
const ALPHABET: &[char] = &[
    '{', '}', '[', ']', '"', ':', ',', '=', '.', '#', '\n', ' ', '-', '+', '0', '1', '9', 'e', 'a',
    't', 'n', '\\', 'u', 'é', '\u{feff}', '\t',
];

#[derive(Debug, Clone)]
enum Edit {
    DeleteChar(usize),
    InsertChar(usize, char),
    DuplicateLine(usize),
    DeleteLine(usize),
    SwapLines(usize),
    Truncate(usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    let at = any::<usize>();
    prop_oneof![
        at.prop_map(Edit::DeleteChar),
        (at, prop::sample::select(ALPHABET)).prop_map(|(i, c)| Edit::InsertChar(i, c)),
        at.prop_map(Edit::DuplicateLine),
        at.prop_map(Edit::DeleteLine),
        at.prop_map(Edit::SwapLines),
        at.prop_map(Edit::Truncate),
    ]
}

/// Applies `edits` in order (positions taken modulo the current size).
fn mutate(text: &str, edits: &[Edit]) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for e in edits {
        let n = chars.len().max(1);
        let mut lines: Vec<String> = chars
            .iter()
            .collect::<String>()
            .split('\n')
            .map(String::from)
            .collect();
        let l = lines.len();
        match *e {
            Edit::DeleteChar(i) if !chars.is_empty() => {
                chars.remove(i % n);
            }
            Edit::InsertChar(i, c) => chars.insert(i % (chars.len() + 1), c),
            Edit::Truncate(i) => chars.truncate(i % n),
            Edit::DuplicateLine(i) => {
                lines.insert(i % l, lines[i % l].clone());
                chars = lines.join("\n").chars().collect();
            }
            Edit::DeleteLine(i) => {
                lines.remove(i % l);
                chars = lines.join("\n").chars().collect();
            }
            Edit::SwapLines(i) if l > 1 => {
                lines.swap(i % (l - 1), i % (l - 1) + 1);
                chars = lines.join("\n").chars().collect();
            }
            _ => {}
        }
    }
    chars.into_iter().collect()
}

/// A real history: quorum-smoke, seed 1.
fn history_text() -> &'static str {
    static TEXT: OnceLock<String> = OnceLock::new();
    TEXT.get_or_init(|| {
        let text = include_str!("../scenarios/quorum-smoke.toml");
        let scenario = Scenario::parse(text, "quorum-smoke.toml").expect("a shipped scenario");
        let outcome = sim::run_seed(&scenario, 1, RunOptions::default()).expect("runs");
        outcome.history.to_jsonl()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn a_mutated_history_parses_or_names_a_line(edits in prop::collection::vec(edit(), 1..6)) {
        let text = mutate(history_text(), &edits);
        // Reading line by line (what `storesim check` does) agrees with parsing the text.
        let read = History::read(text.as_bytes()).map_err(|HistoryError::Line { line, .. }| line);
        let parsed = History::parse(&text);
        prop_assert_eq!(&read, &parsed.as_ref().map(Clone::clone).map_err(|HistoryError::Line { line, .. }| *line));
        match parsed {
            Ok(history) => {
                let again = History::parse(&history.to_jsonl()).expect("our own output parses");
                prop_assert_eq!(&again, &history);
                let budget = Budget { max_steps: 100_000, ..Budget::default() };
                let _ = check::run_with(&history, CheckName::ALL, &budget);
            }
            Err(HistoryError::Line { line, .. }) => {
                prop_assert!((1..=text.lines().count().max(1)).contains(&line), "line {line}");
            }
        }
    }

    #[test]
    fn a_mutated_scenario_parses_or_names_a_line(
        file in prop::sample::select(&["quorum-partition.toml", "abd-nemesis.toml", "eventual-sticky.toml"][..]),
        edits in prop::collection::vec(edit(), 1..6),
    ) {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios").join(file);
        let original = std::fs::read_to_string(path).expect("a shipped scenario");
        let text = mutate(&original, &edits);
        match Scenario::parse(&text, file) {
            Ok(scenario) => {
                let again = Scenario::parse(&scenario.to_toml(), file).expect("our own output parses");
                prop_assert_eq!(again, scenario);
            }
            Err(e) => {
                prop_assert_eq!(&e.file, file);
                if let Some(line) = e.line {
                    prop_assert!((1..=text.lines().count() + 1).contains(&line), "{e}");
                }
            }
        }
    }
}
