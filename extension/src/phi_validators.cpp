#include "switchboard/phi_validators.hpp"

namespace switchboard::phi {

namespace {
bool all_digits(std::string_view s) {
  if (s.empty())
    return false;
  for (char c : s)
    if (c < '0' || c > '9')
      return false;
  return true;
}
int num(std::string_view s, std::size_t pos, std::size_t len) {
  int v = 0;
  for (std::size_t i = pos; i < pos + len; ++i)
    v = v * 10 + (s[i] - '0');
  return v;
}
} // namespace

std::string digits_only(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s)
    if (c >= '0' && c <= '9')
      out.push_back(c);
  return out;
}

bool luhn_valid(std::string_view digits) {
  if (!all_digits(digits))
    return false;
  int sum = 0;
  bool twice = false;
  for (std::size_t i = digits.size(); i-- > 0;) {
    int d = digits[i] - '0';
    if (twice) {
      d *= 2;
      if (d > 9)
        d -= 9;
    }
    sum += d;
    twice = !twice;
  }
  return sum % 10 == 0;
}

bool card_valid(std::string_view d) {
  if (!all_digits(d) || d.size() < 13 || d.size() > 19)
    return false;
  const std::size_t n = d.size();
  const int p1 = num(d, 0, 1), p2 = num(d, 0, 2), p3 = num(d, 0, 3),
            p4 = num(d, 0, 4);
  bool issuer = false;
  if (p1 == 4)
    issuer = n == 13 || n == 16 || n == 19; // Visa
  else if ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720))
    issuer = n == 16; // Mastercard
  else if (p2 == 34 || p2 == 37)
    issuer = n == 15; // Amex
  else if (p4 == 6011 || (p3 >= 644 && p3 <= 649) || p2 == 65)
    issuer = n >= 16; // Discover
  else if ((p3 >= 300 && p3 <= 305) || p2 == 36 || p2 == 38 || p2 == 39)
    issuer = n >= 14; // Diners Club
  else if (p4 >= 3528 && p4 <= 3589)
    issuer = n >= 16; // JCB
  else if (p2 == 62)
    issuer = n >= 16; // UnionPay
  return issuer && luhn_valid(d);
}

bool ssn_valid(std::string_view d) {
  if (d.size() != 9 || !all_digits(d))
    return false;
  const int area = num(d, 0, 3), group = num(d, 3, 2), serial = num(d, 5, 4);
  if (area == 0 || area == 666 || group == 0 || serial == 0)
    return false;
  if (area < 900)
    return true;
  // 9xx areas are never SSNs, but with these groups they are ITINs: IRS
  // taxpayer numbers that identify a person exactly as an SSN does, so they
  // are caught too (987-65-4321 is one). Other 9xx numbers are not issued.
  return (group >= 50 && group <= 65) || (group >= 70 && group <= 88) ||
         (group >= 90 && group <= 92) || (group >= 94 && group <= 99);
}

bool npi_valid(std::string_view d) {
  if (d.size() != 10 || !all_digits(d) || (d[0] != '1' && d[0] != '2'))
    return false;
  std::string prefixed = "80840";
  prefixed.append(d.data(), d.size());
  return luhn_valid(prefixed);
}

bool aba_valid(std::string_view d) {
  if (d.size() != 9 || !all_digits(d))
    return false;
  const int prefix = num(d, 0, 2);
  const bool fed = prefix <= 12 || (prefix >= 21 && prefix <= 32) ||
                   (prefix >= 61 && prefix <= 72) || prefix == 80;
  if (!fed)
    return false;
  auto v = [&](int i) { return d[i] - '0'; };
  const int sum = 3 * (v(0) + v(3) + v(6)) + 7 * (v(1) + v(4) + v(7)) +
                  (v(2) + v(5) + v(8));
  return sum % 10 == 0;
}

bool date_valid(int year, int month, int day) {
  if (year < 1900 || year > 2099 || month < 1 || month > 12 || day < 1)
    return false;
  static const int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int max = kDays[month - 1];
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  if (month == 2 && leap)
    max = 29;
  return day <= max;
}

bool nanp_valid(std::string_view d) {
  if (!all_digits(d))
    return false;
  if (d.size() == 11) {
    if (d[0] != '1')
      return false;
    d.remove_prefix(1);
  }
  if (d.size() != 10)
    return false;
  if (d[0] < '2' || d[3] < '2')
    return false;
  if (d[1] == '9') // N9X area codes are reserved for expansion
    return false;
  if (d[1] == '1' && d[2] == '1') // N11 service codes
    return false;
  if (d[4] == '1' && d[5] == '1')
    return false;
  return true;
}

} // namespace switchboard::phi
