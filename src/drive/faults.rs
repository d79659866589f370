//! Real faults on a local storesimd cluster (`--cluster DIR`, the folder
//! `scripts/cluster.sh up --dir DIR` made): node `i` lives in `DIR/n<i>/`
//! with its command line (`cmd`), S3 port (`port`), pid (`pid`) and log.
//!
//! - `crash`: `kill -9` the node's pid at `at`; at `at + duration` start it
//!   again from its disk with the same command line (as `cluster.sh start`),
//!   and wait until its S3 port accepts connections.
//! - `pause`: `SIGSTOP` at `at`, `SIGCONT` at the end.
//! - Partitions, clogs, message faults, clock jumps and membership changes
//!   are not applied: on loopback they would need network namespaces or
//!   packet filters (root, `iptables`), which a test machine may not allow;
//!   drive says so and runs without them.
//!
//! Times are real time since the workload's start. Whatever happens, the
//! schedule ends with every node it touched running again (before the
//! final reads).

use anyhow::{Context, bail};
use sim::scenario::{Fault, FaultKind};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Longest wait for a restarted node's port.
const READY_WAIT: Duration = Duration::from_secs(10);

/// One fault's action on the cluster.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Action {
    Kill(u32),
    Start(u32),
    Stop(u32),
    Continue(u32),
}

/// A fault the cluster can take: its window and what starts and ends it.
#[derive(Debug, Clone)]
pub struct Planned {
    pub at: Duration,
    pub end: Duration,
    pub node: u32,
    pub crash: bool,
    pub what: String,
}

/// The scenario's faults drive can apply, and a sentence for each it cannot.
pub fn plan(faults: &[Fault]) -> (Vec<Planned>, Vec<String>) {
    let mut planned = Vec::new();
    let mut skipped = Vec::new();
    for fault in faults {
        let (node, crash) = match fault.kind {
            FaultKind::Crash { node } => (node, true),
            FaultKind::Pause { node } => (node, false),
            ref other => {
                skipped.push(format!("{other:?} at {:?}", fault.at));
                continue;
            }
        };
        let verb = if crash { "crash" } else { "pause" };
        planned.push(Planned {
            at: fault.at,
            end: fault.at + fault.duration,
            node,
            crash,
            what: format!("{verb} node {node} (real)"),
        });
    }
    (planned, skipped)
}

/// A local cluster's folder.
pub struct Cluster {
    dir: PathBuf,
}

impl Cluster {
    /// `dir`, if it holds node folders.
    pub fn open(dir: &Path) -> anyhow::Result<Cluster> {
        if !dir.join("n0").join("cmd").is_file() {
            bail!(
                "--cluster {}: no n0/cmd in it (the folder of `scripts/cluster.sh up --dir DIR`)",
                dir.display()
            );
        }
        Ok(Cluster {
            dir: dir.to_path_buf(),
        })
    }

    fn node(&self, node: u32) -> PathBuf {
        self.dir.join(format!("n{node}"))
    }

    fn pid(&self, node: u32) -> Option<i32> {
        let text = std::fs::read_to_string(self.node(node).join("pid")).ok()?;
        text.trim().parse().ok()
    }

    /// Checks that every planned node exists.
    pub fn check(&self, planned: &[Planned]) -> anyhow::Result<()> {
        for p in planned {
            if !self.node(p.node).join("cmd").is_file() {
                bail!(
                    "the scenario's {} needs node {} and {} has no n{}/",
                    p.what,
                    p.node,
                    self.dir.display(),
                    p.node
                );
            }
        }
        Ok(())
    }

    /// Applies one action now.
    pub fn apply(&self, action: Action) -> anyhow::Result<()> {
        let signal = |node, sig| {
            if let Some(pid) = self.pid(node) {
                // SAFETY: kill(2) with a pid read from the cluster's own folder.
                unsafe { libc::kill(pid, sig) };
            }
        };
        match action {
            Action::Kill(node) => {
                signal(node, libc::SIGKILL);
                // Reap it if it was ours (a node restarted by this run).
                let _ = std::fs::remove_file(self.node(node).join("pid"));
            }
            Action::Stop(node) => signal(node, libc::SIGSTOP),
            Action::Continue(node) => signal(node, libc::SIGCONT),
            Action::Start(node) => self.start(node)?,
        }
        Ok(())
    }

    /// Starts node `node` from its disk with its command line, as
    /// `cluster.sh start` does, and waits until its S3 port answers.
    fn start(&self, node: u32) -> anyhow::Result<()> {
        let d = self.node(node);
        let cmd = std::fs::read_to_string(d.join("cmd")).context("reading the node's cmd")?;
        let words: Vec<&str> = cmd.split_whitespace().collect();
        let Some((program, args)) = words.split_first() else {
            bail!("{}/cmd is empty", d.display());
        };
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(d.join("log"))?;
        let child = std::process::Command::new(program)
            .args(args)
            .stdin(std::process::Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .with_context(|| format!("starting node {node}: {program}"))?;
        std::fs::write(d.join("pid"), format!("{}\n", child.id()))?;
        // The node outlives this call; `cluster.sh down` stops it.
        drop(child);
        let port: u16 = std::fs::read_to_string(d.join("port"))?.trim().parse()?;
        let deadline = Instant::now() + READY_WAIT;
        while Instant::now() < deadline {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        bail!("node {node} does not listen on 127.0.0.1:{port} 10 s after a restart")
    }
}

/// Runs the schedule from `start` until every fault has ended or `done` is
/// set; then ends every fault still on. Returns the windows that happened
/// (ns since `start`).
pub fn run(
    cluster: &Cluster,
    planned: &[Planned],
    start: Instant,
    done: &AtomicBool,
) -> anyhow::Result<Vec<(u64, u64, Planned)>> {
    let mut windows = Vec::new();
    let mut on: Vec<(u64, Planned)> = Vec::new();
    let mut steps: Vec<(Duration, bool, usize)> = (planned.iter().enumerate())
        .flat_map(|(i, p)| [(p.at, true, i), (p.end, false, i)])
        .collect();
    steps.sort_by_key(|&(t, begins, i)| (t, begins, i));
    let ns = |i: Instant| u64::try_from(i.duration_since(start).as_nanos()).unwrap_or(u64::MAX);
    for (at, begins, i) in steps {
        // Sleep in short steps so the end of the workload cuts the wait short.
        while Instant::now() < start + at && !done.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(10).min((start + at) - Instant::now()));
        }
        if done.load(Ordering::Relaxed) {
            break;
        }
        let p = &planned[i];
        if begins {
            cluster.apply(if p.crash {
                Action::Kill(p.node)
            } else {
                Action::Stop(p.node)
            })?;
            on.push((ns(Instant::now()), p.clone()));
        } else if let Some(k) = on
            .iter()
            .position(|(_, q)| q.node == p.node && q.at == p.at)
        {
            let (began, q) = on.remove(k);
            end(cluster, &q)?;
            windows.push((began, ns(Instant::now()), q));
        }
    }
    for (began, q) in on {
        end(cluster, &q)?;
        windows.push((began, ns(Instant::now()), q));
    }
    Ok(windows)
}

fn end(cluster: &Cluster, p: &Planned) -> anyhow::Result<()> {
    cluster.apply(if p.crash {
        Action::Start(p.node)
    } else {
        Action::Continue(p.node)
    })
}
