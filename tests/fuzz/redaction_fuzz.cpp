// libFuzzer target: the redaction engine on arbitrary bytes. Checks that it
// never crashes (ASan/UBSan), that spans are in bounds, sorted and disjoint,
// that the redacted text is the input with exactly those spans replaced by
// tags, and that the spoken-number normaliser's offset map is sound and
// equal to the reference normaliser's.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "switchboard/error.hpp"
#include "switchboard/redaction.hpp"
#include "switchboard/spoken_numbers.hpp"

namespace rd = switchboard::redaction;

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond))                                                               \
      std::abort();                                                            \
  } while (0)

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data,
                                      std::size_t size) {
  if (size > 1 << 16)
    return 0;
  const std::string_view text(reinterpret_cast<const char *>(data), size);

  // Normaliser: one map entry per output byte, in bounds, monotonic.
  const auto norm = switchboard::spoken::normalize(text);
  if (norm.changed) {
    CHECK(norm.begin.size() == norm.text.size());
    CHECK(norm.end.size() == norm.text.size());
    for (std::size_t i = 0; i < norm.text.size(); ++i) {
      CHECK(norm.begin[i] <= norm.end[i]);
      CHECK(norm.end[i] <= size);
      if (i > 0) {
        CHECK(norm.begin[i - 1] <= norm.begin[i]);
        CHECK(norm.end[i - 1] <= norm.end[i]);
      }
    }
  }

  // The normaliser equals the original byte loop (its oracle), full and
  // compact maps alike.
  for (const bool full : {true, false}) {
    const auto ref = switchboard::spoken::normalize_reference(text, full);
    const auto got = switchboard::spoken::normalize(text, full);
    CHECK(got.changed == ref.changed && got.text == ref.text &&
          got.begin == ref.begin && got.end == ref.end &&
          got.pieces.size() == ref.pieces.size());
    for (std::size_t i = 0; i < ref.pieces.size(); ++i)
      CHECK(got.pieces[i].at == ref.pieces[i].at &&
            got.pieces[i].ob == ref.pieces[i].ob &&
            got.pieces[i].oe == ref.pieces[i].oe &&
            got.pieces[i].copy == ref.pieces[i].copy);
  }
  // The block masks of the fast path and of the normaliser: SIMD and
  // byte-at-a-time agree.
  CHECK(rd::detail::scan_masks_agree(text));
  CHECK(switchboard::spoken::detail::letter_masks_agree(text));
  // The fast path's RE2-free matches (fixed-shape patterns, URL and e-mail
  // windows) equal RE2's, at every position (short inputs: the check tries
  // RE2 at each position).
  if (size <= 1024)
    CHECK(rd::detail::fixed_match_agrees(text, nullptr));

  // The compact map answers as the full one.
  const auto compact = switchboard::spoken::normalize(text, false);
  CHECK(compact.changed == norm.changed && compact.text == norm.text);
  if (norm.changed)
    for (std::size_t i = 0; i < norm.text.size(); ++i)
      CHECK(compact.orig_begin(i) == norm.begin[i] &&
            compact.orig_end(i + 1) == norm.end[i]);

  // The fast path finds exactly what the reference path finds.
  {
    rd::Options ref;
    ref.reference_path = true;
    const auto a = rd::find_spans(text, rd::Policy());
    const auto b = rd::find_spans(text, rd::Policy(), ref);
    CHECK(a.size() == b.size());
    for (std::size_t i = 0; i < a.size(); ++i)
      CHECK(a[i].entity == b[i].entity && a[i].begin == b[i].begin &&
            a[i].end == b[i].end && a[i].score == b[i].score);
  }

  // Default policy: spans and redaction agree.
  const rd::Policy policy;
  const auto spans = rd::find_spans(text, policy);
  std::size_t last = 0;
  std::string expect;
  for (const auto &s : spans) {
    CHECK(s.begin < s.end && s.end <= size);
    CHECK(s.begin >= last);
    CHECK(s.score > 0.f && s.score <= 1.f);
    expect.append(text.substr(last, s.begin - last));
    expect += '[';
    expect += rd::entity_name(s.entity);
    expect += ']';
    last = s.end;
  }
  expect.append(text.substr(last));
  const rd::Result r = rd::redact(text, policy);
  CHECK(r.text == expect);
  CHECK(!r.masked);

  // Other actions and a policy taken from the input must not crash either.
  try {
    rd::Policy p = rd::parse_policy(text.substr(0, 64));
    p.hmac_key = "fuzz-key-fuzz-key-fuzz-key-fuzz!";
    rd::redact(text, p);
  } catch (const switchboard::Error &) {
  }
  rd::Policy masks = rd::parse_policy(
      "SSN=mask_last4;PHONE=hmac;EMAIL=hmac:0.1;CREDIT_CARD=mask_last4:0");
  masks.hmac_key = "fuzz-key-fuzz-key-fuzz-key-fuzz!";
  rd::redact(text, masks);

  // The fail-closed wrapper never returns the input when it fails.
  rd::Options tiny;
  tiny.max_bytes = 8;
  tiny.on_failure = rd::FailureMode::Mask;
  const rd::Result m = rd::redact_checked(text, policy, tiny);
  if (size > 8)
    CHECK(m.masked && m.text == rd::kMasked);
  (void)switchboard::redact_text(text);
  return 0;
}
