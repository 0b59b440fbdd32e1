// The recogniser: entities in written and spoken form, context, thresholds,
// merging, actions, UTF-8 positions and every fail-closed path.
#include <gtest/gtest.h>

#include <chrono>
#include <new>
#include <string>

#include "switchboard/error.hpp"
#include "switchboard/redaction.hpp"

using namespace switchboard::redaction;

namespace {
std::string red(const std::string &s, const Policy &p = Policy()) {
  return redact(s, p).text;
}
} // namespace

TEST(RedactionEngine, WrittenEntities) {
  EXPECT_EQ(red("SSN 123-45-6789."), "SSN [SSN].");
  EXPECT_EQ(red("SSN 987-65-4321."), "SSN [SSN]."); // ITIN range
  EXPECT_EQ(red("card 4111 1111 1111 1111 ok"), "card [CREDIT_CARD] ok");
  EXPECT_EQ(red("amex 3782-822463-10005"), "amex [CREDIT_CARD]");
  EXPECT_EQ(red("call (415) 555-2671 now"), "call [PHONE] now");
  EXPECT_EQ(red("call +1 415 555 2671"), "call [PHONE]");
  EXPECT_EQ(red("mail j.smith@example.com."), "mail [EMAIL].");
  EXPECT_EQ(red("dob 03/04/1961"), "dob [DATE]");
  EXPECT_EQ(red("on 1961-03-04"), "on [DATE]");
  EXPECT_EQ(red("born March 3rd, 1961"), "born [DATE]");
  EXPECT_EQ(red("MRN: A1234567"), "MRN: [MRN]");
  EXPECT_EQ(red("NPI 1234567893"), "NPI [NPI]");
  EXPECT_EQ(red("I live at 742 Evergreen Terrace"), "I live at [ADDRESS]");
  EXPECT_EQ(red("at 1600 Pennsylvania Avenue NW, Washington"),
            "at [ADDRESS], Washington");
  EXPECT_EQ(red("Springfield, IL 62704"), "Springfield, IL [ZIP]");
  EXPECT_EQ(red("from 10.0.0.12 today"), "from [IP_ADDRESS] today");
  EXPECT_EQ(red("see https://x.example/a?b=1."), "see [URL].");
  EXPECT_EQ(red("member id W123456789"), "member id [ACCOUNT_NUMBER]");
  EXPECT_EQ(red("routing number 021000021"), "routing number [ACCOUNT_NUMBER]");
  EXPECT_EQ(red("diagnosis E11.9"), "diagnosis [ICD10]");
  EXPECT_EQ(red("medicare 1EG4-TE5-MK73"), "medicare [ACCOUNT_NUMBER]");
  EXPECT_EQ(red("the last four of my social are 6789"),
            "the last four of my social are [SSN]");
  EXPECT_EQ(red("last 4 of the card is 1111."),
            "last 4 of the card is [CREDIT_CARD].");
}

TEST(RedactionEngine, SpokenEntities) {
  EXPECT_EQ(red("my social is four one five, two two, one two three four"),
            "my social is [SSN]");
  EXPECT_EQ(red("date of birth march third nineteen sixty one"),
            "date of birth [DATE]");
  EXPECT_EQ(red("the card is four one one one, one one one one, one one one "
                "one, one one one one thanks"),
            "the card is [CREDIT_CARD] thanks");
  EXPECT_EQ(red("reach me at four one five, five five five, two six seven one"),
            "reach me at [PHONE]");
  EXPECT_EQ(red("it's j smith at gmail dot com"), "it's [EMAIL]");
  EXPECT_EQ(red("zip code nine four one one oh"), "zip code [ZIP]");
  EXPECT_EQ(red("call one eight hundred five five five oh one nine nine"),
            "call [PHONE]");
  EXPECT_EQ(red("last four of my social, six seven eight nine"),
            "last four of my social, [SSN]");
  EXPECT_EQ(red("my phone is four one five double five five two six seven one"),
            "my phone is [PHONE]");
}

