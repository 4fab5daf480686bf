//! `migrate --plan`, `rollback --plan` and `--format json` of the commands that report, through
//! the real binary of one scratch project (three hand-written migrations, one of which drops a
//! column), on every enabled backend: a plan writes nothing and creates no table, marks the steps
//! that lose data, lists a rollback in the order it would run, and refuses as the command itself
//! does; each JSON document parses and has the fields docs/json.md promises.

mod support;

use serde_json::Value;
use support::{migration_source, table_names, Backend, TestProject};

const CREATE: &str = "m20260101_000001_create_notes";
const DROP_BODY: &str = "m20260101_000002_drop_body";
const ADD_TAG: &str = "m20260101_000003_add_tag";
const LOSES: &str = "Drop column plan_notes.body: the data of plan_notes.body is lost";
const CANNOT_RESTORE: &str = "Cannot restore plan_notes.body's data";

fn migrations() -> Vec<(&'static str, String)> {
    vec![
        (
            CREATE,
            migration_source(
                r#"        manager
            .create_table(
                Table::create()
                    .table("plan_notes")
                    .col(ColumnDef::new("id").integer().not_null().primary_key())
                    .col(ColumnDef::new("body").string_len(40).null())
                    .to_owned(),
            )
            .await"#,
                r#"        manager.drop_table(Table::drop().table("plan_notes").to_owned()).await"#,
            ),
        ),
        (
            DROP_BODY,
            migration_source(
                &format!(
                    "        // ! {LOSES}\n        drop_column(manager, \"plan_notes\", \"body\").await"
                ),
                &format!(
                    "        // ! {CANNOT_RESTORE}\n        add_column(manager, \"plan_notes\", ColumnDef::new(\"body\").string_len(40).null()).await"
                ),
            ),
        ),
        (
            ADD_TAG,
            migration_source(
                r#"        add_column(manager, "plan_notes", ColumnDef::new("tag").string_len(20).null()).await"#,
                r#"        drop_column(manager, "plan_notes", "tag").await"#,
            ),
        ),
    ]
}

/// A run with its standard output apart, which a JSON document must be alone on.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self, what: &str) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "{what}: stdout is not one JSON document ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }

    /// The error as the user reads it: standard error from `error:` on (a command that writes
    /// names its database first).
    fn error_text(&self) -> &str {
        self.stderr
            .find("error:")
            .map_or("", |at| &self.stderr[at..])
    }
}

