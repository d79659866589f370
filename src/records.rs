//! `seeds.jsonl`: a run's per-seed records, one `SeedResult` per line
//! (compact JSON), each seed once, ascending.
//!
//! Written as seeds finish ([`Sink`]) and read back a line at a time
//! ([`Reader`]), so neither `run` nor `merge` ever holds more than a bounded
//! handful of records, however many seeds a run covers.

use crate::output::AtomicFile;
use anyhow::{Context, bail};
use reports::SeedResult;
use reports::results::Digest;
use reports::table::Rows;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// The file's name in a run folder.
pub const FILE: &str = "seeds.jsonl";

/// The longest line read: a record is about 2 KB, so anything near this is
/// not one (and must not be read whole into memory).
const LINE_BYTES_MAX: u64 = 1 << 20;

/// Where a run's records go, in ascending seed order: `seeds.jsonl` (through
/// a temporary file, renamed into place by [`Sink::finish`]), the
/// [`Digest`] for `results.json` and the [`Rows`] of the terminal summary.
pub struct Sink {
    file: AtomicFile,
    last: Option<u64>,
    digest: Digest,
    rows: Rows,
}

impl Sink {
    /// Starts `dir/seeds.jsonl`.
    pub fn create(dir: &Path) -> anyhow::Result<Sink> {
        Ok(Sink {
            file: AtomicFile::create(&dir.join(FILE))?,
            last: None,
            digest: Digest::default(),
            rows: Rows::default(),
        })
    }

    /// Appends one record; seeds must come in strictly ascending order.
    pub fn push(&mut self, seed: &SeedResult) -> anyhow::Result<()> {
        if let Some(last) = self.last
            && seed.seed <= last
        {
            bail!(
                "internal error: seed {} handed over after seed {last}",
                seed.seed
            );
        }
        self.last = Some(seed.seed);
        self.digest.add(seed);
        self.rows.add(seed);
        let mut line = seed.to_line();
        line.push('\n');
        self.file.write_all(line.as_bytes())
    }

    /// Puts `seeds.jsonl` in place; returns the digest and rows of every
    /// record pushed.
    pub fn finish(self) -> anyhow::Result<(Digest, Rows)> {
        self.file.commit()?;
        Ok((self.digest, self.rows))
    }
}

/// The records of a run folder's `seeds.jsonl`, one at a time. Each item is
/// a record or an error naming the file and line (not JSON, not a record,
/// too long, or a seed not above the one before).
pub struct Reader {
    path: PathBuf,
    input: BufReader<File>,
    line: usize,
    last: Option<u64>,
}

impl Reader {
    /// Opens `dir/seeds.jsonl`.
    pub fn open(dir: &Path) -> anyhow::Result<Reader> {
        let path = dir.join(FILE);
        let file = File::open(&path).with_context(|| format!("cannot read {}", path.display()))?;
        Ok(Reader {
            path,
            input: BufReader::new(file),
            line: 0,
            last: None,
        })
    }

    /// The next line without its end, or `None` at the end of the file.
    fn next_line(&mut self) -> anyhow::Result<Option<String>> {
        let mut text = String::new();
        let at = || format!("{}:{}", self.path.display(), self.line + 1);
        let read = (&mut self.input)
            .take(LINE_BYTES_MAX + 1)
            .read_line(&mut text)
            .with_context(|| format!("{}: cannot read the line (not UTF-8?)", at()))?;
        if read == 0 {
            return Ok(None);
        }
        if read as u64 > LINE_BYTES_MAX {
            bail!(
                "{}: longer than {LINE_BYTES_MAX} bytes: not a seed record",
                at()
            );
        }
        self.line += 1;
        let end = text.trim_end_matches(['\n', '\r']).len();
        text.truncate(end);
        Ok(Some(text))
    }

    fn next_record(&mut self) -> anyhow::Result<Option<SeedResult>> {
        let Some(text) = self.next_line()? else {
            return Ok(None);
        };
        let at = format!("{}:{}", self.path.display(), self.line);
        let record: SeedResult = serde_json::from_str(&text)
            .with_context(|| format!("{at}: not a seed record of storesim"))?;
        if let Some(last) = self.last
            && record.seed <= last
        {
            bail!(
                "{at}: seed {} after seed {last}: {FILE} lists each seed once, ascending",
                record.seed
            );
        }
        self.last = Some(record.seed);
        Ok(Some(record))
    }
}

impl Iterator for Reader {
    type Item = anyhow::Result<SeedResult>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_record().transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use check::{CheckName, Verdict};

    fn record(seed: u64) -> SeedResult {
        SeedResult {
            seed,
            ops: 3,
            ok: 2,
            fail: 1,
            info: 0,
            messages: 9,
            sim_time_ns: 10,
            checks: [(CheckName::Convergence, Verdict::Valid)].into(),
            history_hash: "ab".into(),
            swarm: Default::default(),
            trace_hash: "cd".into(),
            metrics: Default::default(),
        }
    }

    #[test]
    fn records_written_read_back_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let mut sink = Sink::create(dir.path()).unwrap();
        for seed in [2, 5, 9] {
            sink.push(&record(seed)).unwrap();
        }
        assert!(
            !dir.path().join(FILE).exists(),
            "not in place before finish"
        );
        assert!(sink.push(&record(9)).is_err(), "each seed once, ascending");
        let (digest, _) = sink.finish().unwrap();
        assert_eq!(digest.count, 3);
        let back: Vec<SeedResult> = Reader::open(dir.path())
            .unwrap()
            .collect::<anyhow::Result<_>>()
            .unwrap();
        assert_eq!(back, [2, 5, 9].map(record));
    }

    #[test]
    fn bad_lines_are_named_by_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let good = record(1).to_line();
        let cases = [
            (format!("{good}\nnot json\n"), ":2: not a seed record"),
            (format!("{good}\n{good}\n"), ":2: seed 1 after seed 1"),
            (format!("{good}\n\n"), ":2: not a seed record"),
            (format!("{{}}\n{good}\n"), ":1: not a seed record"),
        ];
        for (text, says) in cases {
            std::fs::write(dir.path().join(FILE), text).unwrap();
            let err = Reader::open(dir.path())
                .unwrap()
                .collect::<anyhow::Result<Vec<_>>>()
                .unwrap_err();
            let err = format!("{err:#}");
            assert!(err.contains(FILE) && err.contains(says), "{says}: {err}");
        }
    }
}
