//! Golden tests in rust-analyzer's style: every `tests/data/<kind>/*.txt`
//! holds one expression (plus `@` header lines for its inputs); the output
//! (the compiled tree, evaluation results, or DynamoDB's error message) must
//! equal the `.expected` file beside it. `UPDATE_EXPECT=1 cargo test -p
//! ferry-expr --test golden` rewrites the expectations.
//!
//! Header lines:
//! - `@names {"#a": "a"}` — ExpressionAttributeNames (JSON)
//! - `@values {":v": {"S": "x"}}` — ExpressionAttributeValues (DynamoDB JSON)
//! - `@kind FilterExpression` — the parameter name for conditions
//! - `@schema pk:S sk:N` — the key schema for key conditions
//! - `@item {"a": {"N": "1"}}` — an item to evaluate / update / project
//!   (`@item none` for an absent item)

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use ferry_expr::{Condition, KeyCondition, Placeholders, Projection, Update};
use ferry_model::{AttributeValue, Item, KeyAttr, KeySchema, ScalarType};

/// The inputs of one golden case.
#[derive(Default)]
struct Case {
    names: Option<HashMap<String, String>>,
    values: Option<HashMap<String, AttributeValue>>,
    kind: Option<String>,
    schema: Option<KeySchema>,
    item: Option<Option<Item>>,
    expr: String,
}

fn parse_case(text: &str) -> Case {
    let mut case = Case::default();
    let mut expr_lines = Vec::new();
    for line in text.lines() {
        let Some(rest) = line.strip_prefix('@') else {
            expr_lines.push(line);
            continue;
        };
        let (key, arg) = rest.split_once(' ').unwrap_or((rest, ""));
        match key {
            "names" => case.names = Some(serde_json::from_str(arg).expect("@names JSON")),
            "values" => case.values = Some(serde_json::from_str(arg).expect("@values JSON")),
            "kind" => case.kind = Some(arg.trim().to_string()),
            "schema" => case.schema = Some(parse_schema(arg)),
            "item" if arg.trim() == "none" => case.item = Some(None),
            "item" => case.item = Some(Some(serde_json::from_str(arg).expect("@item JSON"))),
            other => panic!("unknown header @{other}"),
        }
    }
    case.expr = expr_lines.join("\n");
    case
}

fn parse_schema(arg: &str) -> KeySchema {
    let attr = |s: &str| {
        let (name, ty) = s.split_once(':').expect("name:TYPE");
        let ty = match ty {
            "S" => ScalarType::S,
            "N" => ScalarType::N,
            _ => ScalarType::B,
        };
        KeyAttr {
            name: name.to_string(),
            ty,
        }
    };
    let mut parts = arg.split_whitespace();
    KeySchema {
        hash: attr(parts.next().expect("hash key")),
        range: parts.next().map(attr),
    }
}

fn show_item(item: &Item) -> String {
    serde_json::to_string(item).expect("items serialize")
}

/// Compile (and run) one case of `kind`, rendering what happened.
fn run(kind: &str, case: &Case) -> String {
    let p = Placeholders::new(case.names.as_ref(), case.values.as_ref());
    let rendered = match kind {
        "condition" => {
            let param = case.kind.as_deref().unwrap_or("ConditionExpression");
            Condition::compile(&case.expr, param, &p).map(|c| render_condition(&c, case))
        }
        "update" => Update::compile(&case.expr, &p).map(|u| render_update(&u, case)),
        "projection" => Projection::compile(&case.expr, &p).map(|proj| {
            let mut out = format!("{proj}\nnames: {:?}\n", proj.top_level_names());
            if let Some(Some(item)) = &case.item {
                out.push_str(&format!("result: {}\n", show_item(&proj.apply(item))));
            }
            out
        }),
        "key_condition" => {
            let schema = case.schema.clone().expect("@schema for key conditions");
            KeyCondition::compile(&case.expr, &schema, &p).map(|k| format!("{k}\n"))
        }
        other => panic!("unknown golden kind {other}"),
    };
    match rendered.and_then(|out| p.check_all_used().map(|()| out)) {
        Ok(out) => out,
        Err(e) => format!("error: {e}\n"),
    }
}

fn render_condition(c: &Condition, case: &Case) -> String {
    let mut out = format!("{c}\nnames: {:?}\n", c.top_level_names());
    if let Some(item) = &case.item {
        out.push_str(&format!("eval: {:?}\n", c.eval(item.as_ref())));
    }
    out
}

fn render_update(u: &Update, case: &Case) -> String {
    let mut out = format!("{u}\ntargets: {:?}\n", u.top_level_targets());
    if let Some(item) = &case.item {
        let mut item = item.clone().unwrap_or_default();
        let old = item.clone();
        match u.apply(&mut item) {
            Ok(()) => {
                out.push_str(&format!("item: {}\n", show_item(&item)));
                out.push_str(&format!(
                    "updated_old: {}\n",
                    show_item(&u.project_updated(&old))
                ));
                out.push_str(&format!(
                    "updated_new: {}\n",
                    show_item(&u.project_updated(&item))
                ));
            }
            Err(e) => out.push_str(&format!("apply error: {e}\n")),
        }
    }
    out
}

/// Compare the output for `input` with the `.expected` file beside it (or
/// rewrite it under `UPDATE_EXPECT=1`); returns a failure description.
fn check(input: &Path, expected_file: &Path) -> Option<String> {
    let kind = input
        .parent()
        .and_then(Path::file_name)
        .and_then(|s| s.to_str())
        .expect("data/<kind>/case.txt");
    let text = fs::read_to_string(input).expect("readable case");
    let actual = run(kind, &parse_case(&text));
    if std::env::var_os("UPDATE_EXPECT").is_some_and(|v| v == "1") {
        fs::write(expected_file, &actual).expect("writable expectation");
        return None;
    }
    let expected = fs::read_to_string(expected_file).unwrap_or_default();
    (expected != actual).then(|| {
        format!(
            "{}\n--- expected\n{expected}--- actual\n{actual}",
            input.display()
        )
    })
}

fn data_dir(kind: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(kind)
}

fn run_dir(kind: &str) {
    let mut inputs: Vec<PathBuf> = fs::read_dir(data_dir(kind))
        .expect("data dir")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    inputs.sort();
    assert!(!inputs.is_empty(), "no cases in {kind}");
    let failures: Vec<String> = inputs
        .iter()
        .filter_map(|input| check(input, &input.with_extension("expected")))
        .collect();
    assert!(
        failures.is_empty(),
        "{} golden case(s) differ (UPDATE_EXPECT=1 rewrites):\n\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn condition_goldens() {
    run_dir("condition");
}

#[test]
fn update_goldens() {
    run_dir("update");
}

#[test]
fn projection_goldens() {
    run_dir("projection");
}

#[test]
fn key_condition_goldens() {
    run_dir("key_condition");
}
