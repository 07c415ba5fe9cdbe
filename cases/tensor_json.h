// Tensors in case and result files (SPEC section 11):
//   {"dtype": "f32", "shape": [2, 4], "data": [0.5, -0.0, "nan", ...]}
// `data` is flat and row-major. Integer tensors hold JSON integers within the
// dtype's range; f32 tensors hold numbers or "nan"/"inf"/"-inf"/hex float
// strings (cases/f32_text.h). Written on one line so that hand-edited cases
// diff well.
#pragma once

#include <string>
#include <string_view>

#include "cases/json_document.h"
#include "core/tensor.h"

namespace qdiff {

// Checks, in this order: dtype (a storage name), shape (rank <= 8, dims
// non-negative integers), the element cap (too_large, before anything is
// allocated), the data count, then each value. Throws malformed_case naming
// the field ("input.shape[1]", "scale.data[3]") or too_large.
Tensor read_tensor(const JsonDocument& doc, const JsonNode& node, const std::string& path);

void append_tensor_json(std::string& out, const Tensor& t);

}  // namespace qdiff
