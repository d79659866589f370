//! Fault points (FoundationDB's BUGGIFY): named places in the store where
//! a simulation may crash, pause or delay the node, so that a test can aim
//! at the narrow moments bugs live in (a replica that applied a write and
//! has not answered yet; a coordinator between its protocol's phases).
//!
//! The store calls [`FaultPoints::hit`] at each [`Point`]; by default there
//! is no hook and a hit costs one branch (no allocation, no await of
//! anything). The store knows nothing of what a hook does: the simulation
//! implements [`Hook`] (drawing from the seed), a production build never
//! sets one.

use crate::NodeId;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// A named place in the store's code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Point {
    /// A replica has applied a write (merged, synced as its policy says)
    /// and has not answered the coordinator yet.
    AfterApply,
    /// A coordinator between its protocol's phases: ABD's query and
    /// update, paxos's prepare and accept.
    BetweenPhases,
    /// Before the background sync of the interval policy.
    BeforeSync,
    /// Before a hint is delivered to its intended replica.
    HintDelivery,
}

impl Point {
    pub const ALL: [Point; 4] = [
        Point::AfterApply,
        Point::BetweenPhases,
        Point::BeforeSync,
        Point::HintDelivery,
    ];

    /// The name in scenario files and traces.
    pub fn as_str(self) -> &'static str {
        match self {
            Point::AfterApply => "after-apply",
            Point::BetweenPhases => "between-phases",
            Point::BeforeSync => "before-sync",
            Point::HintDelivery => "hint-delivery",
        }
    }
}

impl fmt::Display for Point {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a simulation does when a node passes a point: returns when the
/// node may go on (after a delay or a pause), or never (it crashed).
pub trait Hook: Send + Sync {
    fn hit(&self, node: NodeId, point: Point) -> Pin<Box<dyn Future<Output = ()> + Send>>;
}

/// The fault points of a cluster (`ClusterConfig::fault_points`): no hook
/// by default. Two are equal when they share one hook (or have none), so a
/// configuration stays comparable.
#[derive(Clone, Default)]
pub struct FaultPoints(Option<Arc<dyn Hook>>);

impl FaultPoints {
    pub fn new(hook: Arc<dyn Hook>) -> FaultPoints {
        FaultPoints(Some(hook))
    }

    /// Node `node` passes `point`: nothing without a hook.
    pub async fn hit(&self, node: NodeId, point: Point) {
        if let Some(hook) = &self.0 {
            hook.hit(node, point).await;
        }
    }

    /// `answer` once node `node` has passed [`Point::AfterApply`], when it
    /// acknowledges an applied write.
    pub async fn after_apply(
        &self,
        node: NodeId,
        answer: crate::ReplicaResponse,
    ) -> crate::ReplicaResponse {
        use crate::ReplicaResponse::{Accepted, Written, WrittenBehind};
        if matches!(answer, Written | WrittenBehind { .. } | Accepted) {
            self.hit(node, Point::AfterApply).await;
        }
        answer
    }
}

impl fmt::Debug for FaultPoints {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() {
            "FaultPoints(hook)"
        } else {
            "FaultPoints(none)"
        })
    }
}

impl PartialEq for FaultPoints {
    fn eq(&self, other: &Self) -> bool {
        match (&self.0, &other.0) {
            (None, None) => true,
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

impl Eq for FaultPoints {}
