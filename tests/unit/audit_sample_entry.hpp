// The audit entry whose hash the unit tests pin (shared by the chain and the
// canonical-encoding tests, so both pin the same bytes).
#pragma once

#include "switchboard/audit.hpp"

namespace switchboard::audit::testing {
inline Entry sample_entry() {
  Entry e;
  e.org_id[0] = 0x11;
  e.seq = 1;
  e.id = 42;
  e.table_name = "contacts";
  e.op = "UPDATE";
  e.record_pk = R"({"id":"a0000000-0000-0000-0000-0000000000c1","org_id":"x"})";
  e.actor_user_id = Uuid16{};
  e.actor_role = "authenticated";
  e.session_user = "postgres";
  e.current_user = "authenticated";
  e.old_values = R"({"phone":"+14155550101"})";
  e.new_values = R"({"phone":"+14155550199"})";
  e.txid = 1234;
  e.created_at_us = 848880000000000;
  return e;
}
} // namespace switchboard::audit::testing
