#include "cases/json_document.h"

#include <limits>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cases/f32_text.h"
#include "core/error.h"

namespace qdiff {

std::string_view json_type_name(JsonType type) {
  switch (type) {
    case JsonType::null: return "null";
    case JsonType::boolean: return "boolean";
    case JsonType::integer:
    case JsonType::big_integer: return "integer";
    case JsonType::real: return "number";
    case JsonType::string: return "string";
    case JsonType::array: return "array";
    case JsonType::object: return "object";
  }
  return "?";
}

// nlohmann SAX handler. Each callback appends one node to the innermost open
// container; returning false stops the parse (the message is kept in error).
class JsonDocumentBuilder {
 public:
  using json = nlohmann::json;

  explicit JsonDocumentBuilder(JsonDocument& doc) : doc_(doc) {}
  const std::string& error() const { return error_; }

  bool null() { return add(JsonNode{}); }
  bool boolean(bool v) {
    JsonNode n;
    n.type = JsonType::boolean;
    n.value = v ? 1 : 0;
    return add(n);
  }
  // nlohmann reports every non-negative integer token through
  // number_unsigned, so this is a token with a minus sign: v == 0 means the
  // text was "-0", which as an f32 is -0.0.
  bool number_integer(json::number_integer_t v) {
    JsonNode n;
    n.type = JsonType::integer;
    n.value = v;
    n.negative_zero = v == 0;
    n.f32 = v == 0 ? -0.0f : float(v);  // int64 -> f32: one rounding
    return add(n);
  }
  bool number_unsigned(json::number_unsigned_t v) {
    JsonNode n;
    if (v <= uint64_t(std::numeric_limits<int64_t>::max())) {
      n.type = JsonType::integer;
      n.value = int64_t(v);
    } else {
      n.type = JsonType::big_integer;
    }
    n.f32 = float(v);  // uint64 -> f32: one rounding
    return add(n);
  }
  // Fractions, exponents, and integer tokens beyond int64/uint64 (nlohmann
  // falls back to double for those). The double is ignored: the f32 comes
  // from the raw token text.
  bool number_float(json::number_float_t, const std::string& raw) {
    JsonNode n;
    n.type = raw.find_first_of(".eE") == std::string::npos ? JsonType::big_integer
                                                          : JsonType::real;
    // nlohmann writes the C locale's decimal point into the token; any
    // character outside the number alphabet can only be that point.
    std::string_view text = raw;
    std::string normalized;
    if (raw.find_first_not_of("0123456789+-eE.") != std::string::npos) {
      normalized = raw;
      for (char& c : normalized) {
        if (std::string_view("0123456789+-eE").find(c) == std::string_view::npos) c = '.';
      }
      text = normalized;
    }
    const auto f = f32_from_decimal(text);
    if (!f) return stop(fmt::format("number '{}' cannot be read as f32", raw.substr(0, 40)));
    n.f32 = *f;
    return add(n);
  }
  bool string(json::string_t& s) {
    JsonNode n;
    n.type = JsonType::string;
    n.value = int64_t(doc_.strings_.size());
    doc_.strings_.push_back(std::move(s));
    return add(n);
  }
  bool binary(json::binary_t&) { return stop("binary values are not JSON"); }

  bool start_object(std::size_t) {
    if (!enter()) return false;
    JsonNode n;
    n.type = JsonType::object;
    n.value = int64_t(doc_.objects_.size());
    doc_.objects_.emplace_back();
    if (!add(n)) return false;
    frames_.push_back({true, size_t(n.value), {}});
    return true;
  }
  bool key(json::string_t& k) {
    frames_.back().pending_key = std::move(k);
    return true;
  }
  bool end_object() {
    frames_.pop_back();
    return true;
  }
  bool start_array(std::size_t) {
    if (!enter()) return false;
    JsonNode n;
    n.type = JsonType::array;
    n.value = int64_t(doc_.arrays_.size());
    doc_.arrays_.emplace_back();
    if (!add(n)) return false;
    frames_.push_back({false, size_t(n.value), {}});
    return true;
  }
  bool end_array() {
    frames_.pop_back();
    return true;
  }

  bool parse_error(std::size_t position, const std::string&, const json::exception& ex) {
    // Drop nlohmann's "[json.exception.parse_error.101] " tag; cap the
    // length, since the message quotes the offending token.
    std::string_view what = ex.what();
    if (const size_t tag_end = what.find("] "); tag_end != std::string_view::npos) {
      what.remove_prefix(tag_end + 2);
    }
    if (what.size() > 160) what = what.substr(0, 160);
    // Syntax errors carry "parse error at line L, column C"; the others
    // (e.g. "number overflow parsing '1e400'") get the byte offset.
    error_ = what.starts_with("parse error")
                 ? fmt::format("invalid JSON: {}", what)
                 : fmt::format("invalid JSON at byte {}: {}", position, what);
    return false;
  }

 private:
  struct Frame {
    bool is_object;
    size_t index;
    std::string pending_key;
  };

  bool stop(std::string message) {
    error_ = std::move(message);
    return false;
  }
  bool enter() {
    if (frames_.size() >= size_t(kMaxJsonDepth)) {
      return stop(fmt::format("invalid JSON: nesting deeper than {} levels", kMaxJsonDepth));
    }
    return true;
  }
  bool add(const JsonNode& n) {
    if (frames_.empty()) {
      doc_.root_ = n;
      return true;
    }
    Frame& f = frames_.back();
    if (f.is_object) {
      doc_.objects_[f.index].push_back({std::move(f.pending_key), n});
    } else {
      doc_.arrays_[f.index].push_back(n);
    }
    return true;
  }

  JsonDocument& doc_;
  std::vector<Frame> frames_;
  std::string error_;
};

JsonDocument JsonDocument::parse(std::string_view text) {
  // nlohmann's lexer reads a NUL byte as the end of input, which would
  // accept anything after one; no JSON text holds a raw NUL.
  if (const size_t nul = text.find('\0'); nul != std::string_view::npos) {
    fail(ErrorKind::malformed_case, "invalid JSON: NUL byte at byte {}", nul);
  }
  JsonDocument doc;
  JsonDocumentBuilder builder(doc);
  // Iterative parser, strict: one value, nothing after it but whitespace.
  const bool ok = nlohmann::json::sax_parse(text.data(), text.data() + text.size(), &builder);
  if (!ok) {
    fail(ErrorKind::malformed_case, "{}",
         builder.error().empty() ? std::string("invalid JSON") : builder.error());
  }
  return doc;
}

}  // namespace qdiff
