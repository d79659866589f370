//! Many seeds in parallel, results in seed-list order.
//!
//! [`run_each`] streams: it hands each result to the caller as soon as every
//! earlier seed's result has been handed over, and keeps workers at most
//! [`AHEAD_PER_JOB`] × jobs seeds ahead of that point, so a run of a million
//! seeds holds no more results in memory than a run of a hundred.

use std::collections::BTreeMap;
use std::ops::ControlFlow;
use std::sync::{Condvar, Mutex, MutexGuard};

/// How far (in seeds per job) workers may run ahead of the next result to
/// hand over. Large enough that one slow seed rarely idles the other jobs,
/// small enough that the out-of-order results waiting are a handful.
pub const AHEAD_PER_JOB: usize = 4;

/// The seeds taken and results waiting, shared by workers and the caller.
struct Queue<T> {
    /// Index of the next seed a worker takes.
    taken: usize,
    /// Index of the next result to hand over.
    emitted: usize,
    /// Finished results not yet handed over: at most `ahead` of them.
    ready: BTreeMap<usize, T>,
    /// Set when the caller stops early or a thread panicked: workers take no
    /// more seeds, the caller waits for no more results.
    stop: bool,
}

struct Shared<T> {
    queue: Mutex<Queue<T>>,
    changed: Condvar,
    /// Most seeds taken but not yet handed over.
    ahead: usize,
}

impl<T> Shared<T> {
    fn lock(&self) -> MutexGuard<'_, Queue<T>> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn wait<'a>(&self, guard: MutexGuard<'a, Queue<T>>) -> MutexGuard<'a, Queue<T>> {
        self.changed.wait(guard).unwrap_or_else(|e| e.into_inner())
    }

    fn stop(&self) {
        self.lock().stop = true;
        self.changed.notify_all();
    }
}

/// Stops the whole batch if the thread holding it unwinds, so that no other
/// thread waits forever for a result or a free slot that will never come;
/// `std::thread::scope` then re-raises the panic.
struct StopOnPanic<'a, T>(&'a Shared<T>);

impl<T> Drop for StopOnPanic<'_, T> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.stop();
        }
    }
}

/// Runs `work` for every seed on up to `jobs` worker threads and calls
/// `on_result(index, result)` on the calling thread in the order of `seeds`
/// (index into `seeds`), whatever the number of jobs. At most
/// [`AHEAD_PER_JOB`] × jobs seeds are taken beyond the next one to hand over,
/// so at most that many results wait in memory. `on_result` returning
/// `Break` stops the batch: seeds already started finish, no other starts,
/// and the `Break` is returned. `work` should itself run each seed on a fresh
/// thread (`runner::run_seed` does).
pub fn run_each<T: Send, B>(
    seeds: &[u64],
    jobs: usize,
    work: impl Fn(u64) -> T + Sync,
    on_result: impl FnMut(usize, T) -> ControlFlow<B>,
) -> ControlFlow<B> {
    let jobs = jobs.clamp(1, seeds.len().max(1));
    run_each_ahead(seeds, jobs, AHEAD_PER_JOB * jobs, work, on_result)
}

/// [`run_each`] with the bound on seeds taken ahead given (at least `jobs`).
fn run_each_ahead<T: Send, B>(
    seeds: &[u64],
    jobs: usize,
    ahead: usize,
    work: impl Fn(u64) -> T + Sync,
    mut on_result: impl FnMut(usize, T) -> ControlFlow<B>,
) -> ControlFlow<B> {
    let shared = Shared {
        queue: Mutex::new(Queue {
            taken: 0,
            emitted: 0,
            ready: BTreeMap::new(),
            stop: false,
        }),
        changed: Condvar::new(),
        ahead: ahead.max(jobs),
    };
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            scope.spawn(|| worker(seeds, &shared, &work));
        }
        let _guard = StopOnPanic(&shared);
        for index in 0..seeds.len() {
            let Some(result) = next_result(&shared, index) else {
                break; // a worker panicked: the scope re-raises it
            };
            if let ControlFlow::Break(b) = on_result(index, result) {
                shared.stop();
                return ControlFlow::Break(b);
            }
        }
        ControlFlow::Continue(())
    })
}

/// Takes seeds until none is left or the batch stops, waiting while it is
/// `shared.ahead` seeds ahead of the next result to hand over.
fn worker<T>(seeds: &[u64], shared: &Shared<T>, work: &(impl Fn(u64) -> T + Sync)) {
    let _guard = StopOnPanic(shared);
    // Bounded: each pass takes a seed or ends the loop.
    for _ in 0..seeds.len() {
        let index = {
            let mut queue = shared.lock();
            while !queue.stop
                && queue.taken < seeds.len()
                && queue.taken >= queue.emitted + shared.ahead
            {
                queue = shared.wait(queue);
            }
            if queue.stop || queue.taken >= seeds.len() {
                return;
            }
            queue.taken += 1;
            queue.taken - 1
        };
        let result = work(seeds[index]);
        shared.lock().ready.insert(index, result);
        shared.changed.notify_all();
    }
}

