// Case files and result files (SPEC section 11): the corpus and CLI
// interchange format. JSON, versioned ("format": "qdiff-case", "version": 1).
//
// f32 values are written so they round-trip exactly (shortest form, with
// "-0.0" kept, and "nan", "inf", "-inf" as strings) and read with a single
// correct rounding from their source text (also C99 hex floats such as
// "0x1.99999ap-4"). Anything unreadable is the error malformed_case with a
// message naming the field; parsing never crashes, never recurses without
// bound and never allocates beyond the element cap.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "cases/affine_case.h"
#include "core/error.h"
#include "core/tensor.h"

namespace qdiff {

// Parses a case file of an affine op; throws malformed_case (a fused op's
// file included: parse_case in cases/case.h reads every op).
AffineCase parse_affine_case(std::string_view json_text);
std::string write_affine_case(const AffineCase& c);

// The result of evaluating a case: named output tensors or an error.
struct CaseResult {
  std::map<std::string, Tensor> outputs;  // "output", or "scale"/"zero_point"
  std::optional<ErrorKind> error_kind;
  std::string error_message;
};
std::string write_result(const CaseResult& result);
CaseResult parse_result(std::string_view json_text);  // throws malformed_case

}  // namespace qdiff
