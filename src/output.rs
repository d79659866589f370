//! Writing run folders safely: whole files or nothing, and no mixing of
//! scenarios in one folder.

use anyhow::{Context, bail};
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
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("output");
    let tmp = dir.join(format!(".{name}.tmp"));
    std::fs::write(&tmp, text).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))?;
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
