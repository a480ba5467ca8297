//! Integration tests: they run the dnslens binary.
#![allow(unreachable_pub, dead_code)]

mod check;
mod errors;
mod explain;
mod html;
mod inputs;
mod linktypes;
mod malformed;
mod pairing;
mod samples;
mod stats;
mod tunnels;
mod util;
mod world;
