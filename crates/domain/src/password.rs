//! 口令规则: the password rules every account follows.

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("password_too_short")]
    TooShort,
    #[error("password_too_long")]
    TooLong,
    #[error("password_too_simple")]
    TooSimple,
    #[error("password_contains_username")]
    ContainsUsername,
}

pub const MIN_LEN: usize = 10;
pub const MAX_LEN: usize = 128;

/// At least ten characters from at least three of: lower case, upper case, digits, other;
/// not containing the user name. (等保 2.0 asks for complexity; length does most of the work.)
pub fn check(password: &str, username: &str) -> Result<(), PasswordError> {
    let n = password.chars().count();
    if n < MIN_LEN {
        return Err(PasswordError::TooShort);
    }
    if n > MAX_LEN {
        return Err(PasswordError::TooLong);
    }
    let classes = [
        password.chars().any(|c| c.is_ascii_lowercase()),
        password.chars().any(|c| c.is_ascii_uppercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_ascii_alphanumeric()),
    ];
    if classes.iter().filter(|x| **x).count() < 3 {
        return Err(PasswordError::TooSimple);
    }
    if !username.is_empty() && password.to_lowercase().contains(&username.to_lowercase()) {
        return Err(PasswordError::ContainsUsername);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules() {
        assert_eq!(check("Short1!", "zhang"), Err(PasswordError::TooShort));
        assert_eq!(
            check("alllowercaseletters", "zhang"),
            Err(PasswordError::TooSimple)
        );
        assert_eq!(
            check("Zhang-2026-abc", "zhang"),
            Err(PasswordError::ContainsUsername)
        );
        assert_eq!(check("Lishui-rescue-2026", "zhang"), Ok(()));
        assert_eq!(check("救助管理站值班2026A", "zhang"), Ok(()));
    }
}
