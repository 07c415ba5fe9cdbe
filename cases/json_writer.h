// Writing side of the case-file codecs: JSON string literals and an object
// writer that lays members out one per line with 2-space indentation (each
// tensor on one line), the canonical form documented in
// docs/case-file-format.md. Shared by case_file.cc and case.cc.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/tensor.h"

namespace qdiff {

// A JSON string literal; bytes that are not UTF-8 (possible in error
// messages) become U+FFFD so the file always parses.
void append_json_string(std::string& out, std::string_view s);

// Collects "key": value lines of one object. `indent` is the indentation of
// the object's closing brace; members are indented 2 more. A one-line writer
// separates members with ", " instead.
class ObjectWriter {
 public:
  explicit ObjectWriter(int indent) : indent_(indent), out_("{") {}
  // An object written on one line, {"a": 1, "b": [2]} (graph nodes).
  static ObjectWriter one_line();
  int indent() const { return indent_; }
  // A writer for an object nested as a member of this one: on one line if
  // this one is, else indented 2 more.
  ObjectWriter nested() const;
  // Starts a member and returns the buffer to append its value to.
  std::string& member(std::string_view key);
  void string(std::string_view key, std::string_view value);
  void integer(std::string_view key, int64_t value);
  void f32(std::string_view key, float value);
  void tensor(std::string_view key, const Tensor& t);
  void int_list(std::string_view key, const std::vector<int64_t>& v);
  // Closes the object; the writer is spent afterwards.
  std::string finish();

 private:
  int indent_;
  std::string out_;
  bool first_ = true;
  bool one_line_ = false;
};

// A JSON text laid out over several lines, on one (JSON strings hold no raw
// newlines, so dropping each newline and its indentation keeps the value):
// the process protocol's framing (docs/process-protocol.md).
std::string json_on_one_line(std::string_view json);

}  // namespace qdiff
