//! Any bytes: the history parser returns a history or an error naming a line,
//! never panics; a parsed history survives every check and a JSONL round trip.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(history) = check::History::parse_bytes(data) else { return };
    let again = check::History::parse(&history.to_jsonl()).expect("our own output parses");
    assert_eq!(again, history);
    if history.events.len() <= 200 {
        let budget = check::Budget { max_steps: 100_000, stop: None };
        let _ = check::run_with(&history, check::CheckName::ALL, &budget);
    }
});
