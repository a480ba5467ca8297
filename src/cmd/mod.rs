//! Subcommands that have grown beyond a function in `app.rs`, one file each
//! (xsv's layout). They use the library layers and never re-parse bytes.

pub mod completions;
pub mod explain;
pub mod man;
pub mod stats;
