//! Drawing delays from the scenario's latency distributions.
//!
//! Every draw uses the RNG it is given (madsim's in a run, so it is
//! deterministic per seed) and is capped at [`MAX_LATENCY`]: heavy tails
//! (pareto, lognormal) are truncated there, and nothing can overflow.

use crate::scenario::{Latency, MAX_LATENCY};
use rand::Rng;
use std::time::Duration;

impl Latency {
    /// Draws one delay.
    pub fn sample(&self, rng: &mut impl Rng) -> Duration {
        match self {
            Latency::Fixed(d) => *d,
            Latency::Uniform { min, max } if min == max => *min,
            Latency::Uniform { min, max } => rng.gen_range(*min..=*max),
            Latency::Exponential { mean } => scaled(*mean, -open_unit(rng).ln()),
            // Inverse CDF: scale × U^(−1/shape), U in (0, 1].
            Latency::Pareto { scale, shape } => scaled(*scale, open_unit(rng).powf(-1.0 / shape)),
            Latency::Lognormal { median, sigma } => scaled(*median, (sigma * normal(rng)).exp()),
            Latency::Mixture(parts) => pick(parts, rng).sample(rng),
        }
    }
}

/// Uniform in (0, 1]: never 0, so logarithms and negative powers are finite.
fn open_unit(rng: &mut impl Rng) -> f64 {
    1.0 - rng.r#gen::<f64>()
}

