//! A message's fate: dropped (and why) or delivered after which delay,
//! decided by one type, [`Fates`], from the scenario's `[network]` and the
//! links the faults have cut. Every other place asks it and acts on the
//! answer: `net::SimTransport` (the sender and the requester), `wire`'s
//! send hook (madsim's wire) and the fault injector (which cuts and mends
//! links here instead of clogging them in madsim); the trace records each
//! answer (`Trace::fate`). A link with a bandwidth is a FIFO queue here too:
//! a message waits behind those sent before it on its link, then takes its
//! size (`wire_size`) over the bandwidth to leave, then its latency.
//!
//! Why one place: the rules (which latency applies, which link loses what,
//! which requests are duplicated, which links a fault cuts) used to be spread
//! over the latency model, the caller's loss draws, madsim's link clogging and
//! the send hook, so no one place could say what happened to a message, and
//! a change to one could silently reorder the random draws of another.
//!
//! Why three questions, asked at three moments, not one answer at send time:
//! a replay must draw the same random numbers in the same order as every
//! earlier run of that seed, and madsim interleaves its own draws (the
//! reply tag, its send delay, its global loss) and other tasks' draws between
//! the moments our draws have always been made:
//!
//! 1. [`Fates::depart`], when the sender hands a request over (before madsim
//!    sees it): whether a copy goes too (`duplicate`), whether that copy is
//!    lost on its link, whether the request is (in that order).
//! 2. [`Fates::transit`], in madsim's send hook, the instant madsim puts the
//!    packet on the wire: its latency is drawn, then a cut link drops it.
//! 3. [`Fates::arrive`], when a response reaches its requester: whether it
//!    was lost on its link.
//!
//! So a duplicated request is two messages, each with its own fate: the
//! copy's latency is drawn when madsim sends the copy (its own task), not
//! with the original's, and cannot be returned with it.
//!
//! Targeted message faults (`drop-messages`, `delay-messages`,
//! `duplicate-messages`) are rules in force between their start and end
//! ([`Fates::target`], [`Fates::untarget`]): `transit` drops or delays what
//! they hit, naming the fault; `depart` makes their copies. They draw only
//! while one is in force and matches the message and its probability is
//! below 1, so runs without them draw as before.
//!
//! Two drops stay madsim's, after these answers: its global `loss` (drawn
//! inside madsim right after the hook, which draws on every packet, so
//! drawing it here would add a draw), and a crashed addressee (its socket is
//! gone when the packet arrives, also for packets sent before the crash).

use crate::scenario::{Latency, Link, MessageAction, MessageFault, Network};
use rand::Rng;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Mutex;
use std::time::Duration;

/// A directed link between two storage nodes (`from`, `to`).
pub type LinkId = (u32, u32);

/// Request kinds a duplicated message may be: the replica requests whose
/// repetition is harmless (reads; LWW merges, which keep the newer version).
const DUPLICABLE: &[&str] = &["replica-read", "replica-write", "replica-sync"];

/// Who sends or receives a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Peer {
    Node(u32),
    Client(u32),
}

impl fmt::Display for Peer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Peer::Node(n) => write!(f, "n{n}"),
            Peer::Client(c) => write!(f, "c{c}"),
        }
    }
}

/// Whether a message asks or answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Leg {
    Request,
    Response,
}

/// A message as its fate sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Message {
    pub from: Peer,
    pub to: Peer,
    /// `client-put`, `replica-read`, `ok`, ...
    pub kind: &'static str,
    pub leg: Leg,
}

/// What happens to a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fate {
    /// It never arrives.
    Drop { why: Why },
    /// madsim delivers it `after` this (scenario time) — unless madsim's
    /// global loss takes it, or its addressee has crashed by then.
    Deliver { after: Duration },
    /// As `Deliver`, `after` including the delay a `delay-messages` fault
    /// (its label) added.
    Delayed { after: Duration, by: String },
}

impl Fate {
    /// When madsim delivers it, if it is delivered.
    pub fn delivered_after(&self) -> Option<Duration> {
        match self {
            Fate::Deliver { after } | Fate::Delayed { after, .. } => Some(*after),
            Fate::Drop { .. } => None,
        }
    }
}

