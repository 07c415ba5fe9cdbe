// The fields every case and result file starts with: "format", "version"
// and, for cases, "op" (SPEC section 11). Shared by the affine codec
// (affine_case_json.cc), the fused codec (case.cc) and result files
// (case_file.cc).
#pragma once

#include <cstdint>
#include <string_view>

#include "cases/json_fields.h"
#include "cases/json_writer.h"

namespace qdiff {

inline constexpr std::string_view kCaseFormat = "qdiff-case";
inline constexpr std::string_view kResultFormat = "qdiff-result";
inline constexpr int64_t kCaseFileVersion = 1;

// The fused ops' "op" values (cases/case.h).
inline constexpr std::string_view kFusedOpNames[] = {"qlinear", "qconv2d", "qadd", "qmul"};
bool is_fused_op_name(std::string_view name);
// The graph case's "op" value (cases/graph_case.h).
inline constexpr std::string_view kGraphOpName = "graph";

// Throws malformed_case unless "format" is `format` and "version" is 1.
void check_header(const JsonObjectReader& root, std::string_view format);
void write_header(ObjectWriter& w, std::string_view format);

// The "op" string (required).
std::string_view read_op_name(const JsonObjectReader& root);
// field "op" names an op this build does not know: "..." (known: every op).
[[noreturn]] void unknown_op_error(std::string_view name);

}  // namespace qdiff
