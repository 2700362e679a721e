//! Jiuzhu's domain: the words of civil-affairs work as types.
//!
//! Architecture invariant: this crate knows nothing of HTTP, SQL, async or the clock.
//! Every function here is pure, so every rule can be tested without a server, and the
//! same rule decides on every page, API call and command-line tool.

pub mod authz;
pub mod calendar;
pub mod case;
pub mod deadline;
pub mod follow_up;
pub mod mask;
pub mod money;
pub mod password;
pub mod region;
pub mod report;
pub mod resident_id;
pub mod settings;
pub mod time;

pub use authz::{Action, Decision, Grant, Principal, Resource, Role};
pub use calendar::WorkCalendar;
pub use money::Fen;
pub use region::RegionCode;
pub use resident_id::{ResidentId, Sex};