/// Why a message was dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Why {
    /// Lost on its link (`[[network.links]] loss`).
    Loss,
    /// Its link is cut by this fault (a partition, isolate, bridge,
    /// random-halves or clog; its label).
    Cut { by: String },
    /// A `drop-messages` fault hit it (its label).
    Targeted { by: String },
}

/// Whether link loss took a message, at departure or arrival.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Loss {
    Kept,
    Lost,
}

impl Loss {
    /// The fate this loss settles, if any.
    pub fn fate(self) -> Option<Fate> {
        (self == Loss::Lost).then_some(Fate::Drop { why: Why::Loss })
    }
}

/// What the sender does with a request ([`Fates::depart`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Departure {
    /// A second copy goes too (`duplicate`), and whether it is lost on its
    /// link; `None`: no copy.
    pub copy: Option<Loss>,
    /// Whether the request itself is lost on its link: a lost request is
    /// never handed to madsim.
    pub message: Loss,
    /// The `duplicate-messages` fault that made the copy, if one did (not
    /// `[network] duplicate`).
    pub copied_by: Option<String>,
}

/// The network's rules and state: the scenario's `[network]` (latency by
/// link and kind, link loss, duplication) and the links faults cut now.
/// Shared by every process of a run; its answers draw from the RNG they are
/// given (madsim's in a run).
#[derive(Debug)]
pub struct Fates {
    global: Latency,
    kinds: BTreeMap<String, Latency>,
    links: BTreeMap<LinkId, Link>,
    duplicate: f64,
    /// `[network] bandwidth`, bytes per second (`None`: infinite).
    bandwidth: Option<u64>,
    /// The links faults cut and the message faults in force.
    state: Mutex<Faulted>,
    /// Each directed link's FIFO queue, as the scenario time (ns) its last
    /// queued message finishes leaving the sender. Only links with a
    /// bandwidth ever get an entry: at most one per directed pair of
    /// processes (nodes and clients) that exchanged a message.
    queues: Mutex<BTreeMap<(Peer, Peer), u64>>,
}

/// What faults do to the network now.
#[derive(Debug, Default)]
struct Faulted {
    /// Each cut link with the label of every fault cutting it (overlapping
    /// cuts nest: a link heals when no fault still cuts it). At most one
    /// entry per active fault.
    cut: BTreeMap<LinkId, Vec<String>>,
    /// The message faults in force, in the order they started, with their
    /// labels. At most one entry per active fault.
    targeted: Vec<(String, MessageFault)>,
}

impl MessageFault {
    /// Whether this fault's kinds, senders and addressees cover `msg`.
    pub fn covers(&self, msg: &Message) -> bool {
        let is = |set: &Option<Vec<u32>>, peer: Peer| match (set, peer) {
            (None, _) => true,
            (Some(nodes), Peer::Node(n)) => nodes.contains(&n),
            (Some(_), Peer::Client(_)) => false,
        };
        self.kinds.iter().any(|k| k == msg.kind) && is(&self.from, msg.from) && is(&self.to, msg.to)
    }

    /// Whether it hits a message it covers: always at probability 1 (no
    /// draw), else drawn from `rng`.
    fn hits(&self, rng: &mut impl Rng) -> bool {
        self.probability >= 1.0 || rng.gen_bool(self.probability)
    }
}

impl Fates {
    pub fn new(network: &Network) -> Fates {
        Fates {
            global: network.latency.clone(),
            kinds: network.kinds.clone(),
            links: (network.links.iter())
                .map(|l| ((l.from, l.to), l.clone()))
                .collect(),
            duplicate: network.duplicate,
            bandwidth: network.bandwidth,
            state: Mutex::default(),
            queues: Mutex::default(),
        }
    }

    /// Only a latency for every message.
    pub fn uniform(latency: Latency) -> Fates {
        Fates {
            global: latency,
            kinds: BTreeMap::new(),
            links: BTreeMap::new(),
            duplicate: 0.0,
            bandwidth: None,
            state: Mutex::default(),
            queues: Mutex::default(),
        }
    }

