#include "cases/case_header.h"

#include <fmt/format.h>

#include "cases/affine_case.h"

namespace qdiff {

bool is_fused_op_name(std::string_view name) {
  for (std::string_view fused : kFusedOpNames) {
    if (fused == name) return true;
  }
  return false;
}

void check_header(const JsonObjectReader& root, std::string_view format) {
  const std::string_view f = root.required_string("format");
  if (f != format) field_error("format", "must be \"{}\", got {}", format, quoted_excerpt(f));
  const int64_t v = root.required_int64("version");
  if (v != kCaseFileVersion) {
    field_error("version", "is {}; this build reads version {}", v, kCaseFileVersion);
  }
}

void write_header(ObjectWriter& w, std::string_view format) {
  w.string("format", format);
  w.integer("version", kCaseFileVersion);
}

std::string_view read_op_name(const JsonObjectReader& root) { return root.required_string("op"); }

void unknown_op_error(std::string_view name) {
  std::string known;
  for (AffineOpKind op : kAllAffineOps) known += fmt::format("{}, ", affine_op_name(op));
  known += fmt::format("{}, {}", fmt::join(kFusedOpNames, ", "), kGraphOpName);
  field_error("op", "names an op this build does not know: {} (known: {})", quoted_excerpt(name),
              known);
}

}  // namespace qdiff
