//! From the two sides to the operations of a new migration: read the sides, leave ignored tables
//! out, apply declared renames, diff, then settle every question (flags, an answers file, the
//! questioner) and turn the answers into operations. The CLI only prints what comes out.

use std::collections::BTreeSet;

use makemigrations_core::diff::{Note, StoredAlike};
use makemigrations_core::questions::{self, Answer, Question, Subject};
use makemigrations_core::{diff, DiffOptions, Operation, Schema};
use sea_orm::{ConnectionTrait, DatabaseTransaction, TransactionTrait};
use sha2::{Digest, Sha256};

use crate::database::core_backend;
use crate::error::Error;
use crate::executor;
use crate::questioner::{Interrupted, Questioner};
use crate::row_counts::RowCounter;
use crate::shadow::{self, Sides};
use crate::Project;

/// The live and desired schemas ready to diff, and the operations of the declared renames.
pub struct Compared {
    pub live: Schema,
    pub desired: Schema,
    /// What the entities themselves declare (ignored tables out, no fact of the database's
    /// kept in): the schema snapshot's content, the same whichever database it is compared with.
    pub declared: Schema,
    pub declared_renames: Vec<Operation>,
    pub options: DiffOptions,
    /// Enum types that ignored tables use: never dropped, whatever the entities say.
    kept_enums: Vec<String>,
    /// Live tables left alone: ignored, or neither described nor created by this project.
    pub unmanaged: Vec<String>,
    /// The differ's operations before any question is settled (declared renames apart).
    diffed: Vec<Operation>,
    /// Columns whose declared type this backend stores like another one.
    pub stored_alike: Vec<StoredAlike>,
    /// Differences the differ saw and did not make operations of (SQLite spellings).
    pub notes: Vec<Note>,
}