    /// At the sender, before madsim sees a request: a copy (drawn first),
    /// the copy's link loss, then the request's. A response is never
    /// duplicated and its loss is drawn on arrival ([`Fates::arrive`]), so
    /// for a response nothing is drawn. No draw for a probability of 0.
    /// A request `[network] duplicate` did not copy may be copied by a
    /// `duplicate-messages` fault in force (drawn after, only then).
    pub fn depart(&self, msg: &Message, rng: &mut impl Rng) -> Departure {
        if msg.leg == Leg::Response {
            return Departure {
                copy: None,
                message: Loss::Kept,
                copied_by: None,
            };
        }
        let copied = self.duplicate > 0.0
            && matches!(msg.from, Peer::Node(_))
            && DUPLICABLE.contains(&msg.kind)
            && rng.gen_bool(self.duplicate);
        let copied_by = match (copied, msg.from) {
            (false, Peer::Node(_)) => self.targeted(msg, |a| a == MessageAction::Duplicate, rng),
            _ => None,
        };
        let copy = (copied || copied_by.is_some()).then(|| self.link_loss(msg.from, msg.to, rng));
        let message = self.link_loss(msg.from, msg.to, rng);
        Departure {
            copy,
            message,
            copied_by: copied_by.map(|(label, _)| label),
        }
    }

    /// On the wire (madsim's send hook), `now` (scenario ns): the message's
    /// latency is drawn (always, also for a message then dropped: madsim
    /// drew it there too when it clogged links itself), then a cut link
    /// drops it, then the first `drop-messages` or `delay-messages` fault in
    /// force that hits it drops it or adds its delay. A delivered message on
    /// a link with a bandwidth then waits its turn in the link's FIFO queue
    /// and takes `bytes() / bandwidth` to leave ([`Fates::queue`]); `bytes`
    /// is asked only then (it walks the message). No draw depends on
    /// bandwidth, so a run without it draws and delivers as before.
    pub fn transit(
        &self,
        msg: &Message,
        now: u64,
        bytes: impl FnOnce() -> u64,
        rng: &mut impl Rng,
    ) -> Fate {
        let latency = self.latency(msg.from, msg.to, msg.kind).sample(rng);
        if let Some(by) = self.cut_by(msg.from, msg.to) {
            return Fate::Drop {
                why: Why::Cut { by },
            };
        }
        let drop_or_delay = |a| matches!(a, MessageAction::Drop | MessageAction::Delay(_));
        let targeted = self.targeted(msg, drop_or_delay, rng);
        if let Some((by, MessageAction::Drop)) = targeted {
            return Fate::Drop {
                why: Why::Targeted { by },
            };
        }
        let after = latency + self.queue(msg.from, msg.to, now, bytes);
        match targeted {
            Some((by, MessageAction::Delay(delay))) => Fate::Delayed {
                after: after + delay,
                by,
            },
            _ => Fate::Deliver { after },
        }
    }

    /// The time a message of `bytes()` sent at `now` spends leaving
    /// `from → to` (zero without a bandwidth, and on a node's loopback):
    /// its wait behind the messages queued before it, plus `bytes /
    /// bandwidth`. Latency is spent after that, in flight, so 1 MB at
    /// 100 MB/s on a fixed 200 µs link takes 10.2 ms when idle.
    fn queue(&self, from: Peer, to: Peer, now: u64, bytes: impl FnOnce() -> u64) -> Duration {
        let Some(rate) = self.bandwidth(from, to) else {
            return Duration::ZERO;
        };
        let sending_ns = u128::from(bytes()) * 1_000_000_000;
        let sending_ns = u64::try_from(sending_ns.div_ceil(u128::from(rate))).unwrap_or(u64::MAX);
        let mut queues = self.queues.lock().unwrap_or_else(|e| e.into_inner());
        let free = queues.entry((from, to)).or_insert(0);
        let start = (*free).max(now);
        *free = start.saturating_add(sending_ns);
        debug_assert!(*free >= now);
        Duration::from_nanos(*free - now)
    }