/// Waits for the result of seed `index`, marks it handed over and frees a
/// slot for the workers. `None` when the batch stopped (a thread panicked).
fn next_result<T>(shared: &Shared<T>, index: usize) -> Option<T> {
    let mut queue = shared.lock();
    loop {
        if let Some(result) = queue.ready.remove(&index) {
            queue.emitted = index + 1;
            drop(queue);
            shared.changed.notify_all();
            return Some(result);
        }
        if queue.stop {
            return None;
        }
        queue = shared.wait(queue);
    }
}

/// Runs `work` for every seed on up to `jobs` worker threads and returns the
/// results in the order of `seeds`, whatever the number of jobs. Holds every
/// result: for a few seeds (shrink, bench); runs stream with [`run_each`].
pub fn run_many<T: Send>(seeds: &[u64], jobs: usize, work: impl Fn(u64) -> T + Sync) -> Vec<T> {
    let mut results = Vec::with_capacity(seeds.len());
    let flow: ControlFlow<std::convert::Infallible> = run_each(seeds, jobs, work, |_, r| {
        results.push(r);
        ControlFlow::Continue(())
    });
    let ControlFlow::Continue(()) = flow;
    results
}

/// The number of parallel jobs to use by default: the machine's cores.
pub fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[test]
    fn results_come_back_in_seed_order_for_any_jobs() {
        let seeds: Vec<u64> = (10..40).collect();
        for jobs in [1, 2, 7, 100] {
            let out = run_many(&seeds, jobs, |s| s * 2);
            assert_eq!(out, seeds.iter().map(|s| s * 2).collect::<Vec<_>>());
        }
        assert!(run_many(&[], 4, |s: u64| s).is_empty());
    }

    /// Seed 0 finishes last of the first window: every other worker runs
    /// ahead until the window is full, then waits; results still come in
    /// order and no seed starts more than `ahead` past the last handed over.
    #[test]
    fn workers_wait_when_too_far_ahead_and_order_is_kept() {
        let seeds: Vec<u64> = (0..60).collect();
        for (jobs, ahead) in [(1, 1), (2, 8), (3, 5), (8, 8)] {
            let started = AtomicUsize::new(0);
            let emitted = AtomicUsize::new(0);
            let most_ahead = AtomicUsize::new(0);
            let work = |seed: u64| {
                let i = seed as usize;
                started.fetch_add(1, Ordering::SeqCst);
                let lead = i - emitted.load(Ordering::SeqCst);
                most_ahead.fetch_max(lead, Ordering::SeqCst);
                if i == 0 {
                    // Hold seed 0 until the others fill the window.
                    while started.load(Ordering::SeqCst) < ahead.min(seeds.len()) {
                        std::thread::sleep(Duration::from_millis(1));
                    }
                    std::thread::sleep(Duration::from_millis(20));
                    assert_eq!(started.load(Ordering::SeqCst), ahead, "the window is full");
                } else if i % 7 == 3 {
                    std::thread::sleep(Duration::from_millis(2)); // out of order
                }
                seed * 3
            };
            let mut out = Vec::new();
            let flow: ControlFlow<()> = run_each_ahead(&seeds, jobs, ahead, work, |i, r| {
                out.push((i, r));
                emitted.store(i + 1, Ordering::SeqCst);
                ControlFlow::Continue(())
            });
            assert_eq!(flow, ControlFlow::Continue(()));
            let expected: Vec<(usize, u64)> = seeds.iter().map(|&s| (s as usize, s * 3)).collect();
            assert_eq!(out, expected, "jobs {jobs}");
            // A seed starts only while fewer than `ahead` are taken past the
            // last handed over (the caller's counter may lag by the one
            // result being handed over).
            assert!(most_ahead.load(Ordering::SeqCst) <= ahead, "jobs {jobs}");
        }
    }

    #[test]
    fn break_stops_taking_seeds() {
        let seeds: Vec<u64> = (0..1000).collect();
        let ran = AtomicUsize::new(0);
        let flow = run_each(
            &seeds,
            2,
            |s| {
                ran.fetch_add(1, Ordering::SeqCst);
                s
            },
            |_, s| {
                if s == 5 {
                    ControlFlow::Break(s)
                } else {
                    ControlFlow::Continue(())
                }
            },
        );
        assert_eq!(flow, ControlFlow::Break(5));
        assert!(ran.load(Ordering::SeqCst) <= 6 + AHEAD_PER_JOB * 2);
    }

    #[test]
    fn a_panicking_seed_is_raised_not_a_hang() {
        let seeds: Vec<u64> = (0..50).collect();
        let caught = std::panic::catch_unwind(|| {
            run_many(&seeds, 3, |s| {
                assert_ne!(s, 4, "seed 4 panics");
                s
            })
        });
        assert!(caught.is_err());
    }
}
