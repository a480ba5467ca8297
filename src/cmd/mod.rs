//! Subcommands beyond the listings, one file each (xsv's layout). A subcommand uses
//! the library layers through `app` and never re-reads bytes itself.

pub mod stats;
