#pragma once

namespace switchboard {
inline constexpr const char *kVersion = "0.3.0";
} // namespace switchboard
