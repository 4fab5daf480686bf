//! The per-table memo of the scratch build is exact: after each kind of entity edit, the desired
//! schema put together from the memo and a build of only what the edit touches equals, as a
//! whole `Schema`, the one a build of every table reads back; and what was built is only that.
//! On every enabled backend.

mod support;

use std::collections::{BTreeMap, BTreeSet};

use makemigrations_cli::entities::{EntityStatements, RenderColumn};
use makemigrations_cli::shadow::{backend_name, scratch_schema, Desired};
use makemigrations_cli::shadow_cache::ShadowMemo;
use makemigrations_core::ColumnType as CoreType;
use sea_orm::sea_query::{
    ColumnDef, ColumnType, ForeignKey, Index, IndexCreateStatement, Table, TableCreateStatement,
};
use sea_orm::{Database, DatabaseConnection, DbBackend};
use support::{enabled_backends, Backend};

/// Entity tables as sea-orm states them, with the column comments PostgreSQL gets apart.
#[derive(Clone)]
struct Entities {
    tables: Vec<EntityStatements>,
    render: BTreeMap<String, BTreeMap<String, RenderColumn>>,
}

fn id() -> ColumnDef {
    ColumnDef::new("id")
        .integer()
        .not_null()
        .auto_increment()
        .primary_key()
        .to_owned()
}

fn key(
    table: &'static str,
    column: &'static str,
    target: &'static str,
) -> sea_orm::sea_query::ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk-{table}-{column}"))
        .from(table, column)
        .to(target, "id")
        .to_owned()
}

fn index(table: &'static str, column: &'static str) -> IndexCreateStatement {
    Index::create()
        .name(format!("idx-{table}-{column}"))
        .table(table)
        .col(column)
        .to_owned()
}

fn entity(table: TableCreateStatement, indexes: Vec<IndexCreateStatement>) -> EntityStatements {
    let table_name = match table.get_table_name() {
        Some(sea_orm::sea_query::TableRef::Table(name, _)) => name.1.to_string(),
        other => panic!("no table name: {other:?}"),
    };
    let column_types = table
        .get_columns()
        .iter()
        .map(|c| {
            let t = c.get_column_type().cloned().unwrap_or(ColumnType::Integer);
            (c.get_column_name(), t)
        })
        .collect();
    EntityStatements {
        table_name,
        table,
        indexes,
        column_types,
        schema_name: None,
    }
}

/// owner <- author <- book <- review, and two tables no key touches (tag, note). PostgreSQL's
/// book has an enum column.
fn base(backend: DbBackend) -> Entities {
    let tables = vec![
        entity(
            Table::create()
                .table("owner")
                .col(id())
                .col(
                    ColumnDef::new("name")
                        .string_len(50)
                        .not_null()
                        .unique_key(),
                )
                .to_owned(),
            vec![],
        ),
        entity(
            Table::create()
                .table("author")
                .col(id())
                .col(ColumnDef::new("owner_id").integer().null())
                .col(ColumnDef::new("name").string_len(100).not_null())
                .foreign_key(&mut key("author", "owner_id", "owner"))
                .to_owned(),
            vec![index("author", "name")],
        ),
        entity(
            book(backend, &["happy", "sad"], "books"),
            vec![index("book", "title")],
        ),
        entity(review(None), vec![]),
        entity(
            Table::create()
                .table("tag")
                .col(id())
                .col(ColumnDef::new("label").string_len(30).not_null())
                .to_owned(),
            vec![index("tag", "label")],
        ),
        entity(
            Table::create()
                .table("note")
                .col(id())
                .col(ColumnDef::new("body").text().not_null())
                .to_owned(),
            vec![],
        ),
    ];
    let mut render = BTreeMap::new();
    render.insert(
        "review".to_string(),
        BTreeMap::from([("body".to_string(), comment("what the reader said"))]),
    );
    Entities { tables, render }
}

fn book(backend: DbBackend, moods: &[&str], comment: &str) -> TableCreateStatement {
    let mut book = Table::create()
        .table("book")
        .col(id())
        .col(ColumnDef::new("author_id").integer().not_null())
        .col(ColumnDef::new("title").string_len(80).not_null())
        .foreign_key(&mut key("book", "author_id", "author"))
        .comment(comment)
        .to_owned();
    if backend == DbBackend::Postgres {
        book.col(
            ColumnDef::new("mood")
                .enumeration("mood", moods.iter().map(|v| v.to_string()))
                .null(),
        );
    }
    book
}

