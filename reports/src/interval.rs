//! Confidence intervals for rates: the Wilson score interval, which unlike
//! the normal approximation stays inside [0, 1] and is honest for small
//! counts and for rates near 0 or 1 (a probe delay with 12 reads, all fresh,
//! is not "100 % ± 0").

/// z for a two-sided 95 % interval.
const Z95: f64 = 1.959_963_984_540_054;

/// The 95 % Wilson score interval of `hits` successes in `n` trials, as
/// (low, high); (0, 1) when `n` is 0 (nothing is known).
pub fn wilson95(hits: u64, n: u64) -> (f64, f64) {
    if n == 0 {
        return (0.0, 1.0);
    }
    let (n, p) = (n as f64, hits.min(n) as f64 / n as f64);
    let z2 = Z95 * Z95;
    let centre = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
    let half = Z95 / (1.0 + z2 / n) * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

/// `0.912 (0.871–0.941)`: a rate and its 95 % interval, for tables.
pub fn rate_with_interval(hits: u64, n: u64) -> String {
    if n == 0 {
        return "-".to_string();
    }
    let (lo, hi) = wilson95(hits, n);
    format!("{:.3} ({lo:.3}–{hi:.3})", hits as f64 / n as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_matches_published_values_and_stays_in_range() {
        // 81 of 263 (Wilson 1927 style example): 0.2553–0.3662.
        let (lo, hi) = wilson95(81, 263);
        assert!(
            (lo - 0.2553).abs() < 1e-3 && (hi - 0.3662).abs() < 1e-3,
            "{lo} {hi}"
        );
        let (lo, hi) = wilson95(12, 12);
        assert!(lo > 0.7 && lo < 0.8 && hi == 1.0, "{lo} {hi}");
        assert_eq!(wilson95(0, 0), (0.0, 1.0));
        assert_eq!(rate_with_interval(0, 0), "-");
        assert!(rate_with_interval(1, 2).starts_with("0.500 (0.0"));
    }
}