TEST(RedactionEngine, LookAlikesSurvive) {
  for (const char *s : {
           "order number 4111 1111 1111 1112",     // Luhn fails
           "badge 000-12-3456 and 666-12-3456",    // invalid SSN areas
           "old number 900-12-3456",               // 9xx, not an ITIN
           "serial 123-00-4567 and 123-45-0000",   // group 00, serial 0000
           "at 3:30 pm, $12.50, room 412, 500 mg", // times, prices, rooms
           "for two weeks, take twenty five milligrams",
           "on 02/30/1990 nothing",      // not a calendar date
           "the number 123456789 alone", // 9 digits, no context
           "NPI 1234567890",             // NPI checksum fails
           "in 2 weeks on main street",  // not an address
           "take 2 pills and drive",
           "the last four weeks, 2024 was busy", // "last four" alone
           "room 1EG4",                          // MBI needs all 11
       })
    EXPECT_EQ(red(s), s) << s;
}

TEST(RedactionEngine, ContextRaisesAndLowers) {
  // 9 bare digits: an SSN only next to a context word.
  EXPECT_EQ(red("ssn 123456789"), "ssn [SSN]");
  EXPECT_EQ(red("id 123456789"), "id 123456789");
  // a dashed SSN next to "order" drops below the threshold
  EXPECT_EQ(red("order 123-45-6789"), "order 123-45-6789");
  // 8 digits are a date of birth only with a birth word
  EXPECT_EQ(red("born 03041961"), "born [DATE]");
  EXPECT_EQ(red("code 03041961"), "code 03041961");
}

TEST(RedactionEngine, ThresholdsAndEntitiesFromPolicy) {
  Policy p = parse_policy("SSN=tag:0.95;ICD10=off");
  EXPECT_EQ(red("ssn 123-45-6789", p), "ssn [SSN]");     // 1.0 with context
  EXPECT_EQ(red("id 123-45-6789", p), "id 123-45-6789"); // 0.85 < 0.95
  EXPECT_EQ(red("diagnosis E11.9", p), "diagnosis E11.9");
}

TEST(RedactionEngine, ParsePolicyRejectsBadNames) {
  EXPECT_THROW(parse_policy("PASSPORT=tag"), switchboard::Error);
  EXPECT_THROW(parse_policy("SSN=shred"), switchboard::Error);
  EXPECT_THROW(parse_policy("SSN=tag:2"), switchboard::Error);
  EXPECT_THROW(parse_policy("SSN=tag:x"), switchboard::Error);
  EXPECT_THROW(parse_policy("ssn=tag"), switchboard::Error); // names are upper
  Policy p = parse_policy("EMAIL=mask_last4:0.7;;PHONE=hmac");
  EXPECT_EQ(p[Entity::Email].action, Action::MaskLast4);
  EXPECT_FLOAT_EQ(p[Entity::Email].threshold, 0.7f);
  EXPECT_EQ(p[Entity::Phone].action, Action::Hmac);
  EXPECT_TRUE(p[Entity::Ssn].enabled);
}

TEST(RedactionEngine, MaskLast4AndHmac) {
  Policy p = parse_policy("SSN=mask_last4;PHONE=hmac");
  p.hmac_key = "0123456789abcdef0123456789abcdef";
  EXPECT_EQ(red("ssn 123-45-6789", p), "ssn [SSN ****6789]");
  EXPECT_EQ(red("social four one five two two one two three four", p),
            "social [SSN ****1234]");
  // HMAC tokens are stable across forms and differ across values and keys.
  const std::string a = red("call 415-555-2671", p);
  const std::string b = red("call four one five, five five five, two six "
                            "seven one",
                            p);
  const std::string c = red("call 415-555-2672", p);
  EXPECT_EQ(a.substr(5), b.substr(5));
  EXPECT_NE(a, c);
  EXPECT_EQ(a.rfind("call [PHONE:", 0), 0u);
  EXPECT_EQ(a.size(), std::string("call [PHONE:0123456789abcdef]").size());
  Policy q = p;
  q.hmac_key = "another key of thirty two bytes!";
  EXPECT_NE(red("call 415-555-2671", q), a);
  Policy nokey = parse_policy("PHONE=hmac");
  EXPECT_THROW(redact("call 415-555-2671", nokey), switchboard::Error);
}

