//! The rendered migration for every kind of operation, as a snapshot of the formatted file.

use makemigrations_core::fixtures::{array_operations, every_operation};
use makemigrations_core::render::{render_migration, MigrationFile};
use makemigrations_core::*;

fn formatted(source: String) -> String {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new("rustfmt")
        .args(["--edition", "2021", "--emit", "stdout", "--quiet"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("rustfmt is installed");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(source.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "the rendered file is not valid Rust:\n{source}"
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn every_operation_renders_and_reverses() {
    let ops = every_operation();
    let source = render_migration(&MigrationFile {
        name: "m20261121_093000_every_operation",
        message: Some("every operation kind"),
        up: &ops,
        down: None,
    });
    insta::assert_snapshot!(formatted(source));
}

#[test]
fn array_columns_render_with_their_element_type_and_mark_the_file_postgres_only() {
    let ops = array_operations();
    let source = formatted(render_migration(&MigrationFile {
        name: "m20261121_093000_arrays",
        message: None,
        up: &ops,
        down: None,
    }));
    for mark in [
        "// postgres-only: scores.points (integer[]) is an array",
        "// postgres-only: scores.grid (decimal(10, 2)[]) is an array",
        "// postgres-only: users.tags (varchar(20)[]) is an array",
        "// postgres-only: users.labels (varchar(20)[]) is an array",
    ] {
        assert_eq!(source.matches(mark).count(), 1, "{mark} once in:\n{source}");
    }
    // Narrowing the elements is a `!` step; its reverse widens them back to text[].
    assert!(source.contains("//! ! Alter column users.labels: text[] -> varchar(20)[]"));
    assert!(source.contains(".array(ColumnType::Text)"));
    let questions = makemigrations_core::questions::value_questions(&ops);
    assert_eq!(questions.len(), 1, "{questions:?}");
    assert_eq!(questions[0].id, "narrowing_type:users.labels");
    insta::assert_snapshot!(source);
}

#[test]
fn rendering_is_deterministic() {
    let ops = every_operation();
    let file = MigrationFile {
        name: "m20261121_093000_x",
        message: None,
        up: &ops,
        down: None,
    };
    assert_eq!(render_migration(&file), render_migration(&file));
}

#[test]
fn an_empty_migration_says_what_to_do() {
    let source = render_migration(&MigrationFile {
        name: "m20261121_093000_backfill",
        message: None,
        up: &[],
        down: Some(&[]),
    });
    insta::assert_snapshot!(formatted(source));
}

#[test]
fn a_large_migration_is_split_into_parts() {
    let ops: Vec<Operation> = (0..45)
        .map(|i| {
            let mut t = Table::new(format!("t{i}"));
            t.columns
                .push(Column::new("id", ColumnType::Integer, "integer"));
            Operation::CreateTable(t)
        })
        .collect();
    let source = render_migration(&MigrationFile {
        name: "m20261121_093000_big",
        message: None,
        up: &ops,
        down: None,
    });
    // Plain statements: parts that add them to a `Statements`, run once; no await per statement.
    for call in [
        "let mut statements = Statements::new();",
        "up_1(&mut statements);",
        "up_3(&mut statements);",
        "statements.run(manager).await?;",
        "fn up_3(statements: &mut Statements) {",
        "statements.add(Table::create().table(\"t40\")",
        "fn down_3(statements: &mut Statements) {",
        "statements.add(Table::drop().table(\"t0\").to_owned());",
    ] {
        assert!(source.contains(call), "missing {call}");
    }
    assert!(!source.contains("up_4"));
    assert!(
        !source.contains(".await?;\n}"),
        "a plain part awaits:\n{source}"
    );
}

/// A part with a step that is not one plain statement (here a helper that reads the catalog) is
/// awaited as before; the statements added before it run first, so the order stays the file's.
#[test]
fn a_large_migration_runs_added_statements_before_an_awaited_part() {
    let mut ops: Vec<Operation> = (0..25)
        .map(|i| {
            let mut t = Table::new(format!("t{i}"));
            t.columns
                .push(Column::new("id", ColumnType::Integer, "integer"));
            Operation::CreateTable(t)
        })
        .collect();
    ops.push(Operation::AddColumn {
        table: "t0".into(),
        column: Column::new("note", ColumnType::Text, "text"),
    });
    let source = render_migration(&MigrationFile {
        name: "m20261121_093000_big",
        message: None,
        up: &ops,
        down: None,
    });
    let up = &source[source.find("async fn up(").unwrap()..source.find("async fn down(").unwrap()];
    let order: Vec<&str> = up
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("up_") || l.starts_with("statements."))
        .collect();
    assert_eq!(
        order,
        [
            "up_1(&mut statements);",
            "statements.run(manager).await?;",
            "up_2(manager).await?;",
        ]
    );
    assert!(source.contains("async fn up_2(manager: &SchemaManager<'_>)"));
    assert!(source.contains("add_column(manager, \"t0\""));
}

/// `down` of a dropped NOT NULL column without a default adds it with a fill value and then
/// drops that default, so it succeeds on a table with rows and the schema comes back exactly;
/// the step is marked `// !` because the rows get the fill value, not their data.
#[test]
fn a_dropped_not_null_column_comes_back_filled() {
    let mut phone = Column::new("phone", ColumnType::String(Some(20)), "varchar(20)");
    phone.nullable = false;
    let mut bio = Column::new("bio", ColumnType::Text, "text");
    bio.nullable = true;
    let ops = [
        Operation::DropColumn {
            table: "users".into(),
            column: phone,
        },
        Operation::DropColumn {
            table: "users".into(),
            column: bio,
        },
    ];
    let source = formatted(render_migration(&MigrationFile {
        name: "m20261121_093000_drop_phone",
        message: None,
        up: &ops,
        down: None,
    }));
    let down = &source[source.find("async fn down").unwrap()..];
    for expected in [
        "// ! Cannot restore users.phone's data: the column comes back with '' in every row",
        r#".default("")"#,
        "// ~ Alter column users.phone: default '' -> none",
        "// ! Cannot restore users.bio's data: the column comes back with NULL in every row",
    ] {
        assert!(down.contains(expected), "down lacks {expected}:\n{down}");
    }
    let up = &source[..source.find("async fn down").unwrap()];
    assert!(
        up.contains("// ! Drop column users.phone: the data of users.phone is lost"),
        "up lacks its mark:\n{up}"
    );
    insta::assert_snapshot!(source);
}

#[test]
fn a_carriage_return_in_the_message_starts_a_new_doc_line() {
    let source = render_migration(&MigrationFile {
        name: "m20261121_093000_x",
        message: Some("first\rsecond\r\nthird"),
        up: &[],
        down: Some(&[]),
    });
    assert!(
        !source.contains('\r'),
        "a carriage return is left:\n{source}"
    );
    for line in ["//! first\n", "//! second\n", "//! third\n"] {
        assert!(source.contains(line), "missing {line:?} in:\n{source}");
    }
    formatted(source);
}

#[test]
fn integer_defaults_outside_i32_take_the_column_type_suffix() {
    let with_default = |col_type: ColumnType, value: i64| {
        let mut c = Column::new("n", col_type, "x");
        c.default = Some(Default {
            sql: value.to_string(),
            value: DefaultValue::Int(value),
        });
        render::column_def(&c, false)
    };
    assert!(
        with_default(ColumnType::BigInteger, 5_000_000_000).ends_with(".default(5000000000i64)")
    );
    assert!(
        with_default(ColumnType::BigInteger, -5_000_000_000).ends_with(".default(-5000000000i64)")
    );
    assert!(with_default(ColumnType::Unsigned, 4_000_000_000).ends_with(".default(4000000000u32)"));
    assert!(
        with_default(ColumnType::BigUnsigned, 5_000_000_000).ends_with(".default(5000000000u64)")
    );
    // Within i32, the literal stays as written.
    assert!(with_default(ColumnType::BigInteger, 7).ends_with(".default(7)"));
}

/// An enum value replaced by a value added in the same change: `down` moves the rows back
/// before the added value goes, so the rollback restores them exactly.
#[test]
fn a_replaced_enum_value_moves_back_in_down() {
    use makemigrations_core::questions::{apply, value_questions, Answer};
    let values = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let ops = vec![Operation::AlterEnum {
        name: "order_status".into(),
        from: values(&["pending", "shipped"]),
        to: values(&["pending", "dispatched"]),
        columns: vec![("orders".into(), "status".into())],
    }];
    let questions = value_questions(&ops);
    let ops = apply(
        ops,
        &[(questions[0].clone(), Answer::Replace("dispatched".into()))],
    );
    let source = render_migration(&MigrationFile {
        name: "m20261121_093000_x",
        message: None,
        up: &ops,
        down: None,
    });
    let down = &source[source.find("async fn down").unwrap()..];
    let moved_back = down
        .find(r#".value("status", Expr::cust("'shipped'")).and_where(Expr::col("status").eq(Expr::cust("'dispatched'")))"#)
        .unwrap_or_else(|| panic!("down does not move the rows back:\n{down}"));
    let removed = down
        .find(r#"["pending", "shipped", "dispatched"], ["pending", "shipped"]"#)
        .unwrap_or_else(|| panic!("down does not remove the added value:\n{down}"));
    assert!(moved_back < removed, "{down}");
}

/// A dropped NOT NULL column under a foreign key comes back without a fill value in the rendered
/// `down` too: the key that `down` adds back is elsewhere in the list, and one value cannot point
/// at the right row for every row.
#[test]
fn a_dropped_foreign_key_column_comes_back_without_a_fill() {
    let mut user_id = Column::new("user_id", ColumnType::Integer, "integer");
    user_id.nullable = false;
    let key = ForeignKey {
        name: None,
        columns: vec!["user_id".into()],
        ref_table: "users".into(),
        ref_columns: vec!["id".into()],
        on_delete: ForeignKeyAction::NoAction,
        on_update: ForeignKeyAction::NoAction,
        declared: DeclaredActions::default(),
    };
    let ops = [
        Operation::DropForeignKey {
            table: "orders".into(),
            foreign_key: key,
        },
        Operation::DropColumn {
            table: "orders".into(),
            column: user_id,
        },
    ];
    let source = render_migration(&MigrationFile {
        name: "m20261121_093000_x",
        message: None,
        up: &ops,
        down: None,
    });
    let down = &source[source.find("async fn down").unwrap()..];
    assert!(!down.contains(".default(0)"), "{down}");
    assert!(down.contains("no one value fits every row"), "{down}");
}

#[test]
fn the_lineage_closes_the_head_comment() {
    let source = render_migration(&MigrationFile {
        name: "m20261202_000001_custom",
        message: None,
        up: &[],
        down: Some(&[]),
    });
    let parents = ["m20261202_000000_initial".to_string()];
    let with = makemigrations_core::render::with_lineage(
        &source,
        &makemigrations_core::render::Lineage {
            after: &parents,
            state: Some("sha256:00ff"),
        },
    );
    assert!(
        with.starts_with(
            "//! Migration `m20261202_000001_custom`.\n//!\n//! Written by makemigrations as an empty migration: fill in `up` and `down`.\n//!\n//! after: m20261202_000000_initial\n//! state: sha256:00ff\n\nuse makemigrations::prelude::*;\n"
        ),
        "{with}"
    );
    let first = makemigrations_core::render::with_lineage(
        &source,
        &makemigrations_core::render::Lineage {
            after: &[],
            state: None,
        },
    );
    assert!(first.contains("//!\n//! after: (none)\n\nuse "), "{first}");
}

#[test]
fn a_merge_migration_names_the_heads_it_joins() {
    let heads = [
        "m20261202_000001_add_phone".to_string(),
        "m20261202_000002_add_notes".to_string(),
    ];
    let source = makemigrations_core::render::render_merge(
        "m20261202_000003_merge",
        &heads,
        Some("sha256:00ff"),
    );
    assert_eq!(formatted(source.clone()), source, "already formatted");
    insta::assert_snapshot!(source);
}
