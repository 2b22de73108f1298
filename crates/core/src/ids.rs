//! Identifiers. Each kind of entity has its own newtype so that a workspace id cannot be
//! passed where a user id is expected. Ids are 24 lowercase base-32 characters: the creation
//! time in milliseconds (9 characters), then 75 random bits. Time first keeps new rows at the
//! end of every index on an id (one page touched per insert, not a random one), which is most
//! of what writing a token costs.

use rand::Rng;
use serde::{Deserialize, Serialize};

const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";
const TIME_CHARS: u32 = 9;
const RANDOM_CHARS: usize = 15;
/// The length of every id [`new_id`] makes.
pub const ID_LEN: usize = TIME_CHARS as usize + RANDOM_CHARS;

/// A fresh id: time-ordered, unguessable.
pub fn new_id() -> String {
    let millis =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0);
    let mut id: String = (0..TIME_CHARS).rev().map(|i| ALPHABET[((millis >> (5 * i)) & 31) as usize] as char).collect();
    let mut rng = rand::thread_rng();
    id.extend((0..RANDOM_CHARS).map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char));
    id
}

/// Whether `s` is exactly what [`new_id`] makes: [`ID_LEN`] characters of its alphabet.
pub fn is_generated_id(s: &str) -> bool {
    s.len() == ID_LEN && s.bytes().all(|b| ALPHABET.contains(&b))
}

/// Whether `s` has the shape of an id (any kind); used to reject junk early.
pub fn looks_like_id(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

macro_rules! id_type {
    ($($name:ident),*) => {$(
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl $name {
            pub fn generate() -> Self {
                Self(new_id())
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                Self(s)
            }
        }
    )*};
}

id_type!(OrgId, UserId, WorkspaceId, ElementId, CommentId, TokenId);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_distinct_and_well_formed() {
        let a = new_id();
        let b = new_id();
        assert_ne!(a, b);
        assert_eq!(a.len(), TIME_CHARS as usize + RANDOM_CHARS);
        // Later ids sort after earlier ones (millisecond resolution).
        std::thread::sleep(std::time::Duration::from_millis(2));
        assert!(new_id() > b, "ids are time-ordered");
        assert!(looks_like_id(&a));
        assert!(!looks_like_id(""));
        assert!(!looks_like_id("a b"));
    }
}
