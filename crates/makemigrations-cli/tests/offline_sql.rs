//! `sqlmigrate NAME [--backwards]`, `migrate --sql` and `rollback --sql` print the SQL a run would
//! execute and change nothing, on every enabled backend, through the real binary. One scratch
//! project, three migrations: the generated initial one, a hand-written table (no reads), and a
//! column change that SQLite makes by rebuilding the table (it reads the live table).

mod support;

use sea_orm::{ConnectOptions, ConnectionTrait, Database};
use support::{Backend, Output, TestProject};

const PROBE: &str = "m20991231_000001_probe";
const WIDEN: &str = "m20991231_000002_widen_category_name";

fn probe_migration() -> String {
    support::migration_source(
        r#"        manager.create_table(Table::create().table("probe").col(ColumnDef::new("id").integer().not_null().primary_key()).to_owned()).await"#,
        r#"        manager.drop_table(Table::drop().table("probe").to_owned()).await"#,
    )
}

fn widen_migration() -> String {
    let narrow = r#"ColumnDef::new("name").string_len(120).not_null()"#;
    let wide = r#"ColumnDef::new("name").string_len(200).not_null()"#;
    support::migration_source(
        &format!(r#"        alter_column(manager, "categories", {narrow}, {wide}).await"#),
        &format!(r#"        alter_column(manager, "categories", {wide}, {narrow}).await"#),
    )
}

/// Everything a print could have changed: the tables, the schema, and the applied migrations.
async fn state(db: &Backend) -> (Vec<String>, Vec<String>, Vec<String>) {
    let tables = support::table_names(db).await;
    let applied = if tables.iter().any(|t| t == "seaql_migrations") {
        support::texts(db, "SELECT version FROM seaql_migrations ORDER BY 1").await
    } else {
        Vec::new()
    };
    (tables, db.schema_fingerprint().await, applied)
}

/// Runs a printed script as a DBA would: statement by statement, on one connection.
async fn run_script(db: &Backend, script: &str) {
    let mut options = ConnectOptions::new(db.url().to_string());
    options.max_connections(1).min_connections(1);
    let conn = Database::connect(options).await.unwrap();
    let body: String = script
        .lines()
        .filter(|l| !l.starts_with("--"))
        .map(|l| format!("{l}\n"))
        .collect();
    for statement in body.split(";\n").map(str::trim).filter(|s| !s.is_empty()) {
        conn.execute_unprepared(statement)
            .await
            .unwrap_or_else(|e| panic!("{}: {statement}: {e}", db.name()));
    }
    conn.close().await.unwrap();
}

/// The lines of `text` that are SQL statements (comments left out).
fn statements(text: &str) -> Vec<&str> {
    text.lines()
        .filter(|l| !l.starts_with("--") && !l.is_empty())
        .collect()
}

/// The output without the `applied_at` times (they are the time of printing).
fn without_times(text: &str) -> String {
    text.lines()
        .filter(|l| !(l.contains("INSERT INTO") && l.contains("applied_at")))
        .collect::<Vec<_>>()
        .join("\n")
}

fn position(text: &str, part: &str) -> usize {
    text.find(part)
        .unwrap_or_else(|| panic!("{part:?} not in:\n{text}"))
}

fn ok(out: Output, what: &str, db: &Backend) -> String {
    assert!(out.success, "{}: {what}:\n{}", db.name(), out.text);
    out.text
}

#[tokio::test(flavor = "multi_thread")]
async fn prints_the_sql_of_migrations_and_changes_nothing() {
    let backends = support::enabled_backends().await;
    let project = TestProject::with_initial_migration(&backends[0]);
    project.write_migrations(&[(PROBE, probe_migration()), (WIDEN, widen_migration())]);
    project.build();
    let initial = project.migration_files()[0]
        .trim_end_matches(".rs")
        .to_string();
    for db in &backends {
        let name = db.name();
        let quote = if name == "mysql" { '`' } else { '"' };
        let q = |ident: &str| format!("{quote}{ident}{quote}");
        // The database exists (the read-only SQLite URL cannot create it).
        db.execute("CREATE TABLE unrelated (id integer PRIMARY KEY)")
            .await;
        let empty = state(db).await;

        // Every pending migration up to PROBE, in order, with the tracking rows.
        let text = ok(
            project.run(db, &["migrate", "--sql", PROBE]),
            "migrate --sql",
            db,
        );
        assert_eq!(
            state(db).await,
            empty,
            "{name}: migrate --sql changed the database"
        );
        let first = position(&text, &format!("-- {initial} (up)"));
        let second = position(&text, &format!("-- {PROBE} (up)"));
        assert!(first < second, "{name}: not in order:\n{text}");
        assert!(
            text.starts_with("-- The SQL of 2 pending migration(s) on "),
            "{name}:\n{text}"
        );
        for part in [
            format!("CREATE TABLE {}", q("users")),
            format!("CREATE TABLE {}", q("probe")),
            format!("INSERT INTO {}", q("seaql_migrations")),
            format!("'{PROBE}'"),
            // The tool's tables are missing here: `migrate` would create them first.
            format!("CREATE TABLE IF NOT EXISTS {}", q("seaql_migrations")),
        ] {
            position(&text, &part);
        }
        assert!(!text.contains(WIDEN), "{name}: past the target:\n{text}");
        // Each statement ends with `;`.
        for line in statements(&text) {
            assert!(line.ends_with(';'), "{name}: {line:?} has no `;`");
        }
        if name == "mysql" {
            // DDL commits at once there: only the tracking rows are in a transaction.
            assert!(text.contains("START TRANSACTION;"), "{name}:\n{text}");
        } else {
            position(&text[first..second], "BEGIN;");
            position(&text[first..second], "COMMIT;");
        }

        let out = project.run(db, &["migrate", "--sql"]);
        assert_eq!(
            state(db).await,
            empty,
            "{name}: migrate --sql changed the database"
        );
        if name == "sqlite" {
            // The rebuild reads a table that only a migration printed before it creates: refused,
            // saying why and what to do.
            assert_eq!(
                out.code,
                Some(2),
                "{name}: migrate --sql over WIDEN:\n{}",
                out.text
            );
            for part in [
                format!("cannot print the SQL of {WIDEN}"),
                "nothing was run".to_string(),
                "without the 2 migration(s) printed before it".to_string(),
            ] {
                assert!(
                    out.text.contains(&part),
                    "{name}: {part:?} not in:\n{}",
                    out.text
                );
            }
        } else {
            // PostgreSQL decides the change from the catalog (no view reads the column), MySQL from
            // the CREATE TABLE printed before it.
            let all = ok(out, "migrate --sql over WIDEN", db);
            assert!(
                position(&all, &format!("-- {PROBE} (up)"))
                    < position(&all, &format!("-- {WIDEN} (up)"))
            );
            if name == "postgres" {
                position(&all, "not as the statements above would leave it");
            }
        }

        // One migration, up and down.
        let up = ok(project.run(db, &["sqlmigrate", &initial]), "sqlmigrate", db);
        position(&up, &format!("-- {initial} (up)"));
        position(&up, &format!("CREATE TABLE {}", q("orders")));
        let down = ok(
            project.run(db, &["sqlmigrate", &initial, "--backwards"]),
            "sqlmigrate --backwards",
            db,
        );
        position(&down, &format!("-- {initial} (down)"));
        position(&down, &format!("DROP TABLE {}", q("orders")));
        position(&down, &format!("DELETE FROM {}", q("seaql_migrations")));
        assert!(
            !down.contains("CREATE TABLE \""),
            "{name}: the up in the down:\n{down}"
        );
        assert_eq!(
            state(db).await,
            empty,
            "{name}: sqlmigrate changed the database"
        );

        // An unknown name: the error and exit code of `migrate`'s.
        let unknown = project.run(db, &["sqlmigrate", "m1999"]);
        let migrate_unknown = project.run(db, &["migrate", "m1999"]);
        assert_eq!(
            unknown.code, migrate_unknown.code,
            "{name}: {}",
            unknown.text
        );
        assert_eq!(unknown.code, Some(2));
        assert!(
            unknown.text.contains("no migration matches `m1999`"),
            "{}",
            unknown.text
        );
        let unknown_sql = project.run(db, &["migrate", "--sql", "m1999"]);
        assert_eq!(unknown_sql.code, Some(2), "{name}: {}", unknown_sql.text);
        assert_eq!(state(db).await, empty);

        // The printed SQL, run by hand, is a real run: the tool sees both applied and owns the
        // tables they created.
        run_script(db, &text).await;
        let listed = ok(project.run(db, &["showmigrations"]), "showmigrations", db);
        for migration in [&initial, PROBE] {
            assert!(
                listed.contains(&format!("[X] {migration}")),
                "{name}: {migration} not applied after running the script:\n{listed}"
            );
        }
        assert!(
            listed.contains(&format!("[ ] {WIDEN}")),
            "{name}:\n{listed}"
        );
        let owned = support::texts(
            db,
            "SELECT created_by FROM makemigrations_owned_tables WHERE table_name = 'probe'",
        )
        .await;
        assert_eq!(owned, [PROBE], "{name}: probe's owner");
        let as_text = if name == "mysql" { "CHAR" } else { "TEXT" };
        let orders = support::texts(
            db,
            &format!("SELECT CAST(applied_order AS {as_text}) FROM makemigrations_checksums ORDER BY applied_order"),
        )
        .await;
        assert_eq!(orders, ["1", "2"], "{name}: positions");
        let applied = state(db).await;

        // Now WIDEN can be printed: on SQLite its rebuild, decided by reading the live table.
        let widen = ok(
            project.run(db, &["sqlmigrate", WIDEN]),
            "sqlmigrate WIDEN",
            db,
        );
        assert_eq!(
            state(db).await,
            applied,
            "{name}: sqlmigrate changed the database"
        );
        if name == "sqlite" {
            for part in [
                "PRAGMA foreign_keys = OFF;",
                "CREATE TABLE \"_makemigrations_new_categories\"",
                "INSERT INTO \"_makemigrations_new_categories\"",
                "DROP TABLE \"categories\";",
                "ALTER TABLE \"_makemigrations_new_categories\" RENAME TO \"categories\";",
                "-- Decided by reading the database as it is now",
                "PRAGMA foreign_keys = ON;",
            ] {
                position(&widen, part);
            }
            // The rebuilt table stays the project's own: no owner row changes.
            assert!(!widen.contains("makemigrations_owned_tables"), "{widen}");
        } else {
            position(&widen, &format!("ALTER TABLE {}", q("categories")));
        }

        // rollback --sql: the newest applied migration's down, and its records removed.
        let back = ok(
            project.run(db, &["rollback", "--sql"]),
            "rollback --sql",
            db,
        );
        position(&back, &format!("-- {PROBE} (down)"));
        position(&back, &format!("DROP TABLE {}", q("probe")));
        position(
            &back,
            &format!(
                "DELETE FROM {} WHERE {} = 'probe'",
                q("makemigrations_owned_tables"),
                q("table_name")
            ),
        );
        assert!(
            !back.contains(&initial),
            "{name}: more than one step:\n{back}"
        );
        let all = ok(
            project.run(db, &["rollback", "--sql", "--all"]),
            "rollback --sql --all",
            db,
        );
        assert!(
            position(&all, &format!("-- {PROBE} (down)"))
                < position(&all, &format!("-- {initial} (down)")),
            "{name}: newest first:\n{all}"
        );
        assert_eq!(
            state(db).await,
            applied,
            "{name}: rollback --sql changed the database"
        );

        // A user who may only read prints the same SQL.
        let (reader, cleanup) = support::read_only_user(db).await;
        let as_reader = project.run(&reader, &["sqlmigrate", WIDEN]);
        let as_reader_all = project.run(&reader, &["migrate", "--sql"]);
        for statement in &cleanup {
            db.execute(statement).await;
        }
        let as_reader = ok(as_reader, "sqlmigrate as a read-only user", db);
        assert_eq!(
            without_times(&as_reader),
            without_times(&widen),
            "{name}: read-only"
        );
        let as_reader_all = ok(as_reader_all, "migrate --sql as a read-only user", db);
        position(&as_reader_all, &format!("-- {WIDEN} (up)"));
        assert_eq!(
            state(db).await,
            applied,
            "{name}: the read-only run changed the database"
        );

        // Migrations applied before checksums were kept: `migrate` records their rows first, so
        // the script prints them before WIDEN, which comes after them.
        db.execute("DELETE FROM makemigrations_checksums").await;
        let unrecorded = ok(
            project.run(db, &["migrate", "--sql"]),
            "migrate --sql without checksums",
            db,
        );
        let rows_at = position(&unrecorded, "applied before they were kept");
        let initial_at = position(&unrecorded, &format!("'{initial}'"));
        let probe_at = position(&unrecorded, &format!("'{PROBE}'"));
        let widen_at = position(&unrecorded, &format!("-- {WIDEN} (up)"));
        assert!(
            rows_at < initial_at && initial_at < probe_at && probe_at < widen_at,
            "{name}: checksum rows first:\n{unrecorded}"
        );
        run_script(db, &unrecorded).await;
        let orders = support::texts(
            db,
            &format!("SELECT CAST(applied_order AS {as_text}) FROM makemigrations_checksums ORDER BY applied_order"),
        )
        .await;
        assert_eq!(
            orders,
            ["1", "2", "3"],
            "{name}: positions after the script"
        );
        let listed = ok(project.run(db, &["showmigrations"]), "showmigrations", db);
        assert!(
            listed.contains(&format!("[X] {WIDEN}")),
            "{name}: WIDEN not applied after running the script:\n{listed}"
        );
    }
}
