// Checksums and range rules that turn a regex candidate into a finding.
// Pure C++, no PostgreSQL headers. Every function takes the digits only
// (callers strip separators with digits_only) and never throws.
#pragma once

#include <string>
#include <string_view>

namespace switchboard::phi {

// The ASCII digits of s, in order.
std::string digits_only(std::string_view s);

// Luhn (mod 10) over a string of ASCII digits; false for empty or non-digits.
bool luhn_valid(std::string_view digits);

// Payment card: issuer prefix, a length that issuer uses, and Luhn.
// Visa (4; 13, 16, 19), Mastercard (51-55 and the 2-series 2221-2720; 16),
// Amex (34, 37; 15), Discover (6011, 644-649, 65; 16-19), Diners (300-305,
// 36, 38, 39; 14-19), JCB (3528-3589; 16-19), UnionPay (62; 16-19).
bool card_valid(std::string_view digits);

// US SSN (9 digits): area not 000 or 666; group not 00; serial not 0000.
// Areas 900-999 pass only as ITINs (groups 50-65, 70-88, 90-92, 94-99), which
// identify a taxpayer as an SSN does (987-65-4321 is one).
bool ssn_valid(std::string_view digits);

// NPI (10 digits, first digit 1 or 2): Luhn over "80840" + the NPI.
bool npi_valid(std::string_view digits);

// ABA routing number (9 digits): 3-7-1 weighted checksum and a Federal
// Reserve prefix (00-12, 21-32, 61-72, 80).
bool aba_valid(std::string_view digits);

// A real calendar date between 1900-01-01 and 2099-12-31.
bool date_valid(int year, int month, int day);

// NANP number: 10 digits (or 11 with a leading 1). Area code and exchange
// start with 2-9, neither is N11, and the area code is not N9X (reserved).
bool nanp_valid(std::string_view digits);

} // namespace switchboard::phi
