//! Subcommands that have grown beyond a function in `app.rs`, one file each (xsv).

pub mod explain;
