//! Faults put into a running node from outside, through a control file:
//! cut peer links (partitions) and a clock offset (skew, jumps). `storesim
//! drive --cluster` writes it on the scenario's schedule; anyone may.
//!
//! The file is `<data_dir>/faults.json` ([`CONTROL_FILE`]), read every
//! [`POLL`]:
//!
//! ```json
//! {"cut": [[0, 2], [2, 0]], "clock_offset_ns": -500000000, "expires_unix_ns": 1796000000000000000}
//! ```
//!
//! - `cut`: directed links `[from, to]` (node ids) that carry nothing. Every
//!   node reads the same list: a call from `a` to `b` on a cut `a → b` is
//!   never sent, and one whose answer would travel a cut `b → a` is sent (the
//!   peer acts on it) but its answer is dropped; either way the caller waits
//!   out its timeout, as a dropped packet would make it ([`Injected::cut`]).
//! - `clock_offset_ns`: added to this node's system clock
//!   ([`crate::clock::set_offset_ns`]).
//! - `expires_unix_ns` (real time, optional): after it the file counts as
//!   absent, so a writer that dies without cleaning up heals the node anyway.
//!
//! A missing, expired or unreadable file means no faults (an unreadable one
//! is reported once on stderr, never a panic). Writers replace the file
//! atomically (write a temporary file, rename it over).

use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::RwLock;
use std::time::Duration;
use store::NodeId;

/// The control file's name in a node's data folder.
pub const CONTROL_FILE: &str = "faults.json";
/// How often the control file is read: a fault takes effect at most this
/// late.
pub const POLL: Duration = Duration::from_millis(10);
/// Most cut links a file may list (a 64-node cluster has 4,032 links).
pub const MAX_CUT_LINKS: usize = 64 * 63;

/// The control file's content.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Control {
    #[serde(default)]
    pub cut: Vec<(NodeId, NodeId)>,
    #[serde(default)]
    pub clock_offset_ns: i64,
    #[serde(default)]
    pub expires_unix_ns: Option<u64>,
}

/// Why a control file was ignored.
#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    #[error("{path}: not a control file")]
    Json {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("{path}: lists {count} cut links, more than {MAX_CUT_LINKS}")]
    TooMany { path: PathBuf, count: usize },
}

impl Control {
    /// Reads `path`: `Ok(None)` when it is absent or expired at `now_unix_ns`.
    pub fn read(path: &Path, now_unix_ns: u64) -> Result<Option<Control>, ControlError> {
        let Ok(text) = std::fs::read(path) else {
            return Ok(None);
        };
        let control: Control =
            serde_json::from_slice(&text).map_err(|source| ControlError::Json {
                path: path.to_path_buf(),
                source,
            })?;
        if control.cut.len() > MAX_CUT_LINKS {
            return Err(ControlError::TooMany {
                path: path.to_path_buf(),
                count: control.cut.len(),
            });
        }
        Ok(control
            .expires_unix_ns
            .is_none_or(|at| now_unix_ns < at)
            .then_some(control))
    }
}

/// The faults in force on one node, shared by its transport and the watcher.
#[derive(Debug)]
pub struct Injected {
    me: NodeId,
    cut: RwLock<BTreeSet<(NodeId, NodeId)>>,
}

impl Injected {
    /// No faults on node `me`.
    pub fn new(me: NodeId) -> Injected {
        Injected {
            me,
            cut: RwLock::new(BTreeSet::new()),
        }
    }

    /// What a call from this node to `to` meets: whether its request is lost
    /// (`me → to` cut) and whether its answer is (`to → me` cut).
    pub fn cut(&self, to: NodeId) -> (bool, bool) {
        let cut = self.cut.read().unwrap_or_else(|e| e.into_inner());
        (cut.contains(&(self.me, to)), cut.contains(&(to, self.me)))
    }

    /// Puts `control` in force (`None`: heal everything).
    pub fn set(&self, control: Option<&Control>) {
        let links = control
            .map(|c| c.cut.iter().copied().collect())
            .unwrap_or_default();
        *self.cut.write().unwrap_or_else(|e| e.into_inner()) = links;
        crate::clock::set_offset_ns(control.map_or(0, |c| c.clock_offset_ns));
    }

    /// Reads `path` once and puts it in force; returns what was read, for
    /// the watcher to report changes.
    pub fn load(&self, path: &Path) -> Result<Option<Control>, ControlError> {
        let control = Control::read(path, crate::clock::real_unix_ns());
        self.set(control.as_ref().ok().and_then(Option::as_ref));
        control
    }

    /// Reads `path` every [`POLL`] for as long as the node runs, logging each
    /// change (and each unreadable file once) on stderr.
    pub async fn watch(&self, path: PathBuf) {
        let mut last: Option<Result<Option<Control>, String>> = None;
        // Unbounded on purpose: the watcher lives as long as the node.
        loop {
            let now = self.load(&path).map_err(|e| format!("{e:#}"));
            if last.as_ref() != Some(&now) {
                match &now {
                    Ok(Some(c)) => eprintln!(
                        "storesimd node {}: faults from {}: cut {:?}, clock offset {} ns",
                        self.me,
                        path.display(),
                        c.cut,
                        c.clock_offset_ns
                    ),
                    Ok(None) => eprintln!("storesimd node {}: no injected faults", self.me),
                    Err(e) => eprintln!("storesimd node {}: ignored (no faults): {e}", self.me),
                }
                last = Some(now);
            }
            tokio::time::sleep(POLL).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_control_file_cuts_links_both_ways_and_expires() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(CONTROL_FILE);
        let injected = Injected::new(0);
        assert_eq!(injected.load(&path).unwrap(), None);
        assert_eq!(injected.cut(1), (false, false));
        std::fs::write(&path, r#"{"cut": [[0, 1], [2, 0]], "clock_offset_ns": 5}"#).unwrap();
        let control = injected.load(&path).unwrap().unwrap();
        assert_eq!(control.clock_offset_ns, 5);
        assert_eq!(injected.cut(1), (true, false));
        assert_eq!(injected.cut(2), (false, true));
        // Expired: healed, whatever it lists.
        std::fs::write(&path, r#"{"cut": [[0, 1]], "expires_unix_ns": 1}"#).unwrap();
        assert_eq!(injected.load(&path).unwrap(), None);
        assert_eq!(injected.cut(1), (false, false));
        // Garbage: an error, and no faults.
        std::fs::write(&path, r#"{"cut": [[0, 1]], "cutt": 1}"#).unwrap();
        assert!(injected.load(&path).is_err());
        assert_eq!(injected.cut(1), (false, false));
        crate::clock::set_offset_ns(0);
    }
}
