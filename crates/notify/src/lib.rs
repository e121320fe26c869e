#![doc = include_str!("../README.md")]

mod delivery;
pub mod emails;

pub use delivery::{DeliveryHandle, Mailer, MailerError, deliver_due, retry_delay, spawn_delivery};
