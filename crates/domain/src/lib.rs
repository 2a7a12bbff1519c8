//! The Portcullis domain: plain types, the storage interface and the validation rules that
//! authentik's API applies. Nothing in here performs I/O; storage implements [`store::Store`].

pub mod crypto;
pub mod duration;
pub mod errors;
pub mod password;
pub mod query;
pub mod store;
pub mod text;
pub mod time;
pub mod value;