/// MySQL states a column comment in its CREATE TABLE; PostgreSQL gets it apart (`render`).
fn review(mysql_comment: Option<&str>) -> TableCreateStatement {
    let mut body = ColumnDef::new("body").text().null().to_owned();
    if let Some(text) = mysql_comment {
        body.comment(text);
    }
    Table::create()
        .table("review")
        .col(id())
        .col(ColumnDef::new("book_id").integer().not_null())
        .col(body)
        .foreign_key(&mut key("review", "book_id", "book"))
        .to_owned()
}

fn comment(text: &str) -> RenderColumn {
    RenderColumn {
        col_type: CoreType::Text,
        default: None,
        comment: Some(text.to_string()),
        renamed_from: None,
    }
}

impl Entities {
    fn table(&mut self, name: &str) -> &mut EntityStatements {
        self.tables
            .iter_mut()
            .find(|t| t.table_name == name)
            .unwrap_or_else(|| panic!("no table {name}"))
    }

    fn replace(&mut self, name: &str, with: EntityStatements) {
        let position = self.tables.iter().position(|t| t.table_name == name);
        self.tables[position.unwrap()] = with;
    }

    fn remove(&mut self, name: &str) {
        self.tables.retain(|t| t.table_name != name);
    }
}

fn author(
    owner: Option<&'static str>,
    name: ColumnDef,
    extra: Option<ColumnDef>,
) -> TableCreateStatement {
    let mut table = Table::create()
        .table("author")
        .col(id())
        .col(ColumnDef::new("owner_id").integer().null())
        .col(name)
        .to_owned();
    if let Some(owner) = owner {
        table.foreign_key(&mut key("author", "owner_id", owner));
    }
    if let Some(extra) = extra {
        table.col(extra);
    }
    table
}

fn name_column(len: u32) -> ColumnDef {
    ColumnDef::new("name").string_len(len).not_null().to_owned()
}

/// Each edit: its name, the entities after it, and the tables it must build whole.
fn edits(backend: DbBackend) -> Vec<(&'static str, Entities, Vec<&'static str>)> {
    let base = base(backend);
    let mut edits = Vec::new();

    let mut e = base.clone();
    e.replace(
        "author",
        entity(
            author(Some("owner"), name_column(200), None),
            vec![index("author", "name")],
        ),
    );
    edits.push(("column type changed", e, vec!["author", "book"]));

    let mut e = base.clone();
    let bio = ColumnDef::new("bio").text().null().to_owned();
    e.replace(
        "author",
        entity(
            author(Some("owner"), name_column(100), Some(bio)),
            vec![index("author", "name")],
        ),
    );
    edits.push(("column added", e, vec!["author", "book"]));

    let mut e = base.clone();
    e.replace(
        "note",
        entity(
            Table::create()
                .table("note")
                .col(id())
                .col(ColumnDef::new("body").text().not_null())
                .col(ColumnDef::new("book_id").integer().null())
                .foreign_key(&mut key("note", "book_id", "book"))
                .to_owned(),
            vec![],
        ),
    );
    edits.push(("foreign key added to an unchanged table", e, vec!["note"]));

    let mut e = base.clone();
    e.replace(
        "owner",
        entity(
            Table::create()
                .table("person")
                .col(id())
                .col(
                    ColumnDef::new("name")
                        .string_len(50)
                        .not_null()
                        .unique_key(),
                )
                .to_owned(),
            vec![],
        ),
    );
    e.replace(
        "author",
        entity(
            author(Some("person"), name_column(100), None),
            vec![index("author", "name")],
        ),
    );
    // On PostgreSQL foreign keys are statements of their own: author's CREATE TABLE, which
    // book's key holds, does not change.
    let touched = if backend == DbBackend::Postgres {
        vec!["person", "author"]
    } else {
        vec!["person", "author", "book"]
    };
    edits.push(("referenced table renamed", e, touched));

    let mut e = base.clone();
    e.remove("owner");
    e.replace(
        "author",
        entity(
            author(None, name_column(100), None),
            vec![index("author", "name")],
        ),
    );
    let touched = if backend == DbBackend::Postgres {
        vec!["author"]
    } else {
        vec!["author", "book"]
    };
    edits.push(("referenced table dropped", e, touched));

    let mut e = base.clone();
    e.tables.push(entity(
        Table::create()
            .table("shelf")
            .col(id())
            .col(ColumnDef::new("book_id").integer().not_null())
            .foreign_key(&mut key("shelf", "book_id", "book"))
            .to_owned(),
        vec![index("shelf", "book_id")],
    ));
    edits.push(("table added", e, vec!["shelf"]));

    let mut e = base.clone();
    e.table("author").indexes = vec![Index::create()
        .name("idx-author-name")
        .table("author")
        .col("name")
        .col("id")
        .unique()
        .to_owned()];
    edits.push(("index changed", e, vec!["author", "book"]));

    if backend == DbBackend::Postgres {
        let mut e = base.clone();
        e.replace(
            "book",
            entity(
                book(backend, &["happy", "sad", "bored"], "books"),
                vec![index("book", "title")],
            ),
        );
        edits.push(("enum changed", e, vec!["book"]));
    }

    let mut e = base.clone();
    e.replace(
        "book",
        entity(
            book(backend, &["happy", "sad"], "all the books"),
            vec![index("book", "title")],
        ),
    );
    // SQLite keeps no comments: its DDL does not change.
    // A MySQL comment is in the CREATE TABLE that review's key holds; on PostgreSQL it is a
    // statement of its own.
    let touched = match backend {
        DbBackend::Sqlite => vec![],
        DbBackend::Postgres => vec!["book"],
        _ => vec!["book", "review"],
    };
    edits.push(("table comment changed", e, touched));

    if backend != DbBackend::Sqlite {
        let mut e = base.clone();
        e.render.insert(
            "review".to_string(),
            BTreeMap::from([("body".to_string(), comment("the reader's words"))]),
        );
        if backend == DbBackend::MySql {
            e.replace("review", entity(review(Some("the reader's words")), vec![]));
        }
        edits.push(("column comment changed", e, vec!["review"]));
    }
    edits
}

