//! Edits of a scenario's TOML document by dotted path (`cluster.read_quorum`).
//!
//! Derived scenarios (shrink candidates, sweep points) are made by editing the
//! user's own document and validating the result with `Scenario::parse`, so
//! they get exactly the checks and defaults a hand-written file would.

use anyhow::{Context, bail};
use toml::Value;
use toml::map::Map;

/// A scenario document.
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioDoc {
    root: Map<String, Value>,
}

impl ScenarioDoc {
    pub fn parse(text: &str) -> anyhow::Result<ScenarioDoc> {
        let root: Map<String, Value> = toml::from_str(text).context("not a TOML document")?;
        Ok(ScenarioDoc { root })
    }

    pub fn to_toml(&self) -> String {
        toml::to_string(&self.root).expect("a TOML document serialises")
    }

    /// The value at a dotted path, if present.
    pub fn get(&self, path: &str) -> Option<&Value> {
        let (parents, last) = split(path);
        let mut table = &self.root;
        for key in parents {
            table = table.get(key)?.as_table()?;
        }
        table.get(last)
    }

    /// Sets the value at a dotted path, creating tables on the way.
    pub fn set(&mut self, path: &str, value: Value) -> anyhow::Result<()> {
        let (parents, last) = split(path);
        if last.is_empty() {
            bail!("empty path");
        }
        let mut table = &mut self.root;
        for key in parents {
            let entry = table
                .entry(key.to_string())
                .or_insert_with(|| Value::Table(Map::new()));
            table = match entry {
                Value::Table(t) => t,
                _ => bail!("{path}: {key} is not a table"),
            };
        }
        table.insert(last.to_string(), value);
        Ok(())
    }

    /// Removes the value at a dotted path; returns whether it was there.
    pub fn remove(&mut self, path: &str) -> bool {
        let (parents, last) = split(path);
        let mut table = &mut self.root;
        for key in parents {
            match table.get_mut(key) {
                Some(Value::Table(t)) => table = t,
                _ => return false,
            }
        }
        table.remove(last).is_some()
    }

    /// The number of entries of an array at the top level (e.g. `faults`).
    pub fn array_len(&self, key: &str) -> usize {
        self.root
            .get(key)
            .and_then(Value::as_array)
            .map_or(0, Vec::len)
    }

    /// Removes entry `index` of a top-level array (e.g. one of the `[[faults]]`).
    pub fn remove_array_item(&mut self, key: &str, index: usize) -> bool {
        match self.root.get_mut(key) {
            Some(Value::Array(items)) if index < items.len() => {
                items.remove(index);
                true
            }
            _ => false,
        }
    }
}

fn split(path: &str) -> (Vec<&str>, &str) {
    let mut parts: Vec<&str> = path.split('.').collect();
    let last = parts.pop().unwrap_or("");
    (parts, last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn get_set_remove_by_path() {
        let mut doc =
            ScenarioDoc::parse("name = \"x\"\n[cluster]\nnodes = 3\n[[faults]]\nat = \"1s\"\n")
                .unwrap();
        assert_eq!(doc.get("cluster.nodes"), Some(&Value::Integer(3)));
        doc.set("cluster.nodes", Value::Integer(5)).unwrap();
        doc.set("workload.ops", Value::Integer(10)).unwrap();
        assert_eq!(doc.get("workload.ops"), Some(&Value::Integer(10)));
        assert!(
            doc.set("name.x", Value::Integer(1)).is_err(),
            "name is not a table"
        );
        assert_eq!(doc.array_len("faults"), 1);
        assert!(doc.remove_array_item("faults", 0));
        assert_eq!(doc.array_len("faults"), 0);
        assert!(doc.remove("cluster.nodes"));
        assert!(!doc.remove("cluster.nodes"));
        let again = ScenarioDoc::parse(&doc.to_toml()).unwrap();
        assert_eq!(again, doc);
    }
}
