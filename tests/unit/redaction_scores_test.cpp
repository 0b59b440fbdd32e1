// Context words, validators and address scoring pinned to what the engine
// gave before the fast-path work (0.2.x): the context windows (sentence ends,
// the 128-byte cap, multi-word entries, prefixes such as "diagnos", both
// lists in one pass), the address rules (stop words, capitalised names, the
// last occurrence of a strong suffix), SSN/phone/card validators and card
// trimming. The fast path and the reference path share this code, so their
// equality tests alone would not catch a change here.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "switchboard/redaction.hpp"

using namespace switchboard::redaction;

namespace {
struct Expected {
  const char *entity;
  std::size_t begin, end;
  float score;
};
struct Case {
  std::string text;
  std::vector<Expected> spans;
};
} // namespace

TEST(RedactionScores, PinnedToThePreviousEngine) {
  const std::vector<Case> cases = {
      {"my Social Security Number is 123456789", {{"SSN", 29, 38, 0.900000f}}},
      {"SSN: 123-45-6789. order 123-45-6789", {{"SSN", 5, 16, 1.000000f}}},
      {"order number 123-45-6789 for my social", {{"SSN", 13, 24, 0.600000f}}},
      {"the part number is 987-65-4321", {}},
      {"my ss number? 987654321", {}},
      {"security number 987654321 and nothing else",
       {{"SSN", 16, 25, 0.900000f}}},
      {"xsocial 123456789", {}},
      {"Social123 123456789", {{"SSN", 10, 19, 0.900000f}}},
      {"call me at 415 555 2671", {{"PHONE", 11, 23, 0.900000f}}},
      {"my NPI 1234567893", {{"NPI", 7, 17, 0.900000f}}},
      {"provider: 1234567893, account 1234567893",
       {{"NPI", 10, 20, 0.900000f}, {"NPI", 30, 40, 0.900000f}}},
      {"dx E11.9 and code A12",
       {{"ICD10", 3, 8, 0.900000f}, {"ICD10", 18, 21, 0.600000f}}},
      {"diagnosis A123 here", {{"ICD10", 10, 14, 0.600000f}}},
      {"born 04031961", {{"DATE", 5, 13, 0.800000f}}},
      {"date of birth: 04031961", {{"DATE", 15, 23, 0.800000f}}},
      {"742 Evergreen Terrace", {{"ADDRESS", 0, 21, 0.650000f}}},
      {"742 evergreen terrace", {}},
      {"12 main st", {{"ADDRESS", 0, 10, 0.550000f}}},
      {"12 Main St. NW", {{"ADDRESS", 0, 14, 0.750000f}}},
      {"5 on main street", {}},
      {"3 weeks street", {}},
      {"12 Stanford street", {{"ADDRESS", 0, 18, 0.750000f}}},
      {"77 Sunset Blvd apt 4", {{"ADDRESS", 0, 20, 0.750000f}}},
      {"77 sunset boulevard", {{"ADDRESS", 0, 19, 0.550000f}}},
      {"9 Rd Street", {{"ADDRESS", 0, 11, 0.750000f}}},
      {"100 Avenue Road", {{"ADDRESS", 0, 15, 0.750000f}}},
      {"45 Lane Lane", {{"ADDRESS", 0, 12, 0.750000f}}},
      {"my card is 4111 1111 1111 1111", {{"CREDIT_CARD", 11, 30, 0.900000f}}},
      {"card 4111-1111-1111-1112 and 4111 1111 1111 1111 1",
       {{"CREDIT_CARD", 29, 48, 0.900000f}}},
      {"12 4111 1111 1111 1111", {{"CREDIT_CARD", 3, 22, 0.900000f}}},
      {std::string(100, 'a') + " social 123456789",
       {{"SSN", 108, 117, 0.900000f}}},
      {"social " + std::string(70, 'x') + " 123456789", {}},
      {"my social is\n123456789", {}},
      {"my social. 123456789", {}},
      {"social? 123456789 order", {}},
      {"123456789 is my social number", {{"SSN", 0, 9, 0.900000f}}},
      {"123456789 tracking", {}},
      {"PHONE 4155552671 ORDER", {}},
      {"mrn 12-3456 medical record number 123456",
       {{"MRN", 4, 11, 0.900000f}, {"MRN", 34, 40, 0.900000f}}},
      {"last four of my social are 1234", {{"SSN", 27, 31, 0.900000f}}},
      {"12 St Stanford Way", {{"ADDRESS", 0, 18, 0.650000f}}},
      {"12 Ave Avenger way", {{"ADDRESS", 0, 18, 0.650000f}}},
      {"12 rd Rdx court", {}},
      {"40 Lanes lane", {{"ADDRESS", 0, 13, 0.750000f}}},
      {"in 2 weeks on main street", {}},
      {"7 and main street", {}},
      {"7 Main and Elm street", {}},
      {"ICD code Z99.89, diagnosed A12, DX: E11",
       {{"ICD10", 9, 15, 0.900000f},
        {"ICD10", 27, 30, 0.600000f},
        {"ICD10", 36, 39, 0.600000f}}},
      {"my social security\nnumber 123456789", {}},
      {"Security Number 123-45-6789 serial", {{"SSN", 16, 27, 0.600000f}}},
  };
  const Policy policy;
  for (const Case &c : cases) {
    for (const bool reference : {false, true}) {
      Options options;
      options.reference_path = reference;
      const auto spans = find_spans(c.text, policy, options);
      ASSERT_EQ(spans.size(), c.spans.size()) << c.text;
      for (std::size_t i = 0; i < spans.size(); ++i) {
        EXPECT_STREQ(entity_name(spans[i].entity), c.spans[i].entity) << c.text;
        EXPECT_EQ(spans[i].begin, c.spans[i].begin) << c.text;
        EXPECT_EQ(spans[i].end, c.spans[i].end) << c.text;
        EXPECT_NEAR(spans[i].score, c.spans[i].score, 1e-5) << c.text;
      }
    }
  }
}
