//! Pure domain rules of Fangkong (防控): parsing constructors for the values that come from outside
//! (resident ID numbers, phone numbers, org codes), masking for display, and small reference lists.
//! No I/O and no heavy dependencies, so these compile and test in seconds.

pub mod case_definition;
pub mod checkpoint;
pub mod ethnicity;
pub mod mask;
pub mod observation;
pub mod org_code;
pub mod phone;
pub mod plate;
pub mod resident_id;
pub mod sanitation;
mod text;

pub use org_code::{OrgCode, OrgLevel, Scope};
pub use phone::{Phone, PhoneError};
pub use plate::{Plate, PlateError, PlateKind};
pub use resident_id::{IdError, ResidentId, Sex};
pub use text::{forbidden_char, normalize_width, refusal};

/// How far ahead of the server a time of something that happened may lie and still be taken: a
/// phone's clock running a few minutes fast. Anything later is in the future, and refused.
pub const CLOCK_SKEW: time::Duration = time::Duration::minutes(5);