async fn connect(db: &Backend) -> DatabaseConnection {
    Database::connect(db.url()).await.unwrap()
}

async fn read(db: &DatabaseConnection, entities: &Entities, memo: &mut ShadowMemo) -> Desired {
    scratch_schema(db, &entities.tables, &entities.render, memo)
        .await
        .unwrap_or_else(|e| panic!("scratch build failed: {e}"))
}

fn memo_in(dir: &tempfile::TempDir, db: &DatabaseConnection) -> ShadowMemo {
    ShadowMemo::in_dir(
        Some(dir.path().to_path_buf()),
        &backend_name(db.get_database_backend()),
        "test",
    )
}

fn no_memo(db: &DatabaseConnection) -> ShadowMemo {
    ShadowMemo::in_dir(None, &backend_name(db.get_database_backend()), "test")
}

fn names(list: &[&str]) -> BTreeSet<String> {
    list.iter().map(|s| s.to_string()).collect()
}

#[tokio::test]
async fn an_edit_builds_only_what_it_touches_and_reads_back_what_a_full_build_does() {
    for backend in enabled_backends().await {
        let db = connect(&backend).await;
        let kind = db.get_database_backend();
        let base = base(kind);

        // Unchanged entities: nothing is built, and the memo gives the full build's schema.
        let dir = tempfile::tempdir().unwrap();
        let first = read(&db, &base, &mut memo_in(&dir, &db)).await;
        assert_eq!(
            first.built.whole.len(),
            base.tables.len(),
            "{}",
            backend.name()
        );
        let again = read(&db, &base, &mut memo_in(&dir, &db)).await;
        assert!(
            again.built.is_empty(),
            "{}: {:?}",
            backend.name(),
            again.built
        );
        assert_eq!(again.schema, first.schema, "{}", backend.name());

        for (edit, entities, touched) in edits(kind) {
            let dir = tempfile::tempdir().unwrap();
            read(&db, &base, &mut memo_in(&dir, &db)).await;
            let incremental = read(&db, &entities, &mut memo_in(&dir, &db)).await;
            let full = read(&db, &entities, &mut no_memo(&db)).await;
            assert_eq!(
                incremental.schema,
                full.schema,
                "{}: {edit}: the memo and a partial build differ from a full build",
                backend.name()
            );
            assert_eq!(
                incremental.built.whole,
                names(&touched),
                "{}: {edit}: built whole",
                backend.name()
            );
            if !touched.is_empty() {
                assert_ne!(
                    full.schema,
                    first.schema,
                    "{}: {edit}: the edit changes nothing read back",
                    backend.name()
                );
            }
            // The run after it takes everything from the memo.
            let next = read(&db, &entities, &mut memo_in(&dir, &db)).await;
            assert!(next.built.is_empty(), "{}: {edit}", backend.name());
            assert_eq!(next.schema, full.schema, "{}: {edit}", backend.name());
        }
        db.close().await.unwrap();
    }
}

