#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "switchboard/guard.hpp"

using switchboard::capture_errors;
using switchboard::Error;
using switchboard::ErrorReport;

TEST(Guard, PassesThroughWhenNothingThrows) {
  ErrorReport r{};
  int ran = 0;
  EXPECT_TRUE(capture_errors([&] { ran = 1; }, r));
  EXPECT_EQ(ran, 1);
}

TEST(Guard, KeepsSqlstateMessageDetailHint) {
  ErrorReport r{};
  EXPECT_FALSE(capture_errors(
      [] { throw Error("22023", "bad duration", "it was 0", "use 1..1440"); },
      r));
  EXPECT_STREQ(r.sqlstate, "22023");
  EXPECT_STREQ(r.message, "bad duration");
  EXPECT_STREQ(r.detail, "it was 0");
  EXPECT_STREQ(r.hint, "use 1..1440");
}

TEST(Guard, BadAllocBecomesOutOfMemory) {
  ErrorReport r{};
  EXPECT_FALSE(capture_errors([] { throw std::bad_alloc(); }, r));
  EXPECT_STREQ(r.sqlstate, "53200");
}

TEST(Guard, StdExceptionIsInternalAndDoesNotEchoWhat) {
  ErrorReport r{};
  EXPECT_FALSE(capture_errors(
      [] { throw std::runtime_error("patient ssn 123-45-6789"); }, r));
  EXPECT_STREQ(r.sqlstate, "XX000");
  EXPECT_EQ(std::string(r.message).find("123-45-6789"), std::string::npos);
  EXPECT_EQ(std::string(r.detail).find("123-45-6789"), std::string::npos);
}

TEST(Guard, UnknownThrowIsInternal) {
  ErrorReport r{};
  EXPECT_FALSE(capture_errors([] { throw 7; }, r));
  EXPECT_STREQ(r.sqlstate, "XX000");
}

TEST(Guard, LongMessagesAreTruncatedNotOverflowed) {
  ErrorReport r{};
  std::string huge(10000, 'x');
  EXPECT_FALSE(
      capture_errors([&] { throw Error("22023", huge, huge, huge); }, r));
  EXPECT_EQ(std::string(r.message).size(), sizeof r.message - 1);
  EXPECT_EQ(std::string(r.detail).size(), sizeof r.detail - 1);
}

TEST(Guard, DestructorsRunBeforeReport) {
  // Objects alive at the throw are destroyed by unwinding inside
  // capture_errors, before the boundary can longjmp.
  static int destroyed = 0;
  struct Tracker {
    ~Tracker() { ++destroyed; }
  };
  ErrorReport r{};
  EXPECT_FALSE(capture_errors(
      [] {
        Tracker t;
        throw Error("22023", "x");
      },
      r));
  EXPECT_EQ(destroyed, 1);
}