    /// The bandwidth of `from → to` in bytes per second: the link's own, else
    /// `[network] bandwidth`; `None` (infinite) without either, and from a
    /// process to itself (no wire).
    pub fn bandwidth(&self, from: Peer, to: Peer) -> Option<u64> {
        if from == to {
            return None;
        }
        (self.link(from, to).and_then(|l| l.bandwidth)).or(self.bandwidth)
    }

    /// Puts the message fault `label` in force.
    pub fn target(&self, label: &str, fault: &MessageFault) {
        (self.lock().targeted).push((label.to_string(), fault.clone()));
    }

    /// Ends one [`Fates::target`] of `label`.
    pub fn untarget(&self, label: &str) {
        let mut state = self.lock();
        if let Some(i) = state.targeted.iter().position(|(l, _)| l == label) {
            state.targeted.remove(i);
        }
    }

    /// The first message fault in force whose action passes `wanted`, that
    /// covers `msg` and hits it (a draw for each covering fault below
    /// probability 1, in start order, until one hits).
    fn targeted(
        &self,
        msg: &Message,
        wanted: impl Fn(MessageAction) -> bool,
        rng: &mut impl Rng,
    ) -> Option<(String, MessageAction)> {
        let state = self.lock();
        (state.targeted.iter())
            .filter(|(_, f)| wanted(f.action) && f.covers(msg))
            .find(|(_, f)| f.hits(rng))
            .map(|(label, f)| (label.clone(), f.action))
    }

    /// At the requester, when a response arrives: whether it was lost on its
    /// link (then nobody sees it and the call times out). A request's loss is
    /// drawn at departure, so for a request nothing is drawn.
    pub fn arrive(&self, msg: &Message, rng: &mut impl Rng) -> Loss {
        match msg.leg {
            Leg::Response => self.link_loss(msg.from, msg.to, rng),
            Leg::Request => Loss::Kept,
        }
    }

    /// The distribution of a message of `kind` from `from` to `to`.
    /// Precedence: link+kind > link > kind > global.
    pub fn latency(&self, from: Peer, to: Peer, kind: &str) -> &Latency {
        let link = self.link(from, to);
        (link.and_then(|l| l.kinds.get(kind)))
            .or_else(|| link.and_then(|l| l.latency.as_ref()))
            .or_else(|| self.kinds.get(kind))
            .unwrap_or(&self.global)
    }

    /// Cuts `links` for the fault `label` (madsim's global loss and
    /// crashed nodes aside, a cut link is the only thing that drops a packet
    /// madsim was handed).
    pub fn cut(&self, label: &str, links: &[LinkId]) {
        let cut = &mut self.lock().cut;
        for &link in links {
            cut.entry(link).or_default().push(label.to_string());
        }
    }

    /// Undoes one [`Fates::cut`] of `links` by `label`.
    pub fn mend(&self, label: &str, links: &[LinkId]) {
        let cut = &mut self.lock().cut;
        for link in links {
            let Some(by) = cut.get_mut(link) else {
                continue;
            };
            if let Some(i) = by.iter().position(|l| l == label) {
                by.remove(i);
            }
            if by.is_empty() {
                cut.remove(link);
            }
        }
    }

    /// Mends every link and ends every message fault.
    pub fn mend_all(&self) {
        let mut state = self.lock();
        state.cut.clear();
        state.targeted.clear();
    }

    /// The fault cutting `from → to` (the first still active), if any.
    /// Only node-to-node links are ever cut.
    pub fn cut_by(&self, from: Peer, to: Peer) -> Option<String> {
        let (Peer::Node(a), Peer::Node(b)) = (from, to) else {
            return None;
        };
        (self.lock().cut.get(&(a, b))).and_then(|by| by.first().cloned())
    }

    fn link(&self, from: Peer, to: Peer) -> Option<&Link> {
        match (from, to) {
            (Peer::Node(a), Peer::Node(b)) => self.links.get(&(a, b)),
            _ => None,
        }
    }

