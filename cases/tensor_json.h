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
#include "cases/json_fields.h"
#include "core/tensor.h"

namespace qdiff {

// The member `key` of obj as a storage dtype name (f32 i8 u8 i16 u16 i32).
DType read_storage_dtype(const JsonObjectReader& obj, std::string_view key = "dtype");
// The member `key` of obj as a shape: at most 8 non-negative integer dims.
Shape read_shape(const JsonObjectReader& obj, std::string_view key = "shape");

// Checks, in this order: dtype (a storage name), shape (rank <= 8, dims
// non-negative integers), the element cap (too_large, before anything is
// allocated), the data count, then each value. Throws malformed_case naming
// the field ("input.shape[1]", "scale.data[3]") or too_large.
Tensor read_tensor(const JsonDocument& doc, const JsonNode& node, const std::string& path);

void append_tensor_json(std::string& out, const Tensor& t);

}  // namespace qdiff