TEST(RedactionEngine, OverlapsMergeIntoOneSpan) {
  // "NPI" context: the 10 digits are an NPI, not a phone; one span only.
  auto spans = find_spans("npi 2234567891", Policy());
  ASSERT_EQ(spans.size(), 1u);
  Policy p;
  auto s2 = find_spans("email john.2125552671@example.com", p);
  ASSERT_EQ(s2.size(), 1u);
  EXPECT_EQ(s2[0].entity, Entity::Email);
  EXPECT_EQ(red("email john.2125552671@example.com"), "email [EMAIL]");
}

TEST(RedactionEngine, CountsPerEntity) {
  Result r =
      redact("ssn 123-45-6789, call 415-555-2671 or 415-555-2672", Policy());
  EXPECT_EQ(r.counts[static_cast<int>(Entity::Ssn)], 1u);
  EXPECT_EQ(r.counts[static_cast<int>(Entity::Phone)], 2u);
  EXPECT_EQ(r.counts[static_cast<int>(Entity::Email)], 0u);
}

TEST(RedactionEngine, Utf8Positions) {
  const std::string s =
      "Jos\xc3\xa9 \xe2\x80\x94 ssn 123-45-6789 \xf0\x9f\x99\x82";
  auto spans = find_spans(s, Policy());
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(s.substr(spans[0].begin, spans[0].end - spans[0].begin),
            "123-45-6789");
  EXPECT_EQ(utf8_chars(s, 0, spans[0].begin), 11u); // "José — ssn "
  EXPECT_EQ(utf8_chars(s, spans[0].begin, spans[0].end), 11u);
  EXPECT_EQ(red(s), "Jos\xc3\xa9 \xe2\x80\x94 ssn [SSN] \xf0\x9f\x99\x82");
}

TEST(RedactionEngine, EmptyAndPlainText) {
  EXPECT_EQ(red(""), "");
  EXPECT_EQ(red("hello, how can I help you today?"),
            "hello, how can I help you today?");
  EXPECT_TRUE(find_spans("", Policy()).empty());
}

TEST(RedactionFailClosed, OversizeInput) {
  Options o;
  o.max_bytes = 16;
  const std::string s = "ssn 123-45-6789 and more text";
  EXPECT_THROW(redact(s, Policy(), o), switchboard::Error);
  try {
    redact_checked(s, Policy(), o);
    FAIL() << "no error";
  } catch (const switchboard::Error &e) {
    EXPECT_STREQ(e.sqlstate(), "54000");
    EXPECT_EQ(std::string(e.what()).find("123"), std::string::npos);
  }
  o.on_failure = FailureMode::Mask;
  Result r = redact_checked(s, Policy(), o);
  EXPECT_TRUE(r.masked);
  EXPECT_EQ(r.text, kMasked);
  bool masked = false;
  EXPECT_TRUE(find_spans_checked(s, Policy(), o, masked).empty());
  EXPECT_TRUE(masked);
}

TEST(RedactionFailClosed, DfaOutOfMemory) {
  Options o;
  o.max_mem = 1 << 12; // far too small for the pattern set
  const std::string s = "ssn 123-45-6789, a transcript that needs the DFA";
  try {
    redact_checked(s, Policy(), o);
    FAIL() << "no error";
  } catch (const switchboard::Error &e) {
    EXPECT_STREQ(e.sqlstate(), "53200");
  }
  o.on_failure = FailureMode::Mask;
  Result r = redact_checked(s, Policy(), o);
  EXPECT_TRUE(r.masked);
  EXPECT_EQ(r.text, kMasked);
}

TEST(RedactionFailClosed, ErrorsInsideBecomeMaskOrError) {
  // An HMAC policy without a key fails inside redact(): never the raw text.
  Policy p = parse_policy("SSN=hmac");
  Options o;
  EXPECT_THROW(redact_checked("ssn 123-45-6789", p, o), switchboard::Error);
  o.on_failure = FailureMode::Mask;
  EXPECT_EQ(redact_checked("ssn 123-45-6789", p, o).text, kMasked);
}

