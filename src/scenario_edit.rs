//! Edits of a scenario's TOML document by dotted path (`cluster.read_quorum`).
//!
//! Derived scenarios (shrink candidates, sweep points) are made by editing the
//! user's own document and validating the result with `Scenario::parse`, so
//! they get exactly the checks and defaults a hand-written file would.
//!
//! The document is kept with `toml_edit`, so what the user wrote survives an
//! edit: comments, the order of keys and tables, and the spelling of every
//! value not edited (`"10s"` stays `"10s"`). An edited value keeps the
//! comment after it on its line.

use anyhow::{Context, bail};
use toml::Value;
use toml_edit::{DocumentMut, Item, TableLike};

/// A scenario document.
#[derive(Debug, Clone)]
pub struct ScenarioDoc {
    doc: DocumentMut,
}

impl ScenarioDoc {
    pub fn parse(text: &str) -> anyhow::Result<ScenarioDoc> {
        let doc: DocumentMut = text.parse().context("not a TOML document")?;
        Ok(ScenarioDoc { doc })
    }

    /// The document as text: the input with the edits, comments kept.
    pub fn to_toml(&self) -> String {
        self.doc.to_string()
    }

    /// The value at a dotted path, if present (tables as `Value::Table`).
    pub fn get(&self, path: &str) -> Option<Value> {
        let (parents, last) = split(path);
        let mut table: &dyn TableLike = self.doc.as_table();
        for key in parents {
            table = table.get(key)?.as_table_like()?;
        }
        plain(table.get(last)?)
    }

    /// Sets the value at a dotted path, creating tables on the way. A value
    /// already there is replaced in place, keeping its comments.
    pub fn set(&mut self, path: &str, value: Value) -> anyhow::Result<()> {
        let (parents, last) = split(path);
        if last.is_empty() {
            bail!("empty path");
        }
        let (table, inline) = self.table_mut(&parents, path)?;
        let new = edit_value(&value);
        match table.get_mut(last) {
            Some(Item::Value(old)) => {
                let decor = old.decor().clone();
                *old = new;
                *old.decor_mut() = decor;
            }
            _ => {
                table.insert(last, Item::Value(new));
                if inline {
                    // `{ a = 1 , b = 2 }` otherwise: the old last entry keeps
                    // its trailing space. Inline tables hold no comments.
                    table.fmt();
                }
            }
        }
        Ok(())
    }

    /// Replaces the table at a top-level `key` (e.g. `expect`) by `entries`,
    /// in the same place and under the same header comment, or appends it.
    pub fn set_table(&mut self, key: &str, entries: &[(&str, Value)]) {
        let mut table = match self.doc.remove(key) {
            Some(Item::Table(mut old)) => {
                old.clear();
                old
            }
            _ => toml_edit::Table::new(),
        };
        for (name, value) in entries {
            table.insert(name, Item::Value(edit_value(value)));
        }
        self.doc.insert(key, Item::Table(table));
    }

    /// Removes the value at a dotted path; returns whether it was there.
    pub fn remove(&mut self, path: &str) -> bool {
        let (parents, last) = split(path);
        let mut table: &mut dyn TableLike = self.doc.as_table_mut();
        for key in parents {
            match table.get_mut(key).and_then(Item::as_table_like_mut) {
                Some(t) => table = t,
                None => return false,
            }
        }
        table.remove(last).is_some()
    }

    /// Keeps the entries of the array at a dotted path (`[[cluster.slow]]`
    /// tables or an inline array) that `keep` accepts, each read as a plain
    /// value; kept entries keep their comments, and an array left empty is
    /// removed. Returns how many entries went.
    pub fn retain_entries(&mut self, path: &str, keep: impl Fn(&Value) -> bool) -> usize {
        let (parents, last) = split(path);
        let mut table: &mut dyn TableLike = self.doc.as_table_mut();
        for key in parents {
            match table.get_mut(key).and_then(Item::as_table_like_mut) {
                Some(t) => table = t,
                None => return 0,
            }
        }
        let (before, after) = match table.get_mut(last) {
            Some(Item::ArrayOfTables(items)) => {
                let before = items.len();
                items.retain(|t| plain(&Item::Table(t.clone())).is_none_or(|v| keep(&v)));
                (before, items.len())
            }
            Some(Item::Value(toml_edit::Value::Array(items))) => {
                let before = items.len();
                items.retain(|v| plain(&Item::Value(v.clone())).is_none_or(|v| keep(&v)));
                (before, items.len())
            }
            _ => return 0,
        };
        if after == 0 {
            table.remove(last);
        }
        before - after
    }

