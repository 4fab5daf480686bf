//! How a plan is shown: the operation list (`!` where data can be lost, with row counts), the
//! open questions with the flags that answer them, and the JSON form for programs. The JSON is
//! documented in docs/json.md and kept stable: fields are added, never renamed or removed.

use anstream::{print, println};
use makemigrations_core::diff::Note;
use makemigrations_core::questions::{listing, rows as rows_text, Question};
use makemigrations_core::Operation;
use serde_json::{json, Value};

use super::style::{self, paint};
use super::Format;
use crate::autodetect::{Compared, Plan};
use crate::error::Error;
use crate::report::{OperationView, PlannedAction, RunPlan, FORMAT_VERSION};

/// `  ! Drop column users.bio (users has 1,204 rows)`, `  + Add column users.phone`.
pub(super) fn print_operations(operations: &[Operation], rows: &[Option<u64>]) {
    for (op, rows) in operations.iter().zip(rows) {
        let loses = op.loses_data();
        let symbol = if loses.is_some() {
            '!'
        } else {
            op.category().symbol()
        };
        let count = match (loses, rows) {
            (Some(why), Some(n)) => format!("  ({why}; {} now)", rows_text(*n)),
            (Some(why), None) => format!("  ({why})"),
            _ => String::new(),
        };
        println!(
            "  {} {}{count}",
            paint(style::of_symbol(symbol), symbol),
            op.describe()
        );
    }
}

/// `Note: artists.name is NVARCHAR(70) in the database and text in the entity, ...`: what the
/// differ saw and left alone on purpose, one line each, after the operations.
pub(super) fn print_notes(notes: &[Note]) {
    for note in notes {
        println!("Note: {}", note.describe());
    }
}

pub(super) fn print_plan(compared: &Compared, plan: &Plan, format: Format) {
    match format {
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(&plan_json(compared, plan)).expect("plan serializes")
        ),
        Format::Text => {
            if plan.operations.is_empty() && plan.unanswered.is_empty() {
                println!("No changes detected");
            } else {
                println!("Operations:");
                print_operations(&plan.operations, &plan.rows);
            }
            print_notes(&compared.notes);
            if !plan.unanswered.is_empty() {
                println!("Questions to answer before the migration can be written:");
                print!("{}", listing(&plan.unanswered));
            }
            println!("Schema hash: {}", compared.schema_hash());
        }
    }
}

fn plan_json(compared: &Compared, plan: &Plan) -> Value {
    let operations = operations_json(&plan.operations, &plan.rows);
    let notes: Vec<String> = compared
        .stored_alike
        .iter()
        .map(|c| format!("stored like another type here: {}", c.describe()))
        .chain(compared.notes.iter().map(Note::describe))
        .chain(
            (!compared.unmanaged.is_empty())
                .then(|| format!("left alone: {}", compared.unmanaged.join(", "))),
        )
        .chain(
            plan.unused
                .iter()
                .map(|s| format!("{s} answers no question (ignored)")),
        )
        .collect();
    json!({
        "format_version": FORMAT_VERSION,
        "schema_hash": compared.schema_hash(),
        "operations": operations,
        "questions": plan.unanswered.iter().map(question_json).collect::<Vec<_>>(),
        "answered": plan.answered.iter().map(|(q, a)| json!({"id": q.id, "answer": a})).collect::<Vec<_>>(),
        "notes": notes,
    })
}

fn question_json(question: &Question) -> Value {
    json!({
        "id": question.id,
        "kind": question.kind(),
        "text": question.text(),
        "rows": question.rows,
        "choices": question.choices(),
    })
}

/// `{"error": {"code": "stale_answers", "message": "..."}}`, with the open questions when
/// that is the error.
pub(super) fn error_json(error: &Error) -> String {
    let mut out = json!({
        "format_version": FORMAT_VERSION,
        "error": {"code": error.code(), "exit_code": error.exit_code(), "message": error.to_string()},
    });
    if let Error::Unanswered(questions) = error {
        out["questions"] = questions.iter().map(question_json).collect();
    }
    out.to_string()
}

/// A usage error (an unknown flag, a bad value) as the error document of every command.
pub(super) fn usage_error_json(message: &str) -> String {
    json!({
        "format_version": FORMAT_VERSION,
        "error": {"code": "usage", "exit_code": 2, "message": message},
    })
    .to_string()
}

