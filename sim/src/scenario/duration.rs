//! Durations as written in scenario files: `"500us"`, `"1.5ms"`, `"2s"`, `"1m"`, `"24h"`.
//!
//! An integer or decimal number, then a unit, with nothing in between. Decimals
//! are exact (no floating point): `"1.5ms"` is 1 500 000 ns, and a value finer
//! than one nanosecond is rejected rather than rounded, so what is written is
//! what runs.

use std::time::Duration;

/// Units accepted, with their length in nanoseconds.
const UNITS: &[(&str, u128)] = &[
    ("ns", 1),
    ("us", 1_000),
    ("µs", 1_000),
    ("ms", 1_000_000),
    ("s", 1_000_000_000),
    ("m", 60_000_000_000),
    ("h", 3_600_000_000_000),
];

/// Most digits accepted on either side of the point; keeps the arithmetic in u128.
const MAX_DIGITS: usize = 20;

/// Parses a duration such as `"500us"`, `"1.5ms"`, `"2s"`, `"1m"` or `"24h"`.
/// The error is a sentence quoting `text` and saying what is accepted.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    if text.starts_with('-') {
        return Err(format!(
            "\"{text}\" is negative; a duration is at least \"0s\""
        ));
    }
    if text.contains(char::is_whitespace) {
        return Err(format!(
            "\"{text}\" contains spaces; write the number and unit together, e.g. \"10s\""
        ));
    }
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let Some(unit_ns) = unit_nanos(unit) else {
        return Err(bad_unit(text, unit));
    };
    let nanos =
        nanos(number, unit_ns).map_err(|why| format!("\"{text}\" is not a duration: {why}"))?;
    u64::try_from(nanos)
        .map(Duration::from_nanos)
        .map_err(|_| format!("\"{text}\" is too large a duration"))
}

/// The shortest exact spelling that [`parse_duration`] reads back to `d`:
/// `"0s"`, `"24h"`, `"2m"`, `"10s"`, `"1500us"` (sub-nanosecond parts cannot occur).
pub fn format_duration(d: Duration) -> String {
    let nanos = d.as_nanos();
    if nanos == 0 {
        return "0s".to_owned();
    }
    let (name, size) = ["h", "m", "s", "ms", "us", "ns"]
        .iter()
        .filter_map(|n| unit_nanos(n).map(|size| (*n, size)))
        .find(|(_, size)| nanos.is_multiple_of(*size))
        .unwrap_or(("ns", 1));
    format!("{}{name}", nanos / size)
}

fn unit_nanos(unit: &str) -> Option<u128> {
    UNITS
        .iter()
        .find(|(name, _)| *name == unit)
        .map(|(_, ns)| *ns)
}

fn bad_unit(text: &str, unit: &str) -> String {
    let units = "ns, us, µs, ms, s, m or h";
    if text.is_empty() {
        format!("\"\" is not a duration: write a number and a unit ({units}), e.g. \"10s\"")
    } else if unit.is_empty() {
        format!("\"{text}\" has no unit: add one of {units}, e.g. \"{text}s\"")
    } else {
        format!("\"{text}\" has an unknown unit \"{unit}\": use {units}")
    }
}

/// `number` (digits, optionally `.` and more digits) times `unit_ns`, exactly.
fn nanos(number: &str, unit_ns: u128) -> Result<u128, &'static str> {
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if whole.is_empty() || (number.contains('.') && fraction.is_empty()) {
        return Err("write digits before and after the point, e.g. \"0.5s\"");
    }
    if whole.len() > MAX_DIGITS || fraction.len() > MAX_DIGITS {
        return Err("too many digits");
    }
    let whole: u128 = whole
        .parse()
        .map_err(|_| "the number is not decimal digits")?;
    let scale = 10u128.pow(fraction.len() as u32);
    let fraction: u128 = if fraction.is_empty() {
        0
    } else {
        fraction
            .parse()
            .map_err(|_| "the number is not decimal digits")?
    };
    let fraction_ns = fraction * unit_ns;
    if !fraction_ns.is_multiple_of(scale) {
        return Err("it is not a whole number of nanoseconds");
    }
    whole
        .checked_mul(unit_ns)
        .and_then(|w| w.checked_add(fraction_ns / scale))
        .ok_or("too large")
}
