// Exact f32 <-> text (cases/f32_text.h). Golden bit patterns are worked by
// hand from IEEE 754 binary32 (1 sign, 8 exponent bits biased by 127, 23
// mantissa bits); the arithmetic is in the comments.
#include "cases/f32_text.h"

#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string>

#include <gtest/gtest.h>

#include "core/float_bits.h"

namespace qdiff {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

uint32_t decimal_bits(const char* text) {
  const auto f = f32_from_decimal(text);
  EXPECT_TRUE(f.has_value()) << text;
  return f ? f32_bits(*f) : 0xdeadbeef;
}

uint32_t string_bits(const char* text) {
  const auto f = f32_from_string_value(text);
  EXPECT_TRUE(f.has_value()) << text;
  return f ? f32_bits(*f) : 0xdeadbeef;
}

TEST(F32Text, WriterKeepsFloatTokensFloatLooking) {
  // A token without '.' or 'e' would read back as a JSON integer: -0 would
  // lose its sign, 2 would change type.
  EXPECT_EQ(f32_json(-0.0f), "-0.0");
  EXPECT_EQ(f32_json(0.0f), "0.0");
  EXPECT_EQ(f32_json(2.0f), "2.0");
  EXPECT_EQ(f32_json(16777216.0f), "16777216.0");  // 2^24
  EXPECT_EQ(f32_json(-1.5f), "-1.5");
  // 0.1f is the f32 nearest to 0.1, so "0.1" is its shortest form.
  EXPECT_EQ(f32_json(0.1f), "0.1");
}

TEST(F32Text, WriterUsesStringsForNanAndInfinities) {
  EXPECT_EQ(f32_json(std::numeric_limits<float>::quiet_NaN()), "\"nan\"");
  EXPECT_EQ(f32_json(-std::numeric_limits<float>::quiet_NaN()), "\"nan\"");
  EXPECT_EQ(f32_json(kInf), "\"inf\"");
  EXPECT_EQ(f32_json(-kInf), "\"-inf\"");
}

TEST(F32Text, WriterShortestFormsOfTheExtremes) {
  // FLT_MAX = (2 - 2^-23) * 2^127 = 3.40282346638...e38; its neighbours are
  // 2^-23 * 2^127 = 2.03e31 apart, so 8 digits (3.4028235e38, off by 3.4e30)
  // identify it. FLT_MIN = 2^-126 = 1.17549435082...e-38, ulp 2^-149 = 1.4e-45:
  // 1.1754944e-38 is off by 5e-46 < half ulp. 2^-149 = 1.401298e-45: "1e-45"
  // is off by 4e-46 < half ulp (7e-46).
  EXPECT_EQ(f32_json(FLT_MAX), "3.4028235e+38");
  EXPECT_EQ(f32_json(FLT_MIN), "1.1754944e-38");
  EXPECT_EQ(f32_json(f32_from_bits(0x00000001)), "1e-45");
  EXPECT_EQ(f32_json(f32_from_bits(0x80000001)), "-1e-45");
}

// f = 128 - 2^-16 = 127.9999847412109375, bits 0x42FFFFFE (exponent 6 ->
// 133 = 0x85, mantissa all ones but the last). Its round-trip interval is
// f +- 2^-18 (= +-3.8e-6); the 8-digit decimals around it, 127.99998 (4.7e-6
// below) and 127.99999 (5.3e-6 above), both fall outside, so it needs 9
// digits: 127.999985 is 2.6e-7 away.
TEST(F32Text, NineDigitValueRoundTrips) {
  const float f = f32_from_bits(0x42FFFFFE);
  ASSERT_EQ(f, 128.0f - 0x1p-16f);
  char eight[32];
  std::snprintf(eight, sizeof eight, "%.8g", double(f));
  EXPECT_NE(std::strtof(eight, nullptr), f) << "8 digits should not be enough: " << eight;
  EXPECT_EQ(f32_json(f), "127.999985");
  EXPECT_EQ(decimal_bits("127.999985"), 0x42FFFFFEu);
}

TEST(F32Text, ReaderDecimalGoldenValues) {
  // 0.1 = 1.6 * 2^-4; 1.6 * 2^23 = 13421772.8 -> 13421773 = 0xCCCCCD,
  // mantissa 0x4CCCCD, exponent 123 = 0x7B: 0x3DCCCCCD.
  EXPECT_EQ(decimal_bits("0.1"), 0x3DCCCCCDu);
  EXPECT_EQ(decimal_bits("-0"), 0x80000000u);
  EXPECT_EQ(decimal_bits("-0.0"), 0x80000000u);
  EXPECT_EQ(decimal_bits("0e7"), 0x00000000u);
  // 2^24 + 1 lies halfway between 2^24 and 2^24 + 2: ties to even -> 2^24
  // (0x4B800000). 2^24 + 3 is halfway between 2^24 + 2 (odd mantissa) and
  // 2^24 + 4 (even): -> 2^24 + 4 = 0x4B800002.
  EXPECT_EQ(decimal_bits("16777217"), 0x4B800000u);
  EXPECT_EQ(decimal_bits("16777219"), 0x4B800002u);
  // 1.5e-45 is nearest 2^-149 (1.4e-45); 1e-45 too.
  EXPECT_EQ(decimal_bits("1e-45"), 0x00000001u);
  EXPECT_EQ(decimal_bits("1.5e-45"), 0x00000001u);
  EXPECT_EQ(decimal_bits("1.1754944e-38"), 0x00800000u);  // FLT_MIN
  EXPECT_EQ(decimal_bits("3.4028235e38"), 0x7F7FFFFFu);   // FLT_MAX
  EXPECT_EQ(decimal_bits("1E+2"), f32_bits(100.0f));
}

TEST(F32Text, ReaderOverflowAndUnderflowRoundLikeIeee) {
  // Overflow threshold: FLT_MAX + half ulp = 2^128 - 2^103
  // = 3.40282356779733661637...e38; at or above it the nearest is inf.
  EXPECT_EQ(decimal_bits("3.4028235677973366e38"), 0x7F7FFFFFu);  // just below
  EXPECT_EQ(decimal_bits("3.4028236e38"), 0x7F800000u);
  EXPECT_EQ(decimal_bits("-1e39"), 0xFF800000u);
  EXPECT_EQ(decimal_bits("123456789012345678901234567890123456789012"), 0x7F800000u);
  // Underflow threshold: 2^-150 = 7.00649232162408535e-46 (half of 2^-149);
  // below it the nearest is 0, above it 2^-149.
  EXPECT_EQ(decimal_bits("7.006492e-46"), 0x00000000u);
  EXPECT_EQ(decimal_bits("7.0064924e-46"), 0x00000001u);
  EXPECT_EQ(decimal_bits("1e-50"), 0x00000000u);
  EXPECT_EQ(decimal_bits("-1e-50"), 0x80000000u);
  EXPECT_EQ(decimal_bits("0.000000000000000000000000000000000000000000000001"), 0u);
  // Exponents far beyond any range saturate without overflow.
  EXPECT_EQ(decimal_bits("1e-99999999999999999999"), 0x00000000u);
  EXPECT_EQ(decimal_bits("0.001e99999999999999999999"), 0x7F800000u);
}

// The classic double-rounding trap. m = 1 + 2^-24 = 1.000000059604644775390625
// is exactly halfway between the f32 values 1 (0x3F800000) and 1 + 2^-23
// (0x3F800001). d = m + 1e-29 is above m, so its correctly rounded f32 is
// 0x3F800001. But m is a double and |d - m| = 1e-29 < 2^-53 (half a double
// ulp at 1), so strtod(d) == m exactly, and m then ties to even: 0x3F800000.
TEST(F32Text, ReaderRoundsOnceNotThroughDouble) {
  const char* d = "1.00000005960464477539062500001";
  ASSERT_EQ(std::strtod(d, nullptr), 1.0 + 0x1p-24) << "d must round to m as a double";
  EXPECT_EQ(f32_bits(float(std::strtod(d, nullptr))), 0x3F800000u)
      << "the double path is the wrong answer this test guards against";
  EXPECT_EQ(decimal_bits(d), 0x3F800001u);
  // And the mirror image below m rounds down.
  EXPECT_EQ(decimal_bits("1.00000005960464477539062499999"), 0x3F800000u);
}

TEST(F32Text, ReaderRejectsNonNumbers) {
  for (const char* bad : {"", "-", "inf", "nan", "+1", ".5", "1.5x", "0x1p0", " 1", "1 "}) {
    EXPECT_FALSE(f32_from_decimal(bad).has_value()) << bad;
  }
}

TEST(F32Text, StringValues) {
  EXPECT_TRUE(std::isnan(*f32_from_string_value("nan")));
  EXPECT_EQ(string_bits("inf"), 0x7F800000u);
  EXPECT_EQ(string_bits("-inf"), 0xFF800000u);
  // 0x1.99999ap-4: mantissa 0x99999a / 2^24 -> 23 bits 0x4CCCCD, exponent -4
  // -> 123: 0x3DCCCCCD (the 0.1f above).
  EXPECT_EQ(string_bits("0x1.99999ap-4"), 0x3DCCCCCDu);
  EXPECT_EQ(string_bits("-0x1p-149"), 0x80000001u);
  EXPECT_EQ(string_bits("0x1p-149"), 0x00000001u);
  EXPECT_EQ(string_bits("0X1P+0"), 0x3F800000u);
  EXPECT_EQ(string_bits("-0x0p0"), 0x80000000u);
  EXPECT_EQ(string_bits("0x1.fffffep127"), 0x7F7FFFFFu);
  EXPECT_EQ(string_bits("0x.8p1"), 0x3F800000u);
  EXPECT_EQ(string_bits("0x3"), f32_bits(3.0f));  // exponent optional
}

TEST(F32Text, HexFloatsWithExtraBitsRoundCorrectly) {
  // 0x1.000001p0 = 1 + 2^-24: a tie between 1 and 1 + 2^-23 -> even: 1.
  EXPECT_EQ(string_bits("0x1.000001p0"), 0x3F800000u);
  // 1 + 3 * 2^-24: a tie between 1 + 2^-23 (odd) and 1 + 2^-22 (even).
  EXPECT_EQ(string_bits("0x1.000003p0"), 0x3F800002u);
  // Just above the first tie (a far-away sticky bit): rounds up.
  EXPECT_EQ(string_bits("0x1.0000010000000000000000001p0"), 0x3F800001u);
  // 2^-150: a tie between 0 and 2^-149 -> even: 0. 1.5 * 2^-150: up.
  EXPECT_EQ(string_bits("0x1p-150"), 0x00000000u);
  EXPECT_EQ(string_bits("-0x1p-150"), 0x80000000u);
  EXPECT_EQ(string_bits("0x1.8p-150"), 0x00000001u);
  EXPECT_EQ(string_bits("0x1p128"), 0x7F800000u);
  EXPECT_EQ(string_bits("-0x1p99999999999999"), 0xFF800000u);
  EXPECT_EQ(string_bits("0x1p-99999999999999"), 0x00000000u);
}

TEST(F32Text, StringValuesRejectEverythingElse) {
  for (const char* bad : {"", "NaN", "Inf", "+inf", "infinity", "-nan", "1.5", "1", "0x",
                          "0xg", "0x-1p0", "-0x-1p0", "0xinf", "0x1p", "0x1p+", " 0x1p0",
                          "0x1p0 ", "1p0", "--0x1p0", "0x1.2.3p0"}) {
    EXPECT_FALSE(f32_from_string_value(bad).has_value()) << bad;
  }
}

// Write then read gives the same bits for a spread of patterns covering
// every exponent (stride 4099 is odd and coprime to 2^32, hitting mantissa
// bits low and high) plus the class boundaries.
TEST(F32Text, EveryClassRoundTripsBitExactly) {
  auto round_trip = [](uint32_t bits) {
    const float x = f32_from_bits(bits);
    const std::string token = f32_json(x);
    std::optional<float> back;
    if (token.front() == '"') {
      back = f32_from_string_value(token.substr(1, token.size() - 2));
    } else {
      back = f32_from_decimal(token);
    }
    ASSERT_TRUE(back.has_value()) << token;
    if (std::isnan(x)) {
      EXPECT_TRUE(std::isnan(*back)) << token;
    } else {
      EXPECT_EQ(f32_bits(*back), bits) << token;
    }
  };
  for (uint32_t b : {0x00000000u, 0x80000000u, 0x00000001u, 0x80000001u, 0x007FFFFFu,
                     0x00800000u, 0x00800001u, 0x7F7FFFFFu, 0xFF7FFFFFu, 0x7F800000u,
                     0xFF800000u, 0x7FC00000u, 0x3F800000u, 0x3F800001u, 0x4B800000u,
                     0x4B800001u, 0x42FFFFFEu, 0x3DCCCCCDu}) {
    round_trip(b);
  }
  uint32_t bits = 0;
  for (int i = 0; i < (1 << 20); ++i, bits += 4099) round_trip(bits);
}

}  // namespace
}  // namespace qdiff
