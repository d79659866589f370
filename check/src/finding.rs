//! Findings: what an invalid verdict found, as data.
//!
//! A check's sentence is for a person; its findings are for programs (the
//! report's counterexample and likely cause, `shrink` keeping the same
//! anomaly, `results.json`). Each finding names its kind, the operations
//! involved by [`Op::index`] (the one at fault first), the key, the values,
//! processes and nodes, and the time span, so nothing downstream parses the
//! sentence.

use crate::op::Op;
use serde::{Deserialize, Serialize};

/// Findings kept per check result, at most: the first ones in the check's
/// order. [`crate::CheckResult::anomalies`] still counts all of them.
pub const FINDINGS_MAX: usize = 100;

/// What kind of anomaly a finding is. Each check has its own kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// linearizable: no order of the key's operations explains them.
    NotLinearizable,
    /// linearizable: two creates (cas from absent, `If-None-Match: *`)
    /// both succeeded with no delete able to come between them. Ops: the
    /// two creates.
    DoubleCreate,
    /// linearizable: two `If-Match` cas both replaced the same value with
    /// no write of it able to come between them (a lost update). Ops: the
    /// two cas, then the write of the value when it is the only one.
    LostConditionalUpdate,
    /// read-after-write: every write of the value read was superseded
    /// before the read began. Ops: read, superseding write, source.
    StaleRead,
    /// read-after-write: no write that did not fail wrote the value read.
    /// Ops: read, a failed write of it if any.
    NeverWritten,
    /// read-after-write: every write of the value read began after the
    /// read completed. Ops: read, the first such write.
    ReadFromFuture,
    /// read-your-writes: the read is older than the reader's own write.
    /// Ops: read, own write, source.
    OlderThanOwnWrite,
    /// read-your-writes: the read returned a value nothing wrote by then
    /// after the reader had written the key. Ops: read, own write.
    UnwrittenAfterOwnWrite,
    /// monotonic-reads: a read older than an earlier read of the same
    /// process. Ops: read, earlier read, source, observed source.
    WentBack,
    /// monotonic-reads: a value returned again after another one.
    /// Ops: read, read between, first read.
    ReturnedAgain,
    /// monotonic-writes: the key converged on a write its process later
    /// overwrote. Ops: later write, earlier write.
    ConvergedOnEarlierWrite,
    /// writes-follow-reads: the key converged on a value read before the
    /// reader's write. Ops: write, read, source.
    ConvergedOnReadValue,
    /// convergence: the replicas of a key disagree after heal and quiesce.
    /// Ops: the newest possible source of each value held.
    Diverged,
    /// convergence: a replica holds a value no put or cas wrote. No ops.
    UnwrittenFinal,
    /// lost-update: the key converged on a value older than an
    /// acknowledged write. Ops: lost write, winning write (absent: the
    /// initial state).
    LostUpdate,
    /// durability: an acknowledged write vanished with nothing that could
    /// have overwritten it. Ops: the write, then the newest possible source
    /// of each value held.
    VanishedWrite,
    /// list-after-write: a key that had to be listed was not. Ops: the
    /// list, the put that made it present, the delete that put superseded.
    MissingKey,
    /// list-after-write: a deleted key was listed. Ops: the list, the
    /// delete, the put that delete superseded.
    ResurrectedKey,
    /// list-after-write: a key nothing had written was listed (or one
    /// outside the prefix). Ops: the list, the first write of the key if
    /// it began after the list.
    PhantomKey,
    /// atomic-object: a get returned the value of one write with a
    /// descriptor (etag, size, meta, version id) that is not that write's.
    /// Ops: the get, the write of its value, the write the odd field came
    /// from if known.
    TornObject,
    /// versions: a version created before a list-versions (or get by
    /// version id) began is missing, with no permanent delete of it in
    /// flight. Ops: the list or get, the version's creator.
    LostVersion,
    /// versions: a version permanently deleted before a list-versions (or
    /// get by version id) began was returned. Ops: it, the delete.
    ResurrectedVersion,
    /// versions: two current versions of a key in one listing, or a
    /// current one older than another listed one. Ops: the listing, the
    /// current's creator, the newer one's creator.
    WrongCurrentVersion,
    /// versions: a delete marker not behaving as S3's (a get by its version
    /// id not answered 405, a 405 for an object, a marker flag naming an
    /// object). Ops: the get, the version's creator.
    MarkerMisbehaviour,
    /// versions: a get by version id returned another write's value. Ops:
    /// the get, the version's creator.
    WrongVersion,
    /// authorization: a forged, replayed or expired request got through.
    /// Ops: it.
    InvalidAuthority,
    /// authorization: a request got through although no grant of its
    /// bucket to its principal was invoked before it ended. Ops: it.
    NeverGranted,
    /// revocation: a request got through more than Δ after a revoke of its
    /// bucket from its principal was acknowledged. Ops: it.
    LateRevocation,
}

