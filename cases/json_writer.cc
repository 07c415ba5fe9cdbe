#include "cases/json_writer.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cases/f32_text.h"
#include "cases/tensor_json.h"

namespace qdiff {

void append_json_string(std::string& out, std::string_view s) {
  out += nlohmann::json(std::string(s)).dump(-1, ' ', false,
                                             nlohmann::json::error_handler_t::replace);
}

ObjectWriter ObjectWriter::one_line() {
  ObjectWriter w(0);
  w.one_line_ = true;
  return w;
}

ObjectWriter ObjectWriter::nested() const {
  if (one_line_) return one_line();
  return ObjectWriter(indent_ + 2);
}

std::string& ObjectWriter::member(std::string_view key) {
  if (!first_) out_ += one_line_ ? ", " : ",";
  first_ = false;
  if (!one_line_) {
    out_ += "\n";
    out_.append(size_t(indent_ + 2), ' ');
  }
  append_json_string(out_, key);
  out_ += ": ";
  return out_;
}

void ObjectWriter::string(std::string_view key, std::string_view value) {
  append_json_string(member(key), value);
}

void ObjectWriter::integer(std::string_view key, int64_t value) {
  fmt::format_to(std::back_inserter(member(key)), "{}", value);
}

void ObjectWriter::f32(std::string_view key, float value) { append_f32_json(member(key), value); }

void ObjectWriter::tensor(std::string_view key, const Tensor& t) {
  append_tensor_json(member(key), t);
}

void ObjectWriter::int_list(std::string_view key, const std::vector<int64_t>& v) {
  fmt::format_to(std::back_inserter(member(key)), "[{}]", fmt::join(v, ", "));
}

std::string ObjectWriter::finish() {
  if (one_line_ || first_) {  // one line, or an empty object: "{}"
    out_ += "}";
    return std::move(out_);
  }
  out_ += "\n";
  out_.append(size_t(indent_), ' ');
  out_ += "}";
  return std::move(out_);
}

std::string json_on_one_line(std::string_view json) {
  std::string out;
  out.reserve(json.size());
  for (size_t i = 0; i < json.size(); ++i) {
    if (json[i] != '\n') {
      out += json[i];
      continue;
    }
    while (i + 1 < json.size() && json[i + 1] == ' ') ++i;
  }
  return out;
}

}  // namespace qdiff
