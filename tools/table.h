// A plain-text table for terminal reports: left-aligned columns sized to
// their widest cell, a rule under the header.
#pragma once

#include <string>
#include <vector>

namespace qdiff::tools {

class Table {
 public:
  explicit Table(std::vector<std::string> header) : header_(std::move(header)) {}
  void add_row(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  void add_rule() { rows_.push_back({}); }  // an empty row prints as a rule
  std::string render() const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace qdiff::tools
