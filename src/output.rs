//! Writing run folders safely: whole files or nothing, and no mixing of
//! scenarios in one folder.

use anyhow::{Context, bail};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use tempfile::NamedTempFile;

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
    let mut source = File::open(from).with_context(|| format!("cannot read {}", from.display()))?;
    let mut file = AtomicFile::create(to)?;
    let out = file.out.as_mut().context("write after commit")?;
    std::io::copy(&mut source, out)
        .with_context(|| format!("cannot copy {} to {}", from.display(), to.display()))?;
    file.commit()
}

/// A file written bit by bit through a buffer into a temporary file of its
/// own in the same folder (`.name.XXXXXX.tmp`, a unique name, so two
/// processes writing the same run folder never share one), and renamed into
/// place by [`AtomicFile::commit`] after an fsync, the folder fsynced after
/// the rename: however long it takes to write, and whatever crashes,
/// `path` holds either a whole old file or a whole new one; with two writers,
/// the last commit wins whole. Dropped without a commit (an error on the
/// way), the temporary file is removed and `path` is untouched.
pub struct AtomicFile {
    path: PathBuf,
    /// `None` once committed.
    out: Option<BufWriter<NamedTempFile>>,
}

impl AtomicFile {
    pub fn create(path: &Path) -> anyhow::Result<AtomicFile> {
        let dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("output");
        let prefix = format!(".{name}.");
        let mut builder = tempfile::Builder::new();
        builder.prefix(&prefix).suffix(".tmp");
        // tempfile creates files readable by the owner only; a results file is
        // an ordinary file (0666 less the umask, as `File::create` gives).
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            builder.permissions(std::fs::Permissions::from_mode(0o666));
        }
        let file = (builder.tempfile_in(dir))
            .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
        Ok(AtomicFile {
            path: path.to_path_buf(),
            out: Some(BufWriter::new(file)),
        })
    }

    pub fn write_all(&mut self, bytes: &[u8]) -> anyhow::Result<()> {
        let out = self.out.as_mut().context("write after commit")?;
        out.write_all(bytes)
            .with_context(|| format!("cannot write {}", out.get_ref().path().display()))
    }

    /// Flushes, fsyncs and renames the file into place, then fsyncs the
    /// folder so the rename itself survives a crash.
    pub fn commit(mut self) -> anyhow::Result<()> {
        let out = self.out.take().context("committed twice")?;
        let file = (out.into_inner())
            .map_err(|e| e.into_error())
            .with_context(|| {
                format!("cannot write a temporary file for {}", self.path.display())
            })?;
        (file.as_file().sync_all())
            .with_context(|| format!("cannot sync {}", file.path().display()))?;
        file.persist(&self.path)
            .map_err(|e| e.error)
            .with_context(|| format!("cannot write {}", self.path.display()))?;
        sync_dir(&self.path)
    }
}

/// fsyncs the folder holding `path` (a rename is durable only then). Where a
/// folder cannot be opened for that (not Unix), there is nothing to do.
fn sync_dir(path: &Path) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        let dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        let handle = File::open(dir).with_context(|| format!("cannot open {}", dir.display()))?;
        (handle.sync_all()).with_context(|| format!("cannot sync {}", dir.display()))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
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

/// The command that replays `seed` of `scenario`, using the program name this
/// process was started with (e.g. `target/release/storesim`), so that the
/// line can be pasted as it is; quoted by [`reports::replay`].
pub fn replay_command(scenario: &Path, seed: u64) -> String {
    let program = std::env::args()
        .next()
        .unwrap_or_else(|| "storesim".to_string());
    let scenario = scenario.display().to_string();
    reports::replay::replay_command(&program, &scenario, seed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temporaries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".tmp"))
            .collect();
        names.sort();
        names
    }

    /// Two writers of one file (two `run`s sharing a run folder): each has
    /// its own temporary file, both commit, the last commit wins whole, and
    /// no temporary file is left. With one fixed temporary name, the second
    /// `create` truncated the first writer's file and one rename failed.
    #[test]
    fn two_writers_of_one_file_do_not_clobber_each_other() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("seeds.jsonl");
        let mut a = AtomicFile::create(&path).unwrap();
        let mut b = AtomicFile::create(&path).unwrap();
        assert_eq!(temporaries(dir.path()).len(), 2, "one temporary file each");
        a.write_all(b"from a\n").unwrap();
        b.write_all(b"from b, longer\n").unwrap();
        a.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "from a\n");
        b.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "from b, longer\n");
        assert!(temporaries(dir.path()).is_empty());
    }

    #[test]
    fn a_writer_dropped_without_commit_leaves_the_old_file_and_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("results.json");
        write_atomic(&path, "old").unwrap();
        let mut file = AtomicFile::create(&path).unwrap();
        file.write_all(b"half").unwrap();
        drop(file);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "old");
        assert!(temporaries(dir.path()).is_empty());
    }

    #[cfg(unix)]
    #[test]
    fn written_files_are_ordinary_files_not_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.md");
        write_atomic(&path, "x").unwrap();
        let copy = dir.path().join("copy.md");
        copy_atomic(&path, &copy).unwrap();
        let plain = dir.path().join("plain.md");
        std::fs::write(&plain, "x").unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), mode(&plain), "as File::create makes them");
        assert_eq!(mode(&copy), mode(&plain));
    }
}
