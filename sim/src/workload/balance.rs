//! How regular clients pick a coordinator: `[workload] balance`
//! ([`crate::scenario::Balance`], which documents what a client knows).
//!
//! One [`Balancer`] per run, shared by every regular client: it counts the
//! requests in flight to each coordinator (an [`InFlight`] per operation,
//! from the moment it is sent to the moment its answer or timeout comes
//! back), which `least-outstanding` and `power-of-two` read.
//!
//! Determinism: every policy starts from the coordinator the client has
//! always drawn per operation (so `random` and `sticky` draw and send
//! exactly as before the knob); only `power-of-two` draws once more, its
//! second choice, from the client's own RNG. The counts change only in
//! simulated tasks, which madsim runs one at a time in a seeded order.

use crate::scenario::Balance;
use rand::Rng;
use std::ops::Range;
use std::sync::{Arc, Mutex};

/// The run's balancer: the policy, the coordinators, and the requests in
/// flight to each (one counter per coordinator, bounded by the clients).
#[derive(Debug)]
pub struct Balancer {
    policy: Balance,
    coordinators: Range<u32>,
    in_flight: Mutex<Vec<u32>>,
}

impl Balancer {
    pub fn new(policy: Balance, coordinators: Range<u32>) -> Arc<Balancer> {
        assert!(!coordinators.is_empty(), "a run has a coordinator");
        let in_flight = Mutex::new(vec![0; coordinators.len()]);
        Arc::new(Balancer {
            policy,
            coordinators,
            in_flight,
        })
    }

    /// The coordinators a client may use.
    pub fn coordinators(&self) -> Range<u32> {
        self.coordinators.clone()
    }

    /// The coordinator of client `client`'s `seq`-th operation (from 1),
    /// given the coordinator it drew for it (`drawn`, always drawn).
    pub fn pick(&self, client: u32, seq: u64, drawn: u32, rng: &mut impl Rng) -> u32 {
        debug_assert!(self.coordinators.contains(&drawn));
        let n = self.coordinators.len() as u64;
        let start = self.coordinators.start;
        match self.policy {
            Balance::Random => drawn,
            Balance::Sticky => start + (u64::from(client) % n) as u32,
            Balance::RoundRobin => start + ((u64::from(client) + seq) % n) as u32,
            Balance::LeastOutstanding => {
                let counts = self.lock();
                // From the drawn one on, so ties spread at random.
                let from = u64::from(drawn - start);
                let order = (0..n).map(|i| ((from + i) % n) as usize);
                let best = order.min_by_key(|&i| counts[i]).unwrap_or(0);
                start + best as u32
            }
            Balance::PowerOfTwo => {
                let other = rng.gen_range(self.coordinators.clone());
                let counts = self.lock();
                let count = |c: u32| counts[(c - start) as usize];
                if count(other) < count(drawn) {
                    other
                } else {
                    drawn
                }
            }
        }
    }

    /// Counts one request to `coordinator` in flight until the guard drops.
    pub fn send(self: &Arc<Self>, coordinator: u32) -> InFlight {
        let i = (coordinator - self.coordinators.start) as usize;
        self.lock()[i] += 1;
        InFlight {
            balancer: Arc::clone(self),
            index: i,
        }
    }

    /// The requests in flight to each coordinator now.
    pub fn in_flight(&self) -> Vec<u32> {
        self.lock().clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<u32>> {
        self.in_flight.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// One request in flight (see [`Balancer::send`]).
#[derive(Debug)]
pub struct InFlight {
    balancer: Arc<Balancer>,
    index: usize,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut counts = self.balancer.lock();
        assert!(counts[self.index] > 0, "an in-flight count below zero");
        counts[self.index] -= 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn rng() -> ChaCha8Rng {
        ChaCha8Rng::seed_from_u64(3)
    }

    #[test]
    fn random_and_sticky_keep_their_old_choices_without_drawing() {
        let random = Balancer::new(Balance::Random, 0..5);
        let sticky = Balancer::new(Balance::Sticky, 0..5);
        let mut ours = rng();
        assert_eq!(random.pick(7, 1, 3, &mut ours), 3);
        assert_eq!(sticky.pick(7, 1, 3, &mut ours), 2);
        assert_eq!(sticky.pick(7, 9, 0, &mut ours), 2);
        assert_eq!(ours.r#gen::<u64>(), rng().r#gen::<u64>(), "nothing drawn");
    }

    #[test]
    fn round_robin_cycles_from_the_clients_offset() {
        let b = Balancer::new(Balance::RoundRobin, 3..6);
        let picks: Vec<u32> = (1..=4).map(|seq| b.pick(1, seq, 3, &mut rng())).collect();
        assert_eq!(picks, [5, 3, 4, 5]);
    }

    #[test]
    fn least_outstanding_avoids_the_busy_coordinator_and_forgets_answered_ones() {
        let b = Balancer::new(Balance::LeastOutstanding, 0..3);
        let busy = [b.send(0), b.send(0), b.send(1)];
        assert_eq!(b.pick(0, 1, 0, &mut rng()), 2);
        assert_eq!(b.pick(0, 1, 2, &mut rng()), 2);
        drop(busy);
        assert_eq!(b.in_flight(), [0, 0, 0]);
        // All idle: the drawn one.
        assert_eq!(b.pick(0, 1, 1, &mut rng()), 1);
    }

    #[test]
    fn power_of_two_takes_the_less_busy_of_two_draws() {
        let b = Balancer::new(Balance::PowerOfTwo, 0..2);
        let _busy = b.send(0);
        // Whatever the second draw, the idle node 1 wins over the busy 0,
        // and a drawn idle node is never traded for a busy one.
        for seed in 0..20 {
            let mut r = ChaCha8Rng::seed_from_u64(seed);
            assert_eq!(b.pick(0, 1, 1, &mut r), 1);
            let second = ChaCha8Rng::seed_from_u64(seed).gen_range(0..2);
            let mut r = ChaCha8Rng::seed_from_u64(seed);
            assert_eq!(b.pick(0, 1, 0, &mut r), if second == 1 { 1 } else { 0 });
        }
    }
}
