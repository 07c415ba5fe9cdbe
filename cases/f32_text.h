// Exact f32 <-> text for case files (SPEC section 11).
//
// Writing: the shortest decimal that reads back to the same f32
// (std::to_chars), with ".0" appended when the token would otherwise read as
// a JSON integer, so -0.0 stays "-0.0" and 2.0f stays a float token. NaN and
// the infinities are the JSON strings "nan", "inf", "-inf" (a NaN's sign and
// payload are not kept: it reads back as the default quiet NaN).
//
// Reading: ONE correct rounding from the source text to f32
// (std::from_chars<float>), never through double: decimal -> double -> f32
// rounds twice and can land one ulp off (tests/cases_f32_text_test.cc shows
// such a value). Text outside the f32 range rounds as IEEE 754 says: to +-inf
// at or above FLT_MAX + half an ulp, to +-0 at or below half the smallest
// subnormal.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace qdiff {

// Appends the JSON token for x (a number, or a quoted string for NaN/inf).
void append_f32_json(std::string& out, float x);
std::string f32_json(float x);

// The f32 nearest to a JSON number token ("-1.5e-3", "12", "-0"); nullopt if
// the text is not a JSON number.
std::optional<float> f32_from_decimal(std::string_view text);

// The f32 named by a JSON string value: "nan", "inf", "-inf", or a C99 hex
// float "[-]0x<hex digits>[.<hex digits>][p[+-]<decimal exponent>]",
// correctly rounded when it has more than 24 significant bits. nullopt for
// anything else.
std::optional<float> f32_from_string_value(std::string_view text);

}  // namespace qdiff
