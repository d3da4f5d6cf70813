//! Reading saved reports back (`mailtls explain`): a JSON document, NDJSON
//! lines, or one report; the facts of each check, grouped as they were judged.

use serde_json::Value;

use super::Report;
use crate::facts::CheckFacts;

/// One target's saved result.
#[derive(Debug)]
pub enum Saved {
    /// The facts of each address checked for one input, to be judged again.
    Checked(Vec<CheckFacts>),
    /// A result with no facts (an input that is not a target): kept as it was.
    Kept(Box<Report>),
}

/// The saved results in `text`, in their order. Reports of one input that
/// follow each other (`--all-addresses`) form one group, judged together.
pub fn read(text: &str) -> Result<Vec<Saved>, String> {
    let values: Vec<Value> = match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(document)) if document.contains_key("reports") => {
            match document.get("reports") {
                Some(Value::Array(reports)) => reports.clone(),
                _ => return Err("its \"reports\" is not a list".to_owned()),
            }
        }
        Ok(report @ Value::Object(_)) => vec![report],
        Ok(_) => return Err("it is JSON, but neither a document nor a report".to_owned()),
        Err(whole) => {
            let mut values = Vec::new();
            for (n, line) in text
                .lines()
                .enumerate()
                .filter(|(_, l)| !l.trim().is_empty())
            {
                values.push(serde_json::from_str(line).map_err(|e| match n {
                    0 => format!("it is not JSON ({whole})"),
                    _ => format!("line {} is not JSON ({e})", n + 1),
                })?);
            }
            values
        }
    };
    let mut saved: Vec<Saved> = Vec::new();
    let mut last_input: Option<String> = None;
    for (n, value) in values.into_iter().enumerate() {
        let input = value
            .get("input")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let facts = value.get("facts").cloned().unwrap_or(Value::Null);
        if facts.is_null() {
            let report: Report = serde_json::from_value(value)
                .map_err(|e| format!("report {} does not read as a report: {e}", n + 1))?;
            saved.push(Saved::Kept(Box::new(report)));
            last_input = None;
            continue;
        }
        let facts: CheckFacts = serde_json::from_value(facts)
            .map_err(|e| format!("the facts of report {} do not read back: {e}", n + 1))?;
        match saved.last_mut() {
            Some(Saved::Checked(group)) if input.is_some() && input == last_input => {
                group.push(facts)
            }
            _ => saved.push(Saved::Checked(vec![facts])),
        }
        last_input = input;
    }
    if saved.is_empty() {
        return Err("it holds no report".to_owned());
    }
    Ok(saved)
}
