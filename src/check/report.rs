//! Reports: table, JSON, NDJSON, CSV (being written).
