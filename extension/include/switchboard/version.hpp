#pragma once

namespace switchboard {
inline constexpr const char *kVersion = "0.2.0";
} // namespace switchboard
