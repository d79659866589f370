//! Many seeds in parallel, results in seed order.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Runs `work` for every seed on up to `jobs` worker threads and returns the
/// results in the order of `seeds`, whatever the number of jobs. `work` should
/// itself run each seed on a fresh thread (`runner::run_seed` does).
pub fn run_many<T: Send>(seeds: &[u64], jobs: usize, work: impl Fn(u64) -> T + Sync) -> Vec<T> {
    let jobs = jobs.clamp(1, seeds.len().max(1));
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<T>>> = Mutex::new((0..seeds.len()).map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            scope.spawn(|| {
                // Bounded: each worker takes at most every seed once.
                for _ in 0..seeds.len() {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&seed) = seeds.get(i) else { break };
                    let result = work(seed);
                    results.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(result);
                }
            });
        }
    });
    let results = results.into_inner().unwrap_or_else(|e| e.into_inner());
    results
        .into_iter()
        .map(|r| r.expect("every seed was run"))
        .collect()
}

/// The number of parallel jobs to use by default: the machine's cores.
pub fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_back_in_seed_order_for_any_jobs() {
        let seeds: Vec<u64> = (10..40).collect();
        for jobs in [1, 2, 7, 100] {
            let out = run_many(&seeds, jobs, |s| s * 2);
            assert_eq!(out, seeds.iter().map(|s| s * 2).collect::<Vec<_>>());
        }
        assert!(run_many(&[], 4, |s: u64| s).is_empty());
    }
}
