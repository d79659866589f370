//! Any text: the scenario parser returns a scenario or an error, never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = sim::Scenario::parse(text, "fuzz.toml");
    }
});
