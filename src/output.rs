//! Writing run folders safely: whole files or nothing, and no mixing of
//! scenarios in one folder.

use anyhow::{Context, bail};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// The default run folder of a scenario: `runs/<name>` with the name made
/// safe as a single path component.
pub fn default_run_dir(scenario_name: &str) -> PathBuf {
    let slug: String = scenario_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let slug = slug.trim_matches('-');
    Path::new("runs").join(if slug.is_empty() { "scenario" } else { slug })
}

/// Writes `text` to `path` through a temporary file and a rename, so a reader
/// (or a crash) never sees half a file.
pub fn write_atomic(path: &Path, text: &str) -> anyhow::Result<()> {
    let mut file = AtomicFile::create(path)?;
    file.write_all(text.as_bytes())?;
    file.commit()
}

/// Copies `from` to `to` the same way: `to` is whole or absent.
pub fn copy_atomic(from: &Path, to: &Path) -> anyhow::Result<()> {
    let tmp = temporary(to)?;
    std::fs::copy(from, &tmp)
        .with_context(|| format!("cannot copy {} to {}", from.display(), tmp.display()))?;
    std::fs::rename(&tmp, to).with_context(|| format!("cannot write {}", to.display()))
}

/// `dir/.name.tmp` for `dir/name`, with `dir` created.
fn temporary(path: &Path) -> anyhow::Result<PathBuf> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("output");
    Ok(dir.join(format!(".{name}.tmp")))
}

/// A file written bit by bit through a buffer into its temporary name, and
/// renamed into place by [`AtomicFile::commit`]: however long it takes to
/// write, `path` is never half-written. Dropped without a commit (an error
/// on the way), the temporary file is removed and `path` is untouched.
pub struct AtomicFile {
    path: PathBuf,
    tmp: PathBuf,
    /// `None` once committed.
    out: Option<BufWriter<File>>,
}

impl AtomicFile {
    pub fn create(path: &Path) -> anyhow::Result<AtomicFile> {
        let tmp = temporary(path)?;
        let file = File::create(&tmp).with_context(|| format!("cannot write {}", tmp.display()))?;
        Ok(AtomicFile {
            path: path.to_path_buf(),
            tmp,
            out: Some(BufWriter::new(file)),
        })
    }

    pub fn write_all(&mut self, bytes: &[u8]) -> anyhow::Result<()> {
        let out = self.out.as_mut().context("write after commit")?;
        out.write_all(bytes)
            .with_context(|| format!("cannot write {}", self.tmp.display()))
    }

    /// Flushes and renames the file into place.
    pub fn commit(mut self) -> anyhow::Result<()> {
        let out = self.out.take().context("committed twice")?;
        let file = (out.into_inner())
            .map_err(|e| e.into_error())
            .with_context(|| format!("cannot write {}", self.tmp.display()))?;
        drop(file);
        (std::fs::rename(&self.tmp, &self.path))
            .with_context(|| format!("cannot write {}", self.path.display()))
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.out.take().is_some() {
            // Best effort: the file is incomplete and nobody will finish it.
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// Refuses a run folder that already holds the results of another scenario.
pub fn claim_run_dir(dir: &Path, scenario_name: &str) -> anyhow::Result<()> {
    let results = dir.join("results.json");
    let Ok(text) = std::fs::read_to_string(&results) else {
        return Ok(());
    };
    let existing: Option<String> = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| v.get("scenario")?.as_str().map(str::to_string));
    match existing {
        Some(name) if name == scenario_name => Ok(()),
        Some(name) => bail!(
            "{} holds results of scenario {name:?}, not {scenario_name:?}: choose another --out",
            dir.display()
        ),
        None => bail!(
            "{} is not a storesim results file: choose another --out",
            results.display()
        ),
    }
}

/// Quotes a command-line argument for a POSIX shell when it needs it.
pub fn shell_quote(arg: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "-_./=:@%+,".contains(c);
    if !arg.is_empty() && arg.chars().all(safe) {
        arg.to_string()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

/// The command that replays `seed` of `scenario`, using the program name this
/// process was started with (e.g. `target/release/storesim`).
pub fn replay_command(scenario: &Path, seed: u64) -> String {
    let program = std::env::args()
        .next()
        .unwrap_or_else(|| "storesim".to_string());
    let scenario = scenario.display().to_string();
    format!(
        "{} replay {} --seed {seed}",
        shell_quote(&program),
        shell_quote(&scenario)
    )
}
