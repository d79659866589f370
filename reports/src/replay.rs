//! The command that replays one seed, `storesim replay <file> --seed S`,
//! quoted for a POSIX shell: one place for the terminal's breach lines,
//! shrink's output and the reports' tables.

use std::borrow::Cow;

/// `program replay <scenario_file> --seed <seed>`, each word quoted when a
/// shell would not read it as itself. The CLI passes the program name it
/// was started with (so the line can be pasted as is); a report passes
/// `storesim` (same results, same bytes, wherever they are rendered).
pub fn replay_command(program: &str, scenario_file: &str, seed: u64) -> String {
    format!(
        "{} replay {} --seed {seed}",
        shell_quote(program),
        shell_quote(scenario_file)
    )
}

/// `arg` as one word of a POSIX shell command line.
///
/// Words of letters, digits and `-_./=:@%+,` (not starting with `=`, which
/// zsh expands) stay as they are: as an argument they are literal in every
/// POSIX shell, and sweep's run folders (`cluster.read_quorum=2,1`) are made
/// of them. Anything else is quoted by the `shlex` crate, which also knows
/// the corners (control characters, `!` and `^` in interactive shells, Fish's
/// backslashes). A NUL byte cannot occur in a path or an argument; if one
/// does, it is kept rather than refused, since the line is only ever shown.
pub fn shell_quote(arg: &str) -> Cow<'_, str> {
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_./=:@%+,".contains(c);
    if !arg.is_empty() && !arg.starts_with('=') && arg.chars().all(plain) {
        return Cow::Borrowed(arg);
    }
    shlex::Quoter::new()
        .allow_nul(true)
        .quote(arg)
        .unwrap_or(Cow::Borrowed(arg))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_words_stay_as_they_are() {
        assert_eq!(
            replay_command("storesim", "out/cluster.read_quorum=2,1/scenario.toml", 7),
            "storesim replay out/cluster.read_quorum=2,1/scenario.toml --seed 7"
        );
    }

    #[test]
    fn other_words_are_quoted_so_a_shell_reads_them_back() {
        for arg in ["a dir/it's.toml", "$HOME/x", "", "=x", "a\tb", "!x", "é y"] {
            let quoted = shell_quote(arg);
            assert_ne!(quoted, arg, "{arg:?} needs quoting");
            assert_eq!(
                shlex::split(&quoted),
                Some(vec![arg.to_string()]),
                "{quoted} reads back as {arg:?}"
            );
        }
    }
}
