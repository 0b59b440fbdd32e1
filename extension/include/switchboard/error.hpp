// Errors raised by engine code. Pure C++: engines throw these, and the boundary
// layer turns them into ereport() once no C++ object is alive any more.
#pragma once

#include <stdexcept>
#include <string>

namespace switchboard {

namespace sqlstate {
inline constexpr const char *kInvalidParameter = "22023";
inline constexpr const char *kNullValueNotAllowed = "22004";
inline constexpr const char *kStringTooLong = "22001";
inline constexpr const char *kInsufficientPrivilege = "42501";
inline constexpr const char *kNotFound = "P0002";
inline constexpr const char *kExclusionViolation = "23P01";
inline constexpr const char *kOutOfMemory = "53200";
inline constexpr const char *kProgramLimitExceeded = "54000";
inline constexpr const char *kConfigFileError = "F0000";
inline constexpr const char *kDataCorrupted = "XX001";
inline constexpr const char *kInternal = "XX000";
} // namespace sqlstate

// An error with a SQLSTATE. Messages are lower-case without a trailing period
// and never carry a secret or PHI: callers put only identifiers in them.
class Error : public std::runtime_error {
public:
  Error(const char *sqlstate, std::string message, std::string detail = {},
        std::string hint = {})
      : std::runtime_error(std::move(message)), detail_(std::move(detail)),
        hint_(std::move(hint)) {
    for (int i = 0; i < 5; ++i)
      sqlstate_[i] = sqlstate[i];
    sqlstate_[5] = '\0';
  }
  const char *sqlstate() const noexcept { return sqlstate_; }
  const std::string &detail() const noexcept { return detail_; }
  const std::string &hint() const noexcept { return hint_; }

private:
  char sqlstate_[6];
  std::string detail_;
  std::string hint_;
};

} // namespace switchboard
