// SQL entry points of the PHI redaction engine (redaction.hpp):
//   switchboard.redact(text) returns text
//   switchboard.phi_spans(text) returns table(entity, start_pos, length, score)
//   switchboard._redact_policy(text, policy text, key bytea)
//     returns (redacted text, report jsonb)
//   switchboard._phi_spans_policy(text, policy text) returns table(...)
//   switchboard.redaction_engine_version() returns text
// and the GUCs switchboard.redaction_failure ('error' | 'mask'),
// switchboard.redaction_max_bytes and switchboard.redaction_test_max_mem.
#include "boundary.hpp"

extern "C" {
#include "access/htup_details.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "utils/fmgrprotos.h"
#include "utils/guc.h"
#include "utils/tuplestore.h"
}

#include <climits>
#include <new>
#include <string>
#include <string_view>

#include "switchboard/redaction.hpp"

namespace rd = switchboard::redaction;

namespace {

int failure_mode = 0; // 0 error, 1 mask
int max_bytes = 32 * 1024 * 1024;
int test_max_mem = 0;

const struct config_enum_entry kFailureModes[] = {
    {"error", 0, false}, {"mask", 1, false}, {nullptr, 0, false}};

void define_gucs() {
  DefineCustomEnumVariable(
      "switchboard.redaction_failure",
      "What redaction does when it cannot finish: raise an error or return "
      "a fully masked value.",
      "Either way the text is never returned unredacted.", &failure_mode, 0,
      kFailureModes, PGC_USERSET, 0, nullptr, nullptr, nullptr);
  DefineCustomIntVariable(
      "switchboard.redaction_max_bytes",
      "Largest text redaction accepts; larger inputs take the failure path.",
      nullptr, &max_bytes, 32 * 1024 * 1024, 1024, INT_MAX, PGC_SUSET,
      GUC_UNIT_BYTE, nullptr, nullptr, nullptr);
  DefineCustomIntVariable(
      "switchboard.redaction_test_max_mem",
      "Test hook: RE2 memory budget of the pattern set (0 = default).",
      "A tiny value forces the DFA out-of-memory failure path.", &test_max_mem,
      0, 0, INT_MAX, PGC_SUSET, GUC_NOT_IN_SAMPLE, nullptr, nullptr, nullptr);
}

static switchboard::pg::GucRegistrar reg(define_gucs);

rd::Options options() {
  rd::Options o;
  o.max_bytes = static_cast<std::size_t>(max_bytes);
  o.max_mem = test_max_mem;
  o.on_failure =
      failure_mode == 1 ? rd::FailureMode::Mask : rd::FailureMode::Error;
  return o;
}

// The argument's bytes, detoasted in the function's memory context (valid
// until the function returns); no copy.
std::string_view text_view(FunctionCallInfo fcinfo, int argno) {
  return switchboard::pg::pg_call([&] {
    text *t = PG_GETARG_TEXT_PP(argno);
    return std::string_view(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
  });
}

rd::Policy policy_arg(FunctionCallInfo fcinfo, int argno) {
  if (PG_ARGISNULL(argno))
    return rd::Policy();
  return rd::parse_policy(text_view(fcinfo, argno));
}

// Byte offsets -> 1-based character positions, walking forward once.
class CharCounter {
public:
  CharCounter(std::string_view text, bool utf8) : text_(text), utf8_(utf8) {}
  int count(std::size_t from, std::size_t to) const {
    if (utf8_)
      return static_cast<int>(rd::utf8_chars(text_, from, to));
    return switchboard::pg::pg_call([&] {
      return pg_mbstrlen_with_len(text_.data() + from,
                                  static_cast<int>(to - from));
    });
  }
  int position(std::size_t byte) {
    chars_ += count(byte_, byte);
    byte_ = byte;
    return chars_ + 1;
  }

private:
  std::string_view text_;
  bool utf8_;
  std::size_t byte_ = 0;
  int chars_ = 0;
};

Datum spans_result(FunctionCallInfo fcinfo, std::string_view text,
                   const rd::Policy &policy) {
  bool masked = false;
  std::vector<rd::Span> spans =
      rd::find_spans_checked(text, policy, options(), masked);
  const bool utf8 = GetDatabaseEncoding() == PG_UTF8;
  CharCounter counter(text, utf8);
  struct Row {
    const char *entity;
    int start;
    int length;
    float score;
  };
  std::vector<Row> rows;
  if (masked) {
    // Fail closed in mask mode: one span over the whole text.
    rows.push_back(Row{"REDACTED", 1, counter.count(0, text.size()), 1.0f});
  } else {
    for (const rd::Span &s : spans) {
      const int start = counter.position(s.begin);
      rows.push_back(Row{rd::entity_name(s.entity), start,
                         counter.count(s.begin, s.end), s.score});
    }
  }
  switchboard::pg::pg_call([&] {
    InitMaterializedSRF(fcinfo, 0);
    ReturnSetInfo *rsi = reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo);
    for (const Row &r : rows) {
      Datum values[4] = {CStringGetTextDatum(r.entity), Int32GetDatum(r.start),
                         Int32GetDatum(r.length), Float4GetDatum(r.score)};
      bool nulls[4] = {false, false, false, false};
      tuplestore_putvalues(rsi->setResult, rsi->setDesc, values, nulls);
    }
  });
  return (Datum)0;
}

// The redacted text written straight into a palloc'd text in the function's
// memory context (no std::string to copy from); its length is set once known.
class TextSpace final : public rd::OutputSpace {
public:
  char *room(std::size_t bound) override {
    if (bound > MaxAllocSize - VARHDRSZ)
      throw switchboard::Error(
          switchboard::sqlstate::kProgramLimitExceeded,
          "redaction failed: the output would exceed the largest text value");
    // NO_OOM: an out-of-memory palloc must not longjmp through the engine's
    // C++ frames; the engine's fail-closed path takes the bad_alloc.
    void *p = palloc_extended(VARHDRSZ + bound, MCXT_ALLOC_NO_OOM);
    if (p == nullptr)
      throw std::bad_alloc();
    text_ = static_cast<text *>(p);
    return VARDATA(text_);
  }
  Datum datum(const rd::Written &w) const {
    SET_VARSIZE(text_, VARHDRSZ + w.length);
    return PointerGetDatum(text_);
  }

private:
  text *text_ = nullptr;
};

std::string report_json(const rd::Written *r) {
  std::string j = "{\"engine\": \"switchboard-redaction\", \"version\": \"";
  j += rd::engine_version();
  j += "\", \"counts\": {";
  unsigned total = 0;
  bool first = true;
  if (r != nullptr) {
    for (std::size_t i = 0; i < rd::kEntityCount; ++i) {
      if (r->counts[i] == 0)
        continue;
      if (!first)
        j += ", ";
      first = false;
      j += "\"";
      j += rd::entity_name(static_cast<rd::Entity>(i));
      j += "\": " + std::to_string(r->counts[i]);
      total += r->counts[i];
    }
  }
  j += "}, \"total\": " + std::to_string(total);
  j += ", \"masked\": ";
  j += (r != nullptr && r->masked) ? "true" : "false";
  j += "}";
  return j;
}

} // namespace