impl Compared {
    /// SHA-256 of the two schemas as compared: an answers file is refused when it changed.
    /// Computed on demand: serializing 1,000 tables takes about 140 ms in a debug build, too
    /// much for every run.
    pub fn schema_hash(&self) -> String {
        let phase = crate::timings::phase("schema hash");
        let mut hasher = Sha256::new();
        for schema in [&self.live, &self.desired] {
            serde_json::to_writer(&mut hasher, schema).expect("schemas serialize");
        }
        drop(phase);
        hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// What the schema snapshot says once a migration of these changes is written: the
    /// entities' own declaration.
    pub fn snapshot_schema(&self) -> &Schema {
        &self.declared
    }

    /// What the schema snapshot says once this database is adopted by a baseline: what the
    /// baseline creates, written as the entities declare it where the database agrees with them
    /// (`snapshot::before`), so that only what a later migration changes changes in it.
    pub fn baseline_snapshot_schema(&self) -> Schema {
        makemigrations_core::snapshot::before(&self.declared, &self.operations())
    }

    /// The operations that bring `live` to `desired`, without any question settled.
    pub fn operations(&self) -> Vec<Operation> {
        let mut ops = self.declared_renames.clone();
        ops.extend(self.diffed.iter().cloned());
        ops
    }

    /// The differ's operations from `live` (the live side with answered renames applied).
    fn diff_from(&self, live: &Schema) -> Vec<Operation> {
        let operations = diff(live, &self.desired, &self.options).operations;
        without_kept_enums(operations, &self.kept_enums)
    }
}

pub async fn compare<C>(project: &Project, db: &C) -> Result<Compared, Error>
where
    C: ConnectionTrait + TransactionTrait<Transaction = DatabaseTransaction>,
{
    compare_with(project, db, true).await
}

/// [`compare`], without reading the schema snapshot when `with_snapshot` is false: for
/// `makemigrations --merge`, which writes it again after git left both branches' versions in it.
pub async fn compare_with<C>(
    project: &Project,
    db: &C,
    with_snapshot: bool,
) -> Result<Compared, Error>
where
    C: ConnectionTrait + TransactionTrait<Transaction = DatabaseTransaction>,
{
    let Sides {
        mut live,
        mut desired,
        renames,
        table_renames,
        unmapped,
    } = shadow::read_sides(db, &project.entities, project.shadow_url.as_deref()).await?;
    let kept_enums: Vec<String> = live
        .tables
        .values()
        .filter(|t| project.is_ignored(&t.name) && !crate::is_tool_table(&t.name))
        .flat_map(|t| t.columns.iter().map(|c| c.db_type.clone()))
        .filter(|db_type| live.enums.contains_key(db_type))
        .collect();
    let mut ignored = Vec::new();
    for schema in [&mut live, &mut desired] {
        schema.tables.retain(|name, _| {
            let keep = !project.is_ignored(name);
            if !keep && !ignored.contains(name) && !crate::is_tool_table(name) {
                ignored.push(name.clone());
            }
            keep
        });
    }
    // What the entities themselves declare, before the database's version of kept and ignored
    // facts goes in: only this is compared with the snapshot (a fact kept from the database is
    // the database's, not a declared change).
    let declared = desired.clone();
    let declared_renames = apply_declarations(
        &mut live,
        &mut desired,
        &Declared {
            table_renames: &table_renames,
            renames: &renames,
            unmapped: &unmapped,
        },
        &project.keep_database,
    );
    // A change of declared type that this backend stores alike (SQLite's i32 and i64) shows
    // against the snapshot's declared types, and becomes an alter on every backend. Without a
    // migration a snapshot left behind describes nothing this database has (an adoption).
    let snapshot = crate::writer::snapshot_path(project.migrations_dir.as_ref());
    // Read (so that one with conflict markers is refused) but used only with migrations: a
    // snapshot left without them describes nothing this database has (an adoption).
    let in_snapshot = if with_snapshot {
        crate::writer::read_declared_types(&snapshot)?
    } else {
        None
    };
    if let Some(in_snapshot) = in_snapshot.filter(|_| !(project.migrations)().is_empty()) {
        let entities_only = declared_columns_only(&desired, &declared);
        makemigrations_core::snapshot::mark_declared_type_changes(
            &mut live,
            &entities_only,
            &in_snapshot,
            &makemigrations_core::snapshot::former_names(&declared_renames, &desired),
        );
    }
    let options = DiffOptions {
        backend: core_backend(db.get_database_backend()),
        owned_tables: executor::owned_tables(db).await?,
        exact_sqlite_types: project.exact_sqlite_types,
        exact_names: project.exact_names,
    };
    Ok(Compared::finish(
        live,
        desired,
        declared,
        options,
        declared_renames,
        kept_enums,
        ignored,
    ))
}

/// `desired` with only the columns that are the entities' own declaration: a column the
/// database's version replaced (`keep_database`, an `ignore` field kept as it is) is left out.
fn declared_columns_only(desired: &Schema, declared: &Schema) -> Schema {
    let mut only = desired.clone();
    for (name, table) in only.tables.iter_mut() {
        let entity_table = declared.tables.get(name);
        table.columns.retain(|column| {
            entity_table
                .and_then(|t| t.column(&column.name))
                .is_some_and(|own| own.col_type == column.col_type && own.db_type == column.db_type)
        });
    }
    only
}

/// What the entities declare beyond their tables: renames and `ignore` fields.
struct Declared<'a> {
    table_renames: &'a [(String, String)],
    renames: &'a [(String, String, String)],
    unmapped: &'a [(String, &'static str)],
}

/// Applies the declared renames to the live side (and returns their operations), then takes the
/// live columns of `ignore` fields and the kinds the project keeps into the desired side. In
/// that order: entities name tables and columns by their new names, so a table renamed through
/// `TABLE_RENAMED_FROM` must be under its new name before its ignored columns are looked up.
fn apply_declarations(
    live: &mut Schema,
    desired: &mut Schema,
    declared: &Declared,
    keep: &[makemigrations_core::adoption::Keep],
) -> Vec<Operation> {
    let operations =
        diff::apply_declared_renames(live, desired, declared.table_renames, declared.renames);
    shadow::keep_unmapped_columns(live, desired, declared.unmapped);
    makemigrations_core::adoption::keep_database_version(live, desired, keep);
    operations
}

