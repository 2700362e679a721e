//! How sensitive values look in lists: enough to recognise, not enough to misuse.

/// `331102199001011234` → `331102********1234`.
pub fn resident_id(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() < 10 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..6].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 10))
}

/// `13812345678` → `138****5678`.
pub fn phone(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() < 7 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 7))
}

/// A masked name keeps the surname: `张三丰` → `张**`.
pub fn name(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => format!("{first}{}", "*".repeat(chars.count())),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_keep_the_recognisable_ends() {
        assert_eq!(resident_id("331102199001011234"), "331102********1234");
        assert_eq!(phone("13812345678"), "138****5678");
        assert_eq!(name("张三丰"), "张**");
        assert_eq!(phone("12"), "**");
    }
}
