#![doc = include_str!("../README.md")]

mod dossier_number;
mod email;
mod euros;
mod gir;
mod grouped;
mod iban;
mod nir;
mod phone;
mod postal_code;
mod role;

pub use dossier_number::{DossierNumber, DossierNumberError};
pub use email::{Email, EmailError};
pub use euros::{Euros, EurosError};
pub use gir::{Gir, GirError};
pub use grouped::Grouped;
pub use iban::{Iban, IbanError};
pub use nir::{Nir, NirError};
pub use phone::{Phone, PhoneError};
pub use postal_code::{PostalCode, PostalCodeError};
pub use role::{Role, RoleError, ServiceRole, ServiceRoleError};
