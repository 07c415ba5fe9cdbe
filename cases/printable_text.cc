#include "cases/printable_text.h"

#include <fmt/format.h>

namespace qdiff {

std::string escape_control_chars(std::string_view s, bool keep_newlines) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 || u == 0x7f) && !(keep_newlines && c == '\n')) {
      out += fmt::format("\\x{:02x}", u);
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace qdiff