/// `makemigrations --snapshot-only --format json`: the snapshot written (`null`: it already
/// said what the entities declare); never a migration.
pub(super) fn snapshot_only_json(snapshot: Option<&str>) -> String {
    json!({
        "format_version": FORMAT_VERSION,
        "written": null,
        "snapshot": snapshot,
        "operations": [],
        "notes": [],
    })
    .to_string()
}

/// What a `makemigrations --format json` run did: the file it wrote (`null` when none: no
/// changes, `--check`, `--dry-run`), its operations, and the differences left as notes.
pub(super) fn result_json(
    written: Option<&str>,
    operations: &[Operation],
    rows: &[Option<u64>],
    notes: &[Note],
) -> String {
    json!({
        "format_version": FORMAT_VERSION,
        "written": written,
        "operations": operations_json(operations, rows),
        "notes": notes.iter().map(Note::describe).collect::<Vec<_>>(),
    })
    .to_string()
}

/// `makemigrations --merge --format json`: the merge migration written (`null`: none, with
/// `--dry-run` or one head) and the heads it joins (empty with one head).
pub(super) fn merge_json(written: Option<&str>, heads: &[String]) -> String {
    json!({
        "format_version": FORMAT_VERSION,
        "written": written,
        "merged": heads,
    })
    .to_string()
}

/// The adoption's result: the baseline written (and its operations) and the differences by kind.
pub(super) fn baseline_json(
    written: Option<&str>,
    operations: &[Operation],
    differences: &[makemigrations_core::adoption::KindOfDifference],
) -> String {
    json!({
        "format_version": FORMAT_VERSION,
        "written": written,
        "baseline": true,
        "operations": operations_json(operations, &vec![None; operations.len()]),
        "differences": differences.iter().map(|k| json!({
            "keep": k.keep.as_ref().map(|keep| keep.code()),
            "describe": k.keep.as_ref().map_or("other changes".to_string(), |keep| keep.describe()),
            "subjects": k.subjects,
        })).collect::<Vec<_>>(),
    })
    .to_string()
}

fn operations_json(operations: &[Operation], rows: &[Option<u64>]) -> Vec<Value> {
    operations
        .iter()
        .zip(rows)
        .map(|(op, rows)| json!(OperationView::new(op, *rows)))
        .collect()
}

/// One report as a JSON document on standard output (docs/json.md).
pub(super) fn print_json(report: &impl serde::Serialize) {
    println!(
        "{}",
        serde_json::to_string_pretty(report).expect("reports serialize")
    );
}

/// `migrate --plan`, `rollback --plan`: each migration in the order it would be done, how, and
/// the `// !` lines of what would run.
pub(super) fn print_run_plan(plan: &RunPlan, format: Format) {
    if format == Format::Json {
        print_json(plan);
        return;
    }
    let count = plan.migrations.len();
    if let Some(name) = &plan.clears_half_applied {
        println!("Would clear the half-applied record of {name}.");
    }
    if plan.records_checksums {
        println!("Would record the checksums of the migrations applied before they were kept.");
    }
    let undoing = plan.command == "rollback";
    match (count, undoing, plan.fake) {
        (0, false, _) => println!("No migrations to apply."),
        (0, true, _) => println!("No migrations to roll back."),
        (_, false, false) => println!("Would apply {count} migration(s), in this order:"),
        (_, false, true) => println!(
            "Would record {count} migration(s) as applied, without running them, in this order:"
        ),
        (_, true, false) => println!("Would revert {count} migration(s), in this order:"),
        (_, true, true) => println!(
            "Would record {count} migration(s) as not applied, without running their down, in this order:"
        ),
    }
    for migration in &plan.migrations {
        let how = match migration.action {
            PlannedAction::RecordBaseline => {
                "  (recorded as applied without running: a baseline whose tables exist here)"
            }
            PlannedAction::RecordSquashed => {
                "  (recorded as applied without running: the migrations it replaces are applied here)"
            }
            _ => "",
        };
        println!("  {}{how}", migration.name);
        for line in &migration.data_loss {
            println!("    ! {line}");
        }
    }
    if plan.loses_data() {
        let how = if undoing {
            "their data cannot be restored (`// !` in down)"
        } else {
            "they lose data (`// !` in up); `migrate` asks first at a terminal"
        };
        println!("Steps marked ! are in the migration files: {how}.");
    }
    println!("Nothing was changed: this is a plan (without --plan the command runs it).");
}