/// Whether the database has tables the entities describe: with no migrations yet, that is a
/// database to adopt, not one to change.
pub fn adoptable(compared: &Compared) -> bool {
    compared
        .live
        .tables
        .keys()
        .any(|t| compared.desired.tables.contains_key(t))
}

/// The baseline of an adopted database: the live tables that entities describe (and the enum
/// types they use), as operations from an empty database. The database's version, not the
/// entities': a database built from the history must be the one adopted, so that the migrations
/// written after it apply to both.
pub fn baseline_operations(compared: &Compared) -> Vec<Operation> {
    let mut adopted = Schema::default();
    for (name, table) in &compared.live.tables {
        if compared.desired.tables.contains_key(name) {
            adopted.tables.insert(name.clone(), table.clone());
        }
    }
    // By the declared type: an array of an enum, or a quoted name, spells `db_type` otherwise.
    fn enum_name(t: &makemigrations_core::ColumnType) -> Option<&str> {
        match t {
            makemigrations_core::ColumnType::Enum { name, .. } => Some(name),
            makemigrations_core::ColumnType::Array(element) => enum_name(element),
            _ => None,
        }
    }
    let used: BTreeSet<&str> = adopted
        .tables
        .values()
        .flat_map(|t| t.columns.iter())
        .flat_map(|c| [Some(c.db_type.as_str()), enum_name(&c.col_type)])
        .flatten()
        .collect();
    adopted.enums = compared
        .live
        .enums
        .iter()
        .filter(|(name, _)| used.contains(name.as_str()))
        .map(|(n, e)| (n.clone(), e.clone()))
        .collect();
    diff(&Schema::default(), &adopted, &compared.options).operations
}

/// `(table, referenced table)` for each foreign key from an adopted table to a table the
/// baseline does not create: on an empty database the baseline fails until that table exists.
pub fn references_outside_baseline(compared: &Compared) -> Vec<(String, String)> {
    compared
        .live
        .tables
        .values()
        .filter(|t| compared.desired.tables.contains_key(&t.name))
        .flat_map(|t| {
            t.referenced_tables()
                .filter(|r| !compared.desired.tables.contains_key(*r))
                .map(|r| (t.name.clone(), r.to_string()))
                .collect::<Vec<_>>()
        })
        .collect()
}