    /// The number of entries of an array at the top level (e.g. `faults`),
    /// written as `[[faults]]` tables or as an inline array.
    #[cfg(test)]
    pub fn array_len(&self, key: &str) -> usize {
        match self.doc.get(key) {
            Some(Item::ArrayOfTables(items)) => items.len(),
            Some(Item::Value(toml_edit::Value::Array(items))) => items.len(),
            _ => 0,
        }
    }

    /// Replaces the top-level array `key` (e.g. `faults`) by `rows`, one
    /// `[[key]]` table each, in the same place (or appended); no rows removes
    /// it. The old entries' comments go with them: callers rewrite the array
    /// only when its entries change.
    pub fn set_array_of_tables(&mut self, key: &str, rows: &[Vec<(&str, Value)>]) {
        if rows.is_empty() {
            self.doc.remove(key);
            return;
        }
        let mut array = toml_edit::ArrayOfTables::new();
        for row in rows {
            let mut table = toml_edit::Table::new();
            for (name, value) in row {
                table.insert(name, Item::Value(edit_value(value)));
            }
            array.push(table);
        }
        match self.doc.get_mut(key) {
            Some(item) => *item = Item::ArrayOfTables(array),
            None => {
                self.doc.insert(key, Item::ArrayOfTables(array));
            }
        }
    }

    /// The table at `parents`, created where missing: as an implicit
    /// `[table]` under a table, as an inline `{ ... }` under an inline or
    /// dotted one (where a `[table]` could not be written).
    /// Also says whether the table is inline.
    fn table_mut(
        &mut self,
        parents: &[&str],
        path: &str,
    ) -> anyhow::Result<(&mut dyn TableLike, bool)> {
        let mut table: &mut dyn TableLike = self.doc.as_table_mut();
        let mut inline = false;
        for key in parents {
            if table.get(key).is_none() {
                let child = if inline || table.is_dotted() {
                    Item::Value(toml_edit::InlineTable::new().into())
                } else {
                    let mut t = toml_edit::Table::new();
                    t.set_implicit(true);
                    Item::Table(t)
                };
                table.insert(key, child);
            }
            let Some(item) = table.get_mut(key) else {
                bail!("{path}: cannot create {key}");
            };
            inline |= item.is_value();
            table = match item.as_table_like_mut() {
                Some(t) => t,
                None => bail!("{path}: {key} is not a table"),
            };
        }
        Ok((table, inline))
    }
}

/// A `toml_edit` item as a plain `toml::Value`, read back from its text.
fn plain(item: &Item) -> Option<Value> {
    let text = match item {
        Item::None => return None,
        Item::Value(v) => format!("v = {}", v.to_string().trim()),
        Item::Table(t) => {
            let mut doc = DocumentMut::new();
            doc.insert("v", Item::Table(t.clone()));
            doc.to_string()
        }
        Item::ArrayOfTables(a) => {
            let mut doc = DocumentMut::new();
            doc.insert("v", Item::ArrayOfTables(a.clone()));
            doc.to_string()
        }
    };
    let mut table: toml::Table = toml::from_str(&text).ok()?;
    table.remove("v")
}