// An OutputSpace that gives exactly the bound it is asked for, followed by
// guard bytes that must stay untouched; it can be told to fail its first
// request.
class GuardedSpace final : public OutputSpace {
public:
  char *room(std::size_t bound) override {
    ++calls;
    if (fail_first && calls == 1)
      throw std::bad_alloc();
    buf.assign(bound + 64, '#');
    asked = bound;
    return buf.data();
  }
  bool guard_intact() const {
    return buf.size() == asked + 64 &&
           buf.compare(asked, 64, std::string(64, '#')) == 0;
  }
  std::string buf;
  std::size_t asked = 0;
  int calls = 0;
  bool fail_first = false;
};

TEST(RedactionEngine, RedactIntoStaysInsideItsBound) {
  const std::string texts[] = {
      "",
      "no findings here",
      "ssn 123-45-6789 and card 4111 1111 1111 1111, call (415) 555-2671",
      "my social is four one five, two two, one two three four",
      "ICD A01 then Z99.89 and 10.0.0.1 and 1 Main St and NPI 1234567893",
      "a@b.co x@y.io 1.2.3.4 https://a.b/c dob 03/04/1961 IL 62704"};
  for (const char *spec :
       {"", "SSN=mask_last4;PHONE=mask_last4;CREDIT_CARD=mask_last4",
        "SSN=hmac;EMAIL=hmac;ICD10=mask_last4;ZIP=hmac"}) {
    Policy p = parse_policy(spec);
    p.hmac_key = "k";
    for (const std::string &t : texts) {
      GuardedSpace space;
      const Written w = redact_into(t, p, Options(), space);
      EXPECT_EQ(space.calls, 1);
      EXPECT_TRUE(space.guard_intact()) << spec << " | " << t;
      EXPECT_LE(w.length, space.asked);
      const Result r = redact(t, p);
      EXPECT_EQ(std::string(w.data, w.length), r.text) << spec << " | " << t;
      EXPECT_EQ(w.counts, r.counts);
    }
  }
}

TEST(RedactionFailClosed, RedactIntoOutOfMemory) {
  const std::string s = "ssn 123-45-6789";
  GuardedSpace space;
  space.fail_first = true;
  try {
    redact_into_checked(s, Policy(), Options(), space);
    FAIL() << "no error";
  } catch (const switchboard::Error &e) {
    EXPECT_STREQ(e.sqlstate(), "53200");
  }
  Options o;
  o.on_failure = FailureMode::Mask;
  GuardedSpace masked;
  masked.fail_first = true;
  const Written w = redact_into_checked(s, Policy(), o, masked);
  EXPECT_TRUE(w.masked);
  EXPECT_EQ(std::string(w.data, w.length), kMasked);
  EXPECT_EQ(masked.calls, 2);
}

TEST(RedactionFailClosed, RedactTextForOtherEngines) {
  EXPECT_EQ(switchboard::redact_text("ssn 123-45-6789"), "ssn [SSN]");
  EXPECT_EQ(switchboard::redact_text(""), "");
}

TEST(RedactionEngine, AdversarialInputsStayLinear) {
  // Each would take hours if matching were quadratic; linear takes well
  // under a second per megabyte.
  auto repeat = [](const std::string &unit, std::size_t bytes) {
    std::string s;
    while (s.size() < bytes)
      s += unit;
    return s;
  };
  const std::size_t mb = 1u << 20;
  const std::string inputs[] = {
      repeat("a.", mb) + "@example.com", // e-mail local part, every '.'
      "http://" + repeat("a", mb),       // one huge URL
      repeat("1 ", mb),                  // digits everywhere
      repeat("one ", mb),                // one huge spoken run
      repeat("4111 ", mb),               // card-like groups
      repeat("march 3 ", mb),            // date starts
      repeat("12 a b ", mb) + "street",  // address starts
      repeat("mrn 1-", mb),              // context-word starts
  };
  for (const std::string &s : inputs) {
    const auto t0 = std::chrono::steady_clock::now();
    Result r = redact(s, Policy());
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
            .count();
    EXPECT_LT(secs, 20.0) << s.substr(0, 16);
    EXPECT_FALSE(r.text.empty());
  }
}
