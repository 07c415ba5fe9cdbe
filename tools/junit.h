// Minimal JUnit XML writer for CI systems (one testcase per report row).
#pragma once

#include <string>
#include <vector>

namespace qdiff::tools {

class JUnitReport {
 public:
  // An empty failure text means the case passed.
  void add(std::string classname, std::string name, double seconds, std::string failure);
  void write(const std::string& path) const;

 private:
  struct Case {
    std::string classname, name, failure;
    double seconds;
  };
  std::vector<Case> cases_;
};

}  // namespace qdiff::tools
