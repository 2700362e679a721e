//! Jiuzhu's domain: the words of civil-affairs work as types.
//!
//! Architecture invariant: this crate knows nothing of HTTP, SQL, async or the clock.
//! Every function here is pure, so every rule can be tested without a server, and the
//! same rule decides on every page, API call and command-line tool.

/// A closed set of codes stored and sent as snake_case strings.
macro_rules! code_enum {
    ($(#[$m:meta])* pub enum $name:ident { $($(#[$vm:meta])* $v:ident = $s:literal,)* }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vm])* $v,)* }
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$v,)*];
            pub fn as_str(self) -> &'static str { match self { $($name::$v => $s,)* } }
            pub fn parse(s: &str) -> Option<$name> { match s { $($s => Some($name::$v),)* _ => None } }
        }
    };
}

pub mod assistance;
pub mod authz;
pub mod calendar;
pub mod case;
pub mod deadline;
pub mod follow_up;
pub mod mask;
pub mod money;
pub mod outreach;
pub mod password;
pub mod region;
pub mod report;
pub mod resident_id;
pub mod settings;
pub mod time;
pub mod tracing;

pub use authz::{Action, Decision, Grant, Principal, Resource, Role};
pub use calendar::WorkCalendar;
pub use money::Fen;
pub use region::RegionCode;
pub use resident_id::{ResidentId, Sex};
