// QuantParams in case files, shared by every op family: the affine ops keep
// these fields at the top level of the case, the fused ops nest them in an
// object per operand ("x_params", "w_params", "out_params", ...):
//
//   "scale": TENSOR, "zero_point": TENSOR (optional),
//   "block_size": [...] (optional), "dtype": "i8" | "i4" | ...,
//   "quant_min": -128, "quant_max": 127 (optional: the dtype name's range),
//   "zero_point_domain": "int" | "float" | "none" (optional, default int)
//
// Readers take the object that holds the fields, so messages carry its path
// ("w_params.scale.shape[0]", or "scale.shape[0]" at the top level). Only
// what cannot be represented is rejected; the op validates the rest.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "cases/json_fields.h"
#include "cases/json_writer.h"
#include "core/quant_params.h"

namespace qdiff {

struct QuantTypeFields {
  DType dtype;
  int64_t quant_min;
  int64_t quant_max;
};

// "dtype" is a storage name ("i8") or a quantized type name ("i4" = i8
// storage, [-8, 7]); explicit quant_min / quant_max override the name's
// range. "f32" is accepted (the op rejects it as unsupported, and error
// cases must be representable) but has no default range.
QuantTypeFields read_quant_type(const JsonObjectReader& obj);
// Optional "zero_point_domain", default int.
ZeroPointDomain read_zero_point_domain(const JsonObjectReader& obj);
// Optional "block_size": any int64 values (the op checks them).
std::optional<std::vector<int64_t>> read_block_size(const JsonObjectReader& obj);

// The fields of one QuantParams, read from `obj` in the order scale,
// zero_point, block_size, dtype, quant_min, quant_max, zero_point_domain.
QuantParams read_quant_params(const JsonObjectReader& obj);
// The member `key` of `parent`, an object holding QuantParams fields.
QuantParams read_quant_params_member(const JsonObjectReader& parent, std::string_view key);

// Writes the fields into w in the canonical form: scale, zero_point (when
// present), block_size (when present), dtype as the storage name, explicit
// quant_min and quant_max, zero_point_domain.
void write_quant_params_fields(ObjectWriter& w, const QuantParams& p);
// Writes p as the member `key` of w, a nested object.
void write_quant_params_member(ObjectWriter& w, std::string_view key, const QuantParams& p);

}  // namespace qdiff
