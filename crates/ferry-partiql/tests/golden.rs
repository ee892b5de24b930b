//! Golden tests in rust-analyzer's style: every `tests/golden/*.partiql`
//! holds one statement (plus `@` header lines); the parsed tree and the plan
//! (or DynamoDB's error message and where it was found) must equal the
//! `.expected` file beside it. `UPDATE_EXPECT=1 cargo test -p ferry-partiql
//! --test golden` rewrites the expectations.
//!
//! Header lines:
//! - `@schema pk:S sk:N` — the key schema (default `pk:S`)
//! - `@params [{"S": "x"}]` — the `Parameters` (DynamoDB JSON)
//! - `@item {"a": {"N": "1"}}` — an item to evaluate the plan's condition
//!   or filter on, apply its update to, or project

use std::fs;
use std::path::{Path, PathBuf};

use ferry_model::{AttributeValue, Item, KeyAttr, KeySchema, ScalarType};
use ferry_partiql::{Plan, parse, plan};

#[derive(Default)]
struct Case {
    schema: Option<KeySchema>,
    params: Vec<AttributeValue>,
    item: Option<Item>,
    statement: String,
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

fn parse_case(text: &str) -> Case {
    let mut case = Case::default();
    let mut lines = Vec::new();
    for line in text.lines() {
        let Some(rest) = line.strip_prefix('@') else {
            lines.push(line);
            continue;
        };
        let (key, arg) = rest.split_once(' ').unwrap_or((rest, ""));
        match key {
            "schema" => case.schema = Some(parse_schema(arg)),
            "params" => case.params = serde_json::from_str(arg).expect("@params JSON"),
            "item" => case.item = Some(serde_json::from_str(arg).expect("@item JSON")),
            other => panic!("unknown header @{other}"),
        }
    }
    case.statement = lines.join("\n");
    case
}

fn show(item: &Item) -> String {
    serde_json::to_string(item).expect("items serialize")
}

/// What `item` does under the plan.
fn run_on(p: &Plan, item: &Item) -> String {
    let eval = |c: &Option<ferry_expr::Condition>| {
        c.as_ref()
            .map_or(Ok(true), |c| c.eval(Some(item)))
            .map_err(|e| e.message)
    };
    match p {
        Plan::Select(s) => {
            let mut out = format!("matches: {:?}\n", eval(&s.filter));
            if let Some(proj) = &s.projection {
                let row: Item = proj
                    .iter()
                    .filter_map(|p| p.extract(item).map(|v| (p.label.clone(), v)))
                    .collect();
                out.push_str(&format!("row: {}\n", show(&row)));
            }
            out
        }
        Plan::Update(u) => {
            let mut new = item.clone();
            let applied = u.update.apply(&mut new).map_err(|e| e.message);
            format!(
                "condition: {:?}\nnew: {}\n",
                eval(&u.condition),
                applied.map_or_else(|e| e, |()| show(&new))
            )
        }
        Plan::Delete(d) => format!("condition: {:?}\n", eval(&d.condition)),
        Plan::Check(c) => format!("condition: {:?}\n", eval(&c.condition)),
        Plan::Insert(_) => String::new(),
    }
}

fn run(case: &Case) -> String {
    let schema = case.schema.clone().unwrap_or_else(|| parse_schema("pk:S"));
    let error = |e: ferry_partiql::PartiqlError| match e.position(&case.statement) {
        Some((line, col)) => format!("error: {} @ {line}:{col}\n", e.message),
        None => format!("error: {}\n", e.message),
    };
    let stmt = match parse(&case.statement) {
        Ok(s) => s,
        Err(e) => return error(e),
    };
    let mut out = format!("{stmt}\n");
    match plan(&stmt, &schema, &case.params) {
        Ok(p) => {
            out.push_str(&p.to_string());
            if let Some(item) = &case.item {
                out.push_str(&run_on(&p, item));
            }
        }
        Err(e) => out.push_str(&error(e)),
    }
    out
}

/// Compare the output for `input` with the `.expected` file beside it (or
/// rewrite it under `UPDATE_EXPECT=1`); returns a failure description.
fn check(input: &Path, expected_file: &Path) -> Option<String> {
    let text = fs::read_to_string(input).expect("readable case");
    let actual = run(&parse_case(&text));
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

#[test]
fn goldens() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut inputs: Vec<PathBuf> = fs::read_dir(&dir)
        .expect("golden dir")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "partiql"))
        .collect();
    inputs.sort();
    assert!(
        inputs.len() > 20,
        "too few golden cases in {}",
        dir.display()
    );
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
