//! Who answers the questions that flags and an answers file left open: a person at a terminal
//! (Django-style prompts), or nobody (CI, scripts, `--no-input`, `--check`, `--dry-run`), in which
//! case the question stays unanswered and the command stops with nothing written. Injected, as
//! Django's `MigrationQuestioner`, so the flows are tested without a terminal.

use std::io::{IsTerminal, Write};

use makemigrations_core::questions::{Answer, Question, Subject};

/// Ctrl-C or the end of input at a prompt: the command ends with nothing written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interrupted;

pub trait Questioner {
    /// The answer, or `None` when this questioner cannot ask (the question stays open).
    fn ask(
        &mut self,
        question: &Question,
    ) -> impl std::future::Future<Output = Result<Option<Answer>, Interrupted>>;
}

/// Nobody to ask: every open question stays open.
pub struct NoInput;

impl Questioner for NoInput {
    async fn ask(&mut self, _question: &Question) -> Result<Option<Answer>, Interrupted> {
        Ok(None)
    }
}

/// Answers from a list, in order (tests); `None` once the list is used up.
pub struct Scripted(pub std::collections::VecDeque<Option<Answer>>);

impl Questioner for Scripted {
    async fn ask(&mut self, _question: &Question) -> Result<Option<Answer>, Interrupted> {
        Ok(self.0.pop_front().flatten())
    }
}

/// Prompts on the terminal. Lines are read on a thread of their own so that Ctrl-C is seen
/// while a prompt waits (a Ctrl-C handler installed earlier would otherwise swallow it).
pub struct Terminal {
    lines: tokio::sync::mpsc::UnboundedReceiver<Option<String>>,
    /// The user chose to quit: nothing more is asked, and what is open stays open (exit 3).
    quit: bool,
}

impl Terminal {
    /// `None` when standard input is not a terminal.
    pub fn open() -> Option<Terminal> {
        if !std::io::stdin().is_terminal() {
            return None;
        }
        let (sender, lines) = tokio::sync::mpsc::unbounded_channel();
        std::thread::spawn(move || loop {
            let mut line = String::new();
            let read = std::io::stdin().read_line(&mut line);
            let end = !matches!(read, Ok(n) if n > 0);
            if sender.send((!end).then_some(line)).is_err() || end {
                return;
            }
        });
        Some(Terminal { lines, quit: false })
    }

    async fn line(&mut self, prompt: &str) -> Result<String, Interrupted> {
        let _handled = crate::interrupt::Handled::new();
        print!("{prompt}");
        let _ = std::io::stdout().flush();
        tokio::select! {
            line = self.lines.recv() => match line.flatten() {
                Some(line) => Ok(line.trim().to_string()),
                None => {
                    println!();
                    Err(Interrupted)
                }
            },
            _ = tokio::signal::ctrl_c() => {
                crate::interrupt::seen();
                println!();
                Err(Interrupted)
            }
        }
    }

    /// `prompt [y/N]`, asked again until the answer is one of those.
    pub async fn yes_no(&mut self, prompt: &str) -> Result<bool, Interrupted> {
        loop {
            match self.line(&format!("{prompt} [y/N] ")).await?.as_str() {
                "y" | "Y" | "yes" => return Ok(true),
                "" | "n" | "N" | "no" => return Ok(false),
                _ => println!("Please answer y or n."),
            }
        }
    }
}

impl Questioner for Terminal {
    async fn ask(&mut self, question: &Question) -> Result<Option<Answer>, Interrupted> {
        if self.quit {
            return Ok(None);
        }
        let answer = self.prompt(question).await?;
        self.quit = answer.is_none();
        Ok(answer)
    }
}

impl Terminal {
    /// One question at the prompt; `None` when the user quits.
    async fn prompt(&mut self, question: &Question) -> Result<Option<Answer>, Interrupted> {
        let counts = question
            .rows_text()
            .map(|t| format!(" ({t})"))
            .unwrap_or_default();
        match &question.subject {
            Subject::RenameColumn { .. } | Subject::RenameTable { .. } => {
                let renamed = self.yes_no(&format!("{}{counts}", question.text())).await?;
                Ok(Some(if renamed {
                    Answer::Rename
                } else {
                    Answer::NoRename
                }))
            }
            Subject::NotNull { table, column, .. } => {
                println!("{}{counts}", question.text());
                println!(" 1) Give a one-off value now for the existing rows (an SQL literal such as 0, 'n/a', true, '2000-01-01', CURRENT_TIMESTAMP); it is not kept as a default");
                println!(" 2) Backfill: add it nullable, write the values in the migration, then set NOT NULL");
                println!(
                    " 3) Quit, and give {table}.{} a default or make it nullable in the entity",
                    column.name
                );
                loop {
                    match self.line("Select an option: ").await?.as_str() {
                        "1" => loop {
                            let value = self.line("Value: ").await?;
                            if value.is_empty() {
                                break;
                            }
                            let answer = Answer::Default(value);
                            match question.check(&answer) {
                                Ok(()) => return Ok(Some(answer)),
                                Err(why) => println!("{why}"),
                            }
                        },
                        "2" => return Ok(Some(Answer::Backfill)),
                        "3" => return Ok(None),
                        _ => println!("Please select 1, 2 or 3."),
                    }
                }
            }
            Subject::EnumValueRemoved { remaining, .. } => {
                println!("{}{counts}", question.text());
                loop {
                    let value = self
                        .line(&format!(
                            "Which value should those rows get ({})? Empty input quits, writing nothing: ",
                            remaining.join(", ")
                        ))
                        .await?;
                    if value.is_empty() {
                        return Ok(None);
                    }
                    let answer = Answer::Replace(value);
                    match question.check(&answer) {
                        Ok(()) => return Ok(Some(answer)),
                        Err(why) => println!("{why}"),
                    }
                }
            }
            Subject::NarrowingType { .. } => {
                let go = self
                    .yes_no(&format!("{}{counts} Go ahead?", question.text()))
                    .await?;
                Ok(go.then_some(Answer::Allow))
            }
        }
    }
}
