//! Real faults on a local storesimd cluster (`--cluster DIR`, the folder
//! `scripts/cluster.sh up --dir DIR` made): node `i` lives in `DIR/n<i>/`
//! with its command line (`cmd`, which names its `--data-dir`), S3 port
//! (`port`), pid (`pid`) and log.
//!
//! The schedule is the simulation's own (`sim::faults::plan`): the
//! scenario's `[[faults]]` and, with a `[nemesis]`, the faults it draws for
//! the seed, random halves drawn from the seed's fault stream — so a drive
//! and a simulated run of one seed cut the same links at the same times.
//!
//! - `crash`: `kill -9` the node's pid; at the end start it again from its
//!   disk with the same command line (as `cluster.sh start`), and wait until
//!   its S3 port accepts connections.
//! - `pause`: `SIGSTOP`, then `SIGCONT`.
//! - `partition`, `isolate`, `random-halves`, `bridge`, `clog`: the cut
//!   directed links go into every node's control file
//!   (`<data-dir>/faults.json`, storesimd's `inject` module), which each node
//!   polls every 10 ms: a call over a cut link is lost and times out. No
//!   privileges, packet filters or namespaces needed. Overlapping cuts of a
//!   link nest, as in the simulator.
//! - `clock-jump`: the node's clock offset in its control file grows by
//!   `by`, and stays until the drive ends (as an NTP step, healing does not
//!   undo it).
//! - Targeted message faults and membership changes are not applied; drive
//!   names them and runs without them.
//!
//! Times are real time since the workload's start. Healing: the schedule
//! ends with every node it touched running and every link mended (before
//! the final reads); dropping the [`Cluster`] (after the run folder is
//! written, or on any error) removes the control files, so clocks are
//! real again; SIGINT and SIGTERM remove them and resume paused nodes
//! before the drive dies; and each control file expires by itself a minute
//! after the run's planned end, should the drive be killed outright.

use anyhow::{Context, bail};
use reports::seedinfo::{Effect, FaultWindow};
use sim::Scenario;
use sim::faults::Action;
use std::collections::BTreeMap;
use std::ffi::CString;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::time::{Duration, Instant, SystemTime};

/// Longest wait for a restarted node's port.
const READY_WAIT: Duration = Duration::from_secs(10);
/// How long a control file outlives the run's planned end (a safety net for
/// a drive killed by SIGKILL; normal ends remove the file at once).
const EXPIRY_MARGIN: Duration = Duration::from_secs(60);
/// Most nodes a cluster folder may hold (storesimd's own limit).
const MAX_NODES: usize = 64;

/// The faults drive applies, in time order, and a sentence for each it does
/// not (message faults, membership changes).
pub fn plan(scenario: &Scenario, seed: u64) -> (Vec<(Duration, Action)>, Vec<String>) {
    let nodes = scenario.cluster.nodes;
    let drawn = (scenario.nemesis.as_ref())
        .map(|n| sim::nemesis::plan(n, &scenario.faults, nodes, scenario.duration, seed).faults)
        .unwrap_or_default();
    let mut applied = Vec::new();
    let mut skipped = Vec::new();
    for (at, action) in sim::faults::plan(scenario, seed, drawn) {
        match action {
            Action::Target { label, .. } => skipped.push(format!("{label} at {at:?}")),
            Action::Change(change) => skipped.push(format!("{change:?} at {at:?}")),
            Action::Arm(node) => skipped.push(format!("buggify-window on n{node} at {at:?}")),
            Action::Untarget { .. } | Action::Disarm(_) => {}
            other => applied.push((at, other)),
        }
    }
    (applied, skipped)
}

/// The nodes an action touches.
fn nodes_of(action: &Action) -> Vec<u32> {
    match action {
        Action::Cut { links, .. } | Action::Mend { links, .. } => {
            links.iter().flat_map(|&(a, b)| [a, b]).collect()
        }
        Action::Crash(n) | Action::Restart(n) | Action::Pause(n) | Action::Resume(n) => vec![*n],
        Action::ClockJump { node, .. } => vec![*node],
        Action::Target { .. }
        | Action::Untarget { .. }
        | Action::Change(_)
        | Action::Arm(_)
        | Action::Disarm(_) => Vec::new(),
    }
}

/// A local cluster's folder, and the faults drive has put in force on it.
pub struct Cluster {
    dir: PathBuf,
    /// Each node's control file, by node index.
    controls: Vec<PathBuf>,
    /// How many cuts hold each directed link.
    cut: BTreeMap<(u32, u32), u32>,
    /// Each node's clock offset.
    offsets: Vec<i64>,
    expires_unix_ns: u64,
}

/// The control files SIGINT/SIGTERM remove, and the pids they resume.
static ON_SIGNAL: OnceLock<Vec<CString>> = OnceLock::new();
static PAUSED: [AtomicI32; MAX_NODES] = [const { AtomicI32::new(0) }; MAX_NODES];