impl Kind {
    /// The kebab-case name (as serialised).
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::NotLinearizable => "not-linearizable",
            Kind::DoubleCreate => "double-create",
            Kind::LostConditionalUpdate => "lost-conditional-update",
            Kind::StaleRead => "stale-read",
            Kind::NeverWritten => "never-written",
            Kind::ReadFromFuture => "read-from-future",
            Kind::OlderThanOwnWrite => "older-than-own-write",
            Kind::UnwrittenAfterOwnWrite => "unwritten-after-own-write",
            Kind::WentBack => "went-back",
            Kind::ReturnedAgain => "returned-again",
            Kind::ConvergedOnEarlierWrite => "converged-on-earlier-write",
            Kind::ConvergedOnReadValue => "converged-on-read-value",
            Kind::Diverged => "diverged",
            Kind::UnwrittenFinal => "unwritten-final",
            Kind::LostUpdate => "lost-update",
            Kind::VanishedWrite => "vanished-write",
            Kind::MissingKey => "missing-key",
            Kind::ResurrectedKey => "resurrected-key",
            Kind::PhantomKey => "phantom-key",
            Kind::TornObject => "torn-object",
            Kind::LostVersion => "lost-version",
            Kind::ResurrectedVersion => "resurrected-version",
            Kind::WrongCurrentVersion => "wrong-current-version",
            Kind::MarkerMisbehaviour => "marker-misbehaviour",
            Kind::WrongVersion => "wrong-version",
            Kind::InvalidAuthority => "invalid-authority",
            Kind::NeverGranted => "never-granted",
            Kind::LateRevocation => "late-revocation",
        }
    }
}

/// One anomaly, as data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub kind: Kind,
    pub key: String,
    /// [`Op::index`]es involved, the operation at fault first, no repeats.
    pub ops: Vec<usize>,
    /// The values involved (`None` = absent): what each op wrote or read,
    /// in `ops` order, then any value replicas hold that no op shows.
    pub values: Vec<Option<String>>,
    /// The processes of `ops`, in `ops` order, no repeats.
    pub processes: Vec<u64>,
    /// Nodes involved, ascending: the coordinators of `ops`, and for a
    /// finding about final states the replicas holding the values.
    pub nodes: Vec<u32>,
    /// The span of `ops` (earliest invoke, latest completion or invoke),
    /// scenario nanoseconds; `0..0` when there are no ops.
    pub from_ns: u64,
    pub to_ns: u64,
}

impl Finding {
    /// A finding of `kind` on `key` involving `involved` (indices into
    /// `ops`; `None`s, repeats and indices out of range are dropped).
    pub fn new(kind: Kind, key: &str, involved: &[Option<usize>], ops: &[Op]) -> Finding {
        let mut list: Vec<&Op> = Vec::with_capacity(involved.len());
        for op in involved.iter().flatten().filter_map(|&i| ops.get(i)) {
            if !list.iter().any(|o| o.index == op.index) {
                list.push(op);
            }
        }
        let mut processes: Vec<u64> = Vec::new();
        for op in &list {
            if !processes.contains(&op.process) {
                processes.push(op.process);
            }
        }
        let mut nodes: Vec<u32> = list.iter().filter_map(|op| op.node).collect();
        nodes.sort_unstable();
        nodes.dedup();
        let values = list
            .iter()
            .map(|op| match op.read() {
                Some(read) => read.map(str::to_owned),
                None => op.written().map(str::to_owned),
            })
            .collect();
        let from_ns = list.iter().map(|op| op.invoke_time).min().unwrap_or(0);
        let to_ns = (list.iter())
            .map(|op| op.complete_time.unwrap_or(op.invoke_time))
            .max()
            .unwrap_or(0);
        Finding {
            kind,
            key: key.to_owned(),
            ops: list.iter().map(|op| op.index).collect(),
            values,
            processes,
            nodes,
            from_ns,
            to_ns,
        }
    }

    /// Adds values the replicas hold and the nodes holding them.
    pub fn held(mut self, values: &[Option<&str>], nodes: &[u32]) -> Finding {
        for v in values {
            let v = v.map(str::to_owned);
            if !self.values.contains(&v) {
                self.values.push(v);
            }
        }
        self.nodes.extend_from_slice(nodes);
        self.nodes.sort_unstable();
        self.nodes.dedup();
        self
    }
}

/// The first [`FINDINGS_MAX`] of `all`, turned into findings by `make`.
pub(crate) fn first<T>(all: &[T], make: impl Fn(&T) -> Finding) -> Vec<Finding> {
    all.iter().take(FINDINGS_MAX).map(make).collect()
}
