//! The `abd` protocol: a linearizable multi-writer register per key
//! (Attiya, Bar-Noy, Dolev; multi-writer form as in Lynch and Shvartsman).
//!
//! Every operation has two phases over the key's N replicas:
//! - query: ask all N, take the first R answers, find the highest entry;
//! - update: write an entry to all N and wait for W acknowledgements.
//!
//! A write queries, then updates with version `(highest timestamp + 1, this
//! node's id)`: a logical timestamp, so clocks play no part and a coordinator
//! whose clock is far behind still wins with a later write. A read queries,
//! then writes the highest entry back before returning (skipped when W of the
//! answers already held it), so a later read cannot return anything older:
//! reads never go back in time. Because R + W > N, every query meets the
//! update of every completed operation. DELETE writes a tombstone.
//!
//! CAS is **not atomic** here: it is an ABD read followed by an ABD write,
//! and two concurrent CAS with the same precondition can both succeed (the
//! linearizability check rightly flags it). Scenarios reject `cas` under
//! `abd` unless they set `allow_unsafe_cas = true` to show that anomaly.

use super::coordinator::{Unavailable, newer, refusal};
use super::{Node, lock};
use crate::clock::Clock;
use crate::disk::Disk;
use crate::message::{ClientRequest, ClientResponse};
use crate::transport::Transport;
use crate::version::{Entry, Version};
use std::sync::Arc;

impl<T: Transport, C: Clock, D: Disk> Node<T, C, D> {
    pub(super) async fn coordinate_abd(self: &Arc<Self>, request: ClientRequest) -> ClientResponse {
        match request {
            ClientRequest::Get { key } => match self.abd_read(&key).await {
                Ok(newest) => ClientResponse::Value(newest.and_then(|entry| entry.value)),
                Err(Unavailable) => ClientResponse::ReadUnavailable,
            },
            ClientRequest::Put { key, value } => self.abd_write(key, Some(value)).await,
            ClientRequest::Delete { key } => self.abd_write(key, None).await,
            ClientRequest::Cas { key, from, to } => self.abd_cas(key, from, to).await,
            // Buckets, objects and listings (`Node::handle` sends them there first).
            s3 => self.coordinate_s3(s3).await,
        }
    }

    /// Query, then update with a version above every version the query saw.
    /// If the query fails nothing was written, but the answer is still
    /// `WriteUnavailable` (a client cannot tell the phases apart).
    async fn abd_write(self: &Arc<Self>, key: String, value: Option<String>) -> ClientResponse {
        let Ok((answers, _late)) = self.read_answers(&key).await else {
            return ClientResponse::WriteUnavailable;
        };
        let highest = (answers.iter())
            .filter_map(|(_, entry)| entry.as_ref().map(|entry| entry.version))
            .max();
        let entry = Entry::register(self.next_abd_version(highest), value);
        self.config
            .fault_points
            .hit(self.id, crate::buggify::Point::BetweenPhases)
            .await;
        if self.write_entry(key, entry).await {
            ClientResponse::Done
        } else {
            ClientResponse::WriteUnavailable
        }
    }

    /// Query, then write the highest entry back to W replicas unless W of the
    /// answers already hold it. `None` (absent) needs no write-back: no write
    /// completed before this read began, or the query would have met it.
    pub(super) async fn abd_read(
        self: &Arc<Self>,
        key: &str,
    ) -> Result<Option<Entry>, Unavailable> {
        let (answers, _late) = self.read_answers(key).await?;
        let newest = (answers.iter())
            .filter_map(|(_, entry)| entry.clone())
            .reduce(newer);
        let Some(newest) = newest else {
            return Ok(None);
        };
        let holders = (answers.iter())
            .filter(|(_, entry)| entry.as_ref() == Some(&newest))
            .count();
        if crate::planted::on(crate::planted::Bug::AbdNoWriteBack)
            || holders >= self.config.write_quorum as usize
            || self.write_entry(key.to_string(), newest.clone()).await
        {
            Ok(Some(newest))
        } else {
            Err(Unavailable)
        }
    }

    /// Read, compare, write: not atomic (see the module documentation).
    /// A failed condition is 412 or 404 ([`refusal`]); never 409.
    async fn abd_cas(
        self: &Arc<Self>,
        key: String,
        from: Option<String>,
        to: String,
    ) -> ClientResponse {
        let Ok(current) = self.abd_read(&key).await else {
            return ClientResponse::ReadUnavailable;
        };
        let current = current.and_then(|entry| entry.value);
        if let Some(refused) = refusal(from.as_deref(), current.as_deref()) {
            return refused;
        }
        self.abd_write(key, Some(to)).await
    }

    /// A version above `highest` and above every version this node issued
    /// before (so one node never issues the same version twice, even for
    /// two concurrent writes that saw the same highest version).
    pub(super) fn next_abd_version(&self, highest: Option<Version>) -> Version {
        let mut last = lock(&self.last_timestamp);
        let seen = highest.map_or(0, |version| version.timestamp);
        let timestamp = (seen.max(*last))
            .checked_add(1)
            .expect("timestamp space exhausted");
        *last = timestamp;
        Version {
            timestamp,
            node: self.id,
        }
    }
}
