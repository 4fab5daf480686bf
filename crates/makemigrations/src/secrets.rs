//! The passwords of the URLs this process connected with, kept out of what is written where the
//! URL is not at hand (the log table, the `-v` trace, error messages).

/// The passwords of every URL this process connected with, longest first (a password that
/// contains another is replaced whole).
static SECRETS: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// Remembers passwords (the tool's `database::connect` hands over those of each URL).
pub fn remember(passwords: Vec<String>) {
    let mut secrets = SECRETS.lock().unwrap_or_else(|e| e.into_inner());
    for password in passwords {
        if !secrets.contains(&password) {
            secrets.push(password);
        }
    }
    secrets.sort_by_key(|p| std::cmp::Reverse(p.len()));
}

/// `text` without any password of a URL this process connected with: for what is written
/// where the URL is not at hand (the log table, the `-v` trace).
pub fn hide_secrets(text: &str) -> String {
    let secrets = SECRETS.lock().unwrap_or_else(|e| e.into_inner());
    let mut text = text.to_string();
    for password in secrets.iter() {
        text = text.replace(password.as_str(), "***");
    }
    text
}
