//! `makemigrations` at a real terminal (a pseudo-terminal): the prompts a person answers, and
//! Ctrl-C or the end of input at a prompt, which end the command with exit 130 and nothing
//! written.
#![cfg(unix)]

mod support;

use rexpect::process::wait::WaitStatus;
use rexpect::session::spawn_command;
use support::{Backend, TestProject};

const TIMEOUT_MS: Option<u64> = Some(60_000);

#[tokio::test(flavor = "multi_thread")]
async fn prompts_at_a_terminal_and_stops_cleanly_on_ctrl_c_or_end_of_input() {
    let project = TestProject::new();
    let db = Backend::sqlite();
    project.build();
    assert!(project.run(&db, &["makemigrations"]).success);
    project.build();
    assert!(project.run(&db, &["migrate"]).success);
    db.seed().await;
    project.edit_entity(
        "users.rs",
        "pub bio: Option<String>",
        "pub about: Option<String>",
    );
    project.edit_entity(
        "users.rs",
        "pub display_name: String,",
        "pub display_name: String,\n    pub country: String,",
    );
    project.build();
    let files = project.migration_files();

    // Ctrl-C at the rename question.
    let mut session = spawn_command(project.command(&db, &["makemigrations"]), TIMEOUT_MS).unwrap();
    session
        .exp_string("Did you rename users.bio to users.about (text)? (users has 1 row) [y/N]")
        .unwrap();
    session.send_control('c').unwrap();
    session
        .exp_string("interrupted: nothing was written")
        .unwrap();
    assert_eq!(
        session.process.wait().unwrap(),
        WaitStatus::Exited(session.process.child_pid, 130)
    );
    assert_eq!(project.migration_files(), files);

    // End of input (Ctrl-D) at the NOT NULL question.
    let mut session = spawn_command(project.command(&db, &["makemigrations"]), TIMEOUT_MS).unwrap();
    session.exp_string("[y/N]").unwrap();
    session.send_line("y").unwrap();
    session
        .exp_string("users.country is added NOT NULL without a default")
        .unwrap();
    session.exp_string("Select an option:").unwrap();
    session.send_control('d').unwrap();
    session.exp_eof().unwrap();
    assert_eq!(
        session.process.wait().unwrap(),
        WaitStatus::Exited(session.process.child_pid, 130)
    );
    assert_eq!(project.migration_files(), files);

    // Answered: a rename, and a one-off value that is asked again until it fits the type.
    let mut session = spawn_command(project.command(&db, &["makemigrations"]), TIMEOUT_MS).unwrap();
    session.exp_string("[y/N]").unwrap();
    session.send_line("y").unwrap();
    session.exp_string("Select an option:").unwrap();
    session.send_line("1").unwrap();
    session.exp_string("Value:").unwrap();
    session.send_line("abc").unwrap();
    session
        .exp_string("text is quoted in SQL, like 'abc'")
        .unwrap();
    session.exp_string("Value:").unwrap();
    session.send_line("'XX'").unwrap();
    session
        .exp_string("~ Rename column users.bio to about")
        .unwrap();
    session.exp_eof().unwrap();
    assert_eq!(
        session.process.wait().unwrap(),
        WaitStatus::Exited(session.process.child_pid, 0)
    );
    assert_eq!(project.migration_files().len(), files.len() + 1);
    project.build();
    let out = project.run(&db, &["migrate"]);
    assert!(out.success, "{}", out.text);
}
