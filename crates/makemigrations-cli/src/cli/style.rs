//! The few colours of the terminal output, in one place. Text is painted with ANSI styles and
//! printed through `anstream`, which strips them when the stream is not a terminal, when
//! `NO_COLOR` is set, or under `CLICOLOR=0` (and keeps them under `CLICOLOR_FORCE=1`). So pipes,
//! CI logs and `--format json` get the same plain text as before.

use anstyle::{AnsiColor, Style};

/// `+` steps, `OK`, a clean `check`.
pub(super) const GOOD: Style = AnsiColor::Green.on_default();
/// `-` steps.
pub(super) const REMOVED: Style = AnsiColor::Red.on_default();
/// `~` steps, `warning:`.
pub(super) const CHANGED: Style = AnsiColor::Yellow.on_default();
/// `!` steps (data can be lost), `error:`, `FAILED`.
pub(super) const DANGER: Style = AnsiColor::Red.on_default().bold();
/// `fix:`, the command to run next.
pub(super) const HINT: Style = AnsiColor::Cyan.on_default();
/// Headings: `Migrations for ...`, `Applying 3 migration(s):`.
pub(super) const HEADING: Style = Style::new().bold();

/// `text` in `style` (the reset follows it).
pub(super) fn paint(style: Style, text: impl std::fmt::Display) -> String {
    format!("{style}{text}{style:#}")
}

/// The style of an operation's symbol: `+`, `-`, `~`, or `!` where data can be lost.
pub(super) fn of_symbol(symbol: char) -> Style {
    match symbol {
        '+' => GOOD,
        '-' => REMOVED,
        '~' => CHANGED,
        '!' => DANGER,
        _ => Style::new(),
    }
}

/// An error's text as printed: `error:` in red, and each `fix:` line's label in cyan.
pub(super) fn error(text: &str) -> String {
    format!("{} {}", paint(DANGER, "error:"), labels(text))
}

/// `fix:` at the start of a line (after its indentation), painted.
fn labels(text: &str) -> String {
    text.lines()
        .map(|line| {
            let body = line.trim_start();
            match body.strip_prefix("fix:") {
                Some(rest) => format!(
                    "{}{}{rest}",
                    &line[..line.len() - body.len()],
                    paint(HINT, "fix:")
                ),
                None => line.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stripped_text_is_the_plain_text() {
        let painted = error("enum type mood exists\n  fix: change the entity");
        assert_eq!(
            anstream::adapter::strip_str(&painted).to_string(),
            "error: enum type mood exists\n  fix: change the entity"
        );
        assert!(painted.contains("\u{1b}["), "{painted:?}");
    }
}
