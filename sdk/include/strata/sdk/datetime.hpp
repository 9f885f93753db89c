// datetime.hpp: RFC 3339 / ISO 8601 date-times ("2024-01-02T03:04:05Z", "+02:00" offsets,
// fractional seconds, a date alone) to microseconds since the Unix epoch (C++17, header-only).
#ifndef STRATA_SDK_DATETIME_HPP_
#define STRATA_SDK_DATETIME_HPP_

#include <cctype>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <string>

namespace strata::sdk {

// False when `s` is not a date-time in one of the accepted forms.
inline bool ParseRfc3339Micros(const std::string& s, int64_t* micros) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, consumed = 0;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2d%n", &y, &mo, &d, &consumed) != 3 || consumed != 10) {
    return false;
  }
  size_t i = 10;
  int64_t frac_us = 0, offset_s = 0;
  if (i < s.size() && (s[i] == 'T' || s[i] == 't' || s[i] == ' ')) {
    if (std::sscanf(s.c_str() + i + 1, "%2d:%2d%n", &h, &mi, &consumed) != 2 || consumed != 5) {
      return false;
    }
    i += 6;
    if (i < s.size() && s[i] == ':') {
      if (std::sscanf(s.c_str() + i + 1, "%2d%n", &sec, &consumed) != 1 || consumed != 2) {
        return false;
      }
      i += 3;
    }
    if (i < s.size() && s[i] == '.') {
      int64_t scale = 100000;
      for (++i; i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])); ++i) {
        frac_us += (s[i] - '0') * scale;
        scale /= 10;
      }
    }
    if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
      ++i;
    } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
      int oh = 0, om = 0;
      if (std::sscanf(s.c_str() + i + 1, "%2d:%2d", &oh, &om) != 2 &&
          std::sscanf(s.c_str() + i + 1, "%2d%2d", &oh, &om) != 2) {
        return false;
      }
      offset_s = (s[i] == '+' ? 1 : -1) * (oh * 3600 + om * 60);
      i = s.size();
    }
  }
  if (i != s.size()) return false;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return false;
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  *micros = (static_cast<int64_t>(timegm(&tm)) - offset_s) * 1000000 + frac_us;
  return true;
}

}  // namespace strata::sdk

#endif  // STRATA_SDK_DATETIME_HPP_
