#include "cases/params_json.h"

#include "cases/tensor_json.h"

namespace qdiff {

QuantTypeFields read_quant_type(const JsonObjectReader& obj) {
  const std::string_view name = obj.required_string("dtype");
  std::optional<QuantType> named = parse_quant_type(name);
  if (!named) {
    const auto storage = parse_dtype(name);
    if (!storage) {
      field_error(obj.path_of("dtype"),
                  "must be a storage dtype (i8, u8, i16, u16, i32, f32) or a quantized "
                  "type name (i1..i7, u1..u7), got {}",
                  quoted_excerpt(name));
    }
    named = QuantType{*storage, 0, 0};
  }
  const bool has_default = is_integer(named->storage);
  auto range_end = [&](std::string_view key, int64_t fallback) {
    if (const JsonNode* n = obj.find(key)) return read_int64(*n, obj.path_of(key));
    if (!has_default) {
      field_error(obj.path_of(key), "is required when dtype is {}", quoted_excerpt(name));
    }
    return fallback;
  };
  const int64_t quant_min = range_end("quant_min", named->quant_min);
  const int64_t quant_max = range_end("quant_max", named->quant_max);
  return {named->storage, quant_min, quant_max};
}

ZeroPointDomain read_zero_point_domain(const JsonObjectReader& obj) {
  const JsonNode* n = obj.find("zero_point_domain");
  if (!n) return ZeroPointDomain::int_domain;
  const std::string path = obj.path_of("zero_point_domain");
  const std::string_view name = read_string(obj.doc(), *n, path);
  const auto d = parse_domain(name);
  if (!d) field_error(path, "must be int, float or none, got {}", quoted_excerpt(name));
  return *d;
}

std::optional<std::vector<int64_t>> read_block_size(const JsonObjectReader& obj) {
  const JsonNode* n = obj.find("block_size");
  if (!n) return std::nullopt;
  return read_int64_array(obj.doc(), *n, obj.path_of("block_size"));
}

QuantParams read_quant_params(const JsonObjectReader& obj) {
  QuantParams p;
  p.scale = read_tensor(obj.doc(), obj.require("scale"), obj.path_of("scale"));
  if (const JsonNode* zp = obj.find("zero_point")) {
    p.zero_point = read_tensor(obj.doc(), *zp, obj.path_of("zero_point"));
  }
  p.block_size = read_block_size(obj);
  const QuantTypeFields t = read_quant_type(obj);
  p.dtype = t.dtype;
  p.quant_min = t.quant_min;
  p.quant_max = t.quant_max;
  p.zero_point_domain = read_zero_point_domain(obj);
  return p;
}

QuantParams read_quant_params_member(const JsonObjectReader& parent, std::string_view key) {
  return read_quant_params(JsonObjectReader(parent.doc(), parent.require(key), parent.path_of(key)));
}

void write_quant_params_fields(ObjectWriter& w, const QuantParams& p) {
  w.tensor("scale", p.scale);
  if (p.zero_point) w.tensor("zero_point", *p.zero_point);
  if (p.block_size) w.int_list("block_size", *p.block_size);
  w.string("dtype", dtype_name(p.dtype));
  w.integer("quant_min", p.quant_min);
  w.integer("quant_max", p.quant_max);
  w.string("zero_point_domain", domain_name(p.zero_point_domain));
}

void write_quant_params_member(ObjectWriter& w, std::string_view key, const QuantParams& p) {
  ObjectWriter nested = w.nested();
  write_quant_params_fields(nested, p);
  w.member(key) += nested.finish();
}

}  // namespace qdiff
