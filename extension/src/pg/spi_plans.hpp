// Kept SPI plans for the boundary's hot paths (audit flush, routing).
#pragma once

extern "C" {
#include "postgres.h"

#include "executor/spi.h"
}

namespace switchboard::pg {

// Prepares sql with a generic plan (these statements run with the same
// parameter shapes every time: a custom plan per call would cost more than
// the statement) and keeps it for the backend's life. Raises an ERROR naming
// `owner` when PostgreSQL refuses. The caller is connected to SPI.
SPIPlanPtr keep_generic_plan(const char *owner, const char *sql, int nargs,
                             Oid *types);

} // namespace switchboard::pg
