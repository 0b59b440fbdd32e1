// Validators of the redaction engine: each rule on both sides of its edge.
#include <gtest/gtest.h>

#include "switchboard/phi_validators.hpp"

namespace phi = switchboard::phi;

TEST(RedactionValidators, DigitsOnly) {
  EXPECT_EQ(phi::digits_only("415-22 (1234)x"), "415221234");
  EXPECT_EQ(phi::digits_only("none"), "");
}

TEST(RedactionValidators, Luhn) {
  EXPECT_TRUE(phi::luhn_valid("79927398713"));
  EXPECT_FALSE(phi::luhn_valid("79927398710"));
  EXPECT_TRUE(phi::luhn_valid("0"));
  EXPECT_FALSE(phi::luhn_valid(""));
  EXPECT_FALSE(phi::luhn_valid("4111-1111"));
}

TEST(RedactionValidators, CardIssuersAndLengths) {
  EXPECT_TRUE(phi::card_valid("4111111111111111"));      // Visa 16
  EXPECT_TRUE(phi::card_valid("4222222222222"));         // Visa 13
  EXPECT_TRUE(phi::card_valid("5555555555554444"));      // Mastercard 5-series
  EXPECT_TRUE(phi::card_valid("2223003122003222"));      // Mastercard 2-series
  EXPECT_TRUE(phi::card_valid("378282246310005"));       // Amex 15
  EXPECT_TRUE(phi::card_valid("6011111111111117"));      // Discover
  EXPECT_TRUE(phi::card_valid("3056930009020004"));      // Diners 16
  EXPECT_TRUE(phi::card_valid("3530111333300000"));      // JCB
  EXPECT_TRUE(phi::card_valid("6200000000000005"));      // UnionPay
  EXPECT_FALSE(phi::card_valid("4111111111111112"));     // Luhn fails
  EXPECT_FALSE(phi::card_valid("37828224631000"));       // Amex needs 15
  EXPECT_FALSE(phi::card_valid("2721000000000004"));     // past the 2-series
  EXPECT_FALSE(phi::card_valid("2220990000000008"));     // before the 2-series
  EXPECT_FALSE(phi::card_valid("1234567812345670"));     // no issuer, Luhn ok
  EXPECT_FALSE(phi::card_valid("411111111111"));         // too short
  EXPECT_FALSE(phi::card_valid("41111111111111111111")); // too long
}

TEST(RedactionValidators, SsnRules) {
  EXPECT_TRUE(phi::ssn_valid("123456789"));
  EXPECT_TRUE(phi::ssn_valid("899991234"));
  EXPECT_TRUE(phi::ssn_valid("001010001"));
  EXPECT_FALSE(phi::ssn_valid("000123456")); // area 000
  EXPECT_FALSE(phi::ssn_valid("666123456")); // area 666
  EXPECT_FALSE(phi::ssn_valid("900123456")); // 9xx, not an ITIN group
  EXPECT_FALSE(phi::ssn_valid("999451234")); // 9xx, group 45: not issued
  EXPECT_FALSE(phi::ssn_valid("987930001")); // 9xx, group 93: not issued
  EXPECT_TRUE(phi::ssn_valid("987654321"));  // ITIN range: caught
  EXPECT_TRUE(phi::ssn_valid("912701234"));  // ITIN group 70
  EXPECT_FALSE(phi::ssn_valid("987650000")); // ITIN with serial 0000
  EXPECT_FALSE(phi::ssn_valid("123001234")); // group 00
  EXPECT_FALSE(phi::ssn_valid("123450000")); // serial 0000
  EXPECT_FALSE(phi::ssn_valid("12345678"));
  EXPECT_FALSE(phi::ssn_valid("12345678a"));
}

TEST(RedactionValidators, NpiWithPrefix) {
  EXPECT_TRUE(phi::npi_valid("1234567893")); // CMS example
  EXPECT_FALSE(phi::npi_valid("1234567890"));
  EXPECT_FALSE(phi::npi_valid("3234567893")); // must start with 1 or 2
  EXPECT_FALSE(phi::npi_valid("123456789"));
  // Luhn of the bare number is not the rule: the 80840 prefix is.
  EXPECT_FALSE(phi::luhn_valid("1234567893"));
}

TEST(RedactionValidators, AbaChecksum) {
  EXPECT_TRUE(phi::aba_valid("011000015"));  // Federal Reserve Boston
  EXPECT_TRUE(phi::aba_valid("021000021"));  // JPMorgan Chase
  EXPECT_FALSE(phi::aba_valid("021000022")); // checksum
  EXPECT_FALSE(phi::aba_valid("411000013")); // prefix 41 not assigned
  EXPECT_FALSE(phi::aba_valid("02100002"));
}

TEST(RedactionValidators, CalendarDates) {
  EXPECT_TRUE(phi::date_valid(1961, 3, 3));
  EXPECT_TRUE(phi::date_valid(2000, 2, 29));  // 400-year leap
  EXPECT_FALSE(phi::date_valid(1900, 2, 29)); // 100-year non-leap
  EXPECT_TRUE(phi::date_valid(2024, 2, 29));
  EXPECT_FALSE(phi::date_valid(2023, 2, 29));
  EXPECT_FALSE(phi::date_valid(2023, 4, 31));
  EXPECT_TRUE(phi::date_valid(2023, 12, 31));
  EXPECT_FALSE(phi::date_valid(2023, 13, 1));
  EXPECT_FALSE(phi::date_valid(2023, 0, 1));
  EXPECT_FALSE(phi::date_valid(2023, 1, 0));
  EXPECT_FALSE(phi::date_valid(1899, 12, 31));
  EXPECT_FALSE(phi::date_valid(2100, 1, 1));
}

TEST(RedactionValidators, NanpPhones) {
  EXPECT_TRUE(phi::nanp_valid("4155552671"));
  EXPECT_TRUE(phi::nanp_valid("14155552671"));
  EXPECT_FALSE(phi::nanp_valid("24155552671")); // 11 digits need a leading 1
  EXPECT_FALSE(phi::nanp_valid("1155552671"));  // area starts with 1
  EXPECT_FALSE(phi::nanp_valid("0155552671"));  // area starts with 0
  EXPECT_FALSE(phi::nanp_valid("4151552671"));  // exchange starts with 1
  EXPECT_FALSE(phi::nanp_valid("9115552671"));  // N11 area
  EXPECT_FALSE(phi::nanp_valid("4159112671"));  // N11 exchange
  EXPECT_FALSE(phi::nanp_valid("2955552671"));  // N9X reserved
  EXPECT_FALSE(phi::nanp_valid("415555267"));
}