impl Cluster {
    /// `dir`, if it holds node folders `n0`, `n1`, … each with a command line
    /// naming its data folder.
    pub fn open(dir: &Path) -> anyhow::Result<Cluster> {
        let mut controls = Vec::new();
        while controls.len() < MAX_NODES {
            let cmd = dir.join(format!("n{}", controls.len())).join("cmd");
            let Ok(text) = std::fs::read_to_string(&cmd) else {
                break;
            };
            let words: Vec<&str> = text.split_whitespace().collect();
            let Some(i) = words.iter().position(|w| *w == "--data-dir") else {
                bail!(
                    "--cluster {}: {} names no --data-dir",
                    dir.display(),
                    cmd.display()
                );
            };
            let Some(data) = words.get(i + 1) else {
                bail!(
                    "--cluster {}: {} ends at --data-dir",
                    dir.display(),
                    cmd.display()
                );
            };
            controls.push(Path::new(data).join("faults.json"));
        }
        if controls.is_empty() {
            bail!(
                "--cluster {}: no n0/cmd in it (the folder of `scripts/cluster.sh up --dir DIR`)",
                dir.display()
            );
        }
        let offsets = vec![0; controls.len()];
        let cluster = Cluster {
            dir: dir.to_path_buf(),
            controls,
            cut: BTreeMap::new(),
            offsets,
            expires_unix_ns: 0,
        };
        cluster.install_signal_handlers();
        Ok(cluster)
    }

    fn node(&self, node: u32) -> PathBuf {
        self.dir.join(format!("n{node}"))
    }

    fn pid(&self, node: u32) -> Option<i32> {
        let text = std::fs::read_to_string(self.node(node).join("pid")).ok()?;
        text.trim().parse().ok()
    }

    /// Checks that every node the schedule names is in the folder.
    pub fn check(&self, actions: &[(Duration, Action)]) -> anyhow::Result<()> {
        let nodes = self.controls.len() as u32;
        for (at, action) in actions {
            if let Some(node) = nodes_of(action).into_iter().find(|&n| n >= nodes) {
                bail!(
                    "the scenario's {action:?} at {at:?} needs node {node} and {} has {nodes} nodes (n0 to n{})",
                    self.dir.display(),
                    nodes - 1
                );
            }
        }
        Ok(())
    }

    /// Control files written from now on expire `EXPIRY_MARGIN` after `end`
    /// from now.
    pub fn arm(&mut self, end: Duration) {
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default();
        self.expires_unix_ns =
            u64::try_from((now + end + EXPIRY_MARGIN).as_nanos()).unwrap_or(u64::MAX);
    }

    /// Writes every node's control file (replacing it atomically): the cut
    /// links and the node's clock offset. With neither, the file is removed.
    fn write_controls(&self) -> anyhow::Result<()> {
        let cut: Vec<(u32, u32)> = self.cut.keys().copied().collect();
        for (path, &offset) in self.controls.iter().zip(&self.offsets) {
            if cut.is_empty() && offset == 0 {
                remove(path)?;
                continue;
            }
            // As storesimd's `inject::Control` reads it.
            let control = serde_json::json!({
                "cut": cut,
                "clock_offset_ns": offset,
                "expires_unix_ns": self.expires_unix_ns,
            });
            let json = serde_json::to_vec(&control).context("encoding a control file")?;
            let tmp = path.with_extension("json.tmp");
            std::fs::write(&tmp, json)
                .and_then(|()| std::fs::rename(&tmp, path))
                .with_context(|| format!("writing {}", path.display()))?;
        }
        Ok(())
    }

    /// Applies one action now.
    pub fn apply(&mut self, action: &Action) -> anyhow::Result<()> {
        let signal = |node: u32, sig| {
            if let Some(pid) = self.pid(node) {
                // SAFETY: kill(2) with a pid read from the cluster's own folder.
                unsafe { libc::kill(pid, sig) };
                pid
            } else {
                0
            }
        };
        match action {
            Action::Crash(node) => {
                signal(*node, libc::SIGKILL);
                let _ = std::fs::remove_file(self.node(*node).join("pid"));
            }
            Action::Pause(node) => {
                let pid = signal(*node, libc::SIGSTOP);
                PAUSED[*node as usize].store(pid, Ordering::SeqCst);
            }
            Action::Resume(node) => {
                signal(*node, libc::SIGCONT);
                PAUSED[*node as usize].store(0, Ordering::SeqCst);
            }
            Action::Restart(node) => self.start(*node)?,
            Action::Cut { links, .. } => {
                for &link in links {
                    *self.cut.entry(link).or_default() += 1;
                }
                self.write_controls()?;
            }
            Action::Mend { links, .. } => {
                for link in links {
                    if let Some(n) = self.cut.get_mut(link) {
                        *n -= 1;
                        if *n == 0 {
                            self.cut.remove(link);
                        }
                    }
                }
                self.write_controls()?;
            }
            Action::ClockJump { node, by_ns } => {
                let offset = &mut self.offsets[*node as usize];
                *offset = offset.saturating_add(*by_ns);
                self.write_controls()?;
            }
            Action::Target { .. }
            | Action::Untarget { .. }
            | Action::Change(_)
            | Action::Arm(_)
            | Action::Disarm(_) => {}
        }
        Ok(())
    }