/// A plain value as a `toml_edit` one, tables as inline tables.
fn edit_value(value: &Value) -> toml_edit::Value {
    match value {
        Value::String(s) => s.as_str().into(),
        Value::Integer(i) => (*i).into(),
        Value::Float(f) => (*f).into(),
        Value::Boolean(b) => (*b).into(),
        Value::Datetime(d) => d
            .to_string()
            .parse()
            .unwrap_or_else(|_| d.to_string().into()),
        Value::Array(items) => items
            .iter()
            .map(edit_value)
            .collect::<toml_edit::Array>()
            .into(),
        Value::Table(t) => {
            let mut inline = toml_edit::InlineTable::new();
            for (k, v) in t {
                inline.insert(k, edit_value(v));
            }
            inline.into()
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
        assert_eq!(doc.get("cluster.nodes"), Some(Value::Integer(3)));
        doc.set("cluster.nodes", Value::Integer(5)).unwrap();
        doc.set("workload.ops", Value::Integer(10)).unwrap();
        assert_eq!(doc.get("workload.ops"), Some(Value::Integer(10)));
        assert!(
            doc.set("name.x", Value::Integer(1)).is_err(),
            "name is not a table"
        );
        assert_eq!(doc.array_len("faults"), 1);
        doc.set_array_of_tables("faults", &[]);
        assert_eq!(doc.array_len("faults"), 0);
        assert!(doc.remove("cluster.nodes"));
        assert!(!doc.remove("cluster.nodes"));
        let again = ScenarioDoc::parse(&doc.to_toml()).unwrap();
        assert_eq!(again.to_toml(), doc.to_toml());
        assert_eq!(again.get("workload.ops"), Some(Value::Integer(10)));
    }

    /// Issue 12: a derived scenario is the user's file with edits, so its
    /// comments, order and spellings survive, and an edited value keeps the
    /// comment on its line.
    #[test]
    fn comments_order_and_untouched_values_survive_an_edit() {
        let text = "# why this scenario exists\nname = \"x\"\nduration = \"10s\"   # faulty phase\n\n[workload]\n# the load\nops = 600   # in all\nmix = { get = 0.5, put = 0.5 }\n\n[[faults]]\nkind = \"crash\" # one crash\n\n[expect]   # what should happen\nlinearizable = \"pass\"  # old\n";
        let mut doc = ScenarioDoc::parse(text).unwrap();
        doc.set("workload.ops", Value::Integer(300)).unwrap();
        doc.set("workload.mix.get", Value::Float(0.25)).unwrap();
        doc.set("workload.mix.delete", Value::Float(0.25)).unwrap();
        doc.set_table("expect", &[("linearizable", Value::String("fail".into()))]);
        let out = doc.to_toml();
        for kept in [
            "# why this scenario exists\nname = \"x\"\nduration = \"10s\"   # faulty phase\n",
            "[workload]\n# the load\nops = 300   # in all\n",
            "mix = { get = 0.25, put = 0.5, delete = 0.25 }",
            "kind = \"crash\" # one crash",
            "[expect]   # what should happen\nlinearizable = \"fail\"\n",
        ] {
            assert!(out.contains(kept), "{kept:?} not in\n{out}");
        }
        assert!(out.find("[workload]") < out.find("[[faults]]"), "{out}");
        assert!(out.find("[[faults]]") < out.find("[expect]"), "{out}");
    }

    #[test]
    fn an_array_of_tables_is_replaced_in_place() {
        let mut doc = ScenarioDoc::parse(
            "name = \"x\"\n[[faults]]\nkind = \"crash\"\n[expect]\nconvergence = \"pass\"\n",
        )
        .unwrap();
        let row = |at: &str| {
            vec![
                ("kind", Value::String("pause".into())),
                ("at", Value::String(at.into())),
            ]
        };
        doc.set_array_of_tables("faults", &[row("1s"), row("2s")]);
        assert_eq!(doc.array_len("faults"), 2);
        let out = doc.to_toml();
        assert!(!out.contains("crash"), "{out}");
        assert!(out.find("[[faults]]") < out.find("[expect]"), "{out}");
        let plain: toml::Table = toml::from_str(&out).unwrap();
        assert_eq!(plain["faults"][1]["at"].as_str(), Some("2s"));
        doc.set_array_of_tables("faults", &[]);
        assert_eq!(doc.array_len("faults"), 0);
    }

    #[test]
    fn tables_are_created_where_missing_and_read_back_whole() {
        let mut doc = ScenarioDoc::parse("name = \"x\"\n").unwrap();
        doc.set("network.latency.dist", Value::String("fixed".into()))
            .unwrap();
        let out = doc.to_toml();
        let plain: toml::Table = toml::from_str(&out).unwrap();
        assert_eq!(
            plain["network"]["latency"]["dist"].as_str(),
            Some("fixed"),
            "{out}"
        );
        let network = doc.get("network").expect("a table");
        assert_eq!(network["latency"]["dist"].as_str(), Some("fixed"));
        assert!(doc.get("nemesis").is_none());
    }
}
