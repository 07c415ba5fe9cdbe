#include "cases/tensor_json.h"

#include <fmt/format.h>

#include "cases/f32_text.h"
#include "cases/json_fields.h"
#include "core/limits.h"

namespace qdiff {

DType read_storage_dtype(const JsonObjectReader& obj, std::string_view key) {
  const std::string_view name = obj.required_string(key);
  const auto dtype = parse_dtype(name);
  if (!dtype) {
    field_error(obj.path_of(key),
                "must be a storage dtype (f32, i8, u8, i16, u16, i32), got {}",
                quoted_excerpt(name));
  }
  return *dtype;
}

Shape read_shape(const JsonObjectReader& obj, std::string_view key) {
  const std::string path = obj.path_of(key);
  const auto dims = read_array(obj.doc(), obj.require(key), path);
  if (dims.size() > size_t(kMaxRank)) {
    field_error(path, "has rank {}, the limit is {}", dims.size(), kMaxRank);
  }
  Shape shape;
  for (size_t i = 0; i < dims.size(); ++i) {
    if (dims[i].type != JsonType::integer || dims[i].value < 0) {
      field_error(element_path(path, i), "must be a non-negative integer");
    }
    shape.push_back(dims[i].value);
  }
  return shape;
}

namespace {

template <typename T>
void read_integer_data(std::span<const JsonNode> items, Tensor& t, const std::string& path) {
  const auto out = t.data<T>();
  const int64_t lo = dtype_min(t.dtype()), hi = dtype_max(t.dtype());
  for (size_t i = 0; i < items.size(); ++i) {
    const JsonNode& item = items[i];
    if (item.type != JsonType::integer || item.value < lo || item.value > hi) {
      if (item.type == JsonType::integer) {
        field_error(element_path(path, i), "must be an integer in [{}, {}] for {}, got {}",
                    lo, hi, dtype_name(t.dtype()), item.value);
      }
      field_error(element_path(path, i), "must be an integer in [{}, {}] for {}, got {}",
                  lo, hi, dtype_name(t.dtype()),
                  item.type == JsonType::big_integer ? "an integer beyond int64"
                                                     : json_type_name(item.type));
    }
    out[i] = T(item.value);
  }
}

}  // namespace

Tensor read_tensor(const JsonDocument& doc, const JsonNode& node, const std::string& path) {
  const JsonObjectReader obj(doc, node, path);
  const DType dtype = read_storage_dtype(obj);
  const Shape shape = read_shape(obj);
  const int64_t numel = check_element_cap(shape, path.c_str());
  const std::string data_path = obj.path_of("data");
  const auto items = read_array(doc, obj.require("data"), data_path);
  if (int64_t(items.size()) != numel) {
    field_error(data_path, "has {} values, shape {} needs {}", items.size(), shape.str(),
                numel);
  }
  Tensor t(dtype, shape);
  if (dtype == DType::f32) {
    const auto out = t.data<float>();
    for (size_t i = 0; i < items.size(); ++i) {
      out[i] = items[i].is_number() ? items[i].f32
                                    : read_f32(doc, items[i], element_path(data_path, i));
    }
  } else {
    visit_integer_dtype(dtype, [&](auto tag) {
      read_integer_data<decltype(tag)>(items, t, data_path);
    });
  }
  return t;
}

void append_tensor_json(std::string& out, const Tensor& t) {
  fmt::format_to(std::back_inserter(out), "{{\"dtype\": \"{}\", \"shape\": [{}], \"data\": [",
                 dtype_name(t.dtype()), fmt::join(t.shape().dims(), ", "));
  for (int64_t i = 0; i < t.numel(); ++i) {
    if (i) out += ", ";
    if (t.dtype() == DType::f32) {
      append_f32_json(out, t.f32_at(i));
    } else {
      fmt::format_to(std::back_inserter(out), "{}", t.int_at(i));
    }
  }
  out += "]}";
}

}  // namespace qdiff
