//! Subcommands that are not listings: each in its own file (xsv's layout). They
//! use the library layers and never re-parse bytes.

pub mod completions;
pub mod man;
