// libFuzzer target: the audit trail's canonical JSON encoder accepts any bytes
// without undefined behaviour, rejects malformed input only with
// switchboard::Error, and is independent of surrounding whitespace.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "switchboard/audit.hpp"
#include "switchboard/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data,
                                      std::size_t size) {
  std::string_view in(reinterpret_cast<const char *>(data), size);
  std::string canonical;
  try {
    canonical = switchboard::audit::canonical_json(in);
  } catch (const switchboard::Error &) {
    canonical.clear();
    try {
      (void)switchboard::audit::canonical_number(in);
    } catch (const switchboard::Error &) {
    }
    return 0;
  }
  std::string padded = " \n" + std::string(in) + "\t ";
  if (switchboard::audit::canonical_json(padded) != canonical)
    __builtin_trap();
  switchboard::audit::Entry e;
  e.table_name = "t";
  e.op = "INSERT";
  e.session_user = "u";
  e.current_user = "u";
  e.new_values = in;
  if (switchboard::audit::entry_hash(switchboard::audit::genesis_hash(), e) !=
      switchboard::audit::entry_hash(switchboard::audit::genesis_hash(), e))
    __builtin_trap();
  return 0;
}