    /// Whether link loss takes a message on `from → to` (no draw at 0).
    fn link_loss(&self, from: Peer, to: Peer, rng: &mut impl Rng) -> Loss {
        let loss = self.link(from, to).map_or(0.0, |l| l.loss);
        if loss > 0.0 && rng.gen_bool(loss) {
            Loss::Lost
        } else {
            Loss::Kept
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Faulted> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::faults::links::cut_links;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn fixed(us: u64) -> Latency {
        Latency::Fixed(Duration::from_micros(us))
    }

    fn fates(duplicate: f64) -> Fates {
        let kinds = |k: &str, us: u64| BTreeMap::from([(k.to_string(), fixed(us))]);
        Fates::new(&Network {
            latency: fixed(1),
            loss: 0.0,
            duplicate,
            bandwidth: None,
            kinds: kinds("replica-write", 2),
            links: vec![
                Link {
                    from: 0,
                    to: 1,
                    latency: Some(fixed(3)),
                    kinds: kinds("replica-read", 4),
                    loss: 0.25,
                    bandwidth: None,
                },
                Link {
                    from: 1,
                    to: 2,
                    latency: None,
                    kinds: kinds("replica-write", 5),
                    loss: 0.0,
                    bandwidth: None,
                },
            ],
        })
    }

    impl Fates {
        /// `transit` at time 0 of a message without payload.
        fn transit_now(&self, msg: &Message, rng: &mut impl Rng) -> Fate {
            self.transit(msg, 0, || 0, rng)
        }
    }

    /// 100 MB/s everywhere, 1 GB/s from node 0 to node 1, 200 µs links.
    fn bandwidth() -> Fates {
        Fates::new(&Network {
            latency: fixed(200),
            loss: 0.0,
            duplicate: 0.0,
            bandwidth: Some(100_000_000),
            kinds: BTreeMap::new(),
            links: vec![Link {
                from: 0,
                to: 1,
                latency: None,
                kinds: BTreeMap::new(),
                loss: 0.0,
                bandwidth: Some(1_000_000_000),
            }],
        })
    }

    #[test]
    fn a_megabyte_at_100_mb_per_s_on_a_200_us_link_takes_10_2_ms_and_the_next_waits() {
        let f = bandwidth();
        let mb = || 1_000_000;
        let write = msg(N(1), N(2), "replica-write");
        let ms = |m: f64| Duration::from_secs_f64(m / 1000.0);
        let at = |f: &Fates, now_ms: u64| f.transit(&write, now_ms * 1_000_000, mb, &mut rng());
        assert_eq!(at(&f, 0), Fate::Deliver { after: ms(10.2) }, "idle");
        // Sent 1 ms later, behind the first: it starts leaving at 10 ms.
        assert_eq!(at(&f, 1), Fate::Deliver { after: ms(19.2) }, "queued");
        // Sent once the link is idle again: 10.2 ms again.
        assert_eq!(at(&f, 50), Fate::Deliver { after: ms(10.2) }, "idle again");
        // Each directed link has its own queue: the reverse is idle.
        let back = msg(N(2), N(1), "replica-write");
        assert_eq!(
            f.transit(&back, 50_000_000, mb, &mut rng()),
            Fate::Deliver { after: ms(10.2) }
        );
        // The link's own bandwidth wins: 1 MB at 1 GB/s is 1 ms.
        let fast = msg(N(0), N(1), "replica-write");
        let fast = f.transit(&fast, 0, mb, &mut rng());
        assert_eq!(fast, Fate::Deliver { after: ms(1.2) });
        // Clients' links have the global bandwidth; loopback has none.
        let put = msg(Peer::Client(3), N(0), "client-put");
        assert_eq!(
            f.transit(&put, 0, mb, &mut rng()),
            Fate::Deliver { after: ms(10.2) }
        );
        let own = msg(N(0), N(0), "replica-write");
        assert_eq!(
            f.transit(&own, 0, mb, &mut rng()),
            Fate::Deliver { after: ms(0.2) }
        );
    }

    #[test]
    fn a_dropped_message_takes_no_place_in_the_queue_and_no_bandwidth_asks_no_size() {
        let f = bandwidth();
        f.cut("clog n1 -> n2", &[(1, 2)]);
        let write = msg(N(1), N(2), "replica-write");
        let dropped = f.transit(&write, 0, || 1_000_000, &mut rng());
        assert!(matches!(dropped, Fate::Drop { .. }));
        f.mend("clog n1 -> n2", &[(1, 2)]);
        let after = f.transit(&write, 0, || 1_000_000, &mut rng());
        assert_eq!(after.delivered_after(), Some(Duration::from_micros(10_200)));
        let none = fates(0.0);
        let fate = none.transit(&write, 0, || panic!("size asked"), &mut rng());
        assert_eq!(fate.delivered_after(), Some(Duration::from_micros(5)));
    }

    fn msg(from: Peer, to: Peer, kind: &'static str) -> Message {
        let leg = if kind.starts_with("replica-") || kind.starts_with("client-") {
            Leg::Request
        } else {
            Leg::Response
        };
        Message {
            from,
            to,
            kind,
            leg,
        }
    }

    fn rng() -> ChaCha8Rng {
        ChaCha8Rng::seed_from_u64(7)
    }

    const N: fn(u32) -> Peer = Peer::Node;

    fn after(us: u64) -> Fate {
        Fate::Deliver {
            after: Duration::from_micros(us),
        }
    }

    #[test]
    fn link_and_kind_beats_link_beats_kind_beats_global() {
        let f = fates(0.0);
        let on = |from, to, kind| f.transit_now(&msg(from, to, kind), &mut rng());
        assert_eq!(on(N(0), N(1), "replica-read"), after(4), "link + kind");
        assert_eq!(on(N(0), N(1), "replica-write"), after(3), "link");
        assert_eq!(on(N(0), N(1), "ok"), after(3), "link, for a response too");
        assert_eq!(
            on(N(1), N(0), "replica-write"),
            after(2),
            "links are directed: kind"
        );
        assert_eq!(
            on(N(1), N(2), "replica-write"),
            after(5),
            "link + kind without link latency"
        );
        assert_eq!(on(N(1), N(2), "replica-read"), after(1), "global");
        assert_eq!(
            on(Peer::Client(0), N(1), "replica-write"),
            after(2),
            "clients are on no link"
        );
    }

    #[test]
    fn a_clogged_link_drops_one_direction_until_mended() {
        let f = fates(0.0);
        f.cut("clog n1 -> n2", &[(1, 2)]);
        let dropped = Fate::Drop {
            why: Why::Cut {
                by: "clog n1 -> n2".into(),
            },
        };
        assert_eq!(
            f.transit_now(&msg(N(1), N(2), "replica-read"), &mut rng()),
            dropped
        );
        assert_eq!(f.transit_now(&msg(N(1), N(2), "ok"), &mut rng()), dropped);
        assert_eq!(
            f.transit_now(&msg(N(2), N(1), "replica-read"), &mut rng()),
            after(1)
        );
        f.mend("clog n1 -> n2", &[(1, 2)]);
        assert_eq!(
            f.transit_now(&msg(N(1), N(2), "replica-read"), &mut rng()),
            after(1)
        );
    }

    #[test]
    fn a_partitioned_pair_drops_both_ways_and_overlapping_cuts_nest() {
        let f = fates(0.0);
        let halves = cut_links(&[vec![0, 1], vec![2]], 3);
        f.cut("partition [n0 n1] | [n2]", &halves);
        f.cut("clog n0 -> n2", &[(0, 2)]);
        let cut = |a, b| f.cut_by(N(a), N(b));
        assert_eq!(cut(0, 2).as_deref(), Some("partition [n0 n1] | [n2]"));
        assert_eq!(cut(2, 1).as_deref(), Some("partition [n0 n1] | [n2]"));
        assert_eq!(cut(0, 1), None, "same side");
        assert_eq!(cut(2, 2), None);
        assert_eq!(
            f.cut_by(Peer::Client(2), N(2)),
            None,
            "clients are never cut"
        );
        f.mend("partition [n0 n1] | [n2]", &halves);
        assert_eq!(cut(2, 1), None);
        assert_eq!(cut(0, 2).as_deref(), Some("clog n0 -> n2"), "still clogged");
        f.mend_all();
        assert_eq!(cut(0, 2), None);
    }

    #[test]
    fn link_loss_drops_with_its_probability() {
        let f = fates(0.0);
        let mut rng = rng();
        let request = msg(N(0), N(1), "replica-read");
        let lost = (0..10_000)
            .filter(|_| f.depart(&request, &mut rng).message == Loss::Lost)
            .count();
        assert!((2_300..2_700).contains(&lost), "{lost} of 10000 at 0.25");
        let response = msg(N(0), N(1), "ok");
        let lost = (0..10_000)
            .filter(|_| f.arrive(&response, &mut rng) == Loss::Lost)
            .count();
        assert!((2_300..2_700).contains(&lost), "{lost} of 10000 at 0.25");
        let lossless = msg(N(1), N(0), "replica-read");
        assert!((0..1000).all(|_| f.depart(&lossless, &mut rng).message == Loss::Kept));
        assert_eq!(Loss::Lost.fate(), Some(Fate::Drop { why: Why::Loss }));
        assert_eq!(Loss::Kept.fate(), None);
    }

    #[test]
    fn a_duplicated_request_is_delivered_twice() {
        let f = fates(1.0);
        let request = msg(N(1), N(2), "replica-write");
        let departure = f.depart(&request, &mut rng());
        assert_eq!(
            departure,
            Departure {
                copy: Some(Loss::Kept),
                message: Loss::Kept,
                copied_by: None,
            }
        );
        let mut rng = rng();
        let deliveries = [departure.copy, Some(departure.message)]
            .iter()
            .flatten()
            .map(|_| f.transit_now(&request, &mut rng))
            .collect::<Vec<_>>();
        assert_eq!(deliveries, vec![after(5), after(5)]);
        let never = [
            msg(Peer::Client(0), N(1), "client-put"),
            msg(N(0), N(1), "client-put"),
            msg(N(0), N(1), "ok"),
        ];
        for m in never {
            assert_eq!(f.depart(&m, &mut rng).copy, None, "{m:?}");
        }
    }

    /// The draws a replay depends on: `depart` draws the copy, the copy's
    /// loss, then the request's loss, each only when its probability is
    /// above 0, exactly as the sender drew them before this module.
    #[test]
    fn departures_draw_in_the_order_replays_depend_on() {
        let f = fates(0.5);
        let request = msg(N(0), N(1), "replica-write");
        for seed in 0..200 {
            let mut ours = ChaCha8Rng::seed_from_u64(seed);
            let mut theirs = ChaCha8Rng::seed_from_u64(seed);
            let departure = f.depart(&request, &mut ours);
            let copied = theirs.gen_bool(0.5);
            let copy_lost = copied.then(|| theirs.gen_bool(0.25));
            let lost = theirs.gen_bool(0.25);
            let loss = |lost: bool| if lost { Loss::Lost } else { Loss::Kept };
            assert_eq!(departure.copy, copy_lost.map(loss));
            assert_eq!(departure.message, loss(lost));
            assert_eq!(ours.r#gen::<u64>(), theirs.r#gen::<u64>(), "as many draws");
        }
        let mut ours = rng();
        let quiet = fates(0.0);
        quiet.depart(&msg(N(1), N(0), "replica-write"), &mut ours);
        quiet.arrive(&msg(N(1), N(0), "ok"), &mut ours);
        assert_eq!(
            ours.r#gen::<u64>(),
            rng().r#gen::<u64>(),
            "nothing drawn at 0"
        );
    }

    #[test]
    fn transit_draws_the_latency_also_for_a_dropped_message() {
        let f = Fates::uniform(Latency::Exponential {
            mean: Duration::from_micros(100),
        });
        f.cut("clog n0 -> n1", &[(0, 1)]);
        let mut dropped = rng();
        f.transit_now(&msg(N(0), N(1), "replica-read"), &mut dropped);
        let mut delivered = rng();
        f.transit_now(&msg(N(1), N(0), "replica-read"), &mut delivered);
        assert_eq!(dropped.r#gen::<u64>(), delivered.r#gen::<u64>());
    }
}
