//! Any bytes: the history parser returns a history or an error naming a line,
//! never panics; reading bytes line by line (`History::read`, what `storesim
//! check` does) agrees with parsing the same text whole; a parsed history
//! survives every check and a JSONL round trip.
#![no_main]

use check::{History, HistoryError};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let read = History::read(data);
    if let Ok(text) = std::str::from_utf8(data) {
        let line = |r: &Result<History, HistoryError>| match r {
            Ok(h) => Ok(h.clone()),
            Err(HistoryError::Line { line, .. }) => Err(*line),
        };
        assert_eq!(line(&History::parse(text)), line(&read), "read and parse agree");
    }
    let Ok(history) = read else { return };
    let again = History::parse(&history.to_jsonl()).expect("our own output parses");
    assert_eq!(again, history);
    if history.events.len() <= 200 {
        let budget = check::Budget { max_steps: 100_000, stop: None };
        let _ = check::run_with(&history, check::CheckName::ALL, &budget);
    }
});