fn run(project: &TestProject, db: &Backend, args: &[&str]) -> Run {
    let out = project.command(db, args).output().unwrap();
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn names(document: &Value, field: &str) -> Vec<String> {
    document[field]
        .as_array()
        .unwrap_or_else(|| panic!("{field} is not an array: {document}"))
        .iter()
        .map(|m| m["name"].as_str().unwrap().to_string())
        .collect()
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {value}"))
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

fn is_utc_rfc3339(value: &Value) -> bool {
    value
        .as_str()
        .is_some_and(|t| t.ends_with('Z') && chrono::DateTime::parse_from_rfc3339(t).is_ok())
}

#[tokio::test(flavor = "multi_thread")]
async fn plans_write_nothing_and_json_reports_parse_on_every_backend() {
    let backends = support::enabled_backends().await;
    let project = TestProject::new();
    project.write_migrations(&migrations());
    project.build();
    for db in &backends {
        pending_plan(&project, db).await;
        let out = project.run(db, &["migrate"]);
        assert!(out.success, "{}: migrate\n{}", db.name(), out.text);
        rollback_plan(&project, db).await;
        applied_reports(&project, db);
        read_only_plans(&project, db).await;
        edited_history(&project, db).await;
    }
}

/// Nothing applied: the plan lists the three migrations in order and marks the drop; it, and
/// every report, leaves the database as it was (no tracking table either).
async fn pending_plan(project: &TestProject, db: &Backend) {
    let name = db.name();
    // SQLite: the file exists before, so that a plan could not be what created it.
    db.execute("SELECT 1").await;
    let before = table_names(db).await;
    assert!(before.is_empty(), "{name}: {before:?}");

    let out = run(project, db, &["migrate", "--plan"]);
    assert_eq!(out.code, Some(0), "{name}: {}{}", out.stdout, out.stderr);
    let at = |text: &str| {
        out.stdout
            .find(text)
            .unwrap_or_else(|| panic!("{name}: no {text:?} in\n{}", out.stdout))
    };
    assert!(
        at("Would apply 3 migration(s)") < at(CREATE)
            && at(CREATE) < at(DROP_BODY)
            && at(DROP_BODY) < at(&format!("    ! {LOSES}"))
            && at(&format!("    ! {LOSES}")) < at(ADD_TAG),
        "{name}:\n{}",
        out.stdout
    );
    assert!(at("Nothing was changed") > 0);

    let plan = run(project, db, &["migrate", "--plan", "--format", "json"]);
    assert_eq!(plan.code, Some(0), "{name}: {}", plan.stderr);
    let plan = plan.json("migrate --plan");
    assert_eq!(plan["format_version"], 1, "{name}: {plan}");
    assert_eq!(plan["command"], "migrate");
    assert_eq!(plan["fake"], false);
    assert_eq!(names(&plan, "migrations"), [CREATE, DROP_BODY, ADD_TAG]);
    for (i, loses) in [vec![], vec![LOSES.to_string()], vec![]].iter().enumerate() {
        let migration = &plan["migrations"][i];
        assert_eq!(migration["action"], "run", "{name}: {migration}");
        assert_eq!(
            &strings(&migration["data_loss"]),
            loses,
            "{name}: {migration}"
        );
    }
    assert_eq!(plan["clears_half_applied"], Value::Null);
    assert_eq!(plan["records_checksums"], false);

    let list = run(project, db, &["showmigrations", "--format", "json"]).json("showmigrations");
    assert_eq!(list["format_version"], 1);
    assert_eq!(names(&list, "migrations"), [CREATE, DROP_BODY, ADD_TAG]);
    for m in list["migrations"].as_array().unwrap() {
        assert_eq!(
            (
                &m["applied"],
                &m["applied_at"],
                &m["edited"],
                &m["late"],
                &m["half_applied"]
            ),
            (
                &Value::Bool(false),
                &Value::Null,
                &Value::Bool(false),
                &Value::Bool(false),
                &Value::Null
            ),
            "{name}: {m}"
        );
    }
    let current = run(project, db, &["current", "--format", "json"]).json("current");
    assert_eq!(current["current"], Value::Null, "{name}: {current}");
    assert_eq!(strings(&current["pending"]), [CREATE, DROP_BODY, ADD_TAG]);
    let history = run(project, db, &["history", "--format", "json"]).json("history");
    assert_eq!(history["log"], Value::Array(vec![]), "{name}: {history}");
    assert_eq!(names(&history, "migrations"), [ADD_TAG, DROP_BODY, CREATE]);

    let check = run(project, db, &["check", "--format", "json"]);
    assert_eq!(check.code, Some(10), "{name}: {}", check.stderr);
    let check = check.json("check");
    assert_eq!(
        (
            &check["ok"],
            &check["exit_code"],
            &check["entities_compared"]
        ),
        (&Value::Bool(false), &Value::from(10), &Value::Bool(false)),
        "{name}: {check}"
    );
    let kinds: Vec<&str> = check["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["pending", "pending", "pending"], "{name}: {check}");
    assert_eq!(strings(&check["pending"]), [CREATE, DROP_BODY, ADD_TAG]);

    assert_eq!(
        table_names(db).await,
        before,
        "{name}: a plan or a report created a table"
    );
}

/// Everything applied: `rollback --plan --to CREATE` refuses as `rollback` does (the drop's
/// `down` cannot restore the data), and with `--force` lists the newest applied first.
async fn rollback_plan(project: &TestProject, db: &Backend) {
    let name = db.name();
    let args = ["rollback", "--to", CREATE];
    let planned = run(project, db, &[&args[..], &["--plan"]].concat());
    let real = run(project, db, &args);
    assert!(
        planned.code.is_some_and(|c| c != 0) && planned.code == real.code,
        "{name}: plan exit {:?}, rollback exit {:?}\n{}\n{}",
        planned.code,
        real.code,
        planned.stderr,
        real.stderr
    );
    assert!(
        !planned.error_text().is_empty() && planned.error_text() == real.error_text(),
        "{name}: the plan's error differs from the command's:\n{}\n---\n{}",
        planned.stderr,
        real.stderr
    );
    assert!(
        planned.stderr.contains(CANNOT_RESTORE),
        "{}",
        planned.stderr
    );
    let error = run(
        project,
        db,
        &[&args[..], &["--plan", "--format", "json"]].concat(),
    );
    assert_eq!(error.code, real.code, "{name}");
    let error = error.json("rollback --plan error");
    assert_eq!(error["format_version"], 1);
    assert_eq!(error["error"]["code"], "cannot_restore", "{name}: {error}");
    assert_eq!(
        error["error"]["exit_code"].as_i64(),
        real.code.map(i64::from)
    );

    let forced = run(project, db, &[&args[..], &["--plan", "--force"]].concat());
    assert_eq!(forced.code, Some(0), "{name}: {}", forced.stderr);
    let at = |text: &str| {
        forced
            .stdout
            .find(text)
            .unwrap_or_else(|| panic!("{name}: no {text:?} in\n{}", forced.stdout))
    };
    assert!(
        at("Would revert 2 migration(s)") < at(ADD_TAG)
            && at(ADD_TAG) < at(DROP_BODY)
            && at(DROP_BODY) < at(&format!("    ! {CANNOT_RESTORE}")),
        "{name}:\n{}",
        forced.stdout
    );
    assert!(!forced.stdout.contains(CREATE), "{}", forced.stdout);
    let plan = run(
        project,
        db,
        &[&args[..], &["--plan", "--force", "--format", "json"]].concat(),
    )
    .json("rollback --plan --force");
    assert_eq!(plan["command"], "rollback", "{name}: {plan}");
    assert_eq!(names(&plan, "migrations"), [ADD_TAG, DROP_BODY]);
    assert_eq!(plan["migrations"][0]["action"], "revert");
    assert_eq!(
        strings(&plan["migrations"][1]["data_loss"]),
        [CANNOT_RESTORE]
    );
    // Neither the refusals nor the plans reverted anything.
    let current = run(project, db, &["current", "--format", "json"]).json("current");
    assert_eq!(current["current"], ADD_TAG, "{name}: {current}");
}

fn applied_reports(project: &TestProject, db: &Backend) {
    let name = db.name();
    let list = run(project, db, &["showmigrations", "--format", "json"]).json("showmigrations");
    for m in list["migrations"].as_array().unwrap() {
        assert!(
            m["applied"] == true && is_utc_rfc3339(&m["applied_at"]) && m["edited"] == false,
            "{name}: {m}"
        );
    }
    let current = run(project, db, &["current", "--format", "json"]).json("current");
    assert!(
        current["pending"] == Value::Array(vec![]) && is_utc_rfc3339(&current["applied_at"]),
        "{name}: {current}"
    );
    let history = run(project, db, &["history", "--format", "json"]).json("history");
    let log = history["log"].as_array().unwrap();
    let logged: Vec<&str> = log
        .iter()
        .map(|row| row["migration"].as_str().unwrap())
        .collect();
    assert_eq!(logged, [ADD_TAG, DROP_BODY, CREATE], "{name}: {history}");
    for row in log {
        assert!(
            row["action"] == "up"
                && row["outcome"] == "ok"
                && is_utc_rfc3339(&row["started_at"])
                && row["duration_ms"].is_i64()
                && row["error"].is_null(),
            "{name}: {row}"
        );
    }
    assert_eq!(history["migrations"], Value::Array(vec![]), "{name}");
    let limited = run(project, db, &["history", "-l", "1", "--format", "json"]).json("history");
    assert_eq!(limited["log"].as_array().unwrap().len(), 1, "{name}");
}

/// The plans only read: a user who may only read gets them.
async fn read_only_plans(project: &TestProject, db: &Backend) {
    let name = db.name();
    let (reader, cleanup) = support::read_only_user(db).await;
    let up = run(project, &reader, &["migrate", "--plan"]);
    let down = run(
        project,
        &reader,
        &["rollback", "--plan", "--steps", "1", "--format", "json"],
    );
    for sql in cleanup {
        db.execute(&sql).await;
    }
    assert!(
        up.code == Some(0) && up.stdout.contains("No migrations to apply."),
        "{name}: {}{}",
        up.stdout,
        up.stderr
    );
    assert_eq!(down.code, Some(0), "{name}: {}", down.stderr);
    assert_eq!(
        names(&down.json("rollback --plan"), "migrations"),
        [ADD_TAG]
    );
}

/// An applied migration edited since (its recorded checksum changed here): `showmigrations` and
/// `check` say so, and `migrate --plan` refuses as `migrate` does.
async fn edited_history(project: &TestProject, db: &Backend) {
    let name = db.name();
    db.execute(&format!(
        "UPDATE makemigrations_checksums SET checksum = 'v1:0' WHERE version = '{CREATE}'"
    ))
    .await;
    let list = run(project, db, &["showmigrations", "--format", "json"]).json("showmigrations");
    let edited: Vec<bool> = list["migrations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["edited"].as_bool().unwrap())
        .collect();
    assert_eq!(edited, [true, false, false], "{name}: {list}");
    let check = run(project, db, &["check", "--format", "json"]);
    assert_eq!(check.code, Some(6), "{name}: {}", check.stderr);
    let check = check.json("check");
    let edited = check["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == "edited")
        .unwrap_or_else(|| panic!("{name}: no edited finding: {check}"));
    assert!(
        edited["migration"] == CREATE
            && edited["file"].as_str().is_some_and(|f| f.ends_with(".rs")),
        "{name}: {edited}"
    );

    let before = table_names(db).await;
    let planned = run(project, db, &["migrate", "--plan"]);
    let real = run(project, db, &["migrate"]);
    assert!(
        planned.code == Some(6) && real.code == Some(6),
        "{name}: plan {:?}, migrate {:?}\n{}",
        planned.code,
        real.code,
        planned.stderr
    );
    assert!(
        !planned.error_text().is_empty() && planned.error_text() == real.error_text(),
        "{name}: the plan's error differs from the command's:\n{}\n---\n{}",
        planned.stderr,
        real.stderr
    );
    let error = run(project, db, &["migrate", "--plan", "--format", "json"]);
    assert_eq!(error.code, Some(6), "{name}");
    assert_eq!(
        error.json("migrate --plan error")["error"]["code"],
        "untrusted_history"
    );
    assert_eq!(table_names(db).await, before, "{name}");
}
