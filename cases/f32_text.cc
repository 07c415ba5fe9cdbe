#include "cases/f32_text.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>

namespace qdiff {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex_digit(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// Power of the base carried by the leading nonzero digit of a mantissa such
// as "0012.5" (-> 1) or ".05" (-> -2). Only called on text from_chars
// found out of range, which has a nonzero digit.
int64_t leading_digit_power(std::string_view mantissa) {
  const size_t point = mantissa.find('.');
  const int64_t int_digits = int64_t(point == std::string_view::npos ? mantissa.size() : point);
  int64_t digit_index = 0;  // among digits only, '.' skipped
  for (char c : mantissa) {
    if (c == '.') continue;
    if (c != '0') break;
    ++digit_index;
  }
  return int_digits - 1 - digit_index;
}

// Decimal exponent text ("+12", "-400"), saturated far beyond any f32 so
// that no overflow can happen while the sign of the magnitude stays right.
int64_t saturated_exponent(std::string_view text) {
  bool negative = false;
  size_t i = 0;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) negative = text[i++] == '-';
  int64_t e = 0;
  for (; i < text.size(); ++i) {
    if (!is_digit(text[i])) break;
    if (e < int64_t{1} << 50) e = e * 10 + (text[i] - '0');
  }
  return negative ? -e : e;
}

// from_chars reports result_out_of_range when the correctly rounded result
// is +-inf or +-0 (and then leaves the value alone); this picks which one.
// Out-of-range values are >= 2^128 or < 2^-149, so "magnitude >= 1" splits
// them without needing the precise value.
float out_of_range_result(bool negative, bool magnitude_at_least_one) {
  const float r = magnitude_at_least_one ? kInf : 0.0f;
  return negative ? -r : r;
}

}  // namespace

void append_f32_json(std::string& out, float x) {
  if (std::isnan(x)) {
    out += "\"nan\"";
    return;
  }
  if (std::isinf(x)) {
    out += x > 0 ? "\"inf\"" : "\"-inf\"";
    return;
  }
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, x);  // shortest round trip
  const std::string_view token(buf, size_t(r.ptr - buf));
  out += token;
  if (token.find_first_of(".e") == std::string_view::npos) out += ".0";
}

std::string f32_json(float x) {
  std::string s;
  append_f32_json(s, x);
  return s;
}

std::optional<float> f32_from_decimal(std::string_view text) {
  // JSON number grammar starts with '-' or a digit; from_chars alone would
  // also take "inf" and "nan".
  const size_t first = !text.empty() && text[0] == '-' ? 1 : 0;
  if (first >= text.size() || !is_digit(text[first])) return std::nullopt;
  float v = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, v, std::chars_format::general);
  if (ptr != end) return std::nullopt;
  if (ec == std::errc{}) return v;
  if (ec != std::errc::result_out_of_range) return std::nullopt;
  const size_t e = text.find_first_of("eE");
  const std::string_view mantissa = text.substr(first, e == std::string_view::npos ? text.npos : e - first);
  const int64_t exponent = e == std::string_view::npos ? 0 : saturated_exponent(text.substr(e + 1));
  return out_of_range_result(first == 1, leading_digit_power(mantissa) + exponent >= 0);
}

std::optional<float> f32_from_string_value(std::string_view text) {
  if (text == "nan") return std::numeric_limits<float>::quiet_NaN();
  if (text == "inf") return kInf;
  if (text == "-inf") return -kInf;
  const bool negative = !text.empty() && text[0] == '-';
  if (negative) text.remove_prefix(1);
  if (text.size() < 3 || text[0] != '0' || (text[1] != 'x' && text[1] != 'X')) {
    return std::nullopt;
  }
  text.remove_prefix(2);
  // from_chars(hex) would also take a sign, "inf" or "nan" here.
  if (!is_hex_digit(text[0]) && text[0] != '.') return std::nullopt;
  float v = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, v, std::chars_format::hex);
  if (ptr != end) return std::nullopt;
  if (ec == std::errc::result_out_of_range) {
    const size_t p = text.find_first_of("pP");
    const std::string_view mantissa = text.substr(0, p);
    const int64_t exponent = p == std::string_view::npos ? 0 : saturated_exponent(text.substr(p + 1));
    // A hex digit spans 4 bits; the leading digit's own bits (< 4) do not
    // matter this far from 1.
    return out_of_range_result(negative, 4 * leading_digit_power(mantissa) + exponent >= 0);
  }
  if (ec != std::errc{}) return std::nullopt;
  return negative ? -v : v;
}

}  // namespace qdiff
