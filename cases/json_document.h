// A read-only JSON document for case files, built through nlohmann's SAX
// interface so that each number keeps what the readers need from its SOURCE
// TEXT (nlohmann's DOM keeps only a double, which would round f32 data twice).
//
// Every number carries its f32 value, rounded once from the token text
// (cases/f32_text.h), and, for integer tokens that fit, its int64 value.
// Nodes are 16 bytes; strings, arrays and objects live in side tables, so a
// document costs a small constant times its text size. Nesting is bounded
// (kMaxJsonDepth) inside the SAX handler and nlohmann's parser is iterative,
// so no input recurses without bound. Errors are malformed_case with the line
// and column (or byte offset).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace qdiff {

inline constexpr int kMaxJsonDepth = 64;

enum class JsonType : uint8_t {
  null,
  boolean,
  integer,      // integer token within int64
  big_integer,  // integer token outside int64 (f32 value still exact-rounded)
  real,         // number token with a fraction or exponent
  string,
  array,
  object,
};
// "null", "boolean", "integer", "integer", "number", "string", "array", "object"
std::string_view json_type_name(JsonType type);

struct JsonNode {
  JsonType type = JsonType::null;
  bool negative_zero = false;  // the integer token "-0" (f32 -0.0, int 0)
  float f32 = 0.0f;            // numbers: correctly rounded from the token
  int64_t value = 0;           // integer: the value; boolean: 0/1;
                               // string/array/object: side-table index

  bool is_number() const {
    return type == JsonType::integer || type == JsonType::big_integer ||
           type == JsonType::real;
  }
};

struct JsonMember {
  std::string key;
  JsonNode value;
};

class JsonDocument {
 public:
  // Throws malformed_case ("invalid JSON: parse error at line 1, column 9: ...").
  static JsonDocument parse(std::string_view text);

  const JsonNode& root() const { return root_; }
  // The node must have the matching type (callers check node.type first).
  const std::string& string(const JsonNode& node) const { return strings_[size_t(node.value)]; }
  std::span<const JsonNode> array(const JsonNode& node) const { return arrays_[size_t(node.value)]; }
  std::span<const JsonMember> object(const JsonNode& node) const { return objects_[size_t(node.value)]; }

 private:
  friend class JsonDocumentBuilder;
  JsonNode root_;
  std::vector<std::string> strings_;
  std::vector<std::vector<JsonNode>> arrays_;
  std::vector<std::vector<JsonMember>> objects_;
};

}  // namespace qdiff
