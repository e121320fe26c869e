#![doc = include_str!("../README.md")]

mod delivery;
pub mod emails;
pub mod preferences;

pub use delivery::{
    Deliverer, DeliveryHandle, DeliveryOptions, Mailer, MailerError, Pass, retry_delay, spawn_delivery,
};