/// A standard normal draw (Box–Muller).
fn normal(rng: &mut impl Rng) -> f64 {
    let (u, v) = (open_unit(rng), rng.r#gen::<f64>());
    (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
}

/// `base × factor`, capped at [`MAX_LATENCY`] (also for an infinite or NaN factor).
fn scaled(base: Duration, factor: f64) -> Duration {
    let ns = base.as_nanos() as f64 * factor;
    let cap = MAX_LATENCY.as_nanos() as f64;
    if ns.is_nan() || ns >= cap {
        return MAX_LATENCY;
    }
    Duration::from_nanos(ns.max(0.0) as u64)
}

/// A mixture's component, by weight (weights sum to 1; rounding falls on the last).
fn pick<'a>(parts: &'a [(f64, Latency)], rng: &mut impl Rng) -> &'a Latency {
    assert!(!parts.is_empty(), "a validated mixture has components");
    let mut x: f64 = rng.r#gen();
    for (weight, latency) in parts {
        if x < *weight {
            return latency;
        }
        x -= weight;
    }
    &parts[parts.len() - 1].1
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    const DRAWS: usize = 40_000;

    fn us(n: u64) -> Duration {
        Duration::from_micros(n)
    }

    /// Sorted draws, in microseconds.
    fn draws(latency: &Latency) -> Vec<f64> {
        let mut rng = ChaCha8Rng::seed_from_u64(42);
        let mut v: Vec<f64> = (0..DRAWS)
            .map(|_| latency.sample(&mut rng).as_nanos() as f64 / 1e3)
            .collect();
        v.sort_by(f64::total_cmp);
        v
    }

    fn quantile(sorted: &[f64], q: f64) -> f64 {
        sorted[((sorted.len() as f64 * q) as usize).min(sorted.len() - 1)]
    }

    /// Each sample quantile within 3% of the closed form.
    fn assert_quantiles(latency: Latency, expected: &[(f64, f64)]) {
        let v = draws(&latency);
        for &(q, want) in expected {
            let got = quantile(&v, q);
            assert!(
                (got - want).abs() <= 0.03 * want,
                "{latency:?}: q{q} = {got:.2} µs, expected {want:.2} µs"
            );
        }
    }

    /// Φ⁻¹ at the quantiles used below.
    const Z: [(f64, f64); 3] = [(0.5, 0.0), (0.8413447, 1.0), (0.1586553, -1.0)];

    #[test]
    fn fixed_and_uniform() {
        assert!(draws(&Latency::Fixed(us(50))).iter().all(|&x| x == 50.0));
        let uniform = Latency::Uniform {
            min: us(100),
            max: us(300),
        };
        assert_quantiles(uniform, &[(0.1, 120.0), (0.5, 200.0), (0.9, 280.0)]);
    }

    #[test]
    fn exponential_quantiles_are_mean_times_minus_ln_of_one_minus_q() {
        let q = |p: f64| -1000.0 * (1.0 - p).ln();
        let e = Latency::Exponential { mean: us(1000) };
        assert_quantiles(
            e.clone(),
            &[(0.25, q(0.25)), (0.5, 1000.0 * 2f64.ln()), (0.9, q(0.9))],
        );
        let mean = draws(&e).iter().sum::<f64>() / DRAWS as f64;
        assert!((mean - 1000.0).abs() < 20.0, "mean {mean}");
    }

    #[test]
    fn pareto_quantiles_are_scale_over_the_shapeth_root_of_one_minus_q() {
        let (scale, shape) = (1000.0, 2.5);
        let q = |p: f64| scale * (1.0 - p).powf(-1.0 / shape);
        let p = Latency::Pareto {
            scale: us(1000),
            shape,
        };
        assert_quantiles(
            p.clone(),
            &[(0.0, scale), (0.5, q(0.5)), (0.9, q(0.9)), (0.99, q(0.99))],
        );
        let mean = draws(&p).iter().sum::<f64>() / DRAWS as f64;
        let want = scale * shape / (shape - 1.0);
        assert!((mean - want).abs() < 0.05 * want, "mean {mean} vs {want}");
    }

    #[test]
    fn lognormal_median_and_one_sigma_quantiles() {
        let (median, sigma) = (1000.0, 0.5);
        let l = Latency::Lognormal {
            median: us(1000),
            sigma,
        };
        let expected: Vec<(f64, f64)> = Z
            .iter()
            .map(|&(q, z)| (q, median * (sigma * z).exp()))
            .collect();
        assert_quantiles(l, &expected);
    }

    #[test]
    fn mixture_draws_components_by_weight() {
        let m = Latency::Mixture(vec![
            (0.25, Latency::Fixed(us(100))),
            (0.75, Latency::Fixed(us(300))),
        ]);
        let v = draws(&m);
        let low = v.iter().filter(|&&x| x == 100.0).count() as f64 / DRAWS as f64;
        assert!((low - 0.25).abs() < 0.01, "{low}");
        assert!(v.iter().all(|&x| x == 100.0 || x == 300.0));
    }

    #[test]
    fn mixture_cdf_matches_its_closed_form() {
        // 0.9 × fixed 200 µs + 0.1 × exponential(mean 5 ms):
        // F(x) = 0.9·[x ≥ 200] + 0.1·(1 − e^(−x/5000)).
        let m = Latency::Mixture(vec![
            (0.9, Latency::Fixed(us(200))),
            (0.1, Latency::Exponential { mean: us(5000) }),
        ]);
        let v = draws(&m);
        let cdf =
            |x: f64| 0.9 * f64::from(u8::from(x >= 200.0)) + 0.1 * (1.0 - (-x / 5000.0).exp());
        for x in [100.0, 199.0, 200.0, 1000.0, 5000.0, 20000.0] {
            let empirical = v.iter().filter(|&&d| d <= x).count() as f64 / DRAWS as f64;
            assert!(
                (empirical - cdf(x)).abs() < 0.01,
                "F({x}) = {empirical}, expected {}",
                cdf(x)
            );
        }
    }

    #[test]
    fn heavy_tails_are_capped_never_a_panic() {
        let p = Latency::Pareto {
            scale: Duration::from_secs(10),
            shape: 0.01,
        };
        assert!(
            draws(&p)
                .iter()
                .all(|&x| x <= MAX_LATENCY.as_micros() as f64)
        );
        let l = Latency::Lognormal {
            median: Duration::from_secs(10),
            sigma: 100.0,
        };
        assert!(
            draws(&l)
                .iter()
                .all(|&x| x <= MAX_LATENCY.as_micros() as f64)
        );
    }
}
