#include "tools/table.h"

#include <algorithm>

namespace qdiff::tools {

std::string Table::render() const {
  std::vector<size_t> width(header_.size(), 0);
  auto measure = [&](const std::vector<std::string>& row) {
    for (size_t i = 0; i < row.size() && i < width.size(); ++i) {
      width[i] = std::max(width[i], row[i].size());
    }
  };
  measure(header_);
  for (const auto& r : rows_) measure(r);
  size_t total = 0;
  for (size_t w : width) total += w + 2;
  auto line = [&](const std::vector<std::string>& row) {
    std::string s;
    for (size_t i = 0; i < width.size(); ++i) {
      const std::string cell = i < row.size() ? row[i] : "";
      s += cell;
      if (i + 1 < width.size()) s += std::string(width[i] + 2 - cell.size(), ' ');
    }
    while (!s.empty() && s.back() == ' ') s.pop_back();
    return s + "\n";
  };
  std::string out = line(header_);
  out += std::string(total > 2 ? total - 2 : total, '-') + "\n";
  for (const auto& r : rows_) {
    out += r.empty() ? std::string(total > 2 ? total - 2 : total, '-') + "\n" : line(r);
  }
  return out;
}

}  // namespace qdiff::tools
