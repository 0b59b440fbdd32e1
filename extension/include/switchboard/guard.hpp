// The pure-C++ half of the function guard: runs a body, catches every C++
// exception and copies it into a plain struct. The boundary layer raises the
// struct as a PostgreSQL error after this returns, when the stack holds no
// C++ object with a destructor (ereport longjmps and would skip them).
#pragma once

#include <cstring>
#include <new>
#include <type_traits>

#include "switchboard/error.hpp"

namespace switchboard {

// Trivially destructible on purpose: it is alive while ereport longjmps.
struct ErrorReport {
  char sqlstate[6];
  char message[512];
  char detail[1024];
  char hint[512];
};
static_assert(std::is_trivially_destructible_v<ErrorReport>);

namespace detail {
inline void copy_bounded(char *dst, std::size_t cap, const char *src) noexcept {
  std::size_t n = src ? std::strlen(src) : 0;
  if (n >= cap)
    n = cap - 1;
  if (n)
    std::memcpy(dst, src, n);
  dst[n] = '\0';
}
inline void fill(ErrorReport &r, const char *state, const char *msg,
                 const char *detail, const char *hint) noexcept {
  copy_bounded(r.sqlstate, sizeof r.sqlstate, state);
  copy_bounded(r.message, sizeof r.message, msg);
  copy_bounded(r.detail, sizeof r.detail, detail);
  copy_bounded(r.hint, sizeof r.hint, hint);
}
} // namespace detail

// Runs body(); returns true when it finished, false with `out` filled when it
// threw. Internal exceptions keep their what() out of the message (it may come
// from a library that echoes input) and only name the exception kind.
template <typename Body>
bool capture_errors(Body &&body, ErrorReport &out) noexcept {
  try {
    body();
    return true;
  } catch (const Error &e) {
    detail::fill(out, e.sqlstate(), e.what(), e.detail().c_str(),
                 e.hint().c_str());
  } catch (const std::bad_alloc &) {
    detail::fill(out, sqlstate::kOutOfMemory, "out of memory in switchboard",
                 "", "");
  } catch (const std::exception &) {
    detail::fill(out, sqlstate::kInternal, "internal error in switchboard",
                 "an unexpected C++ exception was caught at the boundary", "");
  } catch (...) {
    detail::fill(out, sqlstate::kInternal, "internal error in switchboard",
                 "an unknown C++ exception was caught at the boundary", "");
  }
  return false;
}

} // namespace switchboard