    /// Mends every cut link (clock offsets stay until the cluster is dropped).
    fn mend_all(&mut self) -> anyhow::Result<()> {
        if self.cut.is_empty() {
            return Ok(());
        }
        self.cut.clear();
        self.write_controls()
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

    /// On SIGINT or SIGTERM: remove the control files, resume paused nodes,
    /// then die of the signal as before.
    fn install_signal_handlers(&self) {
        let paths = (self.controls.iter())
            .filter_map(|p| CString::new(p.as_os_str().as_encoded_bytes()).ok())
            .collect();
        if ON_SIGNAL.set(paths).is_err() {
            return; // installed by an earlier cluster of this process
        }
        extern "C" fn heal(sig: libc::c_int) {
            // Only async-signal-safe calls: unlink, kill, signal, raise.
            if let Some(paths) = ON_SIGNAL.get() {
                for path in paths {
                    // SAFETY: a NUL-terminated path that lives for the process.
                    unsafe { libc::unlink(path.as_ptr()) };
                }
            }
            for pid in &PAUSED {
                let pid = pid.load(Ordering::SeqCst);
                if pid > 0 {
                    // SAFETY: kill(2) of a node this drive paused.
                    unsafe { libc::kill(pid, libc::SIGCONT) };
                }
            }
            // SAFETY: back to the default action, then die of the signal.
            unsafe {
                libc::signal(sig, libc::SIG_DFL);
                libc::raise(sig);
            }
        }
        for sig in [libc::SIGINT, libc::SIGTERM] {
            // SAFETY: `heal` makes only async-signal-safe calls.
            unsafe { libc::signal(sig, heal as *const () as libc::sighandler_t) };
        }
    }
}

impl Drop for Cluster {
    /// Heals what the control files hold (cut links, clock offsets).
    fn drop(&mut self) {
        for path in &self.controls {
            let _ = remove(path);
        }
    }
}

fn remove(path: &Path) -> anyhow::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(e).with_context(|| format!("removing {}", path.display()))
        }
        _ => Ok(()),
    }
}

/// A fault under way: its window's start, name and effect, and the action
/// that ends it.
struct Open {
    began: u64,
    what: String,
    effect: Effect,
    ends_with: Action,
}

/// What starts a window, and the action that ends it (`None`: an instant).
fn window_of(action: &Action) -> Option<(String, Effect, Option<Action>)> {
    Some(match action {
        Action::Cut { label, links } => (
            label.clone(),
            Effect::Cut {
                links: links.clone(),
            },
            Some(Action::Mend {
                label: label.clone(),
                links: links.clone(),
            }),
        ),
        &Action::Crash(node) => (
            format!("crash n{node}"),
            Effect::Crash { node },
            Some(Action::Restart(node)),
        ),
        &Action::Pause(node) => (
            format!("pause n{node}"),
            Effect::Pause { node },
            Some(Action::Resume(node)),
        ),
        &Action::ClockJump { node, by_ns } => (
            format!("clock-jump n{node} by {}ms", by_ns as f64 / 1e6),
            Effect::ClockJump { node, by_ns },
            None,
        ),
        _ => return None,
    })
}

/// Runs the schedule from `start` until every action is done or `done` is
/// set; then ends every fault still on and mends every link, also when an
/// action failed (the first error is returned after). Returns the windows
/// that happened (ns since `start`), sorted by start.
pub fn run(
    cluster: &mut Cluster,
    actions: &[(Duration, Action)],
    start: Instant,
    done: &AtomicBool,
) -> anyhow::Result<Vec<FaultWindow>> {
    let ns = |i: Instant| u64::try_from(i.duration_since(start).as_nanos()).unwrap_or(u64::MAX);
    let mut windows = Vec::new();
    let mut on: Vec<Open> = Vec::new();
    let mut failed = None;
    for (at, action) in actions {
        // Sleep in short steps so the end of the workload cuts the wait short.
        while Instant::now() < start + *at && !done.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(10).min((start + *at) - Instant::now()));
        }
        if done.load(Ordering::Relaxed) {
            break;
        }
        if let Err(e) = cluster.apply(action) {
            failed = Some(e);
            break;
        }
        let now = ns(Instant::now());
        if let Some((what, effect, ends_with)) = window_of(action) {
            let what = format!("{what} (real)");
            match ends_with {
                Some(ends_with) => on.push(Open {
                    began: now,
                    what,
                    effect,
                    ends_with,
                }),
                None => windows.push(window(now, now, what, effect)),
            }
        } else if let Some(k) = on.iter().position(|o| o.ends_with == *action) {
            let o = on.remove(k);
            windows.push(window(o.began, now, o.what, o.effect));
        }
    }
    for o in on {
        if let Err(e) = cluster.apply(&o.ends_with) {
            failed.get_or_insert(e);
        }
        windows.push(window(o.began, ns(Instant::now()), o.what, o.effect));
    }
    if let Err(e) = cluster.mend_all() {
        failed.get_or_insert(e);
    }
    if let Some(e) = failed {
        return Err(e);
    }
    windows.sort_by_key(|w| w.start_ns);
    Ok(windows)
}

