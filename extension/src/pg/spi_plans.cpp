#include "spi_plans.hpp"

namespace switchboard::pg {

SPIPlanPtr keep_generic_plan(const char *owner, const char *sql, int nargs,
                             Oid *types) {
  SPIPlanPtr p = SPI_prepare_cursor(sql, nargs, types, CURSOR_OPT_GENERIC_PLAN);
  if (p == nullptr)
    elog(ERROR, "%s: SPI_prepare failed: %s", owner,
         SPI_result_code_string(SPI_result));
  if (SPI_keepplan(p) != 0)
    elog(ERROR, "%s: SPI_keepplan failed", owner);
  return p;
}

} // namespace switchboard::pg
