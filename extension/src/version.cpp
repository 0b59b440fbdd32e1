// Keeps the engine library non-empty before any engine exists and pins the
// version string in one translation unit.
#include "switchboard/version.hpp"

namespace switchboard {
const char *version() { return kVersion; }
} // namespace switchboard
