//! From the two sides to the operations of a new migration: read the sides, leave ignored tables
//! out, apply declared renames, diff, then settle every question (flags, an answers file, the
//! questioner) and turn the answers into operations. The CLI only prints what comes out.

use std::collections::BTreeSet;

use makemigrations_core::diff::StoredAlike;
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
    /// Hash of the two schemas as compared: an answers file is refused when it changed.
    pub schema_hash: String,
}

impl Compared {
    /// The operations that bring `live` to `desired`, without any question settled.
    pub fn operations(&self) -> Vec<Operation> {
        let mut ops = self.declared_renames.clone();
        ops.extend(self.diffed.iter().cloned());
        ops
    }

    /// The differ's operations from `live` (the live side with answered renames applied).
    fn diff_from(&self, live: &Schema) -> Vec<Operation> {
        diff(live, &self.desired, &self.options)
            .operations
            .into_iter()
            .filter(|op| !matches!(op, Operation::DropEnum(e) if self.kept_enums.contains(&e.name)))
            .collect()
    }
}

pub async fn compare<C>(project: &Project, db: &C) -> Result<Compared, Error>
where
    C: ConnectionTrait + TransactionTrait<Transaction = DatabaseTransaction>,
{
    let Sides {
        mut live,
        mut desired,
        renames,
        table_renames,
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
    let declared_renames =
        diff::apply_declared_renames(&mut live, &desired, &table_renames, &renames);
    let options = DiffOptions {
        backend: core_backend(db.get_database_backend()),
        owned_tables: executor::owned_tables(db).await?,
    };
    let stored_alike = diff::stored_alike(&live, &desired);
    diff::declared_types_where_stored_alike(&mut live, &desired);
    let schema_hash = schema_hash(&live, &desired);
    let phase = crate::timings::phase("diff");
    let result = diff(&live, &desired, &options);
    drop(phase);
    let mut unmanaged = result.unmanaged_tables;
    unmanaged.extend(ignored);
    unmanaged.sort();
    let diffed = result
        .operations
        .into_iter()
        .filter(|op| !matches!(op, Operation::DropEnum(e) if kept_enums.contains(&e.name)))
        .collect();
    Ok(Compared {
        live,
        desired,
        declared_renames,
        options,
        kept_enums,
        unmanaged,
        diffed,
        stored_alike,
        schema_hash,
    })
}

fn schema_hash(live: &Schema, desired: &Schema) -> String {
    let mut hasher = Sha256::new();
    for schema in [live, desired] {
        hasher.update(serde_json::to_vec(schema).expect("schemas serialize"));
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
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
        if *hash != compared.schema_hash {
            return Err(Error::StaleAnswers {
                given: hash.clone(),
                current: compared.schema_hash.clone(),
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

    // Renames, round by round: a renamed table may show renamed columns.
    loop {
        let mut renamed = Vec::new();
        for mut question in questions::rename_questions(&operations) {
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
