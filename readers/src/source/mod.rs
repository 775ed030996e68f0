//! The item sources: listings, files, inventories and inline arrays.

pub(crate) mod bytes;
pub(crate) mod file;
pub(crate) mod inline;
pub(crate) mod inventory;
pub(crate) mod listing;