/// Names the server chooses or keeps in one namespace: a table built alone could take a name that
/// a build of every table gives another table. Such a result is never used.
#[tokio::test]
async fn a_name_another_table_holds_sends_the_run_to_a_full_build() {
    for backend in enabled_backends().await {
        let db = connect(&backend).await;
        let kind = db.get_database_backend();
        // PostgreSQL names the unnamed keys of a_b.c and of a.b_c both `a_b_c_fkey`: the
        // second one made gets `a_b_c_fkey1`.
        let x = entity(Table::create().table("x").col(id()).to_owned(), vec![]);
        let unnamed_key = |table: &'static str, column: &'static str| {
            let mut statement = Table::create()
                .table(table)
                .col(id())
                .col(ColumnDef::new(column).integer().null())
                .to_owned();
            statement.foreign_key(ForeignKey::create().from(table, column).to("x", "id"));
            entity(statement, vec![])
        };
        let a_b = unnamed_key("a_b", "c");
        let before = Entities {
            tables: vec![x.clone(), a_b.clone()],
            render: BTreeMap::new(),
        };
        let after = Entities {
            tables: vec![x.clone(), unnamed_key("a", "b_c"), a_b.clone()],
            render: BTreeMap::new(),
        };
        let dir = tempfile::tempdir().unwrap();
        read(&db, &before, &mut memo_in(&dir, &db)).await;
        let incremental = read(&db, &after, &mut memo_in(&dir, &db)).await;
        let full = read(&db, &after, &mut no_memo(&db)).await;
        assert_eq!(incremental.schema, full.schema, "{}", backend.name());
        let expected = if kind == DbBackend::Postgres {
            names(&["x", "a", "a_b"])
        } else {
            names(&["a"])
        };
        assert_eq!(incremental.built.whole, expected, "{}", backend.name());

        // An index name that another table's index holds: a full build fails where the schema
        // keeps one namespace for indexes, and so must the run.
        let mut tag = entity(
            Table::create()
                .table("tag")
                .col(id())
                .col(ColumnDef::new("label").integer().not_null())
                .to_owned(),
            vec![],
        );
        tag.indexes = vec![Index::create()
            .name("idx-shared")
            .table("tag")
            .col("label")
            .to_owned()];
        let mut a_b_indexed = a_b.clone();
        a_b_indexed.indexes = vec![Index::create()
            .name("idx-shared")
            .table("a_b")
            .col("c")
            .to_owned()];
        let before = Entities {
            tables: vec![x.clone(), a_b_indexed.clone()],
            render: BTreeMap::new(),
        };
        let after = Entities {
            tables: vec![x, a_b_indexed, tag],
            render: BTreeMap::new(),
        };
        let dir = tempfile::tempdir().unwrap();
        read(&db, &before, &mut memo_in(&dir, &db)).await;
        let incremental =
            scratch_schema(&db, &after.tables, &after.render, &mut memo_in(&dir, &db)).await;
        let full = scratch_schema(&db, &after.tables, &after.render, &mut no_memo(&db)).await;
        match kind {
            DbBackend::MySql => {
                assert_eq!(incremental.unwrap().schema, full.unwrap().schema, "mysql");
            }
            _ => {
                assert!(full.is_err(), "{}: the full build succeeds", backend.name());
                assert!(
                    incremental.is_err(),
                    "{}: the memo hid a failing build: {:?}",
                    backend.name(),
                    incremental.map(|d| d.built)
                );
            }
        }
        db.close().await.unwrap();
    }
}