impl Compared {
    /// Two schemas compared as they are: no declared renames, nothing ignored (for library
    /// users and tests that build the schemas themselves).
    pub fn of(live: Schema, desired: Schema, options: DiffOptions) -> Compared {
        let declared = desired.clone();
        Compared::finish(
            live,
            desired,
            declared,
            options,
            Vec::new(),
            Vec::new(),
            Vec::new(),
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn finish(
        mut live: Schema,
        desired: Schema,
        declared: Schema,
        options: DiffOptions,
        declared_renames: Vec<Operation>,
        kept_enums: Vec<String>,
        ignored: Vec<String>,
    ) -> Compared {
        let stored_alike = diff::stored_alike(&live, &desired);
        diff::declared_types_where_stored_alike(&mut live, &desired);
        let phase = crate::timings::phase("diff");
        let result = diff(&live, &desired, &options);
        drop(phase);
        let mut unmanaged = result.unmanaged_tables;
        unmanaged.extend(ignored);
        unmanaged.sort();
        let diffed = without_kept_enums(result.operations, &kept_enums);
        let notes = result.notes;
        Compared {
            live,
            desired,
            declared,
            declared_renames,
            options,
            kept_enums,
            unmanaged,
            diffed,
            stored_alike,
            notes,
        }
    }
}

/// Enum types that ignored tables use are never dropped, whatever the entities say.
fn without_kept_enums(operations: Vec<Operation>, kept_enums: &[String]) -> Vec<Operation> {
    operations
        .into_iter()
        .filter(|op| !matches!(op, Operation::DropEnum(e) if kept_enums.contains(&e.name)))
        .collect()
}

/// Answers given before any question is asked: flags and an answers file.
#[derive(Debug, Clone, Default)]
pub struct GivenAnswers {
    /// `(key, answer, where it came from)`. A key ending in `:` answers every question whose id
    /// starts with it (`--no-rename users.bio` is `rename_column:users.bio:`).
    pub answers: Vec<(String, Answer, String)>,
    /// The hash the answers were given for (an answers file), checked against this run's.
    pub schema_hash: Option<String>,
}

impl GivenAnswers {
    fn find(&self, question: &Question) -> Option<&(String, Answer, String)> {
        self.answers.iter().find(|(key, _, _)| {
            key == &question.id || (key.ends_with(':') && question.id.starts_with(key.as_str()))
        })
    }
}

/// What `makemigrations` will write, and what it could not decide.
pub struct Plan {
    pub operations: Vec<Operation>,
    pub answered: Vec<(Question, Answer)>,
    pub unanswered: Vec<Question>,
    /// Given answers that matched no question (a typo, or a question that no longer arises).
    pub unused: Vec<String>,
    /// Rows of the table each operation acts on, for the operations that can lose data.
    pub rows: Vec<Option<u64>>,
}

/// Settles every question: a given answer first, else the questioner. Renames come first, since
/// they change what the differ sees; the value questions are asked on the operations that are
/// left. An unanswered rename counts as "not a rename" for the questions after it, so that every
/// open question is listed at once.
pub async fn plan<C, Q>(
    compared: &Compared,
    given: &GivenAnswers,
    questioner: &mut Q,
    db: &C,
) -> Result<Plan, Error>
where
    C: ConnectionTrait,
    Q: Questioner,
{
    if let Some(hash) = &given.schema_hash {
        let current = compared.schema_hash();
        if *hash != current {
            return Err(Error::StaleAnswers {
                given: hash.clone(),
                current,
            });
        }
    }
    let mut counter = RowCounter::new(db);
    let mut live = compared.live.clone();
    let mut operations = compared.diffed.clone();
    let mut renames: Vec<Operation> = Vec::new();
    let mut answered: Vec<(Question, Answer)> = Vec::new();
    let mut unanswered: Vec<Question> = Vec::new();
    let mut settled: BTreeSet<String> = BTreeSet::new();
    let mut used: BTreeSet<String> = BTreeSet::new();

    // Renames the user gave though no question arose (a rename with a change) come first.
    let given_ids = given
        .answers
        .iter()
        .filter_map(|(key, answer, _)| (*answer == Answer::Rename).then_some(key.as_str()));
    let mut forced = Vec::new();
    for question in questions::given_renames(&live, &compared.desired, given_ids) {
        used.insert(question.id.clone());
        settled.insert(question.id.clone());
        forced.push(question.subject.clone());
        answered.push((question, Answer::Rename));
    }
    if !forced.is_empty() {
        renames.extend(questions::apply_renames(&mut live, &forced));
        operations = compared.diff_from(&live);
    }

    // Renames, round by round: a renamed table may show renamed columns. Questions with a given
    // answer are settled first, so that one the answer rules out is never asked.
    loop {
        let mut renamed = Vec::new();
        let mut round = questions::rename_questions(&operations);
        round.sort_by_key(|q| given.find(q).is_none());
        for mut question in round {
            if !settled.insert(question.id.clone()) {
                continue;
            }
            // A column (or table) renamed already in this round cannot be renamed again.
            if renamed.iter().any(|s| overlaps(s, &question.subject)) {
                continue;
            }
            question.rows = counter.for_question(&question).await;
            match answer(&question, given, questioner, &mut used).await? {
                Some(Answer::Rename) => {
                    renamed.push(question.subject.clone());
                    answered.push((question, Answer::Rename));
                }
                Some(answer) => answered.push((question, answer)),
                None => unanswered.push(question),
            }
        }
        if renamed.is_empty() {
            break;
        }
        renames.extend(questions::apply_renames(&mut live, &renamed));
        operations = compared.diff_from(&live);
    }

    let mut value_answers = Vec::new();
    for mut question in questions::value_questions(&operations) {
        question.rows = counter.for_question(&question).await;
        match answer(&question, given, questioner, &mut used).await? {
            Some(answer) => {
                value_answers.push((question.clone(), answer.clone()));
                answered.push((question, answer));
            }
            None => unanswered.push(question),
        }
    }
    // Declared renames run first, then the answered ones, then the rest.
    let operations: Vec<Operation> = compared
        .declared_renames
        .iter()
        .cloned()
        .chain(renames)
        .chain(questions::apply(operations, &value_answers))
        .collect();
    let mut rows = Vec::with_capacity(operations.len());
    for op in &operations {
        rows.push(match table_losing_data(op) {
            Some(table) => counter.count(&table, &questions::RowFilter::All).await,
            None => None,
        });
    }
    let unused = given
        .answers
        .iter()
        .filter(|(key, _, _)| !used.contains(key))
        .map(|(_, _, source)| source.clone())
        .collect();
    Ok(Plan {
        operations,
        answered,
        unanswered,
        unused,
        rows,
    })
}

/// The table whose rows an operation that can lose data acts on.
fn table_losing_data(op: &Operation) -> Option<String> {
    op.loses_data()?;
    match op {
        Operation::DropTable(t) => Some(t.name.clone()),
        Operation::DropColumn { table, .. }
        | Operation::AlterColumn { table, .. }
        | Operation::UpdateRows { table, .. } => Some(table.clone()),
        Operation::AlterEnum { columns, .. } => columns.first().map(|(t, _)| t.clone()),
        _ => None,
    }
}

/// Two rename subjects that share a source or a target.
fn overlaps(a: &Subject, b: &Subject) -> bool {
    match (a, b) {
        (
            Subject::RenameColumn {
                table: ta,
                from: fa,
                to: oa,
            },
            Subject::RenameColumn {
                table: tb,
                from: fb,
                to: ob,
            },
        ) => ta == tb && (fa.name == fb.name || oa.name == ob.name),
        (Subject::RenameTable { from: fa, to: ta }, Subject::RenameTable { from: fb, to: tb }) => {
            fa == fb || ta == tb
        }
        _ => false,
    }
}

async fn answer<Q: Questioner>(
    question: &Question,
    given: &GivenAnswers,
    questioner: &mut Q,
    used: &mut BTreeSet<String>,
) -> Result<Option<Answer>, Error> {
    if let Some((key, answer, source)) = given.find(question) {
        used.insert(key.clone());
        question.check(answer).map_err(|why| Error::BadAnswer {
            given: source.clone(),
            why,
        })?;
        return Ok(Some(answer.clone()));
    }
    match questioner.ask(question).await {
        Ok(answer) => Ok(answer),
        Err(Interrupted) => Err(Error::Interrupted),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;

    use makemigrations_core::{Backend, Column, ColumnType, Table};
    use sea_orm::{ConnectionTrait, Database};

    use super::*;
    use crate::questioner::Scripted;

    fn users(columns: &[(&str, bool)]) -> Schema {
        let mut table = Table::new("users");
        table.primary_key = vec!["id".into()];
        let mut id = Column::new("id", ColumnType::Integer, "integer");
        id.nullable = false;
        table.columns.push(id);
        for (name, nullable) in columns {
            let mut c = Column::new(*name, ColumnType::Text, "text");
            c.nullable = *nullable;
            table.columns.push(c);
        }
        let mut schema = Schema::default();
        schema.tables.insert("users".into(), table);
        schema
    }

    fn compared() -> Compared {
        Compared::of(
            users(&[("bio", true)]),
            users(&[("about", true), ("country", false)]),
            DiffOptions {
                backend: Backend::Sqlite,
                owned_tables: Default::default(),
                exact_sqlite_types: false,
                exact_names: false,
            },
        )
    }

    /// A real (in-memory) database, for the row counts the questions show.
    async fn database() -> sea_orm::DatabaseConnection {
        let db = Database::connect("sqlite::memory:").await.unwrap();
        db.execute_unprepared(
            "CREATE TABLE users (id integer primary key, bio text); INSERT INTO users (bio) VALUES ('a'), (NULL);",
        )
        .await
        .unwrap();
        db
    }

    /// An `ignore` field of an entity whose table is renamed through `TABLE_RENAMED_FROM`: the
    /// live column (and its index) is found under the table's former name, carried over, and
    /// the rename is the only operation.
    #[test]
    fn an_ignored_column_survives_a_declared_table_rename() {
        let mut documents = Table::new("documents");
        documents.primary_key = vec!["id".into()];
        documents
            .columns
            .push(Column::new("id", ColumnType::Integer, "integer"));
        documents.columns.push(Column::new(
            "search",
            ColumnType::Custom("tsvector".into()),
            "tsvector",
        ));
        documents.indexes.push(makemigrations_core::Index {
            name: "documents_search_idx".into(),
            columns: vec!["search".into()],
            unique: false,
            constraint: false,
        });
        let mut live = Schema::default();
        live.tables.insert("documents".into(), documents.clone());
        let mut papers = documents.clone();
        papers.name = "papers".into();
        papers.columns.truncate(1);
        papers.indexes.clear();
        let mut desired = Schema::default();
        desired.tables.insert("papers".into(), papers);

        let declared_renames = apply_declarations(
            &mut live,
            &mut desired,
            &Declared {
                table_renames: &[("documents".into(), "papers".into())],
                renames: &[],
                unmapped: &[("papers".into(), "search")],
            },
            &[],
        );
        let declared = desired.clone();
        let compared = Compared::finish(
            live,
            desired,
            declared,
            DiffOptions {
                backend: Backend::Postgres,
                owned_tables: Default::default(),
                exact_sqlite_types: false,
                exact_names: false,
            },
            declared_renames,
            Vec::new(),
            Vec::new(),
        );
        let described: Vec<String> = compared
            .operations()
            .iter()
            .map(Operation::describe)
            .collect();
        assert_eq!(described, ["Rename table documents to papers"]);
    }

    fn lines(plan: &Plan) -> Vec<String> {
        plan.operations.iter().map(Operation::describe).collect()
    }

    #[tokio::test]
    async fn the_questioner_answers_what_flags_left_open() {
        let db = database().await;
        let mut questioner = Scripted(VecDeque::from([
            Some(Answer::Rename),
            Some(Answer::Default("'XX'".into())),
        ]));
        let plan = plan(&compared(), &GivenAnswers::default(), &mut questioner, &db)
            .await
            .unwrap();
        assert!(plan.unanswered.is_empty());
        assert_eq!(
            lines(&plan),
            [
                "Rename column users.bio to about",
                "Add column users.country",
                "Alter column users.country: default 'XX' -> none",
            ]
        );
        assert_eq!(plan.answered[0].0.rows.map(|r| r.rows), Some(2));
    }

    #[tokio::test]
    async fn without_a_questioner_every_open_question_is_listed() {
        let db = database().await;
        let plan = plan(
            &compared(),
            &GivenAnswers::default(),
            &mut crate::questioner::NoInput,
            &db,
        )
        .await
        .unwrap();
        let ids: Vec<&str> = plan.unanswered.iter().map(|q| q.id.as_str()).collect();
        assert_eq!(
            ids,
            ["rename_column:users.bio:about", "not_null:users.country"]
        );
    }

    #[tokio::test]
    async fn given_answers_come_before_the_questioner_and_must_fit() {
        let db = database().await;
        let given = GivenAnswers {
            answers: vec![
                (
                    "rename_column:users.bio:".into(),
                    Answer::NoRename,
                    "--no-rename users.bio".into(),
                ),
                (
                    "not_null:users.country".into(),
                    Answer::Backfill,
                    "--backfill users.country".into(),
                ),
            ],
            schema_hash: None,
        };
        // The questioner would say otherwise; it is not asked.
        let mut questioner = Scripted(VecDeque::from([Some(Answer::Rename)]));
        let plan = plan(&compared(), &given, &mut questioner, &db)
            .await
            .unwrap();
        assert_eq!(
            lines(&plan),
            [
                "Add column users.about",
                "Add column users.country",
                "Backfill users.country (a data step for you to write)",
                "Alter column users.country: NULL -> NOT NULL",
                "Drop column users.bio",
            ]
        );
        assert_eq!(plan.rows[4], Some(2), "the drop shows the rows it loses");

        let wrong = GivenAnswers {
            answers: vec![(
                "not_null:users.country".into(),
                Answer::Default("XX".into()),
                "--default users.country=XX".into(),
            )],
            schema_hash: Some(compared().schema_hash()),
        };
        let err = plan_err(&wrong, &db).await;
        assert!(matches!(err, Error::BadAnswer { .. }), "{err}");
        let stale = GivenAnswers {
            answers: Vec::new(),
            schema_hash: Some("0000".into()),
        };
        assert!(matches!(
            plan_err(&stale, &db).await,
            Error::StaleAnswers { .. }
        ));
    }

    /// A given rename settles its round before anyone is asked, and a rename with a change (no
    /// question arises there) is still a rename when the user says so.
    #[tokio::test]
    async fn a_given_rename_rules_out_the_other_candidates_and_may_come_with_a_change() {
        let db = database().await;
        let options = DiffOptions {
            backend: Backend::Sqlite,
            owned_tables: Default::default(),
            exact_sqlite_types: false,
            exact_names: false,
        };
        let given = |id: &str| GivenAnswers {
            answers: vec![(id.into(), Answer::Rename, format!("flag for {id}"))],
            schema_hash: None,
        };
        let two_candidates = Compared::of(
            users(&[("bio", true)]),
            users(&[("about", true), ("summary", true)]),
            options.clone(),
        );
        let first = plan(
            &two_candidates,
            &given("rename_column:users.bio:summary"),
            &mut crate::questioner::NoInput,
            &db,
        )
        .await
        .unwrap();
        assert!(first.unanswered.is_empty(), "{:?}", first.unanswered);
        assert_eq!(
            lines(&first),
            [
                "Rename column users.bio to summary",
                "Add column users.about"
            ]
        );

        let renamed_and_not_null =
            Compared::of(users(&[("bio", true)]), users(&[("about", false)]), options);
        let mut answers = given("rename_column:users.bio:about");
        answers.answers.push((
            "not_null:users.about".into(),
            Answer::Default("''".into()),
            "--default users.about=''".into(),
        ));
        let plan = plan(
            &renamed_and_not_null,
            &answers,
            &mut crate::questioner::NoInput,
            &db,
        )
        .await
        .unwrap();
        assert!(plan.unanswered.is_empty() && plan.unused.is_empty());
        assert_eq!(
            lines(&plan),
            [
                "Rename column users.bio to about",
                "Set users.about to '' where it is NULL",
                "Alter column users.about: NULL -> NOT NULL"
            ]
        );
    }

    async fn plan_err(given: &GivenAnswers, db: &sea_orm::DatabaseConnection) -> Error {
        match plan(&compared(), given, &mut crate::questioner::NoInput, db).await {
            Ok(_) => panic!("the answers were taken"),
            Err(e) => e,
        }
    }
}