// switchboard.redact(p_text text) returns text: default policy, STRICT.
SWITCHBOARD_FUNCTION(sb_redact) {
  std::string_view text = text_view(fcinfo, 0);
  static const rd::Policy defaults;
  TextSpace space;
  return space.datum(rd::redact_into_checked(text, defaults, options(), space));
}

// switchboard.phi_spans(p_text text): default policy, STRICT.
SWITCHBOARD_FUNCTION(sb_phi_spans) {
  static const rd::Policy defaults;
  return spans_result(fcinfo, text_view(fcinfo, 0), defaults);
}

// switchboard._phi_spans_policy(p_text text, p_policy text).
SWITCHBOARD_FUNCTION(sb_phi_spans_policy) {
  rd::Policy policy = policy_arg(fcinfo, 1);
  std::string_view text;
  if (!PG_ARGISNULL(0))
    text = text_view(fcinfo, 0);
  return spans_result(fcinfo, text, policy);
}

// switchboard._redact_policy(p_text text, p_policy text, p_key bytea,
//   OUT redacted text, OUT report jsonb). NULL text: NULL redacted, zero
// counts. The policy is validated even then.
SWITCHBOARD_FUNCTION(sb_redact_policy) {
  rd::Policy policy = policy_arg(fcinfo, 1);
  if (!PG_ARGISNULL(2))
    policy.hmac_key = std::string(text_view(fcinfo, 2));
  bool have_text = !PG_ARGISNULL(0);
  TextSpace space;
  rd::Written r;
  if (have_text)
    r = rd::redact_into_checked(text_view(fcinfo, 0), policy, options(), space);
  const std::string report = report_json(have_text ? &r : nullptr);
  return switchboard::pg::pg_call([&] {
    TupleDesc desc;
    if (get_call_result_type(fcinfo, nullptr, &desc) != TYPEFUNC_COMPOSITE)
      ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                      errmsg("_redact_policy must return a record")));
    desc = BlessTupleDesc(desc);
    Datum values[2];
    bool nulls[2] = {!have_text, false};
    values[0] = have_text ? space.datum(r) : (Datum)0;
    values[1] = DirectFunctionCall1(jsonb_in, CStringGetDatum(report.c_str()));
    return HeapTupleGetDatum(heap_form_tuple(desc, values, nulls));
  });
}

// switchboard.redaction_engine_version() returns text.
SWITCHBOARD_FUNCTION(sb_redaction_engine_version) {
  (void)fcinfo;
  return switchboard::pg::text_datum(rd::engine_version());
}
