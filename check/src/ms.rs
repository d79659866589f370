//! Times for people: nanoseconds shown as milliseconds, `12.300 ms`.
//!
//! One function for every time a person reads — counterexamples, reports,
//! `replay`'s trace — with the precision chosen by each caller, because the
//! uses differ: a trace lines times up in a column and every nanosecond of
//! a delivery matters, a sentence reads better with three decimals.

/// How many decimals of a millisecond [`format_ms`] shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    /// Always six, every nanosecond: `12.300000 ms`. For traces, where
    /// times line up in a column and two lines are compared digit by digit.
    Nanos,
    /// Three, or six when three would hide a difference: `12.300 ms`,
    /// `0.000017 ms`. For sentences and tables (histories from other
    /// systems may count events, not nanoseconds).
    Fit,
}

impl Precision {
    fn decimals(self, ns: u64) -> usize {
        match self {
            Precision::Nanos => 6,
            Precision::Fit if ns.is_multiple_of(1_000) => 3,
            Precision::Fit => 6,
        }
    }
}

/// `ns` as milliseconds with the unit: `12.300 ms` ([`Precision::Fit`]),
/// `12.300000 ms` ([`Precision::Nanos`]).
pub fn format_ms(ns: u64, precision: Precision) -> String {
    format!("{} ms", number(ns, precision.decimals(ns)))
}

/// From `from_ns` to `to_ns` with one unit and both ends at the same
/// precision, the finer of the two ([`Precision::Fit`] each):
/// `8.100–9.800 ms`.
pub fn format_span_ms(from_ns: u64, to_ns: u64) -> String {
    let d = Precision::Fit
        .decimals(from_ns)
        .max(Precision::Fit.decimals(to_ns));
    format!("{}–{} ms", number(from_ns, d), number(to_ns, d))
}

fn number(ns: u64, decimals: usize) -> String {
    let fraction = ns % 1_000_000;
    match decimals {
        3 => format!("{}.{:03}", ns / 1_000_000, fraction / 1_000),
        _ => format!("{}.{fraction:06}", ns / 1_000_000),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_precision_shows_what_it_promises() {
        assert_eq!(format_ms(12_300_000, Precision::Fit), "12.300 ms");
        assert_eq!(format_ms(17, Precision::Fit), "0.000017 ms");
        assert_eq!(format_ms(12_300_000, Precision::Nanos), "12.300000 ms");
        assert_eq!(format_ms(12_345_678, Precision::Nanos), "12.345678 ms");
        assert_eq!(format_span_ms(8_100_000, 9_800_000), "8.100–9.800 ms");
        assert_eq!(format_span_ms(8_100_000, 9_800_001), "8.100000–9.800001 ms");
    }
}