fn window(start_ns: u64, end_ns: u64, what: String, effect: Effect) -> FaultWindow {
    FaultWindow {
        start_ns,
        end_ns,
        what,
        effect: Some(effect),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cluster(dir: &Path, nodes: u32) -> Cluster {
        for i in 0..nodes {
            let n = dir.join(format!("n{i}"));
            std::fs::create_dir_all(n.join("data")).unwrap();
            let data = n.join("data");
            std::fs::write(
                n.join("cmd"),
                format!("storesimd --id {i} --data-dir {}", data.display()),
            )
            .unwrap();
        }
        Cluster::open(dir).unwrap()
    }

    fn control(dir: &Path, node: u32) -> Option<serde_json::Value> {
        let path = dir.join(format!("n{node}/data/faults.json"));
        let text = std::fs::read_to_string(path).ok()?;
        Some(serde_json::from_str(&text).unwrap())
    }

    #[test]
    fn cuts_nest_clock_jumps_add_up_and_dropping_heals() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = cluster(dir.path(), 3);
        let cut = |links: Vec<(u32, u32)>| Action::Cut {
            label: "p".into(),
            links,
        };
        let mend = |links: Vec<(u32, u32)>| Action::Mend {
            label: "p".into(),
            links,
        };
        c.apply(&cut(vec![(0, 2), (2, 0)])).unwrap();
        c.apply(&cut(vec![(0, 2)])).unwrap();
        c.apply(&Action::ClockJump { node: 1, by_ns: 5 }).unwrap();
        c.apply(&Action::ClockJump { node: 1, by_ns: 7 }).unwrap();
        let one = control(dir.path(), 1).unwrap();
        assert_eq!(one["cut"], serde_json::json!([[0, 2], [2, 0]]));
        assert_eq!(one["clock_offset_ns"], 12);
        assert_eq!(control(dir.path(), 0).unwrap()["clock_offset_ns"], 0);
        c.apply(&mend(vec![(0, 2), (2, 0)])).unwrap();
        // (0, 2) is still cut once.
        assert_eq!(
            control(dir.path(), 2).unwrap()["cut"],
            serde_json::json!([[0, 2]])
        );
        c.apply(&mend(vec![(0, 2)])).unwrap();
        // No cut, no offset on node 2: no file; node 1 keeps its offset.
        assert_eq!(control(dir.path(), 2), None);
        assert_eq!(
            control(dir.path(), 1).unwrap()["cut"],
            serde_json::json!([])
        );
        drop(c);
        assert_eq!(control(dir.path(), 1), None);
    }

    #[test]
    fn a_schedule_cut_short_still_mends_every_link() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = cluster(dir.path(), 3);
        let links = vec![(0, 1), (1, 0)];
        let actions = vec![
            (
                Duration::ZERO,
                Action::Cut {
                    label: "isolate".into(),
                    links: links.clone(),
                },
            ),
            (
                Duration::from_secs(3600),
                Action::Mend {
                    label: "isolate".into(),
                    links,
                },
            ),
        ];
        let done = AtomicBool::new(false);
        let start = Instant::now();
        std::thread::scope(|s| {
            let run = s.spawn(|| run(&mut c, &actions, start, &done));
            while control(dir.path(), 0).is_none() {
                std::thread::sleep(Duration::from_millis(5));
            }
            done.store(true, Ordering::Relaxed);
            let windows = run.join().unwrap().unwrap();
            assert_eq!(windows.len(), 1);
            assert_eq!(windows[0].what, "isolate (real)");
        });
        assert_eq!(control(dir.path(), 0), None);
    }

    #[test]
    fn a_node_the_folder_lacks_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let c = cluster(dir.path(), 2);
        let err = c
            .check(&[(Duration::ZERO, Action::Crash(2))])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("needs node 2") && err.contains("2 nodes"),
            "{err}"
        );
    }
}
